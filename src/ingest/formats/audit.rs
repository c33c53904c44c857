//! Kubernetes API-server audit events (`audit.k8s.io/v1` and `v1beta1`),
//! one per line, pretty-printed, in a JSON array or in an `EventList`.
//!
//! This is the shape every audit variant ends in: EKS, AKS and GKE records
//! are rewritten into it (see their modules) and then go through
//! [`normalize_audit`], so a Sigma rule written for native audit events
//! matches all four without change.

use super::{text_at, Out};
use crate::event::{value_at, Event, Format, Location, Record};
use serde_json::Value;

/// Turns one native audit event into a record in `format`.
pub fn convert(
    format: Format,
    fields: Value,
    location: Location,
    out: &mut Out,
) -> Result<(), String> {
    out.push(audit_record(format, fields, location)?);
    Ok(())
}

/// Builds a record from an event in the native audit shape.
pub fn audit_record(format: Format, fields: Value, location: Location) -> Result<Record, String> {
    if !fields.is_object() {
        return Err("expected a JSON object".into());
    }
    if !is_audit_event(&fields) {
        return Err("no `verb` or `auditID`: not an audit event".into());
    }
    Ok(Record {
        format,
        event: normalize_audit(&fields),
        fields,
        location,
    })
}

/// True when `v` looks like a native audit event.
pub fn is_audit_event(v: &Value) -> bool {
    v.get("verb").is_some() || v.get("auditID").is_some()
}

fn strings(v: &Value, path: &[&str]) -> Vec<String> {
    value_at(v, path)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Maps a native audit event onto the normalized fields.
///
/// `objectRef` and `user` are looked up once and read from there: this
/// runs for every audit event, and each lookup from the top is a search
/// of the event's keys.
pub fn normalize_audit(v: &Value) -> Event {
    let time_text = text_at(v, &["requestReceivedTimestamp"])
        .or_else(|| text_at(v, &["stageTimestamp"]))
        .or_else(|| text_at(v, &["timestamp"]))
        .or_else(|| text_at(v, &["metadata", "creationTimestamp"]))
        .unwrap_or_default();
    let status = value_at(v, &["responseStatus", "code"])
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok());
    let object_ref = v.get("objectRef").unwrap_or(&Value::Null);
    let user = v.get("user").unwrap_or(&Value::Null);
    let resource = text_at(object_ref, &["resource"]);
    let object_name = text_at(object_ref, &["name"]);
    Event {
        time_ns: crate::ingest::time::parse_rfc3339(&time_text),
        time_text,
        namespace: text_at(object_ref, &["namespace"]),
        pod: (resource.as_deref() == Some("pods"))
            .then(|| object_name.clone())
            .flatten(),
        user: text_at(user, &["username"]),
        groups: strings(user, &["groups"]),
        impersonated_user: text_at(v, &["impersonatedUser", "username"]),
        source_ips: strings(v, &["sourceIPs"]),
        user_agent: text_at(v, &["userAgent"]),
        action: text_at(v, &["verb"]),
        api_group: text_at(object_ref, &["apiGroup"]),
        resource,
        subresource: text_at(object_ref, &["subresource"]),
        object_name,
        status,
        success: status.map(|c| c < 400),
        message: text_at(v, &["requestURI"]),
        ..Default::default()
    }
}
