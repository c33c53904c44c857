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
    use crate::report::{EvidenceRef, Finding, Rules, Tool};

    #[test]
    fn one_action_and_one_document_per_finding() {
        let r = Report {
            schema: crate::report::SCHEMA.into(),
            tool: Tool {
                name: "spoor".into(),
                version: "0.1.0".into(),
            },
            rules: Rules {
                loaded: 1,
                failed: Vec::new(),
            },
            inputs: Vec::new(),
            findings: vec![Finding {
                rule_id: "8c40a968".into(),
                title: "Exec or Attach Into a Pod".into(),
                level: "medium".into(),
                techniques: vec!["T1609".into()],
                time: Some("2024-05-01T12:03:10.114512Z".into()),
                evidence: vec![EvidenceRef {
                    path: "audit.log".into(),
                    line: 4,
                }],
                matched: vec![("verb".into(), "create".into())],
            }],
            incidents: Vec::new(),
            entities: Vec::new(),
            summary: Default::default(),
        };
        let out = render_ecs_bulk(&r);
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["index"]["_index"], "spoor-findings");
        let d = &lines[1];
        assert_eq!(d["@timestamp"], "2024-05-01T12:03:10.114512Z");
        assert_eq!(d["rule"]["id"], "8c40a968");
        assert_eq!(d["rule"]["name"], "Exec or Attach Into a Pod");
        assert_eq!(d["event"]["severity"], 47);
        assert_eq!(d["threat"]["technique"]["id"][0], "T1609");
        assert_eq!(d["log"]["file"]["path"], "audit.log");
        assert_eq!(d["spoor"]["evidence"][0]["line"], 4);
    }
}
