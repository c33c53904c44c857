//! Timesketch JSONL: one event per finding with the fields Timesketch's
//! importer requires (`message`, `datetime`, `timestamp` in microseconds,
//! `timestamp_desc`) and the finding's fields beside them. Findings without
//! an event time cannot be placed on a timeline and are left out (the
//! report's diagnostics count them).

use super::Report;
use crate::ingest::time::parse_rfc3339;
use serde_json::json;

pub const TIMESTAMP_DESC: &str = "Event Recorded";

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let Some(ns) = f.time.as_deref().and_then(parse_rfc3339) else {
            continue;
        };
        let first = f.evidence.first();
        let path = first.map(|e| e.path.as_str()).unwrap_or("");
        let line = first.map(|e| e.line).unwrap_or(0);
        let matched: Vec<String> = f.matched.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let event = json!({
            "message": format!("[{}] {} ({}:{})", f.level, f.title, path, line),
            "datetime": datetime(ns),
            "timestamp": ns.div_euclid(1000),
            "timestamp_desc": TIMESTAMP_DESC,
            "rule": f.title,
            "rule_id": f.rule_id,
            "level": f.level,
            "techniques": f.techniques.join(","),
            "path": path,
            "line": line,
            "evidence_count": f.evidence.len(),
            "matched": matched.join("; "),
            "data_type": "spoor:finding",
            "tag": ["spoor", f.level.as_str()],
        });
        out += &event.to_string();
        out.push('\n');
    }
    out
}

/// ISO 8601 with microseconds and an explicit UTC offset, as Timesketch
/// writes its own.
fn datetime(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn datetime_has_microseconds_and_offset() {
        let ns = crate::ingest::time::parse_rfc3339("2026-03-14T09:02:03.123456789Z").unwrap();
        assert_eq!(super::datetime(ns), "2026-03-14T09:02:03.123456+00:00");
    }
}
