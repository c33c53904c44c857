//! Falco JSON alerts (`json_output: true`): `rule`, `priority`, `time`,
//! `output`, `output_fields` (`k8s.ns.name`, `k8s.pod.name`, `container.id`,
//! `user.name`, ...). Each alert is already a detection; it is normalized so
//! it lands on the same timeline as the audit events that explain it.

use super::{text_at, Out};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::parse_rfc3339;
use serde_json::Value;

pub fn is_alert(v: &Value) -> bool {
    v.get("rule").is_some()
        && v.get("priority").is_some()
        && (v.get("output").is_some() || v.get("output_fields").is_some())
}

pub fn convert(v: Value, location: Location, out: &mut Out) -> Result<(), String> {
    if !is_alert(&v) {
        return Err("no `rule`, `priority` and `output`: not a Falco alert".into());
    }
    let of = |k: &str| {
        v.get("output_fields")
            .and_then(|o| o.get(k))
            .and_then(|x| match x {
                Value::String(s) if !s.is_empty() && s != "<NA>" => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    };
    let time_text = text_at(&v, &["time"]).unwrap_or_default();
    let event = Event {
        time_ns: parse_rfc3339(&time_text),
        time_text,
        host: text_at(&v, &["hostname"]),
        namespace: of("k8s.ns.name"),
        pod: of("k8s.pod.name"),
        container: of("container.name"),
        container_id: of("container.id"),
        user: of("user.name"),
        action: text_at(&v, &["rule"]),
        message: text_at(&v, &["output"]),
        ..Default::default()
    };
    out.push(Record {
        format: Format::Falco,
        event,
        fields: v,
        location,
    });
    Ok(())
}
