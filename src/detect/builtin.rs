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
