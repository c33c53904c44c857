//! Timestamps and JSON strings written the way each log source writes them.
//! Hand-rolled (no chrono on the hot path): the scaled generator formats
//! millions of timestamps.

use std::fmt::Write;

pub const SEC: i64 = 1_000_000_000;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// Nanoseconds since the epoch of the midnight (UTC) that starts a date.
pub fn midnight((y, m, d): (i64, u32, u32)) -> i64 {
    days_from_civil(y, m, d) * 86_400 * SEC
}

/// `h:m:s` after `midnight`.
pub fn clock(midnight: i64, h: u32, m: u32, s: u32) -> i64 {
    midnight + (h * 3600 + m * 60 + s) as i64 * SEC
}

/// `2026-03-14` (the date part of `t`).
pub fn date(t: i64) -> String {
    let c = civil(t);
    format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
}

/// A broken-down UTC time.
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    pub nanos: u32,
}

pub fn civil(t: i64) -> Civil {
    let secs = t.div_euclid(SEC);
    let nanos = t.rem_euclid(SEC) as u32;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    Civil {
        year,
        month,
        day,
        hour: sod / 3600,
        min: sod / 60 % 60,
        sec: sod % 60,
        nanos,
    }
}

/// `YYYY-MM-DD{sep}HH{colon}MM{colon}SS[.fraction]{suffix}`: the ISO 8601
/// shapes the sources write, with `digits` of fraction (0: none).
pub fn iso(out: &mut String, t: i64, sep: char, colon: char, digits: u32, suffix: &str) {
    let c = civil(t);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}{sep}{:02}{colon}{:02}{colon}{:02}",
        c.year, c.month, c.day, c.hour, c.min, c.sec
    );
    if digits > 0 {
        let fraction = c.nanos / 10u32.pow(9 - digits);
        let _ = write!(out, ".{fraction:0width$}", width = digits as usize);
    }
    out.push_str(suffix);
}

/// `2026-03-14T02:13:07.123456Z` (audit timestamps).
pub fn rfc3339_micros(out: &mut String, t: i64) {
    iso(out, t, 'T', ':', 6, "Z");
}

/// `2026-03-14T02:13:07.123456789Z` (CRI, Falco `time`).
pub fn rfc3339_nanos(out: &mut String, t: i64) {
    iso(out, t, 'T', ':', 9, "Z");
}

/// `2026-03-14T02:13:07.123456789+0000` (the start of Falco's `output`).
pub fn falco_output_time(out: &mut String, t: i64) {
    iso(out, t, 'T', ':', 9, "+0000");
}

/// `Mar 14 02:13:07` (RFC 3164; a one-digit day is space-padded).
pub fn syslog_time(out: &mut String, t: i64) {
    let c = civil(t);
    let _ = write!(
        out,
        "{} {:>2} {:02}:{:02}:{:02}",
        MONTHS[c.month as usize - 1],
        c.day,
        c.hour,
        c.min,
        c.sec
    );
}

/// `0314 02:13:07.123456` (klog, after the severity letter).
pub fn klog_time(out: &mut String, t: i64) {
    let c = civil(t);
    let _ = write!(
        out,
        "{:02}{:02} {:02}:{:02}:{:02}.{:06}",
        c.month,
        c.day,
        c.hour,
        c.min,
        c.sec,
        c.nanos / 1000
    );
}

/// `14/Mar/2026:02:13:07 +0000` (web access logs).
pub fn clf_time(out: &mut String, t: i64) {
    let c = civil(t);
    let _ = write!(
        out,
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.min,
        c.sec
    );
}

/// `2026-03-14T02-20-00.000`: the backup-time stamp kube-apiserver's log
/// rotation puts into rotated audit file names.
pub fn rotation_stamp(t: i64) -> String {
    let mut out = String::new();
    iso(&mut out, t, 'T', '-', 3, "");
    out
}

/// Appends `s` as a JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string literal.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_str(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_incident_day() {
        let day = midnight((2026, 3, 14));
        let at = |h, m, s| clock(day, h, m, s);
        let t = at(2, 13, 7) + 123_456_789;
        let mut s = String::new();
        rfc3339_micros(&mut s, t);
        assert_eq!(s, "2026-03-14T02:13:07.123456Z");
        s.clear();
        syslog_time(&mut s, t);
        assert_eq!(s, "Mar 14 02:13:07");
        s.clear();
        klog_time(&mut s, t);
        assert_eq!(s, "0314 02:13:07.123456");
        assert_eq!(
            crate::ingest::time::parse_rfc3339("2026-03-14T02:13:07Z"),
            Some(at(2, 13, 7))
        );
        assert_eq!(rotation_stamp(at(2, 20, 0)), "2026-03-14T02-20-00.000");
        assert_eq!(date(at(23, 59, 59)), "2026-03-14");
        assert_eq!(date(midnight((2026, 4, 4))), "2026-04-04");
        let mut q = String::new();
        json_str(&mut q, "a\"b\\\n");
        assert_eq!(q, r#""a\"b\\\n""#);
    }
}
