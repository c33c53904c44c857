//! Entities: what a record is about, read from its normalized event and a
//! few original fields, and which of them may link findings.

use crate::event::{str_at, value_at, Format, Record};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::IpAddr;

/// An entity: a kind (`identity`, `ip`, `pod`, `container`, `node`, or an
/// object kind such as `secret`, `clusterrolebinding`, `cronjob`) and a name
/// (`ns/name` for namespaced things).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entity {
    pub kind: String,
    pub name: String,
}

impl Entity {
    pub fn new(kind: &str, name: impl Into<String>) -> Entity {
        Entity {
            kind: kind.to_string(),
            name: name.into(),
        }
    }
    /// Sort rank of the kind in lists (the actor first).
    pub fn rank(&self) -> u8 {
        match self.kind.as_str() {
            "identity" => 0,
            "ip" => 1,
            "node" => 2,
            "pod" => 3,
            "container" => 4,
            _ => 5,
        }
    }
}

/// Longest entity name kept (longer names are cut).
const MAX_NAME: usize = 253;

/// Object kinds worth an entity, by audit resource.
fn object_kind(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "secrets" => "secret",
        "roles" => "role",
        "clusterroles" => "clusterrole",
        "rolebindings" => "rolebinding",
        "clusterrolebindings" => "clusterrolebinding",
        "cronjobs" => "cronjob",
        "daemonsets" => "daemonset",
        "deployments" => "deployment",
        "jobs" => "job",
        "mutatingwebhookconfigurations" => "webhook",
        "validatingwebhookconfigurations" => "webhook",
        _ => return None,
    })
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_NAME {
        return s.to_string();
    }
    let mut end = MAX_NAME;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// `ns/name`, or `name` for cluster-scoped things.
pub fn scoped(ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) if !ns.is_empty() => cut(&format!("{ns}/{name}")),
        _ => cut(name),
    }
}

/// Container ids are compared on their first 12 hex digits (Falco's and
/// `crictl`'s short form).
pub fn short_container_id(id: &str) -> String {
    let id = id.rsplit("://").next().unwrap_or(id);
    id.chars().take(12).collect::<String>().to_ascii_lowercase()
}

pub fn service_account_user(ns: &str, name: &str) -> String {
    format!("system:serviceaccount:{ns}:{name}")
}

/// kube-system service accounts of the controller manager and friends:
/// they act all the time and never link findings.
const CONTROLLER_SAS: &[&str] = &[
    "generic-garbage-collector",
    "pod-garbage-collector",
    "horizontal-pod-autoscaler",
    "persistent-volume-binder",
    "attachdetach-controller",
    "kube-proxy",
    "coredns",
    "metrics-server",
];

/// Identities present everywhere (control-plane components, controllers):
/// they never link two findings.
pub fn ubiquitous_identity(user: &str) -> bool {
    if user == "system:anonymous" || user.starts_with("system:node:") {
        return false;
    }
    if let Some(sa) = user.strip_prefix("system:serviceaccount:") {
        let (ns, name) = sa.split_once(':').unwrap_or(("", sa));
        return ns == "kube-system"
            && (name.ends_with("-controller") || CONTROLLER_SAS.contains(&name));
    }
    user.starts_with("system:")
}

/// True for the API server's own identities (their source addresses are
/// the control plane's).
pub fn control_plane_identity(user: &str) -> bool {
    user.starts_with("system:kube-")
        || user == "system:apiserver"
        || user.starts_with("system:serviceaccount:kube-system:")
            && ubiquitous_identity(user)
            && !matches!(
                user,
                "system:serviceaccount:kube-system:kube-proxy"
                    | "system:serviceaccount:kube-system:coredns"
                    | "system:serviceaccount:kube-system:metrics-server"
            )
}

/// Private, loopback, link-local and carrier-grade NAT addresses (the
/// ranges a cluster's nodes and pods live in).
pub fn internal_ip(ip: &str) -> bool {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (s & 0xfe00) == 0xfc00
                || (s & 0xffc0) == 0xfe80
        }
        Err(_) => false,
    }
}

/// Subjects of an RBAC binding in its request body, as identities
/// (`User`, `ServiceAccount`) or `group:<name>`.
pub fn binding_subjects(fields: &Value) -> Vec<String> {
    let Some(subjects) = value_at(fields, &["requestObject", "subjects"]).and_then(Value::as_array)
    else {
        return Vec::new();
    };
    subjects
        .iter()
        .take(16)
        .filter_map(|s| {
            let name = s.get("name")?.as_str()?;
            match s.get("kind").and_then(Value::as_str) {
                Some("ServiceAccount") => {
                    let ns = s
                        .get("namespace")
                        .and_then(Value::as_str)
                        .unwrap_or("default");
                    Some(service_account_user(ns, name))
                }
                Some("Group") => Some(format!("group:{name}")),
                _ => Some(name.to_string()),
            }
        })
        .collect()
}

/// The node a pod create or a binding puts a pod on.
pub fn scheduled_node(record: &Record) -> Option<(String, String)> {
    let e = &record.event;
    if !record.format.is_audit() || e.resource.as_deref() != Some("pods") {
        return None;
    }
    let ns = e.namespace.as_deref()?;
    let f = &record.fields;
    let node = match e.subresource.as_deref() {
        Some("binding") => str_at(f, &["requestObject", "target", "name"])?,
        None if e.action.as_deref() == Some("create") => {
            str_at(f, &["requestObject", "spec", "nodeName"])?
        }
        _ => return None,
    };
    let pod = e
        .pod
        .as_deref()
        .or_else(|| str_at(f, &["requestObject", "metadata", "name"]))?;
    Some((scoped(Some(ns), pod), node.to_string()))
}

/// The pod a service-account token was bound to (`user.extra`).
pub fn token_pod(record: &Record) -> Option<String> {
    let extra = value_at(&record.fields, &["user", "extra"])?;
    let pod = extra
        .get("authentication.kubernetes.io/pod-name")?
        .get(0)?
        .as_str()?;
    let user = record.event.user.as_deref()?;
    let ns = user
        .strip_prefix("system:serviceaccount:")?
        .split(':')
        .next()?;
    Some(scoped(Some(ns), pod))
}

/// `(address, what it belongs to)` pairs.
pub type AddressPairs = Vec<(String, String)>;

/// Addresses a record ties to pods and nodes: `(ip, "ns/pod")` pairs and
/// `(ip, node)` pairs. Hubble names the pod at each end of a flow; an audit
/// event carrying a pod's status (`pods/status` from the kubelet, or any
/// pod object in a response) names its `podIP`s and its node's `hostIP`.
pub fn addresses(record: &Record) -> (AddressPairs, AddressPairs) {
    let mut pods = Vec::new();
    let mut nodes = Vec::new();
    let e = &record.event;
    if record.format == Format::Hubble {
        if let (Some(ns), Some(pod), Some(ip)) = (&e.namespace, &e.pod, e.source_ips.first()) {
            pods.push((ip.clone(), scoped(Some(ns), pod)));
        }
        if let Some(n) = &e.network {
            if let (Some(ns), Some(pod), Some(ip)) = (&n.dst_namespace, &n.dst_pod, &n.dst_ip) {
                pods.push((ip.clone(), scoped(Some(ns), pod)));
            }
        }
    } else if record.format.is_audit() && e.resource.as_deref() == Some("pods") {
        for body in ["requestObject", "responseObject"] {
            let Some(obj) = record.fields.get(body) else {
                continue;
            };
            let ns = e.namespace.as_deref();
            let name = e
                .pod
                .as_deref()
                .or_else(|| str_at(obj, &["metadata", "name"]));
            if let Some(name) = name {
                let mut ips: Vec<&str> = str_at(obj, &["status", "podIP"]).into_iter().collect();
                if let Some(list) = value_at(obj, &["status", "podIPs"]).and_then(Value::as_array) {
                    ips.extend(list.iter().filter_map(|i| str_at(i, &["ip"])));
                }
                for ip in ips {
                    let pair = (ip.to_string(), scoped(ns, name));
                    if !pods.contains(&pair) {
                        pods.push(pair);
                    }
                }
            }
            let node = str_at(obj, &["spec", "nodeName"]).or_else(|| {
                e.user
                    .as_deref()
                    .and_then(|u| u.strip_prefix("system:node:"))
            });
            if let (Some(host), Some(node)) = (str_at(obj, &["status", "hostIP"]), node) {
                nodes.push((host.to_string(), node.to_string()));
            }
        }
    }
    (pods, nodes)
}

/// What a finding on `record` is about: everything it names, except, for
/// CoreDNS and ingress-nginx lines, the pod and container that logged
/// them — the resolver or controller serves everyone, the actor is the
/// client address.
pub fn finding_entities(record: &Record) -> Vec<Entity> {
    let mut out = extract(record);
    if matches!(record.format, Format::CoreDns | Format::IngressNginx) {
        let own = match (&record.event.namespace, &record.event.pod) {
            (Some(ns), Some(pod)) => Some(scoped(Some(ns), pod)),
            _ => None,
        };
        out.retain(|e| {
            e.kind != "container" && !(e.kind == "pod" && Some(&e.name) == own.as_ref())
        });
    }
    out
}

/// Everything a record names, unfiltered.
pub fn extract(record: &Record) -> Vec<Entity> {
    let e = &record.event;
    let mut out: Vec<Entity> = Vec::new();
    let mut push = |k: &str, n: String| {
        let ent = Entity::new(k, n);
        if !out.contains(&ent) {
            out.push(ent);
        }
    };
    if let Some(u) = &e.user {
        // A failed login names a user that may not even exist.
        let node_log = matches!(record.format, Format::Syslog | Format::Journald);
        if record.format.is_audit() || (node_log && e.success != Some(false)) {
            push("identity", cut(u));
            if let Some(node) = u.strip_prefix("system:node:") {
                push("node", cut(node));
            }
        }
    }
    if let Some(u) = &e.impersonated_user {
        push("identity", cut(u));
    }
    for ip in e.source_ips.iter().take(4) {
        push("ip", cut(ip));
    }
    if let Some(h) = &e.host {
        if !record.format.is_audit() {
            push("node", cut(h));
        }
    }
    if let Some(n) = &e.network {
        // The other end of a flow: a pod by name, else its address (a DNS
        // flow's other end is the cluster's resolver, shared by all).
        if let (Some(ns), Some(pod)) = (&n.dst_namespace, &n.dst_pod) {
            push("pod", scoped(Some(ns), pod));
        } else if let (Some(ip), None) = (&n.dst_ip, &n.query) {
            push("ip", cut(ip));
        }
    }
    if let (Some(ns), Some(pod)) = (&e.namespace, &e.pod) {
        push("pod", scoped(Some(ns), pod));
    }
    if let Some(id) = &e.container_id {
        let id = short_container_id(id);
        if id.len() == 12 {
            push("container", id);
        }
    }
    if record.format.is_audit() {
        let ns = e.namespace.as_deref();
        if let (Some(res), Some(name)) = (e.resource.as_deref(), e.object_name.as_deref()) {
            if res == "serviceaccounts" {
                push(
                    "identity",
                    service_account_user(ns.unwrap_or("default"), name),
                );
            } else if let Some(kind) = object_kind(res) {
                push(kind, scoped(ns, name));
            }
        }
        if let Some(res) = e.resource.as_deref() {
            if res.ends_with("bindings") && e.action.as_deref() == Some("create") {
                for s in binding_subjects(&record.fields) {
                    if !s.starts_with("group:") {
                        push("identity", cut(&s));
                    }
                }
            }
        }
        if let Some((_, node)) = scheduled_node(record) {
            push("node", cut(&node));
        }
        if let Some(pod) = token_pod(record) {
            push("pod", pod);
        }
    }
    out
}
