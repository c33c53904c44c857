//! What rules say about themselves — description, references, false
//! positives — read from their Sigma YAML for `rules explain`, the SARIF
//! rule descriptors and the HTML report. Detection does not need these
//! fields, so they are read here, leniently: a document that is not a rule
//! is skipped (the detector reports why it did not load).

use crate::detect::{techniques, RuleSource};
use serde::{Deserialize, Serialize};
use yaml_serde::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleDoc {
    pub id: String,
    pub title: String,
    pub level: String,
    /// `builtin` or the file it was read from.
    pub source: String,
    pub description: String,
    pub techniques: Vec<String>,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
}

/// One [`RuleDoc`] per rule or correlation document in `sources`, named
/// as the detector names it (`id`, else `name`, else `title`).
pub fn rule_docs(sources: &[RuleSource]) -> Vec<RuleDoc> {
    let mut out = Vec::new();
    for src in sources {
        for doc in yaml_serde::Deserializer::from_str(&src.text) {
            let Ok(v) = <Value as serde::Deserialize>::deserialize(doc) else {
                // A broken document: the detector names the problem.
                break;
            };
            if let Some(d) = rule_doc(&v, &src.origin) {
                out.push(d);
            }
        }
    }
    out
}

fn rule_doc(v: &Value, origin: &str) -> Option<RuleDoc> {
    let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let list = |key: &str| -> Vec<String> {
        match v.get(key) {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let title = text("title")?;
    // Filters and global documents are not rules that fire.
    if v.get("filter").is_some() || (v.get("detection").is_none() && v.get("correlation").is_none())
    {
        return None;
    }
    let tags = list("tags");
    Some(RuleDoc {
        id: text("id").or_else(|| text("name")).unwrap_or(title.clone()),
        level: text("level")
            .map(|l| l.to_ascii_lowercase())
            .unwrap_or_else(|| "medium".into()),
        source: origin.to_string(),
        description: text("description").unwrap_or_default().trim().to_string(),
        techniques: techniques(&tags),
        tags,
        references: list("references"),
        falsepositives: list("falsepositives"),
        title,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_builtin_rule() {
        let sources = crate::detect::builtin_sources();
        let docs = rule_docs(&sources);
        // Every rule the detector lists has its doc; the docs also cover
        // hidden building blocks of correlations.
        let (detector, _) = crate::detect::Detector::new(&sources);
        let read: std::collections::BTreeSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        for rule in detector.rules() {
            assert!(read.contains(rule.id.as_str()), "no doc for {}", rule.id);
        }
        for d in &docs {
            assert!(!d.id.is_empty() && !d.title.is_empty(), "{d:?}");
            assert!(!d.description.is_empty(), "{d:?}");
            assert_eq!(d.source, "builtin");
        }
    }

    #[test]
    fn lenient_on_odd_documents() {
        let src = RuleSource {
            origin: "x.yml".into(),
            text: "title: A\nid: a\ndetection: {s: {x: 1}, condition: s}\ntags: [attack.t1609]\nreferences: https://example.org\n---\njust text\n---\ntitle: B\ndetection: {s: {x: 1}, condition: s}\n---\n: : [\n".into(),
        };
        let docs = rule_docs(&[src]);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].techniques, ["T1609"]);
        assert_eq!(docs[0].references, ["https://example.org"]);
        assert_eq!(docs[1].id, "B");
        assert_eq!(docs[1].level, "medium");
    }
}
