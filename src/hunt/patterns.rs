//! Patterns of the loaded messages, for the page's Hunt view: the
//! messages of every non-audit event go through the same miner as `spoor
//! patterns` (in time order), and each pattern keeps its events' counts per
//! time bin (its sparkline) and a query that finds its lines.

use crate::ingest::time::format_rfc3339;
use crate::patterns::PatternMiner;
use crate::store::query::term;
use crate::store::{Field, Store};
use serde::{Deserialize, Serialize};

/// Patterns returned at most.
pub const MAX_PATTERNS: usize = 500;
/// Sparkline bins at most.
pub const MAX_BINS: usize = 200;

/// One pattern of the loaded messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePattern {
    pub template: String,
    pub count: u64,
    /// Events per time bin over the case's span.
    pub bins: Vec<u32>,
    /// Time of its first event (RFC 3339).
    pub first: String,
    /// Format of its first event (a Sigma draft's logsource).
    pub format: String,
    /// The explorer query for its lines (`pattern:"…"`).
    pub query: String,
}

/// The patterns of a case, rarest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessagePatterns {
    /// Messages mined.
    pub messages: u64,
    /// Distinct patterns in all (the list may hold fewer).
    pub distinct: usize,
    pub from: i64,
    /// Nanoseconds per bin.
    pub width: i64,
    pub patterns: Vec<MessagePattern>,
}

/// Mines the messages of `events` (ids in time order) that are not audit
/// events; at most `limit` patterns, rarest first, `bins` bins each.
pub fn message_patterns(
    store: &Store,
    events: &[u32],
    bins: usize,
    limit: usize,
) -> MessagePatterns {
    let bins = bins.clamp(1, MAX_BINS);
    let (from, to) = store.span().unwrap_or((0, 0));
    let width = ((to as i128 - from as i128) / bins as i128 + 1).max(1) as i64;
    let mut miner = PatternMiner::default();
    let mut mined: Vec<u32> = Vec::new();
    for &i in events {
        let message = store.value(Field::Message, i);
        if message.is_empty() || store.format(i).is_audit() {
            continue;
        }
        miner.add(message);
        mined.push(i);
    }
    let result = miner.finish();
    let mut out: Vec<MessagePattern> = result
        .patterns
        .iter()
        .map(|p| MessagePattern {
            template: p.template.clone(),
            count: 0,
            bins: vec![0; bins],
            first: String::new(),
            format: String::new(),
            query: term("pattern", &p.template),
        })
        .collect();
    for (&i, &p) in mined.iter().zip(&result.line_pattern) {
        let Some(pattern) = out.get_mut(p as usize) else {
            continue;
        };
        pattern.count += 1;
        if pattern.format.is_empty() {
            pattern.format = store.format(i).name().to_string();
        }
        if let Some(t) = store.time(i) {
            if pattern.first.is_empty() {
                pattern.first = format_rfc3339(t);
            }
            let b = ((t as i128 - from as i128) / width as i128).clamp(0, bins as i128 - 1);
            pattern.bins[b as usize] += 1;
        }
    }
    let distinct = out.len();
    // Rarest first; ties by first appearance (ids are in that order).
    crate::sort::by_key(&mut out, |p| p.count);
    out.truncate(limit.min(MAX_PATTERNS));
    MessagePatterns {
        messages: mined.len() as u64,
        distinct,
        from,
        width,
        patterns: out,
    }
}
