//! One parser per log format. Each turns a line (or a framed JSON document)
//! into zero or more records and says why when it cannot.
//!
//! Module map (each module's doc says why it exists and what it maps):
//! - [`json`]: the dispatcher for every JSON input. It classifies each
//!   document on its own, so one file may mix formats (a native audit line
//!   next to a GKE entry next to an AKS record) without losing a line.
//! - audit family: [`audit`] (native), [`eks`], [`aks`], [`gke`]: the cloud
//!   variants are rewritten into the native audit shape first.
//! - node and workload logs: [`container`] (CRI and Docker json-file),
//!   [`klog`], [`syslog`] (+ [`auth`] for sshd/sudo/su/useradd; both
//!   hold a record in [`held`] until the indented lines that continue it
//!   end), [`journald`], [`falco`], [`k8s_events`].
//! - central pipelines: [`pipeline`] (Elasticsearch/OpenSearch exports,
//!   ECS from Filebeat/Elastic Agent, Fluent Bit/Fluentd, Loki).
//! - the network: [`hubble`] (Cilium flows), [`vpc_flow`] (AWS VPC flow
//!   logs), and [`app_lines`] for container lines that are CoreDNS queries
//!   or ingress-nginx requests.
//! - generic: [`jsonl`], [`logfmt`], [`text`]; [`yaml`] frames YAML
//!   documents and hands them to the JSON dispatcher.

pub mod aks;
pub mod app_lines;
pub mod audit;
pub mod auth;
pub mod container;
pub mod eks;
pub mod falco;
pub mod gke;
mod held;
pub mod hubble;
pub mod journald;
pub mod json;
pub mod jsonl;
pub mod k8s_events;
pub mod klog;
pub mod logfmt;
pub mod pipeline;
pub mod syslog;
pub mod text;
pub mod vpc_flow;
pub mod yaml;

#[cfg(test)]
mod header_check;

use crate::event::{Format, Location, Record};
use crate::ingest::time::YearResolver;
use serde_json::Value;

/// What a parser hands back besides records: lines it gave up on after the
/// fact (a YAML document that turned out broken at its end) and notes.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The lines of `location` are not records of the format.
    Unparsed { location: Location, reason: String },
    /// Something worth telling about a line that was read anyway.
    Info { line: u64, message: String },
}

/// A record whose fields are built later, by the thread that analyses it:
/// what must be known in input order (where the record lies, its time,
/// the stream it belongs to) is read now, and the rest is a pure function
/// of owned parts. With two threads, most of a node or container line's
/// cost is building its fields, and the reading thread is the one that
/// bounds them (docs/performance.md, session 14).
pub struct Later {
    /// The format of the input's stream: the record's own format may
    /// differ (a container line recognised as a CoreDNS query).
    pub stream: Format,
    pub time_ns: Option<i64>,
    pub location: Location,
    build: Box<dyn FnOnce() -> Record + Send>,
}

impl Later {
    /// `build` must give a record at `location` with `time_ns` as its time.
    pub fn new(
        stream: Format,
        time_ns: Option<i64>,
        location: Location,
        build: impl FnOnce() -> Record + Send + 'static,
    ) -> Self {
        Later {
            stream,
            time_ns,
            location,
            build: Box::new(build),
        }
    }

    pub fn build(self) -> Record {
        (self.build)()
    }
}

/// A parser's record, built or [`Later`].
pub enum Unit {
    /// Boxed: a record is some 500 bytes, and a unit is moved from the
    /// parser to the thread that takes it several times.
    Built(Box<Record>),
    Later(Later),
}

impl Unit {
    pub fn location(&self) -> &Location {
        match self {
            Unit::Built(r) => &r.location,
            Unit::Later(l) => &l.location,
        }
    }

    pub fn build(self) -> Record {
        match self {
            Unit::Built(r) => *r,
            Unit::Later(l) => l.build(),
        }
    }
}

/// Where parsers put what they produce.
#[derive(Default)]
pub struct Out {
    pub units: Vec<Unit>,
    pub notes: Vec<Note>,
}

impl Out {
    pub fn push(&mut self, record: Record) {
        self.units.push(Unit::Built(Box::new(record)));
    }
    pub fn push_later(&mut self, later: Later) {
        self.units.push(Unit::Later(later));
    }
    /// Builds the units from the `from`th on, in place.
    pub fn build_from(&mut self, from: usize) {
        let rest: Vec<Unit> = self.units.drain(from..).collect();
        self.units
            .extend(rest.into_iter().map(|u| Unit::Built(Box::new(u.build()))));
    }
    pub fn info(&mut self, line: u64, message: impl Into<String>) {
        self.notes.push(Note::Info {
            line,
            message: message.into(),
        });
    }
}

/// A format's parser. Parsers may keep state across units (a CRI partial
/// line waits for its end), and flush it in [`Parser::finish`].
/// `Send`: the CLI lends the analysis, with any source in it, to another thread.
pub trait Parser: Send {
    /// True when records may span lines as JSON documents.
    fn framed(&self) -> bool {
        false
    }

    /// Parses one unit, pushing records to `out`; `Err` says why the unit is
    /// not a record of this format (its lines are then counted unparsed).
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String>;

    /// Parses `unit` as [`Parser::parse`] does if it is one whole JSON
    /// value (see [`crate::ingest::json_frame::JsonFramer::whole_line`]);
    /// if it is not, `None`, having done nothing.
    fn parse_whole(
        &mut self,
        _unit: &str,
        _location: Location,
        _out: &mut Out,
    ) -> Option<Result<(), String>> {
        None
    }

    /// Flushes held state at the end of the input.
    fn finish(&mut self, _out: &mut Out) {}
}

/// What a parser may know about its input besides the bytes.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The input's name: container log paths carry pod, namespace and
    /// container (`a.tgz!var/log/pods/...` works too).
    pub path: String,
    /// How year-less timestamps (syslog, klog) get their year.
    pub years: YearResolver,
}

/// The parser for `format`; `path` names the input.
pub fn parser_for(format: Format, path: &str) -> Box<dyn Parser> {
    parser_with(
        Some(format),
        &Context {
            path: path.to_string(),
            ..Default::default()
        },
    )
}

/// The parser for `format`, or for JSON input of any kind when `format` is
/// `None` (each document is classified on its own).
pub fn parser_with(format: Option<Format>, ctx: &Context) -> Box<dyn Parser> {
    match format {
        None => Box::new(json::JsonParser::new(None, ctx)),
        Some(f) => match f {
            Format::Cri => Box::new(container::ContainerParser::new(ctx)),
            Format::Klog => Box::new(klog::KlogParser::new(ctx)),
            Format::Syslog => Box::new(syslog::SyslogParser::new(ctx)),
            Format::Logfmt => Box::new(logfmt::LogfmtParser),
            Format::Text => Box::new(text::TextParser),
            Format::K8sAuditEks => Box::new(eks::EksParser::new(ctx)),
            Format::VpcFlow => Box::new(vpc_flow::VpcFlowParser::new()),
            _ => Box::new(json::JsonParser::new(Some(f), ctx)),
        },
    }
}

/// A string at `path` inside `v`, empty strings treated as absent.
/// serde_json's error, said plainly where it is terse: its recursion limit
/// (128 nested arrays/objects) otherwise reads as "recursion limit exceeded".
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    if e.to_string().starts_with("recursion limit exceeded") {
        format!(
            "nested more than 128 levels deep (the JSON reader's limit) at column {}: not read",
            e.column()
        )
    } else {
        e.to_string()
    }
}

/// The rest of `line` after a header regex's match. Header regexes stop at
/// the header: a trailing `(.*)$` made the regex engine walk every message
/// byte by byte (two thirds of the syslog parser's time).
pub(crate) fn after_match<'l>(line: &'l str, header: &regex::Captures) -> &'l str {
    &line[header.get(0).map_or(0, |m| m.end())..]
}

/// Reads a line header byte by byte (klog, BSD syslog): each step is
/// `None` when the line does not have what it asks for there.
pub(crate) struct HeaderBytes<'l> {
    line: &'l str,
}

/// `hh:mm:ss[.fraction]`, as a header writes the time of day.
pub(crate) struct Clock<'l> {
    pub hour: &'l str,
    pub minute: &'l str,
    pub second: &'l str,
    pub fraction: Option<&'l str>,
}

impl<'l> HeaderBytes<'l> {
    pub fn new(line: &'l str) -> Self {
        HeaderBytes { line }
    }

    /// Two ASCII digits at `at`.
    pub fn digits(&self, at: usize) -> Option<&'l str> {
        let d = self.line.as_bytes().get(at..at + 2)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| &self.line[at..at + 2])
    }

    /// Whether the byte at `at` is `c`.
    pub fn byte(&self, at: usize, c: u8) -> Option<()> {
        (self.line.as_bytes().get(at) == Some(&c)).then_some(())
    }

    /// How many bytes from `from` on are `f`.
    pub fn run(&self, from: usize, f: impl Fn(&u8) -> bool) -> usize {
        let rest = self.line.as_bytes().get(from..).unwrap_or_default();
        rest.iter().take_while(|c| f(c)).count()
    }

    /// The time of day at `at`, its fraction 1 to `max_fraction` ASCII
    /// digits, and where it ends.
    pub fn clock(&self, at: usize, max_fraction: usize) -> Option<(Clock<'l>, usize)> {
        let hour = self.digits(at)?;
        self.byte(at + 2, b':')?;
        let minute = self.digits(at + 3)?;
        self.byte(at + 5, b':')?;
        let second = self.digits(at + 6)?;
        let mut end = at + 8;
        let fraction = if self.byte(end, b'.').is_some() {
            let n = self.run(end + 1, u8::is_ascii_digit);
            if !(1..=max_fraction).contains(&n) {
                return None;
            }
            end += 1 + n;
            Some(&self.line[end - n..end])
        } else {
            None
        };
        let clock = Clock {
            hour,
            minute,
            second,
            fraction,
        };
        Some((clock, end))
    }
}

pub(crate) fn text_at(v: &Value, path: &[&str]) -> Option<String> {
    match crate::event::value_at(v, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Splits `key=value key="quoted value"` pairs (logfmt, klog structured
/// logging, sshd/pam fragments). Returns None when the text holds none.
pub(crate) fn kv_pairs(s: &str) -> Vec<(String, String)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i] != b'=' && b[i] != b' ' && b[i] != b'"' {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' || i == start {
            // Not a key: skip this word.
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            continue;
        }
        let key = s[start..i].to_string();
        i += 1;
        if i < b.len() && b[i] == b'"' {
            i += 1;
            let mut val = String::new();
            let mut closed = false;
            while i < b.len() {
                match b[i] {
                    b'\\' if i + 1 < b.len() => {
                        // The escaped character may be several bytes long.
                        let c = s[i + 1..].chars().next().unwrap_or(' ');
                        val.push(match c {
                            'n' => '\n',
                            't' => '\t',
                            _ => c,
                        });
                        i += 1 + c.len_utf8();
                        continue;
                    }
                    b'"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    _ => {
                        let ch = s[i..].chars().next().unwrap_or(' ');
                        val.push(ch);
                        i += ch.len_utf8();
                        continue;
                    }
                }
            }
            if !closed {
                break;
            }
            out.push((key, val));
        } else {
            let vs = i;
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            out.push((key, s[vs..i].to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_pairs_handle_quotes_and_words() {
        let got = kv_pairs(r#"msg="hello \"x\" y" level=info stray pod=ns/p"#);
        assert_eq!(
            got,
            vec![
                ("msg".into(), "hello \"x\" y".into()),
                ("level".into(), "info".into()),
                ("pod".into(), "ns/p".into())
            ]
        );
        assert!(kv_pairs("just words").is_empty());
    }

    /// Found by the `ingest` fuzz target: an escaped multi-byte character
    /// used to leave the index inside it and panic.
    #[test]
    fn kv_pairs_escape_multibyte_characters() {
        assert_eq!(
            kv_pairs("key=\"a\\é\\ñb\" next=1"),
            vec![("key".into(), "aéñb".into()), ("next".into(), "1".into())]
        );
        assert_eq!(kv_pairs("k=\"\\\u{fffd}"), vec![]);
    }
}
