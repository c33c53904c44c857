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

use super::held::{Draft, Held};
use super::{after_match, auth, Clock, Context, HeaderBytes, Out, Parser};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::{civil_ns, fraction_nanos, month_number, parse_rfc3339, YearResolver};
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The header of a BSD syslog line, `<pri>Mmm dd hh:mm:ss[.frac] host `, as
/// parts of the line.
struct Bsd<'l> {
    pri: Option<&'l str>,
    month: &'l str,
    /// Two characters, a space before a one-digit day.
    day: &'l str,
    clock: Clock<'l>,
    /// Where the time starts (after `<pri>`) and where the host starts.
    time_at: usize,
    host_at: usize,
    host: &'l str,
    /// Bytes up to the rest: the header and one space if there is one.
    len: usize,
}

/// Reads a BSD syslog header by hand: a regex's capture engine cost as much
/// as the rest of the parse. Digits are ASCII (`regex`'s `\d` took any
/// Unicode digit); the host ends at any Unicode white space.
fn bsd_header(line: &str) -> Option<Bsd<'_>> {
    let b = line.as_bytes();
    let h = HeaderBytes::new(line);
    let mut i = 0;
    let pri = if h.byte(0, b'<').is_some() {
        let n = h.run(1, u8::is_ascii_digit);
        h.byte(n + 1, b'>').filter(|_| (1..=3).contains(&n))?;
        i = n + 2;
        Some(&line[1..=n])
    } else {
        None
    };
    let time_at = i;
    let month = b.get(i..i + 3).filter(|m| {
        m[0].is_ascii_uppercase() && m[1].is_ascii_lowercase() && m[2].is_ascii_lowercase()
    });
    let month = month.map(|_| &line[i..i + 3])?;
    h.byte(i + 3, b' ')?;
    let day = b
        .get(i + 4..i + 6)
        .filter(|d| (d[0] == b' ' || d[0].is_ascii_digit()) && d[1].is_ascii_digit());
    let day = day.map(|_| &line[i + 4..i + 6])?;
    h.byte(i + 6, b' ')?;
    let (clock, mut i) = h.clock(i + 7, usize::MAX)?;
    let spaces = h.run(i, |c| *c == b' ');
    if spaces == 0 {
        return None;
    }
    i += spaces;
    let host_at = i;
    let host_len: usize = line[i..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .map(char::len_utf8)
        .sum();
    if host_len == 0 {
        return None;
    }
    i += host_len;
    if h.byte(i, b' ').is_some() {
        i += 1;
    }
    Some(Bsd {
        pri,
        month,
        day,
        clock,
        time_at,
        host_at,
        host: &line[host_at..host_at + host_len],
        len: i,
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

/// A line's program tag, its pid if any, and what follows `: `.
type Tag<'r> = (&'r str, Option<&'r str>, &'r str);

/// The program tag at the start of `rest`: `prog[pid]: ` or `prog: ` read
/// by hand when the name has no brackets, colon, parentheses or blanks
/// (the usual shape), any other shape by the regex.
fn tag(rest: &str) -> Option<Tag<'_>> {
    usual_tag(rest).or_else(|| regex_tag(rest))
}

fn regex_tag(rest: &str) -> Option<Tag<'_>> {
    let t = tag_re().captures(rest)?;
    let end = t.get(0)?.end();
    Some((
        t.get(1)?.as_str(),
        t.get(2).map(|p| p.as_str()),
        &rest[end..],
    ))
}

/// [`tag`] in the usual shape; `None` leaves the line to the regex. In this
/// shape the regex's greedy name stops where this one does, so both read
/// the same tag.
fn usual_tag(rest: &str) -> Option<Tag<'_>> {
    let end = rest
        .find(|c: char| c.is_whitespace() || "[]:()".contains(c))
        .filter(|&n| n > 0)?;
    let (name, after) = rest.split_at(end);
    let (pid, after) = match after.strip_prefix('[') {
        Some(p) => {
            let (pid, after) = p.split_once("]:")?;
            (pid.bytes().all(|b| b.is_ascii_digit()) && !pid.is_empty()).then_some(())?;
            (Some(pid), after)
        }
        None => (None, after.strip_prefix(':')?),
    };
    Some((name, pid, after.strip_prefix(' ').unwrap_or(after)))
}

/// True for a syslog line of any of the three shapes.
pub fn looks_like(line: &str) -> bool {
    rfc5424_re().is_match(line) || bsd_header(line).is_some() || iso_re().is_match(line)
}

pub struct SyslogParser {
    years: YearResolver,
    pending: Option<Held<Parts>>,
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
    let (parts, tagged) = parts(line, years)?;
    Some((parts.record(location), tagged))
}

/// A syslog line's parts, owned: what its record is built from.
struct Parts {
    fields: Map<String, Value>,
    time_ns: Option<i64>,
    time_text: String,
    host: Option<String>,
    program: Option<String>,
    pid: Option<String>,
    message: String,
    pri: Option<u32>,
}

/// Reads one syslog line's header and tag; `years` follows the input's
/// order. The bool is false when the line had no program tag.
fn parts(line: &str, years: &mut YearResolver) -> Option<(Parts, bool)> {
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
        let parts = Parts {
            fields,
            time_ns: parse_rfc3339(&ts),
            time_text: ts,
            host: nil(&c[3]),
            program: app,
            pid,
            message: msg,
            pri: c[1].parse::<u32>().ok(),
        };
        return Some((parts, true));
    } else if let Some(h) = bsd_header(line) {
        let month = month_number(h.month)?;
        let num = |s: &str| s.trim().parse::<u32>().unwrap_or(0);
        let c = &h.clock;
        let nanos = c.fraction.map_or(0, fraction_nanos);
        let ns = years.year_for(month).and_then(|y| {
            civil_ns(
                y,
                month,
                num(h.day),
                num(c.hour),
                num(c.minute),
                num(c.second),
                nanos,
            )
        });
        (
            ns,
            line[h.time_at..h.host_at].trim_end().to_string(),
            h.host.to_string(),
            line[h.len..].to_string(),
            h.pri.and_then(|p| p.parse().ok()),
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
    let (program, pid, message, tagged) = match tag(rest) {
        Some((name, pid, after)) => (
            Some(name.to_string()),
            pid.map(str::to_string),
            after.trim_start().to_string(),
            true,
        ),
        None => (None, None, rest.to_string(), false),
    };
    let parts = Parts {
        fields,
        time_ns,
        time_text,
        host: Some(host),
        program,
        pid,
        message,
        pri,
    };
    Some((parts, tagged))
}

impl Draft for Parts {
    const FORMAT: Format = Format::Syslog;

    fn time_ns(&self) -> Option<i64> {
        self.time_ns
    }

    fn record(self, location: Location) -> Record {
        let Parts {
            mut fields,
            time_ns,
            time_text,
            host,
            program,
            pid,
            message,
            pri,
        } = self;
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
}

impl Parser for SyslogParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        if unit.starts_with([' ', '\t']) {
            if let Some(held) = self.pending.as_mut() {
                held.continue_with(unit, location);
                return Ok(());
            }
        }
        let Some((parts, tagged)) = parts(unit, &mut self.years) else {
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
        if parts.time_ns.is_none() && !parts.time_text.is_empty() && !self.warned_year {
            self.warned_year = true;
            out.info(
                location.line,
                "no year known for syslog times (none given): times kept as text",
            );
        }
        if let Some(held) = self.pending.replace(Held::new(parts, location)) {
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
    use super::{bsd_header, regex_tag, tag, usual_tag, Tag};
    use crate::ingest::formats::header_check::{agree, captured, owned};
    use regex::Regex;
    use std::sync::LazyLock;

    /// The regex the hand-written reader replaced, its digits made ASCII as
    /// the reader's are.
    static ORACLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:<([0-9]{1,3})>)?([A-Z][a-z]{2}) ([ 0-9][0-9]) ([0-9][0-9]):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]+))? +(\S+) ?").unwrap()
    });

    /// The header's parts; month and host found by where the reader says
    /// the time and the host start.
    fn read(line: &str) -> Option<Vec<Option<String>>> {
        let h = bsd_header(line)?;
        Some(owned(&[
            h.pri,
            Some(&line[h.time_at..h.time_at + 3]),
            Some(h.day),
            Some(h.clock.hour),
            Some(h.clock.minute),
            Some(h.clock.second),
            h.clock.fraction,
            Some(&line[h.host_at..h.host_at + h.host.len()]),
            Some(&line[..h.len]),
        ]))
    }

    const SAMPLES: &[&str] = &[
        "lnav-test-logs/logfile_syslog.0",
        "lnav-test-logs/logfile_syslog.1",
        "lnav-test-logs/logfile_syslog.2",
        "lnav-test-logs/logfile_syslog.3",
        "lnav-test-logs/logfile_bad_syslog.0",
        "lnav-test-logs/logfile_syslog_with_header.0",
        "lnav-test-logs/logfile_syslog_with_mixed_times.0",
        "loghub/Linux/Linux_2k.log",
        "loghub/OpenSSH/OpenSSH_2k.log",
    ];

    #[test]
    fn the_bsd_header_reader_agrees_with_the_regex() {
        let (checked, headers) = agree(
            SAMPLES,
            &[
                "<13>Jan  5 03:04:05 host prog: pri and one-digit day",
                "<1234>Jan 15 03:04:05 host prog: four-digit pri",
                "<>Jan 15 03:04:05 host prog: empty pri",
                "Jan 15 03:04:05.123456789123 host prog: long fraction",
                "Jan 15 03:04:05. host prog: a dot alone",
                "Jan 15 03:04:05   host\u{a0}prog: no-break space",
                "Jan 15 03:04:05 hóst prog: non-ASCII host",
                "Jan 15 03:04:05 \thost prog: tab",
                "Jan 15 03:04:05 host",
            ],
            64,
            read,
            |l: &str| captured(&ORACLE, l),
        );
        assert!(
            headers > 4_000 && checked > 40_000,
            "{headers} of {checked}"
        );
        assert!(bsd_header("Jan 1٣ 03:04:05 host prog: Arabic-Indic digit").is_none());
    }

    fn after_header(l: &str) -> &str {
        bsd_header(l).map_or(l, |h| &l[h.len..])
    }

    /// The program tags after the headers of the shared samples, and
    /// crafted ones, cut and varied: read by hand where the tag has the
    /// usual shape and by the regex otherwise, they agree with the regex
    /// alone; the hand-written path reads more than four in five of the
    /// tags.
    #[test]
    fn the_tag_reader_agrees_with_the_regex() {
        type Owned = (String, Option<String>, String);
        let own =
            |(name, pid, rest): Tag| -> Owned { (name.into(), pid.map(String::from), rest.into()) };
        let by_hand = std::cell::Cell::new(0);
        let read = |l: &str| {
            let rest = after_header(l);
            by_hand.set(by_hand.get() + usize::from(usual_tag(rest).is_some()));
            tag(rest).map(own)
        };
        let (checked, tagged) = agree(
            SAMPLES,
            &[
                "sshd[123]: pid",
                "sshd: no pid",
                "CRON(pam_unix)[12]: parentheses",
                "prog(a:b)[1]: colon in parentheses",
                "prog[abc]: letters for a pid",
                "prog[12]x]: two brackets",
                "prog[٣]: an Arabic-Indic pid",
                "kernel:no space",
                "prög\u{a0}x: no-break space",
                "prog :space before the colon",
            ],
            64,
            read,
            |l: &str| regex_tag(after_header(l)).map(own),
        );
        assert!(tagged > 4_000 && checked > 40_000, "{tagged} of {checked}");
        assert!(
            by_hand.get() * 10 > tagged * 8,
            "{} of {tagged}",
            by_hand.get()
        );
    }
}
