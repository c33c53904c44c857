//! An ATT&CK Navigator layer (layer format 4.5, enterprise domain): one
//! technique entry per technique named by a finding, scored by count or by
//! highest level, with the rules and first evidence in its comment and
//! metadata. Open it in the Navigator with "Open Existing Layer".

use super::{Level, NavigatorScore, Report};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const LAYER_VERSION: &str = "4.5";
/// The Navigator version written in `versions` (4.5 layers need >= 4.9.0).
pub const NAVIGATOR_VERSION: &str = "5.1.0";

#[derive(Default)]
struct Tally {
    count: u64,
    max: Option<Level>,
    rules: Vec<String>,
    first: Option<String>,
    last: Option<String>,
}

pub fn render(report: &Report, score_by: NavigatorScore) -> String {
    let mut by_technique: BTreeMap<&str, Tally> = BTreeMap::new();
    for f in &report.findings {
        for t in &f.techniques {
            let tally = by_technique.entry(t.as_str()).or_default();
            tally.count += 1;
            tally.max = tally.max.max(Some(Level::of(&f.level)));
            if !tally.rules.contains(&f.title) {
                tally.rules.push(f.title.clone());
            }
            if let Some(time) = &f.time {
                if tally.first.as_ref().is_none_or(|t| time < t) {
                    tally.first = Some(time.clone());
                }
                if tally.last.as_ref().is_none_or(|t| time > t) {
                    tally.last = Some(time.clone());
                }
            }
        }
    }
    let score = |t: &Tally| match score_by {
        NavigatorScore::Count => t.count,
        NavigatorScore::MaxLevel => t.max.map(|l| u64::from(l.rank())).unwrap_or(0),
    };
    let max_score = by_technique.values().map(score).max().unwrap_or(0).max(1);
    let techniques: Vec<Value> = by_technique
        .iter()
        .map(|(id, t)| {
            let max = t.max.map(Level::name).unwrap_or("informational");
            let mut metadata = vec![
                json!({"name": "findings", "value": t.count.to_string()}),
                json!({"name": "highest level", "value": max}),
            ];
            if let Some(first) = &t.first {
                metadata.push(json!({"name": "first seen", "value": first}));
            }
            if let Some(last) = &t.last {
                metadata.push(json!({"name": "last seen", "value": last}));
            }
            for r in &t.rules {
                metadata.push(json!({"name": "rule", "value": r}));
            }
            json!({
                "techniqueID": id,
                "score": score(t),
                "comment": format!("{} finding(s), highest level {}: {}", t.count, max, t.rules.join("; ")),
                "enabled": true,
                "metadata": metadata,
                "showSubtechniques": false,
            })
        })
        .collect();
    let (what, legend) = match score_by {
        NavigatorScore::Count => ("number of findings", "findings"),
        NavigatorScore::MaxLevel => (
            "highest level (1 informational .. 5 critical)",
            "highest level",
        ),
    };
    let mut metadata = vec![
        json!({"name": "tool", "value": format!("{} {}", report.tool.name, report.tool.version)}),
        json!({"name": "schema", "value": report.schema}),
        json!({"name": "findings", "value": report.findings.len().to_string()}),
        json!({"name": "inputs", "value": report.inputs.len().to_string()}),
    ];
    if let Some(at) = &report.analysed_at {
        metadata.push(json!({"name": "analysed at", "value": at}));
    }
    if let Some(pack) = &report.rules.pack {
        metadata.push(json!({"name": "rule pack", "value": format!("{} sha256 {}", pack.version, pack.sha256)}));
    }
    for i in &report.inputs {
        metadata.push(json!({"name": "input", "value": format!("{} sha256 {}", i.path, i.sha256)}));
    }
    let layer = json!({
        "name": "Spoor findings",
        "versions": {"layer": LAYER_VERSION, "navigator": NAVIGATOR_VERSION},
        "domain": "enterprise-attack",
        "description": format!(
            "Techniques named by the {} finding(s) of a Spoor analysis; score = {}.",
            report.findings.len(), what
        ),
        "sorting": 3,
        "layout": {
            "layout": "side",
            "showID": true,
            "showName": true,
            "showAggregateScores": false,
            "countUnscored": false,
            "aggregateFunction": "max",
            "expandedSubtechniques": "annotated",
        },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#fff7bc", "#fe9929", "#cc4c02"], "minValue": 0, "maxValue": max_score},
        "legendItems": [{"label": format!("score: {legend}"), "color": "#fe9929"}],
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
        "metadata": metadata,
    });
    let mut s = serde_json::to_string_pretty(&layer).expect("a layer always serializes");
    s.push('\n');
    s
}
