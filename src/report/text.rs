//! The terminal summary: what a responder reads first.

use super::Report;
use std::fmt::Write;

pub fn render_text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "spoor {} — {} input(s)", r.tool.version, r.inputs.len());
    for i in &r.inputs {
        let _ = writeln!(
            s,
            "  {}  [{}]  {} lines, {} events, {} unparsed  sha256 {}",
            i.path, i.format, i.lines, i.events, i.unparsed, i.sha256
        );
        for d in &i.diagnostics {
            let _ = writeln!(s, "    {}:{}: {}", i.path, d.line, d.message);
        }
        let g = &i.integrity;
        for gap in &g.gaps {
            let _ = writeln!(
                s,
                "    integrity: no events for {} s, {} .. {}",
                gap.seconds, gap.from, gap.to
            );
        }
        for (n, what) in [
            (g.duplicate_ids, "duplicate audit ids"),
            (g.out_of_order, "records out of order"),
            (g.stuck_requests, "requests stuck at RequestReceived"),
        ] {
            if n > 0 {
                let _ = writeln!(s, "    integrity: {n} {what}");
            }
        }
        if g.truncated {
            let _ = writeln!(s, "    integrity: truncated");
        }
        for w in g.audit_coverage.iter().flat_map(|c| &c.warnings) {
            let _ = writeln!(s, "    audit coverage: {w}");
        }
    }
    let _ = writeln!(
        s,
        "rules: {} loaded, {} failed",
        r.rules.loaded,
        r.rules.failed.len()
    );
    for f in &r.rules.failed {
        let _ = writeln!(s, "  {} ({}): {}", f.source, f.id, f.message);
    }
    let _ = writeln!(s, "findings: {}", r.findings.len());
    for f in &r.findings {
        let at = f
            .evidence
            .first()
            .map(|e| format!("{}:{}", e.path, e.line))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  [{}] {}  {}  {}  {}",
            f.level,
            f.time.as_deref().unwrap_or("-"),
            f.title,
            f.techniques.join(","),
            at
        );
    }
    let _ = writeln!(s, "incidents: {}", r.incidents.len());
    for i in &r.incidents {
        let _ = writeln!(
            s,
            "  {} [{}] score {}  {} → {}  tactics: {}",
            i.id,
            i.level,
            i.score,
            i.first_seen.as_deref().unwrap_or("-"),
            i.last_seen.as_deref().unwrap_or("-"),
            i.tactics.join(", ")
        );
        let names: Vec<String> = i
            .entities
            .iter()
            .map(|e| format!("{} {}", e.kind, e.name))
            .collect();
        let _ = writeln!(s, "    entities: {}", names.join(", "));
        for line in &i.narrative {
            let _ = writeln!(s, "    {line}");
        }
    }
    s
}
