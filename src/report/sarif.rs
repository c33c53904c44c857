//! SARIF 2.1.0: one run, the rules behind the findings as
//! `tool.driver.rules`, one result per finding located at its first
//! evidence line (the rest as related locations), the inputs as artifacts
//! with their SHA-256. Rules that failed to load become tool configuration
//! notifications.

use super::{Level, Report, RuleDoc};
use serde_json::{json, Value};

pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// critical/high → error, medium → warning, low/informational → note.
pub fn sarif_level(level: &str) -> &'static str {
    match Level::of(level) {
        Level::Critical | Level::High => "error",
        Level::Medium => "warning",
        Level::Low | Level::Informational => "note",
    }
}

/// GitHub code scanning's `security-severity` (0.0–10.0) for a level.
fn security_severity(level: &str) -> &'static str {
    match Level::of(level) {
        Level::Critical => "9.5",
        Level::High => "8.0",
        Level::Medium => "5.5",
        Level::Low => "3.0",
        Level::Informational => "1.0",
    }
}

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = report.rules.fired.iter().map(rule_descriptor).collect();
    let artifacts: Vec<Value> = report
        .inputs
        .iter()
        .map(|i| {
            json!({
                "location": {"uri": uri(&i.path)},
                "length": i.bytes,
                "roles": ["analysisTarget"],
                "hashes": {"sha-256": i.sha256},
                "properties": {"format": i.format, "lines": i.lines, "events": i.events, "unparsed": i.unparsed},
            })
        })
        .collect();
    let index_of: std::collections::HashMap<&str, usize> = report
        .inputs
        .iter()
        .enumerate()
        .rev() // a path given twice points at its first input
        .map(|(n, i)| (i.path.as_str(), n))
        .collect();
    let location = |path: &str, line: u64| {
        let mut artifact = json!({"uri": uri(path)});
        if let Some(index) = index_of.get(path) {
            artifact["index"] = json!(index);
        }
        json!({"physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": line.max(1)},
        }})
    };
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut text = f.title.clone();
            if !f.matched.is_empty() {
                let m: Vec<String> = f.matched.iter().map(|(k, v)| format!("{k}={v}")).collect();
                text = format!("{text}: {}", m.join(", "));
            }
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": sarif_level(&f.level),
                "message": {"text": text},
                "locations": f.evidence.first().map(|e| vec![location(&e.path, e.line)]).unwrap_or_default(),
                "properties": {
                    "level": f.level,
                    "techniques": f.techniques,
                    "time": f.time,
                    "evidence_count": f.evidence.len(),
                },
            });
            if let Some(index) = report.rules.fired.iter().position(|d| d.id == f.rule_id) {
                result["ruleIndex"] = json!(index);
            }
            if f.evidence.len() > 1 {
                let related: Vec<Value> = f.evidence[1..]
                    .iter()
                    .enumerate()
                    .map(|(n, e)| {
                        let mut l = location(&e.path, e.line);
                        l["id"] = json!(n + 1);
                        l
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .rules
        .failed
        .iter()
        .map(|r| {
            json!({
                "level": "error",
                "descriptor": {"id": if r.id.is_empty() { "rule-load" } else { r.id.as_str() }},
                "message": {"text": format!("{}: {}", r.source, r.message)},
            })
        })
        .collect();
    let mut invocation = json!({
        "executionSuccessful": true,
        "toolConfigurationNotifications": notifications,
    });
    if let Some(at) = &report.analysed_at {
        invocation["endTimeUtc"] = json!(at);
    }
    let mut run_properties = json!({"schema": report.schema});
    if let Some(pack) = &report.rules.pack {
        run_properties["rulePack"] = json!(pack);
    }
    let sarif = json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "spoor",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rules,
            }},
            "invocations": [invocation],
            "artifacts": artifacts,
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": run_properties,
        }],
    });
    let mut s = serde_json::to_string_pretty(&sarif).expect("SARIF always serializes");
    s.push('\n');
    s
}

fn rule_descriptor(d: &RuleDoc) -> Value {
    let mut tags: Vec<String> = vec!["security".into()];
    tags.extend(d.techniques.iter().cloned());
    tags.extend(
        d.tags
            .iter()
            .filter(|t| !t.to_ascii_lowercase().starts_with("attack.t"))
            .cloned(),
    );
    let mut rule = json!({
        "id": d.id,
        "name": pascal(&d.title),
        "shortDescription": {"text": d.title},
        "defaultConfiguration": {"level": sarif_level(&d.level)},
        "properties": {
            "tags": tags,
            "security-severity": security_severity(&d.level),
            "level": d.level,
            "source": d.source,
        },
    });
    if !d.description.is_empty() {
        rule["fullDescription"] = json!({"text": d.description});
    }
    let help = help_uri(d);
    if let Some(uri) = &help {
        rule["helpUri"] = json!(uri);
    }
    let mut help_text = d.description.clone();
    if !d.falsepositives.is_empty() {
        help_text += &format!("\n\nFalse positives: {}", d.falsepositives.join("; "));
    }
    if !d.references.is_empty() {
        help_text += &format!("\n\nReferences: {}", d.references.join(" "));
    }
    if !help_text.trim().is_empty() {
        rule["help"] = json!({"text": help_text.trim()});
    }
    rule
}

/// The rule's first web reference, else the ATT&CK page of its first
/// technique.
fn help_uri(d: &RuleDoc) -> Option<String> {
    d.references
        .iter()
        .find(|r| r.starts_with("https://") || r.starts_with("http://"))
        .cloned()
        .or_else(|| {
            d.techniques.first().map(|t| {
                format!(
                    "https://attack.mitre.org/techniques/{}/",
                    t.replace('.', "/")
                )
            })
        })
}

/// `Exec Into Pod` → `ExecIntoPod`: SARIF's `name` is an identifier.
fn pascal(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// An input path as a URI reference: absolute paths as `file://` URIs,
/// relative ones relative; everything outside RFC 3986's unreserved and
/// path characters percent-encoded (archive members keep their `!`).
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_uris() {
        assert_eq!(sarif_level("critical"), "error");
        assert_eq!(sarif_level("high"), "error");
        assert_eq!(sarif_level("medium"), "warning");
        assert_eq!(sarif_level("low"), "note");
        assert_eq!(sarif_level("informational"), "note");
        assert_eq!(uri("/var/log/a b.log"), "file:///var/log/a%20b.log");
        assert_eq!(uri("logs/x.tgz!in/y.log"), "logs/x.tgz!in/y.log");
        assert_eq!(uri("C:\\logs\\a%.log"), "C:/logs/a%25.log");
        assert_eq!(pascal("Exec into pod (kubectl)"), "ExecIntoPodKubectl");
    }
}
