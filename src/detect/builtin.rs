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
        "k8s_audit_exec_into_pod.yml",
        include_str!("../../rules/builtin/k8s_audit_exec_into_pod.yml"),
    ),
    (
        "k8s_audit_secrets_listed_cluster_wide.yml",
        include_str!("../../rules/builtin/k8s_audit_secrets_listed_cluster_wide.yml"),
    ),
    (
        "k8s_audit_cluster_admin_binding.yml",
        include_str!("../../rules/builtin/k8s_audit_cluster_admin_binding.yml"),
    ),
    (
        "k8s_audit_anonymous_allowed.yml",
        include_str!("../../rules/builtin/k8s_audit_anonymous_allowed.yml"),
    ),
    (
        "k8s_audit_privileged_container.yml",
        include_str!("../../rules/builtin/k8s_audit_privileged_container.yml"),
    ),
    (
        "k8s_audit_forbidden_burst.yml",
        include_str!("../../rules/builtin/k8s_audit_forbidden_burst.yml"),
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
