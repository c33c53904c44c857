//! Container stdout/stderr as the kubelet leaves it on the node.
//!
//! - CRI (containerd, CRI-O): `<RFC3339Nano> stdout|stderr P|F <message>`;
//!   `P` marks a partial line (the runtime splits lines over 16 KiB) that
//!   is joined with the following ones of the same stream until `F`.
//! - Docker json-file: `{"log":"...\n","stream":"stdout","time":"..."}`; a
//!   `log` without its trailing `\n` is a partial line, joined likewise.
//!
//! Both may appear in one file (fluent-bit's mixed test stream), so this
//! parser takes either form per line and keeps separate pending buffers per
//! form and stream. Pod, namespace, container and container id come from
//! the input's path (`/var/log/containers/<pod>_<namespace>_<container>-<id>.log`
//! or `/var/log/pods/<namespace>_<pod>_<uid>/<container>/N.log`), which also
//! works for archive members (`bundle.tgz!var/log/pods/...`).

use super::{Context, Later, Out, Parser};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::parse_rfc3339;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Largest joined line kept; a longer run of partials is flushed as is.
const MAX_JOINED: usize = 16 * 1024 * 1024;

/// What a container log's path says about the container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathMeta {
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    pub container_id: Option<String>,
    pub pod_uid: Option<String>,
}

fn dns_like(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

fn hex_id(s: &str) -> bool {
    s.len() >= 12 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads the kubelet's container-log path conventions.
pub fn path_meta(path: &str) -> PathMeta {
    let inner = path.rsplit('!').next().unwrap_or(path).replace('\\', "/");
    let segs: Vec<&str> = inner.split('/').filter(|s| !s.is_empty()).collect();
    let Some(file) = segs.last() else {
        return PathMeta::default();
    };
    // /var/log/pods/<namespace>_<pod>_<uid>/<container>/N.log
    if segs.len() >= 3 {
        let dir = segs[segs.len() - 3];
        let parts: Vec<&str> = dir.split('_').collect();
        let numbered = file
            .split('.')
            .next()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if parts.len() == 3 && numbered && parts[..2].iter().all(|p| dns_like(p)) {
            return PathMeta {
                namespace: Some(parts[0].into()),
                pod: Some(parts[1].into()),
                pod_uid: Some(parts[2].into()),
                container: Some(segs[segs.len() - 2].into()),
                container_id: None,
            };
        }
    }
    // /var/log/containers/<pod>_<namespace>_<container>-<id>.log
    let stem = file.split(".log").next().unwrap_or(file);
    let parts: Vec<&str> = stem.split('_').collect();
    if parts.len() == 3 && parts.iter().all(|p| dns_like(p)) {
        let (container, id) = match parts[2].rsplit_once('-') {
            Some((c, id)) if hex_id(id) && !c.is_empty() => (c.to_string(), Some(id.to_string())),
            _ => (parts[2].to_string(), None),
        };
        return PathMeta {
            pod: Some(parts[0].into()),
            namespace: Some(parts[1].into()),
            container: Some(container),
            container_id: id,
            pod_uid: None,
        };
    }
    PathMeta::default()
}

/// A CRI line split into its parts.
pub struct CriLine<'a> {
    pub time: &'a str,
    pub stream: &'a str,
    pub partial: bool,
    pub message: &'a str,
}

/// `<RFC3339Nano> stdout|stderr P|F <message>`.
pub fn split_cri(line: &str) -> Option<CriLine<'_>> {
    let (time, rest) = line.split_once(' ')?;
    let (stream, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if !matches!(stream, "stdout" | "stderr") || parse_rfc3339(time).is_none() {
        return None;
    }
    let (tag, message) = match rest.split_once(' ') {
        Some((t, m)) if t == "P" || t == "F" => (t, m),
        _ if rest == "P" || rest == "F" => (rest, ""),
        _ => ("F", rest),
    };
    Some(CriLine {
        time,
        stream,
        partial: tag == "P",
        message,
    })
}

struct Pending {
    text: String,
    time: String,
    stream: String,
    first: Location,
    end: Location,
    cri: bool,
}

/// CRI and Docker json-file lines, joined across partials.
pub struct ContainerParser {
    /// Shared with the records built later ([`Later`]).
    meta: Arc<PathMeta>,
    pending: BTreeMap<(bool, String), Pending>,
}

impl ContainerParser {
    pub fn new(ctx: &Context) -> Self {
        ContainerParser {
            meta: Arc::new(path_meta(&ctx.path)),
            pending: BTreeMap::new(),
        }
    }

    /// One CRI line.
    pub fn cri(&mut self, line: &str, location: Location, out: &mut Out) -> Result<(), String> {
        let c = split_cri(line).ok_or("expected `<RFC 3339 time> stdout|stderr P|F <message>`")?;
        let (time, stream, partial) = (c.time.to_string(), c.stream.to_string(), c.partial);
        self.piece(true, &time, &stream, c.message, !partial, location, out);
        Ok(())
    }

    /// One Docker json-file record.
    pub fn docker(&mut self, v: &Value, location: Location, out: &mut Out) -> Result<(), String> {
        let log = v
            .get("log")
            .and_then(Value::as_str)
            .ok_or("no `log` string: not a Docker json-file record")?;
        let stream = v.get("stream").and_then(Value::as_str).unwrap_or("");
        let time = v.get("time").and_then(Value::as_str).unwrap_or("");
        let complete = log.ends_with('\n');
        self.piece(false, time, stream, log, complete, location, out);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn piece(
        &mut self,
        cri: bool,
        time: &str,
        stream: &str,
        text: &str,
        complete: bool,
        location: Location,
        out: &mut Out,
    ) {
        let key = (cri, stream.to_string());
        let p = self.pending.entry(key.clone()).or_insert_with(|| Pending {
            text: String::new(),
            time: time.to_string(),
            stream: stream.to_string(),
            first: location,
            end: location,
            cri,
        });
        p.text.push_str(text);
        p.end = location;
        if complete || p.text.len() > MAX_JOINED {
            if !complete {
                out.info(
                    location.line,
                    "partial container line over 16 MiB: flushed unjoined",
                );
            }
            let p = self.pending.remove(&key).expect("just inserted");
            out.push_later(self.later(p));
        }
    }

    /// The joined line as a record built later: its fields are most of
    /// what a container line costs.
    fn later(&self, p: Pending) -> Later {
        let mut location = p.first;
        location.lines = (p.end.line + p.end.lines as u64 - p.first.line) as u32;
        location.len = p.end.offset + p.end.len - p.first.offset;
        let stream = if p.cri {
            Format::Cri
        } else {
            Format::DockerJson
        };
        let time_ns = parse_rfc3339(&p.time);
        let meta = Arc::clone(&self.meta);
        Later::new(stream, time_ns, location, move || {
            emit(p, stream, time_ns, location, &meta)
        })
    }
}

fn emit(
    p: Pending,
    format: Format,
    time_ns: Option<i64>,
    location: Location,
    m: &PathMeta,
) -> Record {
    let message = p.text.strip_suffix('\n').unwrap_or(&p.text).to_string();
    let mut fields = Map::new();
    fields.insert("time".into(), p.time.clone().into());
    fields.insert("stream".into(), p.stream.clone().into());
    if p.cri {
        fields.insert("tag".into(), "F".into());
    }
    fields.insert("log".into(), p.text.clone().into());
    if m.pod.is_some() {
        fields.insert(
            "kubernetes".into(),
            json!({"namespace_name": m.namespace, "pod_name": m.pod, "container_name": m.container,
                       "container_id": m.container_id, "pod_id": m.pod_uid}),
        );
    }
    let event = Event {
        time_ns,
        time_text: p.time,
        namespace: m.namespace.clone(),
        pod: m.pod.clone(),
        container: m.container.clone(),
        container_id: m.container_id.clone(),
        ..Default::default()
    };
    line_record(format, fields, message, event, location)
}

/// The record of one line a container wrote (partials joined; `event`
/// says which container), with the line's JSON if it is an object and the
/// request it is if a known app wrote it ([`super::app_lines`]).
pub(super) fn line_record(
    format: Format,
    mut fields: Map<String, Value>,
    message: String,
    mut event: Event,
    location: Location,
) -> Record {
    let trimmed = message.trim();
    if trimmed.starts_with('{') {
        if let Ok(obj @ Value::Object(_)) = serde_json::from_str::<Value>(trimmed) {
            fields.insert("log_json".into(), obj);
        }
    }
    event.message = Some(message);
    let mut record = Record {
        format,
        event,
        fields: Value::Object(fields),
        location,
    };
    super::app_lines::recognise(&mut record);
    record
}

impl Parser for ContainerParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        let t = unit.trim_start();
        if t.starts_with('{') {
            let v: Value = serde_json::from_str(t)
                .map_err(|e| format!("invalid JSON: {}", super::json_error(&e)))?;
            return self.docker(&v, location, out);
        }
        self.cri(unit, location, out)
    }

    fn finish(&mut self, out: &mut Out) {
        for (_, p) in std::mem::take(&mut self.pending) {
            out.info(
                p.first.line,
                "partial container line never completed: kept as is",
            );
            out.push_later(self.later(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_conventions() {
        let id = "a".repeat(64);
        let m = path_meta(&format!(
            "/var/log/containers/nginx-7d8_default_web-{id}.log"
        ));
        assert_eq!(m.pod.as_deref(), Some("nginx-7d8"));
        assert_eq!(m.namespace.as_deref(), Some("default"));
        assert_eq!(m.container.as_deref(), Some("web"));
        assert_eq!(m.container_id.as_deref(), Some(id.as_str()));
        let m = path_meta("b.tgz!var/log/pods/kube-system_coredns-1_0b7f-11/coredns/0.log");
        assert_eq!(m.namespace.as_deref(), Some("kube-system"));
        assert_eq!(m.pod.as_deref(), Some("coredns-1"));
        assert_eq!(m.container.as_deref(), Some("coredns"));
        let m = path_meta("x/core_base_fluent-bit.log");
        assert_eq!(m.container.as_deref(), Some("fluent-bit"));
        assert_eq!(path_meta("Linux_2k.log"), PathMeta::default());
    }
}
