//! Records from a central log pipeline, mapped onto the shapes the rules
//! already know.
//!
//! - **Elasticsearch / OpenSearch exports**: a `_search` response
//!   (`hits.hits[]._source`), `elasticdump` lines and single hits
//!   (`{"_index","_id","_source"}`), NDJSON of `_source` documents, and
//!   `elastic-package` pipeline test outputs (`{"expected":[...]}`) are
//!   unwrapped to their documents ([`expand`], [`unwrap_hit`]).
//! - **ECS** documents from Filebeat / Elastic Agent: `kubernetes.audit.*`
//!   is rebuilt into a native audit event (format `k8s-audit-ecs`; the
//!   ingest pipeline's `authorization_k8s_io/…` annotation keys get their
//!   dots back, and `@timestamp` stands in for missing timestamps). Other
//!   documents with Kubernetes or container metadata (`kubernetes.pod.name`,
//!   `container.id`, `log.file.path`, `orchestrator.*`) and a `message`
//!   become container records (format `ecs`).
//! - **Fluent Bit / Fluentd** records with Kubernetes metadata (`log`,
//!   `stream`, `kubernetes.pod_name`, `namespace_name`, `container_name`,
//!   `container_id`, `host`, `labels`) become container records (format
//!   `fluent-bit`).
//! - **Loki**: `logcli query --output=jsonl` lines
//!   (`{"labels":{…},"line":"…","timestamp":"…"}`) and query API responses
//!   (`{"data":{"result":[{"stream":{…},"values":[[ns,"line"],…]}]}}`).
//!
//! In every case the shipped line itself is sniffed: a JSON audit event (or
//! Falco alert, Kubernetes Event…) is read as that format, a CRI line gives
//! its own time and stream, anything else is the container's message.
//! Container records carry the fields of node container logs (`log`,
//! `stream`, `time`, `kubernetes.{namespace_name,pod_name,container_name,
//! container_id,host}`, `log_json`) next to the shipped document's own.

use super::{container, text_at};
use crate::event::{value_at, Event, Format, Location, Record};
use crate::ingest::time::{format_rfc3339, parse_rfc3339};
use serde_json::{json, Map, Value};

/// What kind of pipeline document `v` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    EcsAudit,
    EcsContainer,
    FluentBit,
    LokiLine,
}

impl Kind {
    pub fn format(self) -> Format {
        match self {
            Kind::EcsAudit => Format::K8sAuditEcs,
            Kind::EcsContainer => Format::Ecs,
            Kind::FluentBit => Format::FluentBit,
            Kind::LokiLine => Format::Loki,
        }
    }
}

pub fn kind(v: &Value) -> Option<Kind> {
    let o = v.as_object()?;
    if let Some(a) = value_at(v, &["kubernetes", "audit"]) {
        if a.get("verb").is_some() || a.get("auditID").is_some() {
            return Some(Kind::EcsAudit);
        }
    }
    if o.get("line").is_some_and(Value::is_string) && o.get("labels").is_some_and(Value::is_object)
    {
        return Some(Kind::LokiLine);
    }
    let k8s = o.get("kubernetes");
    if o.get("log").is_some_and(Value::is_string) {
        let meta = k8s.is_some_and(|k| {
            k.get("pod_name").is_some()
                || k.get("namespace_name").is_some()
                || k.get("container_name").is_some()
        });
        if meta || o.contains_key("date") || o.contains_key("@timestamp") {
            return Some(Kind::FluentBit);
        }
    }
    let message = o.get("message").is_some_and(Value::is_string);
    let ecs = o.contains_key("@timestamp")
        && (value_at(v, &["kubernetes", "pod", "name"]).is_some()
            || value_at(v, &["container", "id"]).is_some()
            || value_at(v, &["log", "file", "path"]).is_some()
            || o.contains_key("orchestrator")
            || value_at(v, &["ecs", "version"]).is_some());
    if message && ecs {
        return Some(Kind::EcsContainer);
    }
    None
}

/// The documents inside an export wrapper, if `v` is one.
pub fn expand(v: &Value) -> Option<Vec<Value>> {
    let o = v.as_object()?;
    // Elasticsearch / OpenSearch `_search` (and scroll) responses.
    if let Some(Value::Array(hits)) = value_at(v, &["hits", "hits"]) {
        if o.contains_key("took") || o.contains_key("_shards") || o.len() <= 4 {
            return Some(hits.iter().map(|h| unwrap_hit(h.clone())).collect());
        }
    }
    // `elastic-package` pipeline test outputs.
    if o.len() == 1 {
        if let Some(Value::Array(docs)) = o.get("expected") {
            return Some(docs.clone());
        }
    }
    // Loki query API (`/loki/api/v1/query_range`) responses.
    if let Some(Value::Array(result)) = value_at(v, &["data", "result"]) {
        let mut out = Vec::new();
        for stream in result {
            let labels = stream.get("stream").cloned().unwrap_or(json!({}));
            let Some(Value::Array(values)) = stream.get("values") else {
                continue;
            };
            for pair in values {
                let (Some(ts), Some(line)) = (
                    pair.get(0).and_then(Value::as_str),
                    pair.get(1).and_then(Value::as_str),
                ) else {
                    continue;
                };
                out.push(json!({"labels": labels, "line": line, "timestamp": ts}));
            }
        }
        return Some(out);
    }
    None
}

/// A search hit or `elasticdump` line is its `_source`.
pub fn unwrap_hit(v: Value) -> Value {
    match v {
        Value::Object(mut o)
            if o.get("_source").is_some_and(Value::is_object)
                && (o.contains_key("_index") || o.contains_key("_id")) =>
        {
            o.remove("_source").unwrap_or_default()
        }
        other => other,
    }
}

/// Rebuilds the native audit event of an ECS document.
pub fn ecs_audit(v: &Value) -> Option<Value> {
    let mut a = value_at(v, &["kubernetes", "audit"])?.as_object()?.clone();
    if let Some(Value::Object(ann)) = a.get_mut("annotations") {
        let fixed: Map<String, Value> = std::mem::take(ann)
            .into_iter()
            .map(|(k, val)| (k.replace("_k8s_io/", ".k8s.io/"), val))
            .collect();
        *ann = fixed;
    }
    let ts = text_at(v, &["@timestamp"]);
    if !a.contains_key("requestReceivedTimestamp") && !a.contains_key("stageTimestamp") {
        if let Some(ts) = ts {
            a.insert("stageTimestamp".into(), ts.into());
        }
    }
    a.entry("kind").or_insert("Event".into());
    let api = text_at(v, &["orchestrator", "api_version"])
        .filter(|s| s.starts_with("audit.k8s.io/"))
        .unwrap_or_else(|| "audit.k8s.io/v1".into());
    a.entry("apiVersion").or_insert(api.into());
    Some(Value::Object(a))
}

/// Kubernetes metadata of a shipped container line.
#[derive(Debug, Default)]
pub struct Meta {
    pub time: Option<String>,
    pub stream: Option<String>,
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    pub container_id: Option<String>,
    pub host: Option<String>,
}

fn first(v: &Value, paths: &[&[&str]]) -> Option<String> {
    paths.iter().find_map(|p| text_at(v, p))
}

/// A time value as RFC 3339: strings as given, numbers as epoch seconds
/// (Fluent Bit's `date`), digit strings as epoch nanoseconds (Loki).
fn time_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<i64>().ok().map(format_rfc3339)
        }
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e11)
            .map(|f| format_rfc3339((f * 1e9).round() as i64)),
        _ => None,
    }
}

/// The line shipped and what the wrapper says about where it came from.
pub fn shipped(kind: Kind, v: &Value) -> Option<(String, Meta)> {
    match kind {
        Kind::FluentBit => {
            let line = text_at(v, &["log"]).unwrap_or_default();
            let o = v.as_object()?;
            let time = ["time", "@timestamp", "date", "timestamp"]
                .iter()
                .find_map(|k| time_text(o.get(*k)));
            Some((
                line,
                Meta {
                    time,
                    stream: text_at(v, &["stream"]),
                    namespace: text_at(v, &["kubernetes", "namespace_name"]),
                    pod: text_at(v, &["kubernetes", "pod_name"]),
                    container: text_at(v, &["kubernetes", "container_name"]),
                    container_id: text_at(v, &["kubernetes", "docker_id"])
                        .or_else(|| text_at(v, &["docker", "container_id"]))
                        .or_else(|| text_at(v, &["kubernetes", "container_id"])),
                    host: text_at(v, &["kubernetes", "host"]),
                },
            ))
        }
        Kind::EcsContainer => Some((
            text_at(v, &["message"])?,
            Meta {
                time: text_at(v, &["@timestamp"]),
                stream: first(v, &[&["stream"], &["log", "iostream"]]),
                namespace: first(
                    v,
                    &[&["kubernetes", "namespace"], &["orchestrator", "namespace"]],
                ),
                pod: text_at(v, &["kubernetes", "pod", "name"]),
                container: first(
                    v,
                    &[&["kubernetes", "container", "name"], &["container", "name"]],
                ),
                container_id: text_at(v, &["container", "id"]),
                host: first(v, &[&["kubernetes", "node", "name"], &["host", "name"]]),
            },
        )),
        Kind::LokiLine => {
            let l = v.get("labels")?;
            Some((
                text_at(v, &["line"])?,
                Meta {
                    time: time_text(v.get("timestamp")),
                    stream: text_at(l, &["stream"]),
                    namespace: first(l, &[&["namespace"], &["k8s_namespace_name"]]),
                    pod: first(l, &[&["pod"], &["k8s_pod_name"], &["pod_name"]]),
                    container: first(l, &[&["container"], &["k8s_container_name"]]),
                    container_id: text_at(l, &["container_id"]),
                    host: first(l, &[&["node_name"], &["host"], &["hostname"], &["node"]]),
                },
            ))
        }
        Kind::EcsAudit => None,
    }
}

/// A container record of `format` for a shipped plain (or CRI) line.
pub fn container_record(
    format: Format,
    original: Value,
    line: &str,
    mut meta: Meta,
    location: Location,
) -> Record {
    let mut text = line.strip_suffix('\n').unwrap_or(line);
    if let Some(c) = container::split_cri(text) {
        meta.time = Some(c.time.to_string());
        meta.stream = Some(c.stream.to_string());
        text = c.message;
    }
    let message = text.to_string();
    let mut fields = match original {
        Value::Object(o) => o,
        other => {
            let mut m = Map::new();
            m.insert("original".into(), other);
            m
        }
    };
    fields.insert("log".into(), message.clone().into());
    if let Some(t) = &meta.time {
        fields.entry("time").or_insert(t.clone().into());
    }
    if let Some(s) = &meta.stream {
        fields.entry("stream").or_insert(s.clone().into());
    }
    let k8s = fields
        .entry("kubernetes")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(k) = k8s {
        for (key, val) in [
            ("namespace_name", &meta.namespace),
            ("pod_name", &meta.pod),
            ("container_name", &meta.container),
            ("container_id", &meta.container_id),
            ("host", &meta.host),
        ] {
            if let Some(val) = val {
                k.entry(key).or_insert(val.clone().into());
            }
        }
    }
    let time_text = meta.time.unwrap_or_default();
    let event = Event {
        time_ns: parse_rfc3339(&time_text),
        time_text,
        host: meta.host,
        namespace: meta.namespace,
        pod: meta.pod,
        container: meta.container,
        container_id: meta.container_id,
        ..Default::default()
    };
    super::container::line_record(format, fields, message, event, location)
}
