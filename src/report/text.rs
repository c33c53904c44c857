//! The terminal summary: what a responder reads first. Log-derived text
//! has its control characters shown as escapes, so a hostile log line
//! cannot drive the terminal; colour (ANSI) only when asked for.

use super::{Level, Report};
use std::fmt::Write;

pub fn render_text(r: &Report) -> String {
    render_text_styled(r, false)
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
    fn level(&self, level: &str) -> String {
        let code = match Level::of(level) {
            Level::Critical => "1;97;41",
            Level::High => "1;31",
            Level::Medium => "33",
            Level::Low => "36",
            Level::Informational => "2",
        };
        self.paint(code, &format!("[{}]", clean(level)))
    }
}

/// Control characters (ESC, CR, BEL, ...) as `\u{..}` escapes.
pub(crate) fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub fn render_text_styled(r: &Report, color: bool) -> String {
    let st = Style { on: color };
    let mut s = String::new();
    let events: u64 = r.inputs.iter().map(|i| i.events).sum();
    let _ = writeln!(
        s,
        "{} — {} input(s), {} event(s){}",
        st.bold(&format!("spoor {}", r.tool.version)),
        r.inputs.len(),
        events,
        r.analysed_at
            .as_deref()
            .map(|t| format!(", analysed at {t}"))
            .unwrap_or_default()
    );
    for i in &r.inputs {
        let _ = writeln!(
            s,
            "  {}  [{}]  {} lines, {} events, {} unparsed  sha256 {}",
            clean(&i.path),
            i.format,
            i.lines,
            i.events,
            i.unparsed,
            i.sha256
        );
        for d in &i.diagnostics {
            let _ = writeln!(
                s,
                "    {}",
                st.dim(&format!(
                    "{}:{}: {}",
                    clean(&i.path),
                    d.line,
                    clean(&d.message)
                ))
            );
        }
        if i.diagnostics_dropped > 0 {
            let _ = writeln!(
                s,
                "    {}",
                st.dim(&format!("… and {} more", i.diagnostics_dropped))
            );
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
    for k in &r.integrity.clock_skew {
        let _ = writeln!(
            s,
            "clock skew: {} is {:+.3} s from {} ({} pair(s), {:+.3} .. {:+.3} s; {})",
            clean(&k.other),
            k.offset_ms as f64 / 1000.0,
            clean(&k.reference),
            k.samples,
            k.min_ms as f64 / 1000.0,
            k.max_ms as f64 / 1000.0,
            k.basis
        );
    }
    for n in &r.integrity.rule_coverage {
        let _ = writeln!(
            s,
            "rule coverage: {}: {}",
            clean(&n.message),
            n.rules.join(", ")
        );
    }
    let pack = r
        .rules
        .pack
        .as_ref()
        .map(|p| format!(" (built-in pack {} sha256 {})", p.version, p.sha256))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "rules: {} loaded, {} failed{pack}",
        r.rules.loaded,
        r.rules.failed.len()
    );
    for f in &r.rules.failed {
        let _ = writeln!(
            s,
            "  {} ({}): {}",
            clean(&f.source),
            clean(&f.id),
            clean(&f.message)
        );
    }
    let filters = [
        r.filters.since.as_ref().map(|t| format!("since {t}")),
        r.filters.until.as_ref().map(|t| format!("until {t}")),
        r.filters
            .min_level
            .as_ref()
            .map(|l| format!("min-level {l}")),
    ];
    let filters: Vec<String> = filters.into_iter().flatten().collect();
    if !filters.is_empty() {
        let _ = writeln!(s, "filters: {}", filters.join(", "));
    }
    let counts: Vec<String> = Level::ALL
        .iter()
        .rev()
        .filter_map(|l| {
            let n = r
                .findings
                .iter()
                .filter(|f| Level::of(&f.level) == *l)
                .count();
            (n > 0).then(|| format!("{} {n}", l.name()))
        })
        .collect();
    let _ = writeln!(
        s,
        "{}{}",
        st.bold(&format!("findings: {}", r.findings.len())),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    for f in &r.findings {
        let at = f
            .evidence
            .first()
            .map(|e| format!("{}:{}", clean(&e.path), e.line))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {} {}  {}  {}  {}",
            st.level(&f.level),
            f.time.as_deref().unwrap_or("-"),
            clean(&f.title),
            f.techniques.join(","),
            at
        );
    }
    let _ = writeln!(
        s,
        "{}",
        st.bold(&format!("incidents: {}", r.incidents.len()))
    );
    for i in &r.incidents {
        let _ = writeln!(
            s,
            "  {} {}  score {}  {} finding(s)",
            st.level(&i.level),
            clean(&i.id),
            i.score,
            i.findings.len()
        );
        for line in &i.narrative {
            let _ = writeln!(s, "    {}", clean(line));
        }
    }
    if !r.diagnostics.is_empty() {
        let _ = writeln!(s, "diagnostics: {}", r.diagnostics.len());
        for d in &r.diagnostics {
            let _ = writeln!(
                s,
                "  {}",
                st.dim(&format!("{}: {}", d.level, clean(&d.message)))
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(super::clean("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(super::clean("plain"), "plain");
    }
}
