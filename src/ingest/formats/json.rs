//! The JSON dispatcher: every JSON input goes through here.
//!
//! Each framed document is classified on its own (see [`classify`]), so a
//! file that mixes formats — the Elastic audit fixture has native, GKE and
//! AKS records in one file — is read without losing a line. Wrappers are
//! unpacked first: Event Hubs `{"records":[...]}` (elements may be JSON
//! strings), CloudWatch `{"events":[...]}`, Kubernetes `List`/`EventList`
//! `items`. Non-JSON lines inside a JSON input are tried as CRI or EKS
//! `<timestamp> <json>` lines before being reported.
//!
//! With a forced format (`--input-format`) documents are read as that
//! format only, and ones that do not fit are reported unparsed.

use super::{
    aks, audit, container, eks, falco, gke, hubble, journald, jsonl, k8s_events, pipeline, Context,
    Out, Parser,
};
use crate::event::{Format, Location};
use serde_json::Value;

/// How deep wrappers may nest before a document is taken as is.
const MAX_UNWRAP: u32 = 4;

pub struct JsonParser {
    forced: Option<Format>,
    container: container::ContainerParser,
}

impl JsonParser {
    pub fn new(forced: Option<Format>, ctx: &Context) -> Self {
        JsonParser {
            forced,
            container: container::ContainerParser::new(ctx),
        }
    }

    /// Reads one parsed document (used by the YAML parser too).
    pub fn document(&mut self, v: Value, location: Location, out: &mut Out) -> Result<(), String> {
        self.value(v, location, out, 0)
    }

    fn value(
        &mut self,
        v: Value,
        location: Location,
        out: &mut Out,
        depth: u32,
    ) -> Result<(), String> {
        if self.forced.is_none_or(Format::is_audit) && is_plain_audit(&v) {
            return audit::convert(Format::K8sAudit, v, location, out);
        }
        let v = pipeline::unwrap_hit(v);
        if depth < MAX_UNWRAP {
            let items = pipeline::expand(&v).or_else(|| wrapped_items(&v).cloned());
            if let Some(items) = items {
                let mut first_err = None;
                for item in items {
                    let item = match item {
                        Value::String(s) if s.trim_start().starts_with('{') => {
                            match serde_json::from_str::<Value>(s.trim()) {
                                Ok(v) => v,
                                Err(e) => {
                                    first_err.get_or_insert(format!(
                                        "batch element is not JSON: {}",
                                        super::json_error(&e)
                                    ));
                                    continue;
                                }
                            }
                        }
                        other => other,
                    };
                    if let Err(e) = self.value(item, location, out, depth + 1) {
                        first_err.get_or_insert(e);
                    }
                }
                return match first_err {
                    Some(e) if out.units.is_empty() => Err(e),
                    Some(e) => {
                        out.info(
                            location.line,
                            format!("some batch elements were skipped: {e}"),
                        );
                        Ok(())
                    }
                    None => Ok(()),
                };
            }
        }
        let class = classify(&v);
        let format = match self.forced {
            None => class,
            Some(f) if f == Format::Jsonl || f == Format::Text => Format::Jsonl,
            Some(f) if f.is_audit() && class.is_audit() => class,
            Some(f) => f,
        };
        match format {
            Format::K8sAudit => {
                if let Some(inner) = eks::unwrap(&v) {
                    return audit::convert(Format::K8sAuditEks, inner, location, out);
                }
                audit::convert(Format::K8sAudit, v, location, out)
            }
            Format::K8sAuditEks => {
                let inner = eks::unwrap(&v).ok_or("no audit event in `message`/`@message`")?;
                audit::convert(Format::K8sAuditEks, inner, location, out)
            }
            Format::K8sAuditAks => aks::convert(v, location, out),
            Format::K8sAuditGke => gke::convert(v, location, out),
            Format::Falco => falco::convert(v, location, out),
            Format::Hubble => hubble::convert(v, location, out),
            Format::K8sEvents => k8s_events::convert(v, location, out),
            Format::Journald => journald::convert(v, location, out),
            Format::DockerJson | Format::Cri => self.container.docker(&v, location, out),
            Format::K8sAuditEcs => {
                let a = pipeline::ecs_audit(&v).ok_or("no `kubernetes.audit` event")?;
                audit::convert(Format::K8sAuditEcs, a, location, out)
            }
            Format::FluentBit | Format::Ecs | Format::Loki => {
                self.shipped(format, v, location, out, depth)
            }
            _ => jsonl::convert(Format::Jsonl, v, location, out),
        }
    }
}

impl JsonParser {
    /// A line shipped by a log pipeline: read as the format it is in (an
    /// audit event inside a Loki line is an audit event), else as the
    /// container's message with the pipeline's metadata.
    fn shipped(
        &mut self,
        format: Format,
        v: Value,
        location: Location,
        out: &mut Out,
        depth: u32,
    ) -> Result<(), String> {
        let kind = pipeline::kind(&v)
            .filter(|k| k.format() == format)
            .ok_or_else(|| format!("not a {format} record"))?;
        let (line, meta) = pipeline::shipped(kind, &v).ok_or("no shipped line")?;
        let t = line.trim();
        if depth < MAX_UNWRAP && t.starts_with('{') {
            if let Ok(inner) = serde_json::from_str::<Value>(t) {
                let c = classify(&inner);
                if !matches!(c, Format::Jsonl | Format::DockerJson) && !c.is_container() {
                    return self.value(inner, location, out, depth + 1);
                }
            }
        }
        if eks::looks_like_line(t) && eks::parse_line(t, location, out).is_ok() {
            return Ok(());
        }
        out.push(pipeline::container_record(format, v, &line, meta, location));
        Ok(())
    }
}

/// The elements of a wrapper document, if `v` is one.
fn wrapped_items(v: &Value) -> Option<&Vec<Value>> {
    match v {
        Value::Array(a) => Some(a),
        Value::Object(o) => {
            if o.len() <= 3 {
                if let Some(Value::Array(a)) = o.get("records") {
                    return Some(a);
                }
            }
            if let Some(Value::Array(a)) = o.get("events") {
                if a.first().is_some_and(|e| e.get("message").is_some()) {
                    return Some(a);
                }
            }
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            if kind == "List" || kind.ends_with("List") {
                if let Some(Value::Array(a)) = o.get("items") {
                    return Some(a);
                }
            }
            None
        }
        _ => None,
    }
}

/// Whether a top-level key makes a document something other than a
/// native audit event: a wrapper, a search hit, a pipeline's or a cloud's
/// envelope. Every check [`JsonParser::value`] and [`classify`] make
/// before they settle on native audit needs one of these keys.
fn is_envelope_key(key: &str) -> bool {
    matches!(
        key,
        "_source"
            | "hits"
            | "data"
            | "records"
            | "events"
            | "items"
            | "kubernetes"
            | "line"
            | "log"
            | "message"
            | "@message"
            | "protoPayload"
            | "logName"
            | "insertId"
            | "category"
    )
}

/// A native audit event with no envelope key ([`is_envelope_key`]): what the full
/// dispatch would find, told from one pass over the keys. Almost every
/// document of an audit log is one, and the full dispatch looks up some
/// thirty keys to rule the others out.
fn is_plain_audit(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    !o.keys().any(|k| is_envelope_key(k)) && is_native_audit(v)
}

/// What a native audit event says of itself: `audit.k8s.io` events, or
/// any document with an `auditID` and a `verb`.
fn is_native_audit(v: &Value) -> bool {
    let text = |key| v.get(key).and_then(Value::as_str).unwrap_or("");
    (text("apiVersion").starts_with("audit.k8s.io/") && text("kind") == "Event")
        || (v.get("auditID").is_some() && v.get("verb").is_some())
}

/// The format one JSON document is in.
pub fn classify(v: &Value) -> Format {
    if !v.is_object() {
        return Format::Jsonl;
    }
    if let Some(k) = pipeline::kind(v) {
        return k.format();
    }
    if gke::is_entry(v) {
        return Format::K8sAuditGke;
    }
    if aks::is_record(v) {
        let cat = v.get("category").and_then(Value::as_str).unwrap_or("");
        return if cat.starts_with("kube-audit") {
            Format::K8sAuditAks
        } else {
            Format::Jsonl
        };
    }
    if eks::unwrap(v).is_some() {
        return Format::K8sAuditEks;
    }
    if is_native_audit(v) {
        return Format::K8sAudit;
    }
    if hubble::is_flow(v) {
        return Format::Hubble;
    }
    if falco::is_alert(v) {
        return Format::Falco;
    }
    if k8s_events::is_event(v) {
        return Format::K8sEvents;
    }
    if journald::is_record(v) {
        return Format::Journald;
    }
    if let Some(o) = v.as_object() {
        if o.get("log").is_some_and(Value::is_string)
            && o.keys()
                .all(|k| matches!(k.as_str(), "log" | "stream" | "time" | "attrs"))
        {
            return Format::DockerJson;
        }
    }
    Format::Jsonl
}

impl Parser for JsonParser {
    fn framed(&self) -> bool {
        true
    }

    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        // Only leading space is dropped: a CRI line's trailing spaces are
        // part of its message.
        let t = unit.trim_start();
        if !(t.starts_with('{') || t.starts_with('[')) {
            if container::split_cri(t).is_some() {
                return self.container.cri(t, location, out);
            }
            if eks::looks_like_line(t) {
                return eks::parse_line(t, location, out);
            }
            return Err("not JSON".into());
        }
        let v: Value = serde_json::from_str(t)
            .map_err(|e| format!("invalid JSON: {}", super::json_error(&e)))?;
        self.value(v, location, out, 0)
    }

    fn parse_whole(
        &mut self,
        unit: &str,
        location: Location,
        out: &mut Out,
    ) -> Option<Result<(), String>> {
        let v: Value = serde_json::from_str(unit).ok()?;
        Some(self.value(v, location, out, 0))
    }

    fn finish(&mut self, out: &mut Out) {
        self.container.finish(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn formats(v: Value) -> Vec<Format> {
        let ctx = Context {
            path: "case.json".into(),
            years: Default::default(),
        };
        let mut out = Out::default();
        let _ = JsonParser::new(None, &ctx).document(v, Location::default(), &mut out);
        out.units.into_iter().map(|u| u.build().format).collect()
    }

    /// An audit event with each envelope key, shaped so the full dispatch
    /// reads it as something else: the native-audit shortcut must step
    /// aside for every one (drop a key from `is_envelope_key` and its case
    /// fails).
    #[test]
    fn the_audit_shortcut_steps_aside_for_every_envelope() {
        let audit = json!({"apiVersion": "audit.k8s.io/v1", "kind": "Event",
            "auditID": "a1", "verb": "get", "user": {"username": "alice"}});
        let docker = json!({"log": "hello\n", "stream": "stdout", "time": "2026-01-01T00:00:00Z"});
        let with = |base: &Value, extra: Value| {
            let mut v = base.clone();
            let fields = v.as_object_mut().unwrap();
            fields.extend(extra.as_object().unwrap().clone());
            v
        };
        let bare = json!({"auditID": "a1", "verb": "get"});
        let cases = [
            (
                "_source",
                with(&audit, json!({"_index": "i", "_source": docker})),
            ),
            (
                "hits",
                with(&audit, json!({"took": 1, "hits": {"hits": [docker]}})),
            ),
            (
                "data",
                with(
                    &audit,
                    json!({"data": {"result": [{"stream": {}, "values": [["1", "hi"]]}]}}),
                ),
            ),
            ("records", with(&bare, json!({"records": [docker]}))),
            (
                "events",
                with(&audit, json!({"events": [{"message": "hi"}]})),
            ),
            (
                "items",
                with(&bare, json!({"kind": "EventList", "items": [docker]})),
            ),
            (
                "kubernetes",
                with(&audit, json!({"kubernetes": {"audit": {"verb": "list"}}})),
            ),
            ("line", with(&audit, json!({"line": "hi", "labels": {}}))),
            ("log", with(&audit, json!({"log": "hi", "date": 1}))),
            (
                "message",
                with(
                    &audit,
                    json!({"message": "hi", "@timestamp": "t", "ecs": {"version": "8"}}),
                ),
            ),
            (
                "@message",
                with(
                    &audit,
                    json!({"@message": "{\"auditID\": \"b\", \"verb\": \"list\"}"}),
                ),
            ),
            (
                "protoPayload",
                with(&audit, json!({"protoPayload": {"serviceName": "x"}})),
            ),
            (
                "logName",
                with(&audit, json!({"logName": "l", "textPayload": "hi"})),
            ),
            (
                "insertId",
                with(&audit, json!({"insertId": "1", "resource": {}})),
            ),
            (
                "category",
                with(&audit, json!({"category": "other", "properties": {}})),
            ),
        ];
        for (key, doc) in cases {
            assert!(is_envelope_key(key), "{key}");
            let got = formats(doc.clone());
            assert!(
                !got.contains(&Format::K8sAudit),
                "{key}: {got:?} from {doc}"
            );
        }
        assert_eq!(formats(audit), [Format::K8sAudit]);
        assert_eq!(formats(bare), [Format::K8sAudit]);
    }
}
