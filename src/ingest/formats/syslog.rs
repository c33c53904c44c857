//! Syslog files as nodes write them (`/var/log/syslog`, `messages`,
//! `auth.log`, `secure`):
//! - RFC 3164 / BSD: `[<PRI>]Mmm dd hh:mm:ss host program[pid]: message`
//!   (year-less: the year comes from [`YearResolver`]);
//! - the same with an RFC 3339 timestamp (rsyslog's high-precision format);
//! - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`.
//!
//! The fields are `timestamp`, `host`, `program`, `pid`, `message` (plus
//! `facility`/`severity`, `msgid`, `structured_data` when present), and the
//! facts [`super::auth`] extracts for sshd, sudo, su and the shadow tools.
//! A line that starts with whitespace continues the previous record (macOS
//! syslogd writes multi-line messages so). Lines before the first record
//! that are not syslog are a file header: read, reported once, no event.
//! A line with no `program[pid]:` tag is kept with the message whole and a
//! diagnostic.

use super::{after_match, auth, klog, Context, Out, Parser};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::{civil_ns, fraction_nanos, month_number, parse_rfc3339, YearResolver};
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

fn bsd_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? +(\S+) ?",
        )
        .expect("bsd regex")
    })
}

fn iso_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:<(\d{1,3})>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) +(\S+) ?")
            .expect("iso regex")
    })
}

fn rfc5424_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+)(?:$| )"#)
            .expect("5424 regex")
    })
}

fn tag_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^([^\s\[\]:]+(?:\([^)\s]*\))?)(?:\[(\d+)\])?: ?").expect("tag regex")
    })
}

/// True for a syslog line of any of the three shapes.
pub fn looks_like(line: &str) -> bool {
    rfc5424_re().is_match(line) || bsd_re().is_match(line) || iso_re().is_match(line)
}

pub struct SyslogParser {
    years: YearResolver,
    pending: Option<Record>,
    header_lines: u64,
    seen_record: bool,
    warned_year: bool,
}

impl SyslogParser {
    pub fn new(ctx: &Context) -> Self {
        SyslogParser {
            years: ctx.years.clone(),
            pending: None,
            header_lines: 0,
            seen_record: false,
            warned_year: false,
        }
    }
}

/// Parses one syslog line (no continuation handling). The bool is false
/// when the line had no program tag.
pub fn parse_line(
    line: &str,
    location: Location,
    years: &mut YearResolver,
) -> Option<(Record, bool)> {
    let mut fields = Map::new();
    let (time_ns, time_text, host, rest, pri) = if let Some(c) = rfc5424_re().captures(line) {
        let ts = c[2].to_string();
        let nil = |s: &str| (s != "-").then(|| s.to_string());
        let app = nil(&c[4]);
        let pid = nil(&c[5]);
        if let Some(m) = nil(&c[6]) {
            fields.insert("msgid".into(), m.into());
        }
        if &c[7] != "-" {
            fields.insert("structured_data".into(), c[7].to_string().into());
        }
        let msg = after_match(line, &c)
            .trim_start_matches('\u{feff}')
            .to_string();
        let pri = c[1].parse::<u32>().ok();
        let record = finish(
            fields,
            parse_rfc3339(&ts),
            ts,
            nil(&c[3]),
            app,
            pid,
            msg,
            pri,
            location,
        );
        return Some((record, true));
    } else if let Some(c) = bsd_re().captures(line) {
        let month = month_number(&c[2])?;
        let num = |i: usize| c[i].trim().parse::<u32>().unwrap_or(0);
        let nanos = c.get(7).map_or(0, |m| fraction_nanos(m.as_str()));
        let ns = years
            .year_for(month)
            .and_then(|y| civil_ns(y, month, num(3), num(4), num(5), num(6), nanos));
        let text = line[c.get(2).map_or(0, |m| m.start())..c.get(8).map_or(0, |m| m.start())]
            .trim_end()
            .to_string();
        (
            ns,
            text,
            c[8].to_string(),
            after_match(line, &c).to_string(),
            c.get(1).and_then(|p| p.as_str().parse().ok()),
        )
    } else if let Some(c) = iso_re().captures(line) {
        (
            parse_rfc3339(&c[2]),
            c[2].to_string(),
            c[3].to_string(),
            after_match(line, &c).to_string(),
            c.get(1).and_then(|p| p.as_str().parse().ok()),
        )
    } else {
        return None;
    };
    let rest = rest.trim_start();
    let (program, pid, message, tagged) = match tag_re().captures(rest) {
        Some(t) => (
            Some(t[1].to_string()),
            t.get(2).map(|p| p.as_str().to_string()),
            after_match(rest, &t).trim_start().to_string(),
            true,
        ),
        None => (None, None, rest.to_string(), false),
    };
    let record = finish(
        fields,
        time_ns,
        time_text,
        Some(host),
        program,
        pid,
        message,
        pri,
        location,
    );
    Some((record, tagged))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    mut fields: Map<String, Value>,
    time_ns: Option<i64>,
    time_text: String,
    host: Option<String>,
    program: Option<String>,
    pid: Option<String>,
    message: String,
    pri: Option<u32>,
    location: Location,
) -> Record {
    fields.insert("timestamp".into(), time_text.clone().into());
    if let Some(h) = &host {
        fields.insert("host".into(), h.clone().into());
    }
    if let Some(p) = &program {
        fields.insert("program".into(), p.clone().into());
    }
    if let Some(p) = &pid {
        fields.insert("pid".into(), p.clone().into());
    }
    if let Some(p) = pri {
        fields.insert("facility".into(), (p / 8).into());
        fields.insert("severity".into(), (p % 8).into());
    }
    fields.insert("message".into(), message.clone().into());
    let mut event = Event {
        time_ns,
        time_text,
        host,
        message: Some(message.clone()),
        ..Default::default()
    };
    let mut fields = Value::Object(fields);
    if let Some(p) = &program {
        let facts = auth::extract(p, &message);
        facts.apply(&mut event);
        facts.insert_fields(&mut fields);
    }
    Record {
        format: Format::Syslog,
        event,
        fields,
        location,
    }
}

impl Parser for SyslogParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        if unit.starts_with([' ', '\t']) {
            if let Some(p) = self.pending.as_mut() {
                klog::append(p, unit, location);
                return Ok(());
            }
        }
        let Some((record, tagged)) = parse_line(unit, location, &mut self.years) else {
            if !self.seen_record {
                self.header_lines += 1;
                if self.header_lines == 1 {
                    out.info(
                        location.line,
                        "lines before the first syslog line read as a file header",
                    );
                }
                if self.header_lines <= 16 {
                    return Ok(());
                }
            }
            return Err(
                "expected `Mmm dd hh:mm:ss host program[pid]: message` (RFC 3164) or RFC 5424"
                    .into(),
            );
        };
        self.seen_record = true;
        if !tagged {
            out.info(
                location.line,
                "syslog line has no `program[pid]:` tag: message kept whole",
            );
        }
        if record.event.time_ns.is_none() && !record.event.time_text.is_empty() && !self.warned_year
        {
            self.warned_year = true;
            out.info(
                location.line,
                "no year known for syslog times (none given): times kept as text",
            );
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
