//! Google Cloud Logging entries from GKE (`gcloud logging read` as JSON or
//! YAML, or a Logging export).
//!
//! - Kubernetes audit (`protoPayload` AuditLog with `serviceName k8s.io`):
//!   rewritten into the native audit shape — `methodName`
//!   `io.k8s.core.v1.pods.exec.create` gives verb, apiGroup (reverse-DNS,
//!   `core` → `""`), resource and subresource; `resourceName`
//!   `core/v1/namespaces/ns/pods/name/exec` gives namespace and name;
//!   google.rpc `status.code` becomes an HTTP code; `request`/`response`
//!   become `requestObject`/`responseObject`. The entry minus those bodies
//!   is kept under `cloud`.
//! - Other AuditLog services (GKE control-plane admin operations such as
//!   `google.container.v1.ClusterManager.CreateCluster`): kept as they are
//!   (they are not Kubernetes API calls), normalized from the AuditLog.
//! - `k8s_node` entries (journald records in `jsonPayload`): format
//!   `journald`, host from `resource.labels.node_name`.
//! - `k8s_container` entries: container output, format `cri`, with pod,
//!   namespace and container from the resource labels.
//! - anything else: generic JSON.

use super::{audit, journald, jsonl, klog, text_at, Out};
use crate::event::{value_at, Event, Format, Location, Record};
use crate::ingest::time::parse_rfc3339;
use serde_json::{json, Map, Value};

/// True for a Cloud Logging LogEntry.
pub fn is_entry(v: &Value) -> bool {
    v.get("protoPayload").is_some()
        || (v.get("logName").is_some()
            && (v.get("jsonPayload").is_some() || v.get("textPayload").is_some()))
        || (v.get("insertId").is_some() && v.get("resource").is_some())
}

pub fn convert(v: Value, location: Location, out: &mut Out) -> Result<(), String> {
    if let Some(pp) = v.get("protoPayload") {
        let service = pp.get("serviceName").and_then(Value::as_str).unwrap_or("");
        let method = pp.get("methodName").and_then(Value::as_str).unwrap_or("");
        if service == "k8s.io" || method.starts_with("io.k8s.") {
            let native = to_native(&v)?;
            return audit::convert(Format::K8sAuditGke, native, location, out);
        }
        out.push(admin_record(v, location));
        return Ok(());
    }
    let rtype = text_at(&v, &["resource", "type"]).unwrap_or_default();
    let labels = |k: &str| text_at(&v, &["resource", "labels", k]);
    if let Some(payload) = v.get("jsonPayload").filter(|p| p.is_object()) {
        if rtype == "k8s_node" || journald::is_record(payload) {
            let mut event = journald::normalize(payload);
            if let Some(node) = labels("node_name") {
                event.host = Some(node);
            }
            if event.time_ns.is_none() {
                set_time(&mut event, &v);
            }
            // kubelet writes klog into the journal: its pod/container keys.
            if let Some(k) = event
                .message
                .as_deref()
                .and_then(|m| klog::parse_line(m, location, &mut Default::default(), None))
            {
                event.namespace = k.event.namespace;
                event.pod = k.event.pod;
                event.container = k.event.container;
                event.container_id = k.event.container_id;
            }
            let mut fields = payload.clone();
            attach_cloud(&mut fields, &v, "jsonPayload");
            out.push(Record {
                format: Format::Journald,
                event,
                fields,
                location,
            });
            return Ok(());
        }
    }
    if rtype == "k8s_container" {
        let message = text_at(&v, &["textPayload"])
            .or_else(|| text_at(&v, &["jsonPayload", "message"]))
            .or_else(|| v.get("jsonPayload").map(|p| p.to_string()));
        let mut event = Event {
            namespace: labels("namespace_name"),
            pod: labels("pod_name"),
            container: labels("container_name"),
            host: labels("node_name"),
            message,
            ..Default::default()
        };
        set_time(&mut event, &v);
        out.push(Record {
            format: Format::Cri,
            event,
            fields: v,
            location,
        });
        return Ok(());
    }
    jsonl::convert(Format::Jsonl, v, location, out)
}

fn set_time(event: &mut Event, v: &Value) {
    if let Some(t) = text_at(v, &["timestamp"]).or_else(|| text_at(v, &["receiveTimestamp"])) {
        event.time_ns = parse_rfc3339(&t);
        event.time_text = t;
    }
}

/// Keeps the LogEntry wrapper (minus `skip`) under `cloud`.
fn attach_cloud(fields: &mut Value, entry: &Value, skip: &str) {
    let mut cloud = Map::new();
    cloud.insert("provider".into(), "gcp".into());
    if let Some(obj) = entry.as_object() {
        for (k, val) in obj {
            if k != skip {
                cloud.insert(k.clone(), val.clone());
            }
        }
    }
    if let Some(obj) = fields.as_object_mut() {
        obj.insert("cloud".into(), Value::Object(cloud));
    }
}

/// google.rpc.Code → the HTTP status the API server would have answered.
pub fn rpc_to_http(code: i64) -> u16 {
    match code {
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

/// Groups that are not `<name>.k8s.io` although their method names say so.
const LEGACY_GROUPS: &[&str] = &["apps", "batch", "autoscaling", "policy", "extensions"];

/// Parsed `methodName`: (verb, apiGroup, apiVersion, resource, subresource).
type Method = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// `io.k8s.core.v1.pods.exec.create` → verb, group, version, resource, sub.
pub fn parse_method(method: &str) -> Method {
    let segs: Vec<&str> = method.split('.').collect();
    let verb = segs.last().copied().unwrap_or("").to_string();
    let Some(vi) = segs.iter().position(|s| is_version(s)) else {
        return (verb, None, None, None, None);
    };
    let mut group_segs: Vec<&str> = segs[..vi].to_vec();
    group_segs.reverse();
    let mut group = group_segs.join(".");
    if group == "core.k8s.io" {
        group.clear();
    } else if let Some(prefix) = group.strip_suffix(".k8s.io") {
        if LEGACY_GROUPS.contains(&prefix) {
            group = prefix.to_string();
        }
    }
    let rest = &segs[vi + 1..segs.len() - 1];
    let resource = rest.first().map(|s| s.to_string());
    let sub = (rest.len() > 1).then(|| rest[1..].join("."));
    (verb, Some(group), Some(segs[vi].to_string()), resource, sub)
}

fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    tail.is_empty()
        || ["alpha", "beta"].iter().any(|p| {
            tail.strip_prefix(p)
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// `core/v1/namespaces/ns/pods/name/exec` → (namespace, resource, name, sub).
pub fn parse_resource_name(
    rn: &str,
) -> (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    let segs: Vec<&str> = rn.split('/').filter(|s| !s.is_empty()).collect();
    let rest: &[&str] = if segs.len() >= 2 && is_version(segs[1]) {
        &segs[2..]
    } else {
        return (None, None, None, None);
    };
    let own = |i: usize| rest.get(i).map(|s| s.to_string());
    if rest.first() == Some(&"namespaces") && rest.len() >= 3 {
        (
            own(1),
            own(2),
            own(3),
            (rest.len() > 4).then(|| rest[4..].join("/")),
        )
    } else {
        (
            None,
            own(0),
            own(1),
            (rest.len() > 2).then(|| rest[2..].join("/")),
        )
    }
}

/// Rewrites a GKE Kubernetes audit LogEntry into a native audit event.
pub fn to_native(entry: &Value) -> Result<Value, String> {
    let pp = entry.get("protoPayload").ok_or("no protoPayload")?;
    let method = pp
        .get("methodName")
        .and_then(Value::as_str)
        .ok_or("AuditLog without methodName")?;
    let (verb, group, version, m_resource, m_sub) = parse_method(method);
    let resource_name = text_at(pp, &["resourceName"]).unwrap_or_default();
    let (ns, r_resource, name, r_sub) = parse_resource_name(&resource_name);
    let code = value_at(pp, &["status", "code"])
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let http = rpc_to_http(code);
    let time = text_at(entry, &["timestamp"]).or_else(|| text_at(entry, &["receiveTimestamp"]));
    let mut ev = Map::new();
    ev.insert("kind".into(), "Event".into());
    ev.insert("apiVersion".into(), "audit.k8s.io/v1".into());
    let has_body = pp.get("request").is_some() || pp.get("response").is_some();
    ev.insert(
        "level".into(),
        if has_body {
            "RequestResponse"
        } else {
            "Metadata"
        }
        .into(),
    );
    if let Some(id) = text_at(entry, &["insertId"]).or_else(|| text_at(entry, &["operation", "id"]))
    {
        ev.insert("auditID".into(), id.into());
    }
    ev.insert("stage".into(), "ResponseComplete".into());
    ev.insert("verb".into(), verb.into());
    let mut user = Map::new();
    if let Some(u) = text_at(pp, &["authenticationInfo", "principalEmail"]) {
        user.insert("username".into(), u.into());
    }
    ev.insert("user".into(), Value::Object(user));
    if let Some(ip) = text_at(pp, &["requestMetadata", "callerIp"]) {
        ev.insert("sourceIPs".into(), json!([ip]));
    }
    if let Some(ua) = text_at(pp, &["requestMetadata", "callerSuppliedUserAgent"]) {
        ev.insert("userAgent".into(), ua.into());
    }
    if let Some(resource) = m_resource.or(r_resource) {
        let mut obj = Map::new();
        obj.insert("resource".into(), resource.into());
        if let Some(ns) = ns {
            obj.insert("namespace".into(), ns.into());
        }
        if let Some(name) = name {
            obj.insert("name".into(), name.into());
        }
        obj.insert("apiGroup".into(), group.unwrap_or_default().into());
        if let Some(v) = version {
            obj.insert("apiVersion".into(), v.into());
        }
        if let Some(sub) = m_sub.or(r_sub) {
            obj.insert("subresource".into(), sub.into());
        }
        ev.insert("objectRef".into(), Value::Object(obj));
    } else if !resource_name.is_empty() {
        ev.insert("requestURI".into(), format!("/{resource_name}").into());
    }
    let mut status = Map::new();
    status.insert("code".into(), http.into());
    if let Some(m) = text_at(pp, &["status", "message"]) {
        status.insert("message".into(), m.into());
    }
    ev.insert("responseStatus".into(), Value::Object(status));
    if let Some(t) = time {
        ev.insert("requestReceivedTimestamp".into(), t.clone().into());
        ev.insert("stageTimestamp".into(), t.into());
    }
    if let Some(labels) = entry.get("labels").filter(|l| l.is_object()) {
        ev.insert("annotations".into(), labels.clone());
    }
    if let Some(r) = pp.get("request") {
        ev.insert("requestObject".into(), r.clone());
    }
    if let Some(r) = pp.get("response") {
        ev.insert("responseObject".into(), r.clone());
    }
    let mut original = entry.clone();
    if let Some(p) = original
        .get_mut("protoPayload")
        .and_then(Value::as_object_mut)
    {
        p.remove("request");
        p.remove("response");
    }
    let mut cloud = original.as_object().cloned().unwrap_or_default();
    cloud.insert("provider".into(), "gcp".into());
    ev.insert("cloud".into(), Value::Object(cloud));
    Ok(Value::Object(ev))
}

/// A GCP admin-activity AuditLog entry that is not a Kubernetes API call.
fn admin_record(v: Value, location: Location) -> Record {
    let pp = &v["protoPayload"];
    let code = value_at(pp, &["status", "code"])
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let status = rpc_to_http(code);
    let method = text_at(pp, &["methodName"]);
    let resource = text_at(pp, &["resourceName"]);
    let mut event = Event {
        user: text_at(pp, &["authenticationInfo", "principalEmail"]),
        source_ips: text_at(pp, &["requestMetadata", "callerIp"])
            .into_iter()
            .collect(),
        user_agent: text_at(pp, &["requestMetadata", "callerSuppliedUserAgent"]),
        action: method.clone(),
        object_name: resource.clone(),
        status: Some(status),
        success: Some(status < 400),
        message: Some(
            [method, resource, text_at(pp, &["status", "message"])]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ..Default::default()
    };
    set_time(&mut event, &v);
    Record {
        format: Format::K8sAuditGke,
        event,
        fields: v,
        location,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_map_to_verb_group_resource() {
        let m = parse_method("io.k8s.core.v1.pods.create");
        assert_eq!(
            (m.0.as_str(), m.1.as_deref(), m.3.as_deref()),
            ("create", Some(""), Some("pods"))
        );
        let m = parse_method("io.k8s.authorization.rbac.v1.clusterrolebindings.create");
        assert_eq!(m.1.as_deref(), Some("rbac.authorization.k8s.io"));
        let m = parse_method("io.k8s.apps.v1.deployments.update");
        assert_eq!(m.1.as_deref(), Some("apps"));
        let m = parse_method("io.k8s.core.v1.pods.exec.create");
        assert_eq!(
            (m.3.as_deref(), m.4.as_deref()),
            (Some("pods"), Some("exec"))
        );
        let m = parse_method("io.k8s.get");
        assert_eq!((m.0.as_str(), m.3), ("get", None));
        let r = parse_resource_name("core/v1/namespaces/default/pods/nginx/exec");
        assert_eq!(
            r,
            (
                Some("default".into()),
                Some("pods".into()),
                Some("nginx".into()),
                Some("exec".into())
            )
        );
        assert_eq!(rpc_to_http(7), 403);
        assert_eq!(rpc_to_http(16), 401);
    }
}
