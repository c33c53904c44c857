//! Azure AKS diagnostic records (Azure Monitor / Event Hubs / storage
//! exports).
//!
//! Category `kube-audit` and `kube-audit-admin` carry the native audit event
//! in `properties.log`, as a JSON string or as an object. The event is
//! unwrapped into the native audit shape (so native Sigma rules apply) and
//! the Azure wrapper is kept under `cloud`. Event Hubs batches
//! (`{"records":[...]}`, elements possibly JSON strings) are unpacked by the
//! JSON dispatcher. Other categories (kube-apiserver, guard, ...) are not
//! audit: they become generic JSON records with `properties.log` as message.

use super::{audit, jsonl, Out};
use crate::event::{value_at, Format, Location};
use serde_json::{Map, Value};

/// True for an AKS diagnostic record.
pub fn is_record(v: &Value) -> bool {
    v.get("category").and_then(Value::as_str).is_some()
        && v.get("properties").is_some_and(Value::is_object)
}

pub fn convert(v: Value, location: Location, out: &mut Out) -> Result<(), String> {
    let category = v
        .get("category")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let log = value_at(&v, &["properties", "log"]).cloned();
    if !category.starts_with("kube-audit") {
        return jsonl::convert(Format::Jsonl, v, location, out);
    }
    let mut event = match log {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s.trim()).map_err(|e| {
            format!(
                "AKS {category} record: properties.log is not JSON: {}",
                super::json_error(&e)
            )
        })?,
        Some(obj @ Value::Object(_)) => obj,
        _ => return Err(format!("AKS {category} record without properties.log")),
    };
    let mut cloud = Map::new();
    cloud.insert("provider".into(), "azure".into());
    if let Some(obj) = v.as_object() {
        for (k, val) in obj {
            if k == "properties" {
                let mut props = val.as_object().cloned().unwrap_or_default();
                props.remove("log");
                cloud.insert(k.clone(), Value::Object(props));
            } else {
                cloud.insert(k.clone(), val.clone());
            }
        }
    }
    event
        .as_object_mut()
        .ok_or("properties.log is not a JSON object")?
        .insert("cloud".into(), Value::Object(cloud));
    audit::convert(Format::K8sAuditAks, event, location, out)
}
