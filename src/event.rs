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
    /// Cilium Hubble flows (`hubble observe -o json` / `-o jsonpb`).
    #[serde(rename = "hubble")]
    Hubble,
    /// AWS VPC flow log records (default v2 or a custom field list).
    #[serde(rename = "vpc-flow")]
    VpcFlow,
    /// CoreDNS `log` plugin lines read from a CoreDNS container log.
    #[serde(rename = "coredns")]
    CoreDns,
    /// ingress-nginx access lines read from its container log.
    #[serde(rename = "ingress-nginx")]
    IngressNginx,
}

impl Format {
    pub const ALL: [Format; 22] = [
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
        Format::Hubble,
        Format::VpcFlow,
        Format::CoreDns,
        Format::IngressNginx,
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
            Format::Hubble => "hubble",
            Format::VpcFlow => "vpc-flow",
            Format::CoreDns => "coredns",
            Format::IngressNginx => "ingress-nginx",
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
    /// by a log pipeline. CoreDNS and ingress-nginx lines are container
    /// lines whose message Spoor also understands.
    pub fn is_container(self) -> bool {
        matches!(
            self,
            Format::Cri
                | Format::DockerJson
                | Format::FluentBit
                | Format::Ecs
                | Format::Loki
                | Format::CoreDns
                | Format::IngressNginx
        )
    }

    /// True for network flow records (who talked to whom on which port).
    pub fn is_flow(self) -> bool {
        matches!(self, Format::Hubble | Format::VpcFlow)
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
    /// What a network record says about the connection (flows, DNS
    /// queries, ingress requests); the source side is `source_ips` and
    /// `namespace`/`pod`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub network: Option<Box<Network>>,
}

/// The connection a network record describes, beyond the source address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// `tcp`, `udp`, `icmp`, or the protocol number as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_pod: Option<String>,
    /// The verdict on the connection: `FORWARDED`/`DROPPED` (Hubble),
    /// `ACCEPT`/`REJECT` (VPC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// A DNS query name, lowercase, without the trailing dot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_type: Option<String>,
    /// The query's registered-looking domain (its last two labels): what
    /// DNS tunnels keep constant while the labels in front change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_domain: Option<String>,
    /// Length of the query's longest label (tunnels pack data into labels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_longest_label: Option<u16>,
    /// Shannon entropy of the longest label, bits per character, rounded
    /// to two decimals (encoded data is near 4 and above, words lower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_entropy: Option<f64>,
    /// Bytes transferred, when the record counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl Network {
    /// A DNS query: the name as asked (trailing dot and case dropped) and
    /// the measures tunnelling rules look at.
    pub fn with_query(mut self, name: &str, qtype: Option<&str>) -> Network {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = name.split('.').filter(|l| !l.is_empty()).collect();
        let longest = labels.iter().copied().max_by_key(|l| l.len()).unwrap_or("");
        self.query_longest_label = Some(longest.len().min(u16::MAX as usize) as u16);
        self.query_entropy = Some((shannon_entropy(longest) * 100.0).round() / 100.0);
        if labels.len() >= 2 {
            self.query_domain = Some(labels[labels.len() - 2..].join("."));
        }
        self.query_type = qtype.map(str::to_string);
        self.query = Some(name);
        self
    }
}

/// Shannon entropy of `s` in bits per byte (0 for the empty string).
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
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

/// The value under a path of object keys in `v`, one key per step.
///
/// For the per-record paths: `Value::pointer` allocates two strings per
/// step to unescape its `/a/b` text.
pub fn value_at<'v>(v: &'v serde_json::Value, path: &[&str]) -> Option<&'v serde_json::Value> {
    path.iter()
        .try_fold(v, |cur, key| cur.as_object()?.get(*key))
}

/// The non-empty string under `path` in `v` (see [`value_at`]).
pub fn str_at<'v>(v: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    value_at(v, path)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
}
