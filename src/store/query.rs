//! The query language of the event explorer.
//!
//! ```text
//! user:dev-01 verb:delete,patch ns:kube-system code:>=400 "free text"
//! -ua:kubectl* after:2026-03-14T02:00:00Z before:2026-03-14T03:00:00Z
//! ```
//!
//! Terms are separated by spaces and all must hold. `field:value` matches a
//! column (case-insensitive; `*` is a wildcard; `a,b` means either);
//! `-field:value` negates; a bare word or a `"quoted phrase"` is free text,
//! searched in every string column. `code:` and `input:` take numbers with
//! an optional comparison (`>=400`); `after:` (inclusive) and `before:`
//! (exclusive) take RFC 3339 times or dates. Errors name the token and its
//! column.

use super::{format_of, Field, Store};
use crate::event::Format;
use crate::ingest::time::parse_rfc3339;
use std::fmt;

/// A field name after aliases are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldName {
    Sym(Field),
    Format,
    Status,
    Input,
    After,
    Before,
    /// A mined log pattern the message must be an instance of
    /// ([`crate::patterns::matches_template`]).
    Pattern,
}

/// The names the language accepts, for error messages and the help overlay.
pub const FIELDS_HELP: &str = "user (u, identity, who), verb (action), ns (namespace), pod, \
resource (res), sub (subresource), name (obj), code (status), ip (src, source_ip), \
ua (agent, user_agent), host (node), msg (message), pattern (a mined template), format (source, fmt), input, after (since), before (until)";

/// Resolves a field name or alias (case-insensitive).
pub fn canonical_field(name: &str) -> Option<FieldName> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "user" | "u" | "identity" | "who" | "username" => FieldName::Sym(Field::User),
        "verb" | "action" | "a" => FieldName::Sym(Field::Action),
        "ns" | "namespace" => FieldName::Sym(Field::Namespace),
        "pod" => FieldName::Sym(Field::Pod),
        "resource" | "res" | "r" => FieldName::Sym(Field::Resource),
        "sub" | "subresource" => FieldName::Sym(Field::Subresource),
        "name" | "obj" | "object" => FieldName::Sym(Field::Name),
        "ip" | "src" | "source_ip" | "sourceip" => FieldName::Sym(Field::SourceIp),
        "ua" | "agent" | "user_agent" | "useragent" => FieldName::Sym(Field::UserAgent),
        "host" | "node" => FieldName::Sym(Field::Host),
        "msg" | "message" => FieldName::Sym(Field::Message),
        "format" | "fmt" | "source" => FieldName::Format,
        "code" | "status" => FieldName::Status,
        "input" => FieldName::Input,
        "after" | "since" | "from" => FieldName::After,
        "before" | "until" | "to" => FieldName::Before,
        "pattern" | "template" => FieldName::Pattern,
        _ => return None,
    })
}

/// A query that does not parse: which token, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// 1-based character column where the token starts.
    pub column: usize,
    pub token: String,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column {}, `{}`: {}",
            self.column, self.token, self.message
        )
    }
}

impl std::error::Error for QueryError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn test(self, a: i64, b: i64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text, `*` a wildcard; matched without regard to ASCII case.
    Pattern(String),
    Compare(Op, i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Field {
        field: FieldName,
        values: Vec<Value>,
        negated: bool,
    },
    Text {
        text: String,
        negated: bool,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
    /// Inclusive lower bound, ns since the epoch.
    pub after: Option<i64>,
    /// Exclusive upper bound.
    pub before: Option<i64>,
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn column(&self, byte: usize) -> usize {
        self.s[..byte].chars().count() + 1
    }
    /// A `"…"` string at the cursor (the opening quote is next); `\"` escapes.
    fn quoted(&mut self, start: usize) -> Result<String, QueryError> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(QueryError {
                        column: self.column(start),
                        token: self.s[start..].to_string(),
                        message: "unterminated quote: add the closing \"".into(),
                    })
                }
                Some('"') => return Ok(out),
                Some('\\') if matches!(self.peek(), Some('"') | Some('\\')) => {
                    out.push(self.bump().unwrap_or('\\'));
                }
                Some(c) => out.push(c),
            }
        }
    }
    fn word(&mut self, stop_at_colon: bool) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || (stop_at_colon && c == ':') {
                break;
            }
            self.bump();
        }
        &self.s[start..self.pos]
    }
}

/// Parses a query; the empty query matches everything.
pub fn parse(q: &str) -> Result<Query, QueryError> {
    let mut query = Query::default();
    let mut c = Cursor { s: q, pos: 0 };
    loop {
        while c.peek().is_some_and(char::is_whitespace) {
            c.bump();
        }
        let start = c.pos;
        let Some(first) = c.peek() else { break };
        let negated = first == '-' && c.s[start + 1..].starts_with(|ch: char| !ch.is_whitespace());
        if negated {
            c.bump();
        }
        if c.peek() == Some('"') {
            let text = c.quoted(start)?;
            if text.is_empty() {
                return Err(err(&c, start, "empty phrase: put text between the quotes"));
            }
            query.terms.push(Term::Text { text, negated });
            continue;
        }
        let name = c.word(true).to_string();
        if c.peek() != Some(':') {
            if name == "-" || name.is_empty() {
                return Err(err(
                    &c,
                    start,
                    "a lone `-` negates nothing: write -field:value",
                ));
            }
            query.terms.push(Term::Text {
                text: name,
                negated,
            });
            continue;
        }
        c.bump();
        let Some(field) = canonical_field(&name) else {
            let message = if name.is_empty() {
                format!("a `:` needs a field name before it; fields: {FIELDS_HELP}")
            } else {
                format!("unknown field `{name}`; fields: {FIELDS_HELP}")
            };
            c.word(false);
            return Err(err(&c, start, &message));
        };
        let quoted = c.peek() == Some('"');
        let raw_values: Vec<String> = if quoted {
            vec![c.quoted(start)?]
        } else {
            let v = c.word(false);
            if v.is_empty() {
                return Err(err(
                    &c,
                    start,
                    &format!("`{name}:` needs a value, e.g. {name}:something"),
                ));
            }
            v.split(',').map(str::to_string).collect()
        };
        if raw_values.iter().any(String::is_empty) {
            return Err(err(
                &c,
                start,
                "empty value in a list: write a,b without empty items",
            ));
        }
        match field {
            FieldName::After | FieldName::Before => {
                if negated {
                    return Err(err(
                        &c,
                        start,
                        "after:/before: cannot be negated: use the other one",
                    ));
                }
                if raw_values.len() != 1 {
                    return Err(err(&c, start, "one time only, not a list"));
                }
                let Some(t) = parse_time(&raw_values[0]) else {
                    return Err(err(
                        &c,
                        start,
                        "not a time: write RFC 3339 like 2026-03-14T02:00:00Z, or a date like 2026-03-14",
                    ));
                };
                if field == FieldName::After {
                    query.after = Some(query.after.map_or(t, |a| a.max(t)));
                } else {
                    query.before = Some(query.before.map_or(t, |b| b.min(t)));
                }
            }
            FieldName::Status | FieldName::Input => {
                let mut values = Vec::new();
                for v in &raw_values {
                    values.push(numeric_value(v).map_err(|m| err(&c, start, &m))?);
                }
                query.terms.push(Term::Field {
                    field,
                    values,
                    negated,
                });
            }
            FieldName::Sym(_) | FieldName::Format | FieldName::Pattern => {
                if let Some(v) = raw_values
                    .iter()
                    .find(|v| !quoted && v.starts_with(['<', '>']) && v.len() > 1)
                {
                    return Err(err(
                        &c,
                        start,
                        &format!(
                            "`{v}`: comparisons work on code: and input: only; quote the value to match it as text"
                        ),
                    ));
                }
                query.terms.push(Term::Field {
                    field,
                    values: raw_values.into_iter().map(Value::Pattern).collect(),
                    negated,
                });
            }
        }
    }
    Ok(query)
}

fn err(c: &Cursor, start: usize, message: &str) -> QueryError {
    QueryError {
        column: c.column(start),
        token: c.s[start..c.pos.max(start)].to_string(),
        message: message.to_string(),
    }
}

fn numeric_value(v: &str) -> Result<Value, String> {
    let (op, rest) = if let Some(r) = v.strip_prefix(">=") {
        (Op::Ge, r)
    } else if let Some(r) = v.strip_prefix("<=") {
        (Op::Le, r)
    } else if let Some(r) = v.strip_prefix('>') {
        (Op::Gt, r)
    } else if let Some(r) = v.strip_prefix('<') {
        (Op::Lt, r)
    } else if let Some(r) = v.strip_prefix('=') {
        (Op::Eq, r)
    } else {
        (Op::Eq, v)
    };
    if op == Op::Eq && rest.contains('*') {
        return Ok(Value::Pattern(rest.to_string()));
    }
    rest.parse::<i64>()
        .map(|n| Value::Compare(op, n))
        .map_err(|_| format!("`{v}` is not a number (write 403, >=400, <500 or 4*)"))
}

/// RFC 3339, or a date, or a date and time without zone (taken as UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    if let Some(t) = parse_rfc3339(s) {
        return Some(t);
    }
    let bytes = s.len();
    let candidate = match bytes {
        10 => format!("{s}T00:00:00Z"),
        13 => format!("{s}:00:00Z"),
        16 => format!("{s}:00Z"),
        19 => format!("{s}Z"),
        _ => return None,
    };
    parse_rfc3339(&candidate.replacen(' ', "T", 1))
}

/// `*`-wildcard match without regard to ASCII case.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern.eq_ignore_ascii_case(text);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let t = text.as_bytes();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if t.len() < first.len() + last.len()
        || !t[..first.len()].eq_ignore_ascii_case(first.as_bytes())
        || !t[t.len() - last.len()..].eq_ignore_ascii_case(last.as_bytes())
    {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match find_ci(rest, mid.as_bytes()) {
            Some(at) => rest = &rest[at + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Position of `needle` in `hay`, ignoring ASCII case.
pub fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if hay.len() < needle.len() {
        return None;
    }
    let first = needle[0].to_ascii_lowercase();
    (0..=hay.len() - needle.len()).find(|&i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
    })
}

/// One compiled term: which rows match, decided per symbol where possible.
enum Pred {
    Sym {
        field: Field,
        mask: Vec<bool>,
        negated: bool,
    },
    Format {
        mask: [bool; Format::ALL.len()],
        negated: bool,
    },
    Status {
        values: Vec<Value>,
        negated: bool,
    },
    Input {
        values: Vec<Value>,
        negated: bool,
    },
    Text {
        masks: Vec<(Field, Vec<bool>)>,
        negated: bool,
    },
}

fn numeric_matches(values: &[Value], n: i64) -> bool {
    values.iter().any(|v| match v {
        Value::Compare(op, b) => op.test(n, *b),
        Value::Pattern(p) => glob_match(p, &n.to_string()),
    })
}

impl Store {
    /// Parses and runs `q`: matching event ids in time order.
    pub fn run(&self, q: &str) -> Result<Vec<u32>, QueryError> {
        Ok(self.query(&parse(q)?))
    }

    /// Event ids matching `query`, in time order (events without a time
    /// last, and excluded when the query bounds the time).
    pub fn query(&self, query: &Query) -> Vec<u32> {
        let order = self.time_order();
        let slice = if query.after.is_some() || query.before.is_some() {
            let timed = &order[..self.timed];
            let t = |i: &u32| self.time_ns[*i as usize];
            let lo = query
                .after
                .map_or(0, |a| timed.partition_point(|i| t(i) < a));
            let hi = query
                .before
                .map_or(timed.len(), |b| timed.partition_point(|i| t(i) < b));
            &timed[lo..hi.max(lo)]
        } else {
            order
        };
        let preds: Vec<Pred> = query.terms.iter().map(|t| self.compile(t)).collect();
        // A positive term no symbol satisfies matches nothing.
        if preds.iter().any(|p| match p {
            Pred::Sym {
                mask,
                negated: false,
                ..
            } => !mask.contains(&true),
            Pred::Text {
                masks,
                negated: false,
            } => masks.iter().all(|(_, m)| !m.contains(&true)),
            _ => false,
        }) {
            return Vec::new();
        }
        slice
            .iter()
            .copied()
            .filter(|&i| preds.iter().all(|p| self.test(p, i)))
            .collect()
    }

    fn compile(&self, term: &Term) -> Pred {
        let mask_of = |f: Field, want: &dyn Fn(&str) -> bool| -> Vec<bool> {
            let dict = self.dict(f);
            let mut m: Vec<bool> = dict.values().map(|(_, s)| want(s)).collect();
            m[0] = false;
            m
        };
        match term {
            Term::Field {
                field,
                values,
                negated,
            } => {
                let patterns: Vec<&str> = values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Pattern(p) => Some(p.as_str()),
                        Value::Compare(..) => None,
                    })
                    .collect();
                let negated = *negated;
                match field {
                    FieldName::Sym(f) => Pred::Sym {
                        field: *f,
                        mask: mask_of(*f, &|s| patterns.iter().any(|p| glob_match(p, s))),
                        negated,
                    },
                    FieldName::Pattern => Pred::Sym {
                        field: Field::Message,
                        mask: mask_of(Field::Message, &|s| {
                            patterns
                                .iter()
                                .any(|p| crate::patterns::matches_template(p, s))
                        }),
                        negated,
                    },
                    FieldName::Format => {
                        let mut mask = [false; Format::ALL.len()];
                        for (i, m) in mask.iter_mut().enumerate() {
                            let name = format_of(i as u8).name();
                            *m = patterns.iter().any(|p| {
                                glob_match(p, name)
                                    || (p.eq_ignore_ascii_case("audit")
                                        && format_of(i as u8).is_audit())
                            });
                        }
                        Pred::Format { mask, negated }
                    }
                    FieldName::Status => Pred::Status {
                        values: values.clone(),
                        negated,
                    },
                    FieldName::Input => Pred::Input {
                        values: values.clone(),
                        negated,
                    },
                    FieldName::After | FieldName::Before => Pred::Input {
                        values: Vec::new(),
                        negated: true,
                    },
                }
            }
            Term::Text { text, negated } => Pred::Text {
                masks: Field::ALL
                    .iter()
                    .map(|&f| {
                        (
                            f,
                            mask_of(f, &|s| find_ci(s.as_bytes(), text.as_bytes()).is_some()),
                        )
                    })
                    .filter(|(_, m)| m.contains(&true))
                    .collect(),
                negated: *negated,
            },
        }
    }

    #[inline]
    fn test(&self, p: &Pred, i: u32) -> bool {
        match p {
            Pred::Sym {
                field,
                mask,
                negated,
            } => mask[self.sym(*field, i) as usize] != *negated,
            Pred::Format { mask, negated } => mask[self.format[i as usize] as usize] != *negated,
            Pred::Status { values, negated } => {
                let s = self.status[i as usize];
                (s != 0 && numeric_matches(values, s as i64)) != *negated
            }
            Pred::Input { values, negated } => {
                numeric_matches(values, self.input(i) as i64) != *negated
            }
            Pred::Text { masks, negated } => {
                masks.iter().any(|(f, m)| m[self.sym(*f, i) as usize]) != *negated
            }
        }
    }
}

/// Removes `after:`/`before:` terms from a query text (for the timeline,
/// which shows the whole span and shades the chosen range instead).
pub fn without_time(q: &str) -> String {
    q.split_whitespace()
        .filter(|t| {
            let name = t.split(':').next().unwrap_or("");
            !(t.contains(':')
                && matches!(
                    canonical_field(name),
                    Some(FieldName::After | FieldName::Before)
                ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `field:value`, quoted when the value needs it (for click-to-filter).
pub fn term(field: &str, value: &str) -> String {
    if !value.is_empty()
        && !value.starts_with(['<', '>', '=', '-'])
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == ',' || c == '\\')
    {
        format!("{field}:{value}")
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("{field}:\"{escaped}\"")
    }
}
