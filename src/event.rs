//! The normalized event: one shape for every log format Spoor reads.
//!
//! Parsers fill what their format knows and leave the rest empty. The
//! original record stays reachable two ways: its fields as JSON (what Sigma
//! rules match on) while it streams past detection, and its location in the
//! input (line and byte offset) so the raw text can be re-read on demand.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The log formats Spoor recognises. The names are part of the report
/// contract (`inputs[].format`), so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Format {
    #[serde(rename = "k8s-audit")]
    K8sAudit,
    #[serde(rename = "k8s-audit-eks")]
    K8sAuditEks,
    #[serde(rename = "k8s-audit-aks")]
    K8sAuditAks,
    #[serde(rename = "k8s-audit-gke")]
    K8sAuditGke,
    /// Audit events shipped by Filebeat/Elastic Agent (`kubernetes.audit.*`).
    #[serde(rename = "k8s-audit-ecs")]
    K8sAuditEcs,
    #[serde(rename = "cri")]
    Cri,
    #[serde(rename = "docker-json")]
    DockerJson,
    #[serde(rename = "klog")]
    Klog,
    #[serde(rename = "syslog")]
    Syslog,
    #[serde(rename = "journald")]
    Journald,
    #[serde(rename = "falco")]
    Falco,
    #[serde(rename = "k8s-events")]
    K8sEvents,
    #[serde(rename = "jsonl")]
    Jsonl,
    #[serde(rename = "logfmt")]
    Logfmt,
    #[serde(rename = "text")]
    Text,
    /// Container lines shipped by Fluent Bit / Fluentd with Kubernetes metadata.
    #[serde(rename = "fluent-bit")]
    FluentBit,
    /// Container lines shipped as ECS documents (Filebeat, Elastic Agent).
    #[serde(rename = "ecs")]
    Ecs,
    /// Lines exported from Loki whose content is no other known format.
    #[serde(rename = "loki")]
    Loki,
}

impl Format {
    pub const ALL: [Format; 18] = [
        Format::K8sAudit,
        Format::K8sAuditEks,
        Format::K8sAuditAks,
        Format::K8sAuditGke,
        Format::Cri,
        Format::DockerJson,
        Format::Klog,
        Format::Syslog,
        Format::Journald,
        Format::Falco,
        Format::K8sEvents,
        Format::Jsonl,
        Format::Logfmt,
        Format::Text,
        Format::K8sAuditEcs,
        Format::FluentBit,
        Format::Ecs,
        Format::Loki,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::K8sAudit => "k8s-audit",
            Format::K8sAuditEks => "k8s-audit-eks",
            Format::K8sAuditAks => "k8s-audit-aks",
            Format::K8sAuditGke => "k8s-audit-gke",
            Format::Cri => "cri",
            Format::DockerJson => "docker-json",
            Format::Klog => "klog",
            Format::Syslog => "syslog",
            Format::Journald => "journald",
            Format::Falco => "falco",
            Format::K8sEvents => "k8s-events",
            Format::Jsonl => "jsonl",
            Format::Logfmt => "logfmt",
            Format::Text => "text",
            Format::K8sAuditEcs => "k8s-audit-ecs",
            Format::FluentBit => "fluent-bit",
            Format::Ecs => "ecs",
            Format::Loki => "loki",
        }
    }

    /// True for every variant of the API server's audit log, native or as a
    /// cloud exports it: they all normalize to the same audit fields.
    pub fn is_audit(self) -> bool {
        matches!(
            self,
            Format::K8sAudit
                | Format::K8sAuditEks
                | Format::K8sAuditAks
                | Format::K8sAuditGke
                | Format::K8sAuditEcs
        )
    }

    /// True for container stdout/stderr lines, read on the node or shipped
    /// by a log pipeline.
    pub fn is_container(self) -> bool {
        matches!(
            self,
            Format::Cri | Format::DockerJson | Format::FluentBit | Format::Ecs | Format::Loki
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format '{s}': use one of {}", names.join(", "))
            })
    }
}

/// Where a record lives in its input: enough to re-read the raw text later
/// without keeping it in memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// 1-based line of the record's first line.
    pub line: u64,
    /// How many lines the record spans (a pretty-printed JSON record spans many).
    pub lines: u32,
    /// Byte offset of the record's first byte in the decoded stream.
    pub offset: u64,
    /// Length of the record in bytes.
    pub len: u64,
}

/// One normalized event. Every field is optional except where the record
/// lives; parsers fill what their format carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Nanoseconds since the Unix epoch, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ns: Option<i64>,
    /// The time as the log wrote it, for display.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub time_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// The acting identity: a user, a service account or a system principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub source_ips: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// What was done: an audit verb, an sshd action, a Falco rule name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_name: Option<String>,
    /// HTTP status for API calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A parsed record on its way through the pipeline: the normalized event,
/// the original fields (for Sigma), and where it came from.
#[derive(Debug, Clone)]
pub struct Record {
    pub format: Format,
    pub event: Event,
    /// The record's fields by their original names. Cloud audit variants are
    /// rewritten into the native audit shape so one rule serves them all.
    pub fields: serde_json::Value,
    pub location: Location,
}
