//! Stacking (least frequency of occurrence): count the distinct values of
//! one to three fields among a query's matches and list them rarest first.
//! Hunters read the bottom of a frequency table because an attacker's
//! identity, address or user agent is usually the odd one out; the top is
//! the cluster's own machinery.

use crate::ingest::time::format_rfc3339;
use crate::store::query::term;
use crate::store::{format_of, StackField, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Fields one stack may combine (identity × verb × resource).
pub const MAX_STACK_FIELDS: usize = 3;
/// Rows returned at most, whatever the caller asks.
pub const MAX_STACK_ROWS: usize = 1000;

/// One distinct combination of values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackRow {
    /// One value per stacked field, in the order asked.
    pub values: Vec<String>,
    pub count: u64,
    /// Time of the combination's first and last event (RFC 3339), if known.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last: String,
    /// Format of its first event: what a Sigma draft's logsource is.
    pub format: String,
    /// The query (base query included) that selects exactly these events.
    pub query: String,
}

/// A stack: rarest combinations first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stack {
    /// The field names as asked.
    pub fields: Vec<String>,
    /// Events that matched the query.
    pub events: usize,
    /// Matching events without a value in some stacked field (not counted).
    pub without_value: usize,
    /// Distinct combinations in all (rows may hold fewer).
    pub distinct: usize,
    pub rows: Vec<StackRow>,
}

/// Parses `user,verb,resource` into stack fields (query names and aliases).
pub fn parse_fields(names: &str) -> Result<Vec<(String, StackField)>, String> {
    let fields: Vec<(String, StackField)> = names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            StackField::parse(n)
                .map(|f| (n.to_string(), f))
                .ok_or_else(|| {
                    format!(
                        "cannot stack by `{n}` (fields: {})",
                        crate::store::query::FIELDS_HELP
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    match fields.len() {
        0 => Err("name a field to stack by (like user or user,verb,resource)".into()),
        n if n > MAX_STACK_FIELDS => Err(format!(
            "stack by at most {MAX_STACK_FIELDS} fields at once (got {n})"
        )),
        _ => Ok(fields),
    }
}

struct Group {
    count: u64,
    first_event: u32,
    first: Option<i64>,
    last: Option<i64>,
}

/// Stacks `events` (ids in time order, the matches of `base_query`) by
/// `fields`, rarest first (ties: earliest first), at most `limit` rows.
pub fn stack(
    store: &Store,
    fields: &[(String, StackField)],
    events: &[u32],
    base_query: &str,
    limit: usize,
) -> Stack {
    let mut groups: HashMap<[u32; MAX_STACK_FIELDS], Group> = HashMap::new();
    let mut without_value = 0;
    for &i in events {
        let mut key = [0u32; MAX_STACK_FIELDS];
        for (slot, (_, f)) in key.iter_mut().zip(fields) {
            *slot = store.stack_key(*f, i);
        }
        if key
            .iter()
            .zip(fields)
            .any(|(&k, (_, f))| k == 0 && !f.zero_is_value())
        {
            without_value += 1;
            continue;
        }
        let t = store.time(i);
        let g = groups.entry(key).or_insert(Group {
            count: 0,
            first_event: i,
            first: t,
            last: t,
        });
        g.count += 1;
        if t.is_some() {
            g.first = g.first.or(t);
            g.last = t;
        }
    }
    let distinct = groups.len();
    let mut ordered: Vec<([u32; MAX_STACK_FIELDS], Group)> = groups.into_iter().collect();
    crate::sort::by(&mut ordered, |(ka, a), (kb, b)| {
        (a.count, a.first.unwrap_or(i64::MAX), ka).cmp(&(b.count, b.first.unwrap_or(i64::MAX), kb))
    });
    ordered.truncate(limit.min(MAX_STACK_ROWS));
    let rows = ordered
        .into_iter()
        .map(|(key, g)| {
            let values: Vec<String> = key
                .iter()
                .zip(fields)
                .map(|(&k, (_, f))| store.stack_value(*f, k))
                .collect();
            let mut query = base_query.trim().to_string();
            for ((name, _), v) in fields.iter().zip(&values) {
                if !query.is_empty() {
                    query.push(' ');
                }
                query.push_str(&term(name, v));
            }
            StackRow {
                values,
                count: g.count,
                first: g.first.map(format_rfc3339).unwrap_or_default(),
                last: g.last.map(format_rfc3339).unwrap_or_default(),
                format: format_of(store.format_code(g.first_event))
                    .name()
                    .to_string(),
                query,
            }
        })
        .collect();
    Stack {
        fields: fields.iter().map(|(n, _)| n.clone()).collect(),
        events: events.len(),
        without_value,
        distinct,
        rows,
    }
}

impl Stack {
    /// A plain table: count, first seen, values — rarest first.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "{} events, {} distinct {} ({} without a value), rarest first\n",
            self.events,
            self.distinct,
            self.fields.join(" × "),
            self.without_value
        );
        for r in &self.rows {
            out += &format!(
                "{:>8}  {:<20}  {}\n",
                r.count,
                if r.first.is_empty() { "-" } else { &r.first },
                r.values.join("  ")
            );
        }
        out
    }
}
