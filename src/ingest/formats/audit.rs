//! Kubernetes API-server audit events (`audit.k8s.io/v1` and `v1beta1`),
//! one per line, pretty-printed, in a JSON array or in an `EventList`.

use super::Parser;
use crate::event::{Event, Format, Location, Record};
use serde_json::Value;

pub struct AuditParser {
    format: Format,
}

impl AuditParser {
    pub fn new(format: Format) -> Self {
        AuditParser { format }
    }
}

impl Parser for AuditParser {
    fn framed(&self) -> bool {
        true
    }

    fn parse(
        &mut self,
        unit: &str,
        location: Location,
        out: &mut Vec<Record>,
    ) -> Result<(), String> {
        let value: Value = serde_json::from_str(unit).map_err(|e| format!("invalid JSON: {e}"))?;
        if value.get("kind").and_then(Value::as_str) == Some("EventList") {
            let items = value
                .get("items")
                .and_then(Value::as_array)
                .ok_or("EventList without items")?;
            for item in items {
                out.push(audit_record(self.format, item.clone(), location)?);
            }
            return Ok(());
        }
        out.push(audit_record(self.format, value, location)?);
        Ok(())
    }
}

/// Builds a record from an event in the native audit shape.
pub fn audit_record(format: Format, fields: Value, location: Location) -> Result<Record, String> {
    if !fields.is_object() {
        return Err("expected a JSON object".into());
    }
    if fields.get("verb").is_none() && fields.get("auditID").is_none() {
        return Err("no `verb` or `auditID`: not an audit event".into());
    }
    Ok(Record {
        format,
        event: normalize_audit(&fields),
        fields,
        location,
    })
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

fn strings(v: &Value, path: &[&str]) -> Vec<String> {
    let mut cur = v;
    for key in path {
        match cur.get(key) {
            Some(next) => cur = next,
            None => return Vec::new(),
        }
    }
    cur.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Maps a native audit event onto the normalized fields.
pub fn normalize_audit(v: &Value) -> Event {
    let time_text = text(v, &["requestReceivedTimestamp"])
        .or_else(|| text(v, &["stageTimestamp"]))
        .or_else(|| text(v, &["timestamp"]))
        .or_else(|| text(v, &["metadata", "creationTimestamp"]))
        .unwrap_or_default();
    let status = v
        .pointer("/responseStatus/code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok());
    Event {
        time_ns: crate::ingest::time::parse_rfc3339(&time_text),
        time_text,
        namespace: text(v, &["objectRef", "namespace"]),
        pod: (text(v, &["objectRef", "resource"]).as_deref() == Some("pods"))
            .then(|| text(v, &["objectRef", "name"]))
            .flatten(),
        user: text(v, &["user", "username"]),
        groups: strings(v, &["user", "groups"]),
        impersonated_user: text(v, &["impersonatedUser", "username"]),
        source_ips: strings(v, &["sourceIPs"]),
        user_agent: text(v, &["userAgent"]),
        action: text(v, &["verb"]),
        api_group: text(v, &["objectRef", "apiGroup"]),
        resource: text(v, &["objectRef", "resource"]),
        subresource: text(v, &["objectRef", "subresource"]),
        object_name: text(v, &["objectRef", "name"]),
        status,
        success: status.map(|c| c < 400),
        message: text(v, &["requestURI"]),
        ..Default::default()
    }
}
