//! Amazon EKS control-plane audit logs as CloudWatch Logs hands them out.
//!
//! EKS writes the native audit event as the log event's message, so the
//! event itself needs no rewriting; what differs is the wrapper:
//! - `aws logs tail` / subscription text: `<timestamp> <json-audit-event>`
//!   per line (this module's line parser);
//! - JSON exports (`filter-log-events`, Logs Insights) where `message` or
//!   `@message` holds the event as a string (handled via [`unwrap`] from the
//!   JSON dispatcher, which also unpacks `{"events":[...]}`).
//!
//! The CloudWatch wrapper fields are kept under `cloud` so nothing is lost.

use super::{audit, Context, Out, Parser};
use crate::event::{Format, Location};
use serde_json::{Map, Value};

/// Lines `<timestamp> <json-audit-event>`.
pub struct EksParser;

impl EksParser {
    pub fn new(_ctx: &Context) -> Self {
        EksParser
    }
}

impl Parser for EksParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        parse_line(unit, location, out)
    }
}

/// True for `<timestamp> {...}` where the JSON is an audit event.
pub fn looks_like_line(line: &str) -> bool {
    match line.split_once(' ') {
        Some((ts, rest)) => {
            is_timestamp(ts) && rest.trim_start().starts_with('{') && rest.contains("\"auditID\"")
        }
        None => false,
    }
}

fn is_timestamp(ts: &str) -> bool {
    crate::ingest::time::parse_rfc3339(ts).is_some()
        || (ts.len() >= 10 && ts.len() <= 13 && ts.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses one `<timestamp> <json>` line.
pub fn parse_line(unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
    let (ts, rest) = unit
        .split_once(' ')
        .ok_or("expected `<timestamp> <json audit event>`")?;
    if !is_timestamp(ts) {
        return Err(format!("`{}` is not a timestamp", clip(ts)));
    }
    let mut v: Value = serde_json::from_str(rest.trim()).map_err(|e| {
        format!(
            "invalid JSON after the timestamp: {}",
            super::json_error(&e)
        )
    })?;
    if let Some(obj) = v.as_object_mut() {
        let mut cloud = Map::new();
        cloud.insert("provider".into(), "aws".into());
        cloud.insert("timestamp".into(), ts.into());
        obj.insert("cloud".into(), Value::Object(cloud));
    }
    audit::convert(Format::K8sAuditEks, v, location, out)
}

/// The audit event inside a CloudWatch export record, if there is one.
pub fn unwrap(v: &Value) -> Option<Value> {
    let msg = v
        .get("@message")
        .or_else(|| v.get("message"))
        .and_then(Value::as_str)?;
    let msg = msg.trim();
    if !msg.starts_with('{') || !msg.contains("auditID") {
        return None;
    }
    let mut event: Value = serde_json::from_str(msg).ok()?;
    if !audit::is_audit_event(&event) {
        return None;
    }
    let mut cloud = Map::new();
    cloud.insert("provider".into(), "aws".into());
    if let Some(obj) = v.as_object() {
        for (k, val) in obj {
            if k != "@message" && k != "message" {
                cloud.insert(k.clone(), val.clone());
            }
        }
    }
    event
        .as_object_mut()?
        .insert("cloud".into(), Value::Object(cloud));
    Some(event)
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}
