//! The per-source rule-coverage note: which built-in rules could not fire
//! in this case, and why — their log is not among the inputs, or the audit
//! policy logged the resources they look at without the request or
//! response bodies they read. A responder reads "no finding" differently
//! when the rule that would have found it never had a chance.

use super::Input;
use crate::analysis::Analysis;
use crate::detect::BUILTIN;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use yaml_serde::Value;

/// Built-in rules that could not fire, for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCoverageNote {
    /// The source they need: a log (`network flows (Hubble, VPC flow
    /// logs)`) or an audit resource (`audit: secrets`).
    pub source: String,
    /// `missing` (no such log among the inputs) or `audit_level` (logged
    /// below the level the rules read).
    pub reason: String,
    pub message: String,
    /// The rules, by name (id when they have none).
    pub rules: Vec<String>,
}

/// Audit levels from least to most detail.
const LEVELS: [&str; 4] = ["None", "Metadata", "Request", "RequestResponse"];

fn rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(0)
}

/// Every note for the case.
pub fn notes(analysis: &Analysis, inputs: &[Input]) -> Vec<RuleCoverageNote> {
    let mut out = missing_sources(analysis);
    out.extend(audit_levels(inputs));
    out
}

/// Built-in rules whose log family no input carries, grouped by family.
fn missing_sources(analysis: &Analysis) -> Vec<RuleCoverageNote> {
    let names: BTreeMap<String, String> = analysis
        .rules()
        .into_iter()
        .map(|r| (r.id.clone(), r.name.unwrap_or(r.id)))
        .collect();
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in analysis.inapplicable_rules() {
        if r.source != "builtin" {
            continue;
        }
        let families = analysis.rule_families(&r.id);
        let labels: Vec<&str> = families.iter().map(|f| f.label()).collect();
        let source = if labels.is_empty() {
            "a log Spoor does not read".to_string()
        } else {
            labels.join(" or ")
        };
        let name = names.get(&r.id).cloned().unwrap_or(r.id);
        groups.entry(source).or_default().push(name);
    }
    groups
        .into_iter()
        .map(|(source, rules)| RuleCoverageNote {
            message: format!(
                "no {source} among the inputs: {} built-in rule(s) could not fire",
                rules.len()
            ),
            source,
            reason: "missing".into(),
            rules,
        })
        .collect()
}

/// A built-in audit rule that reads bodies: the level it needs and the
/// resources it looks at (empty: any).
struct BodyRule {
    name: String,
    needs: &'static str,
    resources: BTreeSet<String>,
}

/// String values under `objectRef.resource` keys anywhere in a detection.
fn resources_in(v: &Value, out: &mut BTreeSet<String>) {
    if let Value::Mapping(m) = v {
        for (k, val) in m {
            let key = k.as_str().unwrap_or("");
            if key == "objectRef.resource" || key.starts_with("objectRef.resource|") {
                match val {
                    Value::String(s) => {
                        out.insert(s.clone());
                    }
                    Value::Sequence(xs) => {
                        out.extend(xs.iter().filter_map(|x| x.as_str().map(String::from)));
                    }
                    _ => {}
                }
            } else {
                resources_in(val, out);
            }
        }
    }
}

fn body_rules() -> Vec<BodyRule> {
    let mut out = Vec::new();
    for (_, text) in BUILTIN {
        for doc in yaml_serde::Deserializer::from_str(text) {
            let Ok(v) = <Value as serde::Deserialize>::deserialize(doc) else {
                break;
            };
            let Some(detection) = v.get("detection") else {
                continue;
            };
            let body = yaml_serde::to_string(detection).unwrap_or_default();
            let needs = if body.contains("responseObject") {
                "RequestResponse"
            } else if body.contains("requestObject") || body.contains("spoor.request_object") {
                "Request"
            } else {
                continue;
            };
            let mut resources = BTreeSet::new();
            resources_in(detection, &mut resources);
            let name = v
                .get("name")
                .or_else(|| v.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            out.push(BodyRule {
                name,
                needs,
                resources,
            });
        }
    }
    out
}

/// Body-reading rules whose resources were logged, but never at the level
/// they need, grouped by resource and level.
fn audit_levels(inputs: &[Input]) -> Vec<RuleCoverageNote> {
    // Resource → highest level seen (summed over audit inputs).
    let mut best: BTreeMap<String, usize> = BTreeMap::new();
    for i in inputs {
        let Some(cov) = &i.integrity.audit_coverage else {
            continue;
        };
        for row in &cov.table {
            let base = row.resource.split('/').next().unwrap_or("").to_string();
            let top = row.levels.keys().map(|l| rank(l)).max().unwrap_or(0);
            let e = best.entry(base).or_insert(0);
            *e = (*e).max(top);
        }
    }
    if best.is_empty() {
        return Vec::new();
    }
    let mut groups: BTreeMap<(String, &'static str, usize), Vec<String>> = BTreeMap::new();
    for r in body_rules() {
        let needed = rank(r.needs);
        let seen: Vec<(&String, usize)> = best
            .iter()
            .filter(|(res, _)| r.resources.is_empty() || r.resources.contains(*res))
            .map(|(res, l)| (res, *l))
            .collect();
        let Some(top) = seen.iter().map(|(_, l)| *l).max() else {
            continue; // none of its resources were logged at all
        };
        if top >= needed {
            continue;
        }
        let what = if r.resources.is_empty() {
            "any resource".to_string()
        } else {
            seen.iter()
                .map(|(res, _)| res.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        groups.entry((what, r.needs, top)).or_default().push(r.name);
    }
    groups
        .into_iter()
        .map(|((what, needs, top), rules)| RuleCoverageNote {
            source: format!("audit: {what}"),
            reason: "audit_level".into(),
            message: format!(
                "{what} logged at {} level at most; {} built-in rule(s) read {} bodies and could not fire",
                LEVELS[top],
                rules.len(),
                if needs == "RequestResponse" { "response" } else { "request" }
            ),
            rules,
        })
        .collect()
}
