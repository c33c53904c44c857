//! NDJSON: one finding per line, the same object as `findings[]` in the
//! JSON report, for `jq`, SIEM ingestion and line-oriented tools.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out += &serde_json::to_string(f).expect("a finding always serializes");
        out.push('\n');
    }
    out
}
