//! A self-contained, printable HTML report for a client handover: inline
//! CSS, an inline SVG timeline, chain of custody, findings, incidents,
//! the rules that fired and diagnostics. No script, no external resource,
//! no link: a Content-Security-Policy of `default-src 'none'` (styles
//! inline only) makes the browser refuse any request the document could
//! still contain.
//!
//! Every piece of text that came from a log, a rule file or the analyst
//! goes through [`escape_html`] — the only way text enters the markup.

use super::{ExportOptions, Level, Report};
use crate::ingest::time::parse_rfc3339;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// Evidence references shown per finding before "and N more".
const EVIDENCE_SHOWN: usize = 5;

/// Text as HTML character data or a quoted attribute value: `& < > " '`
/// as entities, control characters (other than tab and newline) as a
/// visible `\u{..}`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn level_class(level: &str) -> &'static str {
    Level::of(level).name()
}

fn level_colour(level: Level) -> &'static str {
    match level {
        Level::Critical => "#7b1113",
        Level::High => "#c62828",
        Level::Medium => "#e06c00",
        Level::Low => "#1565c0",
        Level::Informational => "#607d8b",
    }
}

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid #1b1f24; padding-bottom: 2px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.lead { color: #57606a; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 4px 6px; border-bottom: 1px solid #d0d7de; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.hash { word-break: break-all; }
.wrap { overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.note { white-space: pre-wrap; border-left: 3px solid #57606a; padding: 4px 10px; background: #f6f8fa; }
.lvl { display: inline-block; min-width: 92px; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 12px; font-weight: 600; text-align: center; }
.lvl.critical { background: #7b1113; } .lvl.high { background: #c62828; } .lvl.medium { background: #e06c00; }
.lvl.low { background: #1565c0; } .lvl.informational { background: #607d8b; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; }
.card { border: 1px solid #d0d7de; border-radius: 4px; padding: 6px 12px; min-width: 120px; }
.card b { display: block; font-size: 20px; }
ul.matched, ul.evidence { margin: 0; padding-left: 16px; }
.muted { color: #57606a; }
.incident { border: 1px solid #d0d7de; border-radius: 4px; padding: 8px 12px; margin: 8px 0; }
svg { width: 100%; height: auto; border: 1px solid #d0d7de; }
footer { margin-top: 32px; color: #57606a; font-size: 12px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  tr, .incident, .card, svg { break-inside: avoid; }
  thead { display: table-header-group; }
}
"#;

/// The HTML report: one document, no script, no request.
pub fn render(r: &Report, options: &ExportOptions) -> String {
    let e = escape_html;
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"spoor {}\">\n\
<title>Spoor report — {} finding(s)</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        e(&r.tool.version),
        r.findings.len()
    );
    let _ = writeln!(
        h,
        "<header><h1>Kubernetes log forensics report</h1>\n<p class=\"lead\">Produced by spoor {}{}. \
Findings are what detection rules matched in the logs; they are leads to verify, not conclusions.</p></header>",
        e(&r.tool.version),
        r.analysed_at
            .as_deref()
            .map(|t| format!(" on {}", e(t)))
            .unwrap_or_default()
    );
    summary(&mut h, r);
    custody(&mut h, r, options);
    timeline(&mut h, r);
    findings(&mut h, r);
    incidents(&mut h, r);
    rules(&mut h, r);
    diagnostics(&mut h, r);
    let _ = writeln!(
        h,
        "<footer>Report schema {}. This document contains no script and loads nothing.</footer>\n</body>\n</html>",
        e(&r.schema)
    );
    h
}

fn summary(h: &mut String, r: &Report) {
    let events: u64 = r.inputs.iter().map(|i| i.events).sum();
    let bytes: u64 = r.inputs.iter().map(|i| i.bytes).sum();
    let _ = writeln!(
        h,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">"
    );
    let card = |h: &mut String, label: &str, value: String| {
        let _ = writeln!(
            h,
            "<div class=\"card\"><b>{value}</b>{}</div>",
            escape_html(label)
        );
    };
    card(h, "inputs", r.inputs.len().to_string());
    card(h, "bytes read", bytes.to_string());
    card(h, "events", events.to_string());
    card(h, "findings", r.findings.len().to_string());
    card(h, "incidents", r.incidents.len().to_string());
    let _ = writeln!(h, "</div>");
    let mut rows = String::new();
    for l in Level::ALL.iter().rev() {
        let n = r
            .findings
            .iter()
            .filter(|f| Level::of(&f.level) == *l)
            .count();
        if n > 0 {
            let _ = write!(
                rows,
                "<tr><td><span class=\"lvl {0}\">{0}</span></td><td class=\"num\">{n}</td></tr>",
                l.name()
            );
        }
    }
    if !rows.is_empty() {
        let _ = writeln!(
            h,
            "<table style=\"width:auto\"><thead><tr><th>level</th><th class=\"num\">findings</th></tr></thead><tbody>{rows}</tbody></table>"
        );
    }
    let times: Vec<&str> = r
        .findings
        .iter()
        .filter_map(|f| f.time.as_deref())
        .collect();
    if let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) {
        let _ = writeln!(
            h,
            "<p>Findings span <span class=\"mono\">{}</span> to <span class=\"mono\">{}</span> (event time, UTC).</p>",
            escape_html(first),
            escape_html(last)
        );
    }
    let _ = writeln!(h, "</section>");
}

fn custody(h: &mut String, r: &Report, options: &ExportOptions) {
    let e = escape_html;
    let _ = writeln!(
        h,
        "<section id=\"custody\">\n<h2>Chain of custody</h2>\n<dl class=\"facts\">"
    );
    let mut fact = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", e(k));
    };
    fact(
        "Tool",
        format!("{} {}", e(&r.tool.name), e(&r.tool.version)),
    );
    fact(
        "Time of analysis",
        r.analysed_at
            .as_deref()
            .map(|t| format!("<span class=\"mono\">{}</span>", e(t)))
            .unwrap_or_else(|| "not recorded".into()),
    );
    fact(
        "Built-in rule pack",
        r.rules
            .pack
            .as_ref()
            .map(|p| {
                format!(
                    "version {} · SHA-256 <code class=\"hash\">{}</code>",
                    e(&p.version),
                    e(&p.sha256)
                )
            })
            .unwrap_or_else(|| "not loaded".into()),
    );
    fact(
        "Rules",
        format!(
            "{} loaded, {} failed to load",
            r.rules.loaded,
            r.rules.failed.len()
        ),
    );
    let filters: Vec<String> = [
        r.filters.since.as_ref().map(|t| format!("since {}", e(t))),
        r.filters.until.as_ref().map(|t| format!("until {}", e(t))),
        r.filters
            .min_level
            .as_ref()
            .map(|l| format!("minimum level {}", e(l))),
    ]
    .into_iter()
    .flatten()
    .collect();
    fact(
        "Filters",
        if filters.is_empty() {
            "none: every event and finding".into()
        } else {
            filters.join(", ")
        },
    );
    fact(
        "Analyst's note",
        options
            .note
            .as_deref()
            .map(|n| format!("<div class=\"note\">{}</div>", e(n)))
            .unwrap_or_else(|| "<span class=\"muted\">none</span>".into()),
    );
    let _ = writeln!(h, "</dl>\n<h3>Inputs</h3>");
    let _ = writeln!(
        h,
        "<table><thead><tr><th>#</th><th>path</th><th>format</th><th class=\"num\">bytes</th><th class=\"num\">lines</th><th class=\"num\">events</th><th class=\"num\">unparsed</th><th>SHA-256 (bytes as given)</th></tr></thead><tbody>"
    );
    for (n, i) in r.inputs.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"num\">{}</td><td class=\"mono wrap\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code class=\"hash\">{}</code></td></tr>",
            n + 1,
            e(&i.path),
            e(&i.format),
            i.bytes,
            i.lines,
            i.events,
            i.unparsed,
            e(&i.sha256)
        );
    }
    let _ = writeln!(h, "</tbody></table>\n</section>");
}

const TL_WIDTH: f64 = 1000.0;
const TL_LEFT: f64 = 110.0;
const TL_RIGHT: f64 = 20.0;
const TL_LANE: f64 = 26.0;
const TL_TOP: f64 = 14.0;

fn timeline(h: &mut String, r: &Report) {
    let _ = writeln!(h, "<section id=\"timeline\">\n<h2>Timeline</h2>");
    let points: Vec<(i64, Level, usize)> = r
        .findings
        .iter()
        .enumerate()
        .filter_map(|(n, f)| {
            let t = f.time.as_deref().and_then(parse_rfc3339)?;
            Some((t, Level::of(&f.level), n))
        })
        .collect();
    let (Some(t0), Some(t1)) = (
        points.iter().map(|p| p.0).min(),
        points.iter().map(|p| p.0).max(),
    ) else {
        let _ = writeln!(
            h,
            "<p class=\"muted\">No finding has an event time to place.</p>\n</section>"
        );
        return;
    };
    let span = (t1 - t0) as f64;
    let plot = TL_WIDTH - TL_LEFT - TL_RIGHT;
    let x_of = |t: i64| {
        if span <= 0.0 {
            TL_LEFT + plot / 2.0
        } else {
            TL_LEFT + (t - t0) as f64 / span * plot
        }
    };
    let lanes = Level::ALL.len() as f64;
    let axis_y = TL_TOP + lanes * TL_LANE;
    let height = axis_y + 40.0;
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {TL_WIDTH} {height}\" role=\"img\" aria-label=\"Findings over time by level\" font-family=\"system-ui, sans-serif\" font-size=\"11\">"
    );
    // Lanes, most severe on top.
    for (row, l) in Level::ALL.iter().rev().enumerate() {
        let y = TL_TOP + row as f64 * TL_LANE;
        let _ = writeln!(
            h,
            "<rect x=\"{TL_LEFT}\" y=\"{y}\" width=\"{plot}\" height=\"{TL_LANE}\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1b1f24\">{}</text>",
            if row % 2 == 0 { "#f6f8fa" } else { "#ffffff" },
            TL_LEFT - 8.0,
            y + TL_LANE / 2.0 + 4.0,
            l.name()
        );
    }
    let _ = writeln!(
        h,
        "<line x1=\"{TL_LEFT}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#1b1f24\"/>",
        TL_LEFT + plot
    );
    let ticks = if span <= 0.0 { 1 } else { 5 };
    for k in 0..ticks {
        let t = if ticks == 1 {
            t0
        } else {
            t0 + ((t1 - t0) as f64 * k as f64 / (ticks - 1) as f64) as i64
        };
        let x = x_of(t);
        let anchor = match (k, ticks) {
            (_, 1) => "middle",
            (0, _) => "start",
            (k, n) if k == n - 1 => "end",
            _ => "middle",
        };
        let label = chrono::DateTime::from_timestamp_nanos(t)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let _ = writeln!(
            h,
            "<line x1=\"{x:.1}\" y1=\"{axis_y}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#1b1f24\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"#1b1f24\">{label}</text>",
            axis_y + 5.0,
            axis_y + 18.0
        );
    }
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#57606a\">UTC</text>",
        TL_LEFT + plot,
        axis_y + 34.0
    );
    // One mark per level and pixel column, however many findings share it.
    let mut marks: BTreeMap<(usize, i64), Vec<usize>> = BTreeMap::new();
    for (t, l, n) in &points {
        let row = Level::ALL.len() - 1 - (*l as usize);
        marks
            .entry((row, x_of(*t).round() as i64))
            .or_default()
            .push(*n);
    }
    for ((row, x), members) in &marks {
        let level = Level::ALL[Level::ALL.len() - 1 - row];
        let y = TL_TOP + *row as f64 * TL_LANE + TL_LANE / 2.0;
        let radius = (4.0 + (members.len() as f64).log2()).min(10.0);
        let first = &r.findings[members[0]];
        let mut tip = format!(
            "{} · {} · {}",
            first.time.as_deref().unwrap_or(""),
            first.level,
            first.title
        );
        if members.len() > 1 {
            let _ = write!(tip, " (+{} more here)", members.len() - 1);
        }
        let _ = writeln!(
            h,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"{radius:.1}\" fill=\"{}\" fill-opacity=\"0.8\" stroke=\"#ffffff\"><title>{}</title></circle>",
            level_colour(level),
            escape_html(&tip)
        );
    }
    let _ = writeln!(h, "</svg>");
    let untimed = r.findings.len() - points.len();
    if untimed > 0 {
        let _ = writeln!(
            h,
            "<p class=\"muted\">{untimed} finding(s) without an event time are not drawn.</p>"
        );
    }
    let _ = writeln!(h, "</section>");
}

fn findings(h: &mut String, r: &Report) {
    let e = escape_html;
    let _ = writeln!(
        h,
        "<section id=\"findings\">\n<h2>Findings ({})</h2>",
        r.findings.len()
    );
    if r.findings.is_empty() {
        let _ = writeln!(h, "<p>No rule matched.</p>\n</section>");
        return;
    }
    let _ = writeln!(
        h,
        "<table><thead><tr><th>#</th><th>time (UTC)</th><th>level</th><th>rule</th><th>ATT&amp;CK</th><th>evidence</th><th>matched</th></tr></thead><tbody>"
    );
    for (n, f) in r.findings.iter().enumerate() {
        let mut evidence = String::from("<ul class=\"evidence\">");
        for ev in f.evidence.iter().take(EVIDENCE_SHOWN) {
            let _ = write!(
                evidence,
                "<li class=\"mono wrap\">{}:{}</li>",
                e(&ev.path),
                ev.line
            );
        }
        if f.evidence.len() > EVIDENCE_SHOWN {
            let _ = write!(
                evidence,
                "<li class=\"muted\">and {} more</li>",
                f.evidence.len() - EVIDENCE_SHOWN
            );
        }
        evidence.push_str("</ul>");
        let mut matched = String::from("<ul class=\"matched\">");
        for (k, v) in &f.matched {
            let _ = write!(
                matched,
                "<li class=\"wrap\"><code>{}</code> = <code>{}</code></li>",
                e(k),
                e(v)
            );
        }
        matched.push_str("</ul>");
        let _ = writeln!(
            h,
            "<tr id=\"f{n}\"><td class=\"num\">{}</td><td class=\"mono\">{}</td><td><span class=\"lvl {}\">{}</span></td><td>{}<br><code class=\"muted wrap\">{}</code></td><td class=\"mono\">{}</td><td>{evidence}</td><td>{matched}</td></tr>",
            n + 1,
            e(f.time.as_deref().unwrap_or("—")),
            level_class(&f.level),
            e(&f.level),
            e(&f.title),
            e(&f.rule_id),
            e(&f.techniques.join(" ")),
        );
    }
    let _ = writeln!(h, "</tbody></table>\n</section>");
}

fn incidents(h: &mut String, r: &Report) {
    let e = escape_html;
    let _ = writeln!(
        h,
        "<section id=\"incidents\">\n<h2>Incidents ({})</h2>",
        r.incidents.len()
    );
    if r.incidents.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"muted\">No findings were grouped into incidents.</p>"
        );
    }
    for i in &r.incidents {
        let refs: Vec<String> = i.findings.iter().map(|n| format!("#{}", n + 1)).collect();
        let _ = writeln!(
            h,
            "<div class=\"incident\"><h3><span class=\"lvl {}\">{}</span> {} <span class=\"muted\">score {}</span></h3>\n<p class=\"muted\">findings {}</p>",
            level_class(&i.level),
            e(&i.level),
            e(&i.id),
            i.score,
            e(&refs.join(", "))
        );
        if !i.narrative.is_empty() {
            let _ = writeln!(h, "<ol>");
            for line in &i.narrative {
                let _ = writeln!(h, "<li>{}</li>", e(line));
            }
            let _ = writeln!(h, "</ol>");
        }
        let _ = writeln!(h, "</div>");
    }
    let _ = writeln!(h, "</section>");
}

fn rules(h: &mut String, r: &Report) {
    if r.rules.fired.is_empty() && r.rules.failed.is_empty() {
        return;
    }
    let e = escape_html;
    let _ = writeln!(
        h,
        "<section id=\"rules\">\n<h2>Rules behind the findings</h2>"
    );
    for d in &r.rules.fired {
        let _ = writeln!(
            h,
            "<h3><span class=\"lvl {}\">{}</span> {}</h3>\n<dl class=\"facts\"><dt>id</dt><dd><code>{}</code></dd><dt>source</dt><dd class=\"mono\">{}</dd>",
            level_class(&d.level),
            e(&d.level),
            e(&d.title),
            e(&d.id),
            e(&d.source)
        );
        if !d.techniques.is_empty() {
            let _ = writeln!(
                h,
                "<dt>ATT&amp;CK</dt><dd class=\"mono\">{}</dd>",
                e(&d.techniques.join(" "))
            );
        }
        if !d.description.is_empty() {
            let _ = writeln!(h, "<dt>description</dt><dd>{}</dd>", e(&d.description));
        }
        if !d.falsepositives.is_empty() {
            let _ = writeln!(
                h,
                "<dt>false positives</dt><dd>{}</dd>",
                e(&d.falsepositives.join("; "))
            );
        }
        if !d.references.is_empty() {
            // As text, never as links: the report makes no request.
            let refs: Vec<String> = d.references.iter().map(|u| e(u)).collect();
            let _ = writeln!(
                h,
                "<dt>references</dt><dd class=\"mono wrap\">{}</dd>",
                refs.join("<br>")
            );
        }
        let _ = writeln!(h, "</dl>");
    }
    if !r.rules.failed.is_empty() {
        let _ = writeln!(h, "<h3>Rules that did not load</h3>\n<ul>");
        for f in &r.rules.failed {
            let _ = writeln!(
                h,
                "<li><span class=\"mono wrap\">{}</span> <code>{}</code>: {}</li>",
                e(&f.source),
                e(&f.id),
                e(&f.message)
            );
        }
        let _ = writeln!(h, "</ul>");
    }
    let _ = writeln!(h, "</section>");
}

fn diagnostics(h: &mut String, r: &Report) {
    let e = escape_html;
    let _ = writeln!(h, "<section id=\"diagnostics\">\n<h2>Diagnostics</h2>");
    let per_input: usize = r.inputs.iter().map(|i| i.diagnostics.len()).sum();
    if r.diagnostics.is_empty() && per_input == 0 {
        let _ = writeln!(
            h,
            "<p>Every line of every input was read; nothing to report.</p>\n</section>"
        );
        return;
    }
    if !r.diagnostics.is_empty() {
        let _ = writeln!(h, "<ul>");
        for d in &r.diagnostics {
            let _ = writeln!(h, "<li><b>{}</b>: {}</li>", e(&d.level), e(&d.message));
        }
        let _ = writeln!(h, "</ul>");
    }
    for i in r.inputs.iter().filter(|i| !i.diagnostics.is_empty()) {
        let _ = writeln!(
            h,
            "<h3 class=\"mono wrap\">{}</h3>\n<table><thead><tr><th class=\"num\">line</th><th>problem</th></tr></thead><tbody>",
            e(&i.path)
        );
        for d in &i.diagnostics {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{}</td><td class=\"wrap\">{}</td></tr>",
                d.line,
                e(&d.message)
            );
        }
        let _ = writeln!(h, "</tbody></table>");
        if i.diagnostics_dropped > 0 {
            let _ = writeln!(
                h,
                "<p class=\"muted\">and {} more problem(s) not kept.</p>",
                i.diagnostics_dropped
            );
        }
    }
    let _ = writeln!(h, "</section>");
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn escapes_hostile_text() {
        assert_eq!(
            escape_html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape_html("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape_html("' onmouseover='x"), "&#39; onmouseover=&#39;x");
        assert_eq!(escape_html("a & b"), "a &amp; b");
        assert_eq!(escape_html("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(escape_html("bell\u{7}\u{1b}[31m"), "bell\\u{7}\\u{1b}[31m");
        assert_eq!(escape_html("tab\tnew\nline"), "tab\tnew\nline");
        assert_eq!(escape_html("&lt;"), "&amp;lt;");
    }
}
