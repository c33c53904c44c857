//! klog / glog, the log format of every Kubernetes component (kubelet,
//! kube-apiserver, ...): `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`.
//!
//! - The year is not in the line: it comes from the file header
//!   (`Log file created at: 2019/08/20 20:28:26`), else from the caller
//!   (see [`crate::ingest::time::YearResolver`]); without either the event
//!   keeps `time_text` only.
//! - The header lines (`Log file created at`, `Running on machine`,
//!   `Binary`, `Log line format`) are read (they count as parsed) and give
//!   year and host; they make no event.
//! - Structured logging (`"msg" key="value" ...`) keeps its pairs as fields;
//!   `pod="ns/name"`, `containerName`, `containerID` fill the event.
//! - kubelet `httplog.go` request lines give method, status, client IP and
//!   user agent (who used the kubelet API).
//! - Indented lines continue the previous record's message.

use super::{after_match, kv_pairs, Context, Out, Parser};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::{civil_ns, fraction_nanos, YearResolver};
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

fn line_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?\s+(\d+) ([^ \]]+)\] ?",
        )
        .expect("klog regex")
    })
}

fn httplog_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^([A-Z]+) (\S+?):? \(([^)]*)\) (\d{3})(?: [^\[]*)?\[(.*) (\S+?)(?::\d+)?\]")
            .expect("httplog regex")
    })
}

/// True for a klog line or a klog file header line.
pub fn looks_like(line: &str) -> bool {
    line_re().is_match(line) || is_header(line)
}

fn is_header(line: &str) -> bool {
    [
        "Log file created at: ",
        "Running on machine: ",
        "Binary: ",
        "Log line format: ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

pub struct KlogParser {
    years: YearResolver,
    host: Option<String>,
    pending: Option<Record>,
    warned_year: bool,
}

impl KlogParser {
    pub fn new(ctx: &Context) -> Self {
        KlogParser {
            years: ctx.years.clone(),
            host: None,
            pending: None,
            warned_year: false,
        }
    }
}

/// Parses one klog line into a record (no continuation handling).
pub fn parse_line(
    line: &str,
    location: Location,
    years: &mut YearResolver,
    host: Option<&str>,
) -> Option<Record> {
    let c = line_re().captures(line)?;
    let num = |i: usize| {
        c.get(i)
            .map_or(0, |m| m.as_str().parse::<u32>().unwrap_or(0))
    };
    let (month, day) = (num(2), num(3));
    let nanos = c.get(7).map_or(0, |m| fraction_nanos(m.as_str()));
    let time_ns = years
        .year_for(month)
        .and_then(|y| civil_ns(y, month, day, num(4), num(5), num(6), nanos));
    let severity = match &c[1] {
        "I" => "info",
        "W" => "warning",
        "E" => "error",
        _ => "fatal",
    };
    let (file, src_line) = c[9].rsplit_once(':').unwrap_or((&c[9], ""));
    let body = after_match(line, &c);
    let mut fields = Map::new();
    fields.insert("severity".into(), severity.into());
    fields.insert("thread".into(), c[8].to_string().into());
    fields.insert("file".into(), file.into());
    fields.insert("line".into(), src_line.into());
    let mut event = Event {
        time_ns,
        time_text: format!("{}{} {}:{}:{}", &c[2], &c[3], &c[4], &c[5], &c[6])
            + &c.get(7)
                .map(|m| format!(".{}", m.as_str()))
                .unwrap_or_default(),
        host: host.map(str::to_string),
        ..Default::default()
    };
    fields.insert("time".into(), event.time_text.clone().into());
    let mut message = body.to_string();
    if let Some(rest) = body.strip_prefix('"') {
        // Structured: "msg" k=v ...
        if let Some(end) = find_quote_end(rest) {
            message = unescape(&rest[..end]);
            for (k, v) in kv_pairs(&rest[end + 1..]) {
                match k.as_str() {
                    "pod" => {
                        let (ns, name) = v.split_once('/').unwrap_or(("", &v));
                        if !ns.is_empty() {
                            event.namespace = Some(ns.to_string());
                        }
                        event.pod = Some(name.to_string());
                    }
                    "containerName" => event.container = Some(v.clone()),
                    "containerID" => {
                        event.container_id = Some(v.rsplit("://").next().unwrap_or(&v).to_string())
                    }
                    _ => {}
                }
                fields.entry(k).or_insert(Value::String(v));
            }
        }
    }
    if file == "httplog.go" {
        if let Some(h) = httplog_re().captures(body) {
            event.action = Some(h[1].to_string());
            event.status = h[4].parse().ok();
            event.success = event.status.map(|s| s < 400);
            event.user_agent = Some(h[5].to_string());
            event.source_ips = vec![h[6].to_string()];
            fields.insert("verb".into(), h[1].to_string().into());
            fields.insert("requestURI".into(), h[2].to_string().into());
        }
    }
    fields.insert("msg".into(), message.clone().into());
    event.message = Some(message);
    Some(Record {
        format: Format::Klog,
        event,
        fields: Value::Object(fields),
        location,
    })
}

fn find_quote_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    serde_json::from_str::<String>(&format!("\"{s}\"")).unwrap_or_else(|_| s.to_string())
}

impl Parser for KlogParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        if let Some(rest) = unit.strip_prefix("Log file created at: ") {
            // 2019/08/20 20:28:26
            let mut it = rest.split(['/', ' ']);
            let year = it.next().and_then(|y| y.parse::<i32>().ok());
            let month = it.next().and_then(|m| m.parse::<u32>().ok());
            if let (Some(y), Some(m)) = (year, month) {
                self.years.set_start(y, m);
            }
            return Ok(());
        }
        if let Some(host) = unit.strip_prefix("Running on machine: ") {
            self.host = Some(host.trim().to_string());
            return Ok(());
        }
        if is_header(unit) {
            return Ok(());
        }
        if unit.starts_with([' ', '\t']) {
            if let Some(p) = self.pending.as_mut() {
                append(p, unit, location);
                return Ok(());
            }
        }
        let record = parse_line(unit, location, &mut self.years, self.host.as_deref())
            .ok_or("expected `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`")?;
        if record.event.time_ns.is_none() && !self.warned_year {
            self.warned_year = true;
            out.info(location.line, "no year known for klog times (no `Log file created at` header, none given): times kept as text");
        }
        if let Some(p) = self.pending.replace(record) {
            out.push(p);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Out) {
        if let Some(p) = self.pending.take() {
            out.push(p);
        }
    }
}

/// Appends a continuation line to a held record.
pub fn append(p: &mut Record, unit: &str, location: Location) {
    let msg = p.event.message.get_or_insert_with(String::new);
    msg.push('\n');
    msg.push_str(unit);
    let key = if p.fields.get("msg").is_some() {
        "msg"
    } else {
        "message"
    };
    if let Some(Value::String(m)) = p.fields.get_mut(key) {
        m.push('\n');
        m.push_str(unit);
    }
    p.location.lines = (location.line + location.lines as u64 - p.location.line) as u32;
    p.location.len = location.offset + location.len - p.location.offset;
}
