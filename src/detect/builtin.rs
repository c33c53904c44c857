//! The built-in rule pack and the field mapping, embedded at compile time.
//!
//! The rules live as plain Sigma YAML under `rules/builtin/` so they can be
//! reviewed, linted and reused outside Spoor; listing them here (instead of a
//! build script) keeps the build free of generated code. Add a file there,
//! then add one line below.

use super::RuleSource;

/// `(file name, YAML text)` of every built-in rule file.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "audit-authn.yml",
        include_str!("../../rules/builtin/audit-authn.yml"),
    ),
    (
        "audit-credentials.yml",
        include_str!("../../rules/builtin/audit-credentials.yml"),
    ),
    (
        "audit-discovery.yml",
        include_str!("../../rules/builtin/audit-discovery.yml"),
    ),
    (
        "audit-evasion-impact.yml",
        include_str!("../../rules/builtin/audit-evasion-impact.yml"),
    ),
    (
        "audit-execution.yml",
        include_str!("../../rules/builtin/audit-execution.yml"),
    ),
    (
        "audit-rbac.yml",
        include_str!("../../rules/builtin/audit-rbac.yml"),
    ),
    (
        "audit-workloads.yml",
        include_str!("../../rules/builtin/audit-workloads.yml"),
    ),
    (
        "container.yml",
        include_str!("../../rules/builtin/container.yml"),
    ),
    ("falco.yml", include_str!("../../rules/builtin/falco.yml")),
    (
        "kubelet.yml",
        include_str!("../../rules/builtin/kubelet.yml"),
    ),
    (
        "network.yml",
        include_str!("../../rules/builtin/network.yml"),
    ),
    (
        "node-linux.yml",
        include_str!("../../rules/builtin/node-linux.yml"),
    ),
    (
        "correlations.yml",
        include_str!("../../rules/builtin/correlations.yml"),
    ),
];

/// The processing pipeline applied to `product: kubernetes, service: audit`
/// rules (see the file for why each mapping exists).
pub const KUBERNETES_AUDIT_PIPELINE: &str =
    include_str!("../../rules/mapping/kubernetes-audit.yml");

/// The built-in pack as rule sources, all with origin `builtin`.
pub fn builtin_sources() -> Vec<RuleSource> {
    BUILTIN
        .iter()
        .map(|(_, text)| RuleSource {
            origin: "builtin".to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// The built-in pack as plain Sigma files, one rule per file:
/// `(file name, YAML text)`. Files holding several documents (a rule and
/// the correlation over it) are split; names are the title's slug, with the
/// id's first block appended when two titles slug alike.
pub fn export() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (_, text) in BUILTIN {
        let mut docs = vec![String::new()];
        for line in text.lines() {
            if line.trim_end() == "---" {
                docs.push(String::new());
            } else {
                let doc = docs.last_mut().expect("starts with one");
                doc.push_str(line);
                doc.push('\n');
            }
        }
        for doc in docs.into_iter().filter(|d| !d.trim().is_empty()) {
            let field = |key: &str| {
                doc.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
                    .unwrap_or_default()
            };
            let mut name = slug(&field("title:"));
            if name.is_empty() {
                name = "rule".into();
            }
            if out.iter().any(|(n, _)| *n == format!("{name}.yml")) {
                let id = field("id:");
                name = format!("{name}-{}", id.split('-').next().unwrap_or("2"));
            }
            out.push((format!("{name}.yml"), doc));
        }
    }
    out
}

fn slug(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('_') {
            s.push('_');
        }
    }
    s.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_is_one_rule_per_file() {
        let files = export();
        let docs: usize = BUILTIN
            .iter()
            .map(|(_, t)| t.lines().filter(|l| l.trim_end() == "---").count() + 1)
            .sum();
        assert_eq!(files.len(), docs);
        assert!(files
            .iter()
            .any(|(n, t)| n == "exec_or_attach_into_a_pod.yml"
                && t.lines().any(|l| l == "title: Exec or Attach Into a Pod")));
        for (_, t) in &files {
            assert!(!t.contains("\n---\n"));
            assert!(t.lines().any(|l| l.starts_with("id:")));
        }
    }
}
