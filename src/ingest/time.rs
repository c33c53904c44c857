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
