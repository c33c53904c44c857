//! Timestamps as logs write them, to nanoseconds since the epoch (UTC).

use chrono::DateTime;

/// RFC 3339 / ISO 8601 with an offset or `Z`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

/// Formats nanoseconds since the epoch as RFC 3339 UTC with the precision
/// the value has (seconds, milli, micro or nano).
pub fn format_rfc3339(ns: i64) -> String {
    let t = DateTime::from_timestamp_nanos(ns);
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_precision() {
        let ns = parse_rfc3339("2018-09-03T13:01:40.105412Z").unwrap();
        assert_eq!(format_rfc3339(ns), "2018-09-03T13:01:40.105412Z");
        assert_eq!(
            parse_rfc3339("2018-09-03T15:01:40+02:00"),
            parse_rfc3339("2018-09-03T13:01:40Z")
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}

/// Where year-less timestamps (RFC 3164 syslog, klog) get their year.
///
/// The core has no clock, so "assume the current year" is not available
/// (and would silently date old evidence wrongly). In order of preference:
/// 1. a year the input states itself (klog's `Log file created at:` header),
///    rolling forward when the month goes back (December → January);
/// 2. a year the caller sets (`--year`), rolling forward the same way;
/// 3. a reference time the caller knows the input was last written by (the
///    CLI passes the file's modification time): each month is placed in the
///    twelve months up to it, which is right for any rotated log;
/// 4. nothing: the event keeps its `time_text` and has no `time_ns`, and the
///    input gets one diagnostic, rather than a fake 1970 or guessed date.
#[derive(Debug, Clone, Default)]
pub struct YearResolver {
    /// A known year and the month it applies from (forward rolling).
    forward: Option<(i32, u32)>,
    /// Reference (year, month): months after it are in the previous year.
    reference: Option<(i32, u32)>,
}

impl YearResolver {
    /// A stated year, e.g. from `--year`.
    pub fn with_year(year: i32) -> Self {
        YearResolver {
            forward: Some((year, 1)),
            reference: None,
        }
    }

    /// A reference time in ns (e.g. a file's modification time).
    pub fn with_reference(ns: i64) -> Self {
        let t = DateTime::from_timestamp_nanos(ns);
        use chrono::Datelike;
        YearResolver {
            forward: None,
            reference: Some((t.year(), t.month())),
        }
    }

    /// The input states when it starts (a klog header): that wins.
    pub fn set_start(&mut self, year: i32, month: u32) {
        self.forward = Some((year, month));
    }

    pub fn knows_year(&self) -> bool {
        self.forward.is_some() || self.reference.is_some()
    }

    /// The year for a timestamp in `month` (1-12), in input order.
    pub fn year_for(&mut self, month: u32) -> Option<i32> {
        if let Some((year, last)) = self.forward.as_mut() {
            if month + 6 < *last {
                *year += 1;
            }
            *last = month;
            return Some(*year);
        }
        let (ry, rm) = self.reference?;
        Some(if month > rm { ry - 1 } else { ry })
    }
}

/// Nanoseconds for a civil UTC date and time; None when out of range.
pub fn civil_ns(
    year: i32,
    month: u32,
    day: u32,
    h: u32,
    m: u32,
    s: u32,
    nanos: u32,
) -> Option<i64> {
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
    let t = date.and_hms_nano_opt(h, m, s, nanos)?;
    t.and_utc().timestamp_nanos_opt()
}

/// The month number (1-12) of an English three-letter month abbreviation.
pub fn month_number(abbr: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS.iter().position(|m| *m == abbr).map(|i| i as u32 + 1)
}

/// Nanoseconds from a fraction's digits (`"5"` → 500 ms, up to 9 digits).
pub fn fraction_nanos(digits: &str) -> u32 {
    let d: String = digits.chars().take(9).collect();
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let n: u32 = d.parse().unwrap_or(0);
    n * 10u32.pow(9 - d.len() as u32)
}

#[cfg(test)]
mod year_tests {
    use super::*;

    #[test]
    fn years_roll_forward_and_back() {
        let mut r = YearResolver::with_year(2023);
        assert_eq!(r.year_for(12), Some(2023));
        assert_eq!(r.year_for(1), Some(2024));
        let mut r = YearResolver::with_reference(parse_rfc3339("2024-02-10T00:00:00Z").unwrap());
        assert_eq!(r.year_for(12), Some(2023));
        assert_eq!(r.year_for(2), Some(2024));
        assert_eq!(YearResolver::default().year_for(3), None);
        assert_eq!(fraction_nanos("5"), 500_000_000);
        assert_eq!(fraction_nanos("999999"), 999_999_000);
    }
}
