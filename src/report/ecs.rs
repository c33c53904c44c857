//! Findings as an Elasticsearch `_bulk` body in ECS: one
//! `{"index":{"_index":"spoor-findings"}}` action line and one document
//! line per finding, ready for `curl -H 'Content-Type: application/x-ndjson'
//! --data-binary @findings.ndjson $ES/_bulk`.
//!
//! Mapping: `@timestamp` = the event time of the first evidence (left out
//! when unknown), `rule.id`/`rule.name`, `event.severity` on Elastic's
//! scale (low 21, medium 47, high 73, critical 99; informational 1),
//! `threat.technique.id` the ATT&CK ids, `log.file.path` the first
//! evidence's input, and the full evidence and matched values under
//! `spoor.*`.

use super::Report;
use serde_json::{json, Map, Value};

/// The index findings go to.
pub const INDEX: &str = "spoor-findings";

/// Elastic's numeric severity for a Sigma level.
pub fn severity(level: &str) -> u8 {
    match level {
        "critical" => 99,
        "high" => 73,
        "medium" => 47,
        "low" => 21,
        _ => 1,
    }
}

/// The `_bulk` NDJSON body of the report's findings.
pub fn render_ecs_bulk(r: &Report) -> String {
    let mut s = String::new();
    let action = json!({"index": {"_index": INDEX}}).to_string();
    for f in &r.findings {
        let mut doc = Map::new();
        if let Some(t) = &f.time {
            doc.insert("@timestamp".into(), t.clone().into());
        }
        doc.insert("ecs".into(), json!({"version": "8.11.0"}));
        doc.insert(
            "event".into(),
            json!({"kind": "alert", "category": ["intrusion_detection"], "type": ["indicator"],
                   "severity": severity(&f.level), "provider": "spoor"}),
        );
        doc.insert(
            "rule".into(),
            json!({"id": f.rule_id, "name": f.title, "ruleset": "spoor",
                   "version": r.tool.version}),
        );
        if !f.techniques.is_empty() {
            doc.insert(
                "threat".into(),
                json!({"framework": "MITRE ATT&CK", "technique": {"id": f.techniques}}),
            );
        }
        if let Some(e) = f.evidence.first() {
            doc.insert("log".into(), json!({"file": {"path": e.path}}));
        }
        let matched: Map<String, Value> = f
            .matched
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        doc.insert(
            "spoor".into(),
            json!({"level": f.level, "evidence": f.evidence, "matched": matched,
                   "report_schema": r.schema}),
        );
        s.push_str(&action);
        s.push('\n');
        s.push_str(&Value::Object(doc).to_string());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analysis;
    use crate::detect::builtin_sources;

    #[test]
    fn one_action_and_one_document_per_finding() {
        let exec = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/web/exec?command=sh","verb":"create","user":{"username":"dev-01"},"sourceIPs":["198.51.100.9"],"userAgent":"kubectl/v1.30.0","objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1","subresource":"exec"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2024-05-01T12:03:10.114512Z","stageTimestamp":"2024-05-01T12:03:10.200000Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#;
        let mut analysis = Analysis::new(&builtin_sources());
        analysis.open("audit.log", None);
        analysis.push(format!("{exec}\n").as_bytes());
        analysis.finish();
        let r = Report::new(&analysis);
        let exec_finding = r
            .findings
            .iter()
            .position(|f| f.techniques.iter().any(|t| t == "T1609"))
            .expect("the exec rule fires");
        let out = render_ecs_bulk(&r);
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2 * r.findings.len());
        assert_eq!(lines[0]["index"]["_index"], "spoor-findings");
        let d = &lines[2 * exec_finding + 1];
        assert_eq!(d["@timestamp"], "2024-05-01T12:03:10.114512Z");
        assert_eq!(d["rule"]["id"], r.findings[exec_finding].rule_id.as_str());
        assert_eq!(d["threat"]["technique"]["id"][0], "T1609");
        assert_eq!(d["log"]["file"]["path"], "audit.log");
        assert_eq!(d["spoor"]["evidence"][0]["line"], 1);
    }
}
