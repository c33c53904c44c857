//! CSV of findings (RFC 4180: CRLF line ends, fields quoted when they hold
//! a comma, quote, CR or LF, quotes doubled), one row per finding.
//!
//! Log text is hostile and CSV files are opened in spreadsheets: a cell
//! that starts with `=`, `+`, `-`, `@`, tab or CR could run as a formula,
//! so it gets a leading `'` (OWASP's advice on CSV injection).

use super::Report;

pub const HEADER: [&str; 10] = [
    "time",
    "level",
    "rule_id",
    "title",
    "techniques",
    "path",
    "line",
    "evidence_count",
    "evidence",
    "matched",
];

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    row(&mut out, HEADER.iter().map(|h| h.to_string()));
    for f in &report.findings {
        let first = f.evidence.first();
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{}:{}", e.path, e.line))
            .collect();
        let matched: Vec<String> = f.matched.iter().map(|(k, v)| format!("{k}={v}")).collect();
        row(
            &mut out,
            [
                f.time.clone().unwrap_or_default(),
                f.level.clone(),
                f.rule_id.clone(),
                f.title.clone(),
                f.techniques.join(";"),
                first.map(|e| e.path.clone()).unwrap_or_default(),
                first.map(|e| e.line.to_string()).unwrap_or_default(),
                f.evidence.len().to_string(),
                evidence.join(" "),
                matched.join("; "),
            ]
            .into_iter(),
        );
    }
    out
}

fn row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&cell_text(&cell));
    }
    out.push_str("\r\n");
}

/// One cell, neutralised against formulas and quoted as RFC 4180 needs.
pub fn cell_text(value: &str) -> String {
    let mut v = String::with_capacity(value.len() + 2);
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.push('\'');
    }
    v.push_str(value);
    if v.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::cell_text;

    #[test]
    fn quotes_and_neutralises() {
        assert_eq!(cell_text("plain"), "plain");
        assert_eq!(cell_text("a,b"), "\"a,b\"");
        assert_eq!(cell_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell_text("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell_text("+1"), "'+1");
        assert_eq!(cell_text("-cmd"), "'-cmd");
        assert_eq!(cell_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell_text("\tx"), "'\tx");
        assert_eq!(cell_text(""), "");
    }
}
