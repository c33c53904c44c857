//! Finds the message part of a raw log line.
//!
//! Most text logs put a header before the message: a timestamp, then maybe a
//! host, a level, a thread or process id and a program tag (`sshd[42]:`,
//! `kernel:`, klog's `file.go:33]`). The header's fields are variables or
//! belong to other dimensions (when, where, who logged), not to the message's
//! template, and the program tag would split one message logged by two
//! programs (`su` and `sshd` both log `session opened for user …`).
//!
//! The header is recognised by generic token types, never by a format list:
//!
//! ```text
//! header := prio? timestamp+ (number | level | stream | [bracketed])* (host? tag)?
//! ```
//!
//! A header needs a *strong* timestamp token (a clock time, an ISO or slashed
//! date, an epoch, a klog `I0820`): month names or small numbers alone are
//! not enough, so a message that merely starts with `May 5` keeps its words.
//! A line without a timestamp keeps everything except a leading
//! `program[pid]:` tag. JSON lines give their conventional message field
//! (`message`, `msg`, `log`, …), which is then treated as a raw line itself.

use std::borrow::Cow;

/// Tokens looked at when searching for the end of a header.
const HEADER_TOKENS: usize = 12;
/// Longest token taken as a host or program tag.
const MAX_TAG_LEN: usize = 64;
/// Conventional message fields of JSON log lines, most specific first.
const JSON_MESSAGE_FIELDS: [&str; 7] = [
    "message",
    "msg",
    "MESSAGE",
    "Message",
    "log",
    "textPayload",
    "text",
];

/// Month and weekday names; their first three letters are the abbreviations.
const CALENDAR_NAMES: [&str; 19] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const LEVELS: [&str; 17] = [
    "TRACE", "DEBUG", "DBG", "INFO", "INF", "NOTICE", "WARN", "WRN", "WARNING", "ERROR", "ERR",
    "CRIT", "CRITICAL", "ALERT", "EMERG", "FATAL", "SEVERE",
];

/// The message part of `line`: a JSON line's message field, or the line
/// without its header.
pub fn message(line: &str) -> Cow<'_, str> {
    let trimmed = line.trim();
    if trimmed.starts_with('{') && trimmed.ends_with('}') {
        if let Some(text) = json_message(trimmed) {
            return Cow::Owned(strip_header(&text).to_string());
        }
    }
    Cow::Borrowed(strip_header(trimmed))
}

fn json_message(line: &str) -> Option<String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).ok()?;
    JSON_MESSAGE_FIELDS
        .iter()
        .find_map(|k| map.get(*k).and_then(|v| v.as_str()))
        .map(|s| s.trim().to_string())
}

/// `line` without its header (see the module docs). Never returns an empty
/// slice for a non-empty line: a line that is all header keeps its last
/// header token (`kernel:`).
pub fn strip_header(line: &str) -> &str {
    if let Some(rest) = strip_priority(line) {
        return strip_header(rest);
    }
    let toks: Vec<(usize, &str)> = tokens(line).take(HEADER_TOKENS + 1).collect();
    if toks.is_empty() {
        return line;
    }
    let mut i = 0;
    let mut strong = false;
    while i < toks.len() && is_timestamp_part(toks[i].1) {
        strong |= is_strong_timestamp(toks[i].1);
        i += 1;
    }
    let cut = if !strong {
        // No timestamp: only a leading `program[pid]:` is header.
        usize::from(is_pid_tag(toks[0].1))
    } else {
        let mut skipped = 0;
        while i < toks.len() && skipped < 4 && is_header_field(toks[i].1) {
            i += 1;
            skipped += 1;
        }
        if i < toks.len() && is_tag(toks[i].1) {
            i + 1
        } else if i + 1 < toks.len() && is_host(toks[i].1) && is_tag(toks[i + 1].1) {
            i + 2
        } else {
            i
        }
    };
    match toks.get(cut) {
        Some(&(start, _)) => &line[start..],
        None if cut == 0 => line,
        // All header: keep the last header token as the message.
        None => &line[toks[cut - 1].0..],
    }
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(line: &str) -> impl Iterator<Item = (usize, &str)> {
    line.split_whitespace()
        .map(move |t| (t.as_ptr() as usize - line.as_ptr() as usize, t))
}

/// The line after a syslog priority `<34>` (and RFC 5424's version `1 `).
fn strip_priority(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('<')?;
    let (n, rest) = rest.split_once('>')?;
    if !(1..=3).contains(&n.len()) || !all_digits(n) {
        return None;
    }
    let rest = rest.strip_prefix("1 ").unwrap_or(rest);
    Some(rest.trim_start())
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The token without surrounding brackets and trailing separators.
fn core(t: &str) -> &str {
    t.trim_start_matches(['[', '('])
        .trim_end_matches([']', ')', ',', ':'])
}

fn is_timestamp_part(t: &str) -> bool {
    let c = core(t);
    if c.is_empty() {
        return false;
    }
    is_strong_timestamp(t)
        || is_month_or_weekday(c)
        || (c.len() <= 4 && all_digits(c))
        || matches!(c, "Z" | "UTC" | "GMT")
        || is_tz_offset(c)
}

/// `Jun`, `JUN`, `June`, `Mon`, `Monday`: an abbreviation or a full name.
pub(crate) fn is_month_or_weekday(c: &str) -> bool {
    if c.len() == 3 {
        CALENDAR_NAMES
            .iter()
            .any(|n| n[..3].eq_ignore_ascii_case(c))
    } else {
        CALENDAR_NAMES.contains(&c)
    }
}

fn is_tz_offset(c: &str) -> bool {
    let Some(rest) = c.strip_prefix(['+', '-']) else {
        return false;
    };
    let digits: String = rest.chars().filter(|&ch| ch != ':').collect();
    digits.len() == 4 && all_digits(&digits)
}

/// A token that on its own says "this is a timestamp".
fn is_strong_timestamp(t: &str) -> bool {
    let c = core(t);
    let b = c.as_bytes();
    if b.is_empty() {
        return false;
    }
    // Clock time: `9:05`, `15:16:01`, `20:28:26.508550`, `12:00:00,123Z`.
    if let Some(colon) = c.find(':') {
        if (1..=2).contains(&colon)
            && b[..colon].iter().all(u8::is_ascii_digit)
            && b.len() >= colon + 3
            && b[colon + 1].is_ascii_digit()
            && b[colon + 2].is_ascii_digit()
            && b.iter()
                .all(|&x| x.is_ascii_digit() || b":.,+-Z".contains(&x))
        {
            return true;
        }
    }
    // Dates: `2024-01-31…`, `2024/01/31…`, `31/Jan/2024…`, `1/31/2024`.
    if b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && (b[4] == b'-' || b[4] == b'/')
        && b[5].is_ascii_digit()
        && b[7] == b[4]
    {
        return true;
    }
    if b.len() >= 11 && b[2] == b'/' && b[6] == b'/' && b[..2].iter().all(u8::is_ascii_digit) {
        return is_month_or_weekday(&c[3..6]);
    }
    let parts: Vec<&str> = c.split('/').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && all_digits(p))
        && parts[2].len() >= 2
    {
        return true;
    }
    // klog/glog: a severity letter and mmdd.
    if b.len() == 5 && b"IWEFD".contains(&b[0]) && all_digits(&c[1..]) {
        return true;
    }
    // Unix epoch in seconds or milliseconds, maybe with a fraction.
    let int = c.split('.').next().unwrap_or("");
    (10..=13).contains(&int.len())
        && all_digits(int)
        && c[int.len()..]
            .trim_start_matches('.')
            .bytes()
            .all(|x| x.is_ascii_digit())
}

/// Fields that follow a timestamp in a header: a thread or process id, a
/// level, a container stream (`stdout F`), a bracketed thread name.
fn is_header_field(t: &str) -> bool {
    let c = core(t);
    (!c.is_empty() && all_digits(c))
        || LEVELS.iter().any(|l| l.eq_ignore_ascii_case(c))
        || matches!(t, "stdout" | "stderr" | "F" | "P")
        || (t.len() > 2 && t.starts_with('[') && t.ends_with(']') && !t[1..].contains('['))
}

/// A program tag ending a header: `sshd[42]:`, `kernel:`,
/// `sshd(pam_unix)[42]:`, `com.example.Main:`, or klog's `file.go:33]`.
fn is_tag(t: &str) -> bool {
    if t.len() > MAX_TAG_LEN || t.len() < 2 {
        return false;
    }
    let first = t.as_bytes()[0];
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return false;
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || "_.-/@".contains(c);
    if let Some(body) = t.strip_suffix(':') {
        if body.ends_with(':') {
            return false;
        }
        // name, then optional `(…)` and `[…]` groups.
        let name_end = body.find(['(', '[']).unwrap_or(body.len());
        let (name, rest) = body.split_at(name_end);
        return name.chars().all(name_char) && balanced_groups(rest);
    }
    if let Some(body) = t.strip_suffix(']') {
        // klog `file.go:33]`.
        if let Some((file, line)) = body.rsplit_once(':') {
            return !line.is_empty() && all_digits(line) && file.chars().all(name_char);
        }
    }
    false
}

/// `program[pid]:` at the start of a line without a timestamp.
fn is_pid_tag(t: &str) -> bool {
    t.contains('[') && t.ends_with("]:") && is_tag(t)
}

/// Zero or more `(…)` / `[…]` groups without nesting, nothing around them.
fn balanced_groups(mut s: &str) -> bool {
    while !s.is_empty() {
        let close = match s.as_bytes()[0] {
            b'(' => ')',
            b'[' => ']',
            _ => return false,
        };
        let Some(end) = s.find(close) else {
            return false;
        };
        if s[1..end].contains(['(', '[', ')', ']']) {
            return false;
        }
        s = &s[end + 1..];
    }
    true
}

fn is_host(t: &str) -> bool {
    t.len() <= MAX_TAG_LEN
        && t.as_bytes()[0].is_ascii_alphanumeric()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_headers_are_skipped() {
        let cases = [
            (
                "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname=",
                "authentication failure; logname=",
            ),
            (
                "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
                "Invalid user webmaster from 173.234.31.186",
            ),
            (
                "Jul  1 09:00:55 combo kernel: Linux version",
                "Linux version",
            ),
            (
                "Nov  3 09:47:02 veridian sudo: timstack : TTY=pts/6 ; PWD=/auto",
                "timstack : TTY=pts/6 ; PWD=/auto",
            ),
            (
                "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
                "'su root' failed",
            ),
            ("Jun 14 15:16:01 combo kernel:", "kernel:"),
        ];
        for (line, want) in cases {
            assert_eq!(strip_header(line), want, "{line}");
        }
    }

    #[test]
    fn other_headers_are_skipped() {
        let cases = [
            (
                "I0820 20:28:26.508550    3312 flags.go:33] FLAG: --address=\"0.0.0.0\"",
                "FLAG: --address=\"0.0.0.0\"",
            ),
            (
                "2024-01-31T10:00:00.123Z stdout F GET /healthz 200",
                "GET /healthz 200",
            ),
            (
                "2024-01-31 10:00:00,123 INFO [main] com.example.App: started in 3s",
                "started in 3s",
            ),
            ("[2024-01-31 10:00:00] ERROR: disk full", "disk full"),
            ("1706695200.123 worker 7 ready", "worker 7 ready"),
        ];
        for (line, want) in cases {
            assert_eq!(strip_header(line), want, "{line}");
        }
    }

    #[test]
    fn messages_without_timestamp_keep_their_words() {
        for line in [
            "Failed password for root from 1.2.3.4 port 22 ssh2",
            "May 5 things happened: nothing",
            "error: Received disconnect from 1.2.3.4: 3: bye",
            "FLAG: --address=\"0.0.0.0\"",
        ] {
            assert_eq!(strip_header(line), line);
        }
        assert_eq!(strip_header("sshd[42]: Accepted key"), "Accepted key");
    }

    #[test]
    fn json_lines_give_their_message() {
        let line = r#"{"timestamp":"2007-11-03 06:24:38.000","message":"Nov  3 09:23:38 veridian automount[7998]: lookup for foobar failed"}"#;
        assert_eq!(message(line), "lookup for foobar failed");
        assert_eq!(message("{not json}"), "{not json}");
    }
}
