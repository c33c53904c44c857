//! Allow-lists: data that suppresses findings (`spoor scan --allow FILE`).
//!
//! An allow file is either
//!
//! - Sigma filter documents (`filter:` with `rules:`, named selections and a
//!   `condition:` such as `not selection`), applied as rsigma applies
//!   filters: the filter's condition is ANDed to every rule it targets; or
//! - a plain list, converted here into such filters:
//!
//! ```yaml
//! allow:
//!   - reason: Argo CD deploys workloads      # optional, for people
//!     rules: [k8s_sidecar_injection]         # optional: rule ids, titles or names; default every rule
//!     match:                                 # every field must match (a list = any of its values)
//!       user.username: system:serviceaccount:argocd:argocd-application-controller
//!   - match:
//!       objectRef.namespace|startswith: monitoring
//!       user.username|re: '^system:serviceaccount:monitoring:'
//! ```
//!
//! Field names and modifiers are Sigma's, over the record's original fields
//! plus the `spoor.*` aliases, so one entry can speak about every format
//! (`spoor.user`, `spoor.namespace`, `spoor.source_ip`, ...). Suppressing a
//! detection rule also keeps its matches out of every correlation built on
//! it; entries name detection rules, not correlations.

use rsigma_parser::parse_sigma_yaml;
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    allow: Vec<AllowEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowEntry {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    rules: Option<OneOrMany>,
    #[serde(rename = "match")]
    conditions: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The Sigma filter text for an allow file (either form), or why it cannot
/// be used. Sigma filter text is returned as is once checked.
pub fn to_filters(text: &str) -> Result<String, String> {
    let simple = text
        .lines()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && *l != "---")
        .is_some_and(|l| l.starts_with("allow:"));
    if simple {
        return convert(text);
    }
    let collection = parse_sigma_yaml(text).map_err(|e| format!("allow file: {e}"))?;
    if !collection.errors.is_empty() {
        return Err(format!("allow file: {}", collection.errors.join("; ")));
    }
    if !collection.rules.is_empty() || !collection.correlations.is_empty() {
        return Err(
            "allow file holds detection or correlation rules: it may only hold Sigma filters \
             (filter:) or an `allow:` list; pass rules with --rules"
                .to_string(),
        );
    }
    if collection.filters.is_empty() {
        return Err("allow file holds no filter and no `allow:` list".to_string());
    }
    Ok(text.to_string())
}

fn convert(text: &str) -> Result<String, String> {
    let file: AllowFile = yaml_serde::from_str(text).map_err(|e| format!("allow file: {e}"))?;
    let mut docs = Vec::with_capacity(file.allow.len());
    for (i, entry) in file.allow.into_iter().enumerate() {
        let n = i + 1;
        if entry.conditions.is_empty() {
            return Err(format!("allow entry {n}: `match` is empty"));
        }
        let mut filter = Map::new();
        match entry.rules {
            Some(OneOrMany::One(r)) => {
                filter.insert("rules".into(), json!([r]));
            }
            Some(OneOrMany::Many(rs)) if !rs.is_empty() => {
                filter.insert("rules".into(), json!(rs));
            }
            _ => {}
        }
        filter.insert("allowed".into(), Value::Object(entry.conditions));
        filter.insert("condition".into(), json!("not allowed"));
        let title = match entry.reason {
            Some(r) if !r.trim().is_empty() => format!("allow: {}", r.trim()),
            _ => format!("allow entry {n}"),
        };
        let doc = json!({
            "title": title,
            "id": format!("allow-{n}"),
            "filter": filter,
        });
        docs.push(serde_json::to_string(&doc).expect("json serializes"));
    }
    if docs.is_empty() {
        return Err("allow file: the `allow:` list is empty".to_string());
    }
    let text = docs.join("\n---\n");
    // Parse once here so a bad field or modifier is reported against the
    // allow file instead of surfacing as a filter failure later.
    let collection = parse_sigma_yaml(&text).map_err(|e| format!("allow file: {e}"))?;
    if !collection.errors.is_empty() {
        return Err(format!("allow file: {}", collection.errors.join("; ")));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_list_becomes_filters() {
        let text = "# admins\nallow:\n  - reason: admins\n    rules: k8s_exec_into_pod\n    match:\n      user.username: [alice, bob]\n  - match:\n      objectRef.namespace|startswith: monitoring\n";
        let out = to_filters(text).unwrap();
        let c = parse_sigma_yaml(&out).unwrap();
        assert_eq!(c.filters.len(), 2);
        assert_eq!(c.filters[0].title, "allow: admins");
    }

    #[test]
    fn rejects_rules_and_garbage() {
        let rule = "title: x\nlogsource: {product: linux}\ndetection: {k: [a], condition: k}\n";
        assert!(to_filters(rule).unwrap_err().contains("detection"));
        assert!(to_filters("allow:\n  - match: {}\n").is_err());
        assert!(to_filters("allow:\n  - nope: 1\n").is_err());
        assert!(to_filters("").is_err());
        assert!(to_filters("allow: []\n").is_err());
    }

    #[test]
    fn sigma_filters_pass_through() {
        let text = "title: f\nfilter:\n  rules: [r1]\n  sel: {user.username: alice}\n  condition: not sel\n";
        assert_eq!(to_filters(text).unwrap(), text);
    }
}
