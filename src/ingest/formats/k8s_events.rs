//! Kubernetes Event objects (`kubectl get events -o json`, or one object per
//! line): core/v1 Events (`involvedObject`, `reason`, `message`, `source`)
//! and events.k8s.io/v1 (`regarding`, `note`, `reason`, `reportingController`).
//! Lists (`kind: List` / `EventList`, `items`) are unpacked by the JSON
//! dispatcher. The reason is the action; the object is the one the event is
//! about.

use super::{text_at, Out};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::parse_rfc3339;
use serde_json::Value;

pub fn is_event(v: &Value) -> bool {
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    (kind == "Event" && (api == "v1" || api.starts_with("events.k8s.io/")))
        || v.get("involvedObject").is_some()
        || (v.get("regarding").is_some() && v.get("reason").is_some())
}

pub fn convert(v: Value, location: Location, out: &mut Out) -> Result<(), String> {
    if !is_event(&v) {
        return Err("no involvedObject/regarding: not a Kubernetes Event".into());
    }
    let obj = if v.get("regarding").is_some() {
        "regarding"
    } else {
        "involvedObject"
    };
    let kind = text_at(&v, &[obj, "kind"]);
    let name = text_at(&v, &[obj, "name"]);
    let time_text = text_at(&v, &["eventTime"])
        .or_else(|| text_at(&v, &["lastTimestamp"]))
        .or_else(|| text_at(&v, &["deprecatedLastTimestamp"]))
        .or_else(|| text_at(&v, &["firstTimestamp"]))
        .or_else(|| text_at(&v, &["metadata", "creationTimestamp"]))
        .unwrap_or_default();
    let event = Event {
        time_ns: parse_rfc3339(&time_text),
        time_text,
        host: text_at(&v, &["source", "host"]).or_else(|| text_at(&v, &["reportingInstance"])),
        namespace: text_at(&v, &[obj, "namespace"])
            .or_else(|| text_at(&v, &["metadata", "namespace"])),
        pod: (kind.as_deref() == Some("Pod"))
            .then(|| name.clone())
            .flatten(),
        user: text_at(&v, &["source", "component"])
            .or_else(|| text_at(&v, &["reportingController"]))
            .or_else(|| text_at(&v, &["reportingComponent"])),
        action: text_at(&v, &["reason"]),
        api_group: text_at(&v, &[obj, "apiVersion"]).map(|a| {
            a.rsplit_once('/')
                .map(|(g, _)| g.to_string())
                .unwrap_or_default()
        }),
        resource: kind.map(|k| k.to_lowercase()),
        object_name: name,
        success: text_at(&v, &["type"]).map(|t| t != "Warning"),
        message: text_at(&v, &["note"]).or_else(|| text_at(&v, &["message"])),
        ..Default::default()
    };
    out.push(Record {
        format: Format::K8sEvents,
        event,
        fields: v,
        location,
    });
    Ok(())
}
