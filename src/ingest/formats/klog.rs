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

use super::held::{Draft, Held};
use super::{kv_pairs, Clock, Context, HeaderBytes, Out, Parser};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::{civil_ns, fraction_nanos, YearResolver};
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The header of a klog line, `Lmmdd hh:mm:ss.uuuuuu threadid file:line] `,
/// as parts of the line.
struct Header<'l> {
    severity: u8,
    month: &'l str,
    day: &'l str,
    clock: Clock<'l>,
    /// `mmdd hh:mm:ss.uuuuuu`, as written.
    time_text: &'l str,
    thread: &'l str,
    /// `file:line`.
    source: &'l str,
    /// Bytes up to the message: the header, `]` and one space if there is one.
    len: usize,
}

/// Reads a klog header by hand: a regex's capture engine (the bounded
/// backtracker) was 7 % of a scan of node logs. Digits and blanks are ASCII
/// (`regex`'s `\d` and `\s` took any Unicode digit or space); the fraction
/// has 1 to 9 digits; the thread id is followed by one space.
fn header(line: &str) -> Option<Header<'_>> {
    let h = HeaderBytes::new(line);
    let severity = *line.as_bytes().first().filter(|c| b"IWEF".contains(c))?;
    let (month, day) = (h.digits(1)?, h.digits(3)?);
    h.byte(5, b' ')?;
    let (clock, mut i) = h.clock(6, 9)?;
    let time_text = &line[1..i];
    let blanks = h.run(i, |c| {
        matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
    });
    if blanks == 0 {
        return None;
    }
    i += blanks;
    let n = h.run(i, u8::is_ascii_digit);
    h.byte(i + n, b' ').filter(|_| n > 0)?;
    let thread = &line[i..i + n];
    i += n + 1;
    let n = h.run(i, |c| *c != b' ' && *c != b']');
    h.byte(i + n, b']').filter(|_| n > 0)?;
    let source = &line[i..i + n];
    i += n + 1;
    if h.byte(i, b' ').is_some() {
        i += 1;
    }
    Some(Header {
        severity,
        month,
        day,
        clock,
        time_text,
        thread,
        source,
        len: i,
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
    header(line).is_some() || is_header(line)
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
    pending: Option<Held<Line>>,
    warned_year: bool,
}

/// A klog line read as far as the input's order needs: its time (the year
/// may roll over between lines).
struct Line {
    text: String,
    time_ns: Option<i64>,
    host: Option<String>,
}

impl Draft for Line {
    const FORMAT: Format = Format::Klog;

    fn time_ns(&self) -> Option<i64> {
        self.time_ns
    }

    fn record(self, location: Location) -> Record {
        header(&self.text)
            .map(|h| record(&self.text, &h, self.time_ns, self.host.as_deref(), location))
            .expect("the line's header was read before")
    }
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
    let h = header(line)?;
    let time_ns = time(&h, years);
    Some(record(line, &h, time_ns, host, location))
}

/// The time of a line with header `h`; `years` follows the input's order.
fn time(h: &Header<'_>, years: &mut YearResolver) -> Option<i64> {
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let month = num(h.month);
    let nanos = h.clock.fraction.map_or(0, fraction_nanos);
    years.year_for(month).and_then(|y| {
        civil_ns(
            y,
            month,
            num(h.day),
            num(h.clock.hour),
            num(h.clock.minute),
            num(h.clock.second),
            nanos,
        )
    })
}

/// The record of a line with header `h` and time `time_ns`.
fn record(
    line: &str,
    h: &Header<'_>,
    time_ns: Option<i64>,
    host: Option<&str>,
    location: Location,
) -> Record {
    let severity = match h.severity {
        b'I' => "info",
        b'W' => "warning",
        b'E' => "error",
        _ => "fatal",
    };
    let (file, src_line) = h.source.rsplit_once(':').unwrap_or((h.source, ""));
    let body = &line[h.len..];
    let mut fields = Map::new();
    fields.insert("severity".into(), severity.into());
    fields.insert("thread".into(), h.thread.into());
    fields.insert("file".into(), file.into());
    fields.insert("line".into(), src_line.into());
    let mut event = Event {
        time_ns,
        time_text: h.time_text.to_string(),
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
    Record {
        format: Format::Klog,
        event,
        fields: Value::Object(fields),
        location,
    }
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
                p.continue_with(unit, location);
                return Ok(());
            }
        }
        let h = header(unit).ok_or("expected `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`")?;
        let time_ns = time(&h, &mut self.years);
        if time_ns.is_none() && !self.warned_year {
            self.warned_year = true;
            out.info(location.line, "no year known for klog times (no `Log file created at` header, none given): times kept as text");
        }
        let line = Line {
            text: unit.to_string(),
            time_ns,
            host: self.host.clone(),
        };
        if let Some(held) = self.pending.replace(Held::new(line, location)) {
            out.push_later(held.later());
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Out) {
        if let Some(held) = self.pending.take() {
            out.push_later(held.later());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::header;
    use crate::ingest::formats::header_check::{agree, captured, owned};
    use regex::Regex;
    use std::sync::LazyLock;

    /// The regex the hand-written reader replaced, with its classes made
    /// ASCII as the reader's are.
    static ORACLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([IWEF])([0-9][0-9])([0-9][0-9]) ([0-9][0-9]):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]{1,9}))?[\t\n\x0B\x0C\r ]+([0-9]+) ([^ \]]+)\] ?").unwrap()
    });

    fn read(line: &str) -> Option<Vec<Option<String>>> {
        let h = header(line)?;
        Some(owned(&[
            Some(&line[..1]),
            Some(h.month),
            Some(h.day),
            Some(h.clock.hour),
            Some(h.clock.minute),
            Some(h.clock.second),
            h.clock.fraction,
            Some(h.thread),
            Some(h.source),
            Some(&line[..h.len]),
        ]))
    }

    #[test]
    fn the_header_reader_agrees_with_the_regex() {
        let (checked, headers) = agree(
            &[
                "k8s-windows-kubelet-klog/kubelet.log",
                "lnav-test-logs/logfile_glog.0",
            ],
            &[
                "I0102 03:04:05.123456789 7 a.go:1] nine digits",
                "I0102 03:04:05.1234567890 7 a.go:1] ten digits",
                "W0102 03:04:05 \t 12 a.go:1]no space",
                "E0102 03:04:05. 7 a.go:1] a dot alone",
                "F0102 03:04:05.5 7 dir/é.go:9] non-ASCII file",
                "I0102 03:04:05.5 7 ] empty source",
                "I0102 03:04:05.5 7 a b.go:1] space in source",
            ],
            64,
            read,
            |l: &str| captured(&ORACLE, l),
        );
        assert!(
            headers > 20_000 && checked > 100_000,
            "{headers} of {checked}"
        );
        assert!(header("I٠١٠٢ 03:04:05 7 a.go:1] Arabic-Indic digits").is_none());
    }
}
