//! rsigma's [`Event`] over a Spoor [`Record`], without copying the record.
//!
//! Field lookup goes to the record's original fields (`record.fields`) by
//! dotted path, with rsigma's own semantics: a flat key wins over a nested
//! path, and a path that crosses an array matches any element. The rules'
//! paths are resolved up front, in one walk ([`super::paths`]); any other
//! path goes to rsigma's own JSON walker. Only when the
//! original fields lack a name does the adapter fall back to a few
//! normalized aliases under `spoor.` (`spoor.user`, `spoor.namespace`, ...),
//! which let one rule or correlation `group-by` speak about every format.
//! Keyword (bare string) matching looks at the original fields only.

use std::borrow::Cow;

use rsigma_eval::event::{Event, EventValue, JsonEvent};
use serde_json::Value;

use super::paths::{is_plain, FieldPaths, Found, Resolved};
use crate::event::Record;

/// The prefix of the normalized aliases.
pub const ALIAS_ROOT: &str = "spoor";

/// The alias a `spoor.<name>` path names.
pub(super) fn alias_name(path: &str) -> Option<&str> {
    path.strip_prefix(ALIAS_ROOT)?.strip_prefix('.')
}

/// A record as rsigma sees it.
pub struct RecordEvent<'a> {
    record: &'a Record,
    json: JsonEvent<'a>,
    input: u32,
    /// Whether a top-level key has a dot in it: only then can a dotted
    /// rule path name a flat key, which rsigma's own lookup tries first.
    /// Set with `resolved` (without it, rsigma's lookup answers anyway).
    dotted_keys: bool,
    /// The rules' paths, resolved up front (see [`FieldPaths`]).
    resolved: Option<Resolved<'a>>,
}

impl<'a> RecordEvent<'a> {
    pub fn new(record: &'a Record, input: u32) -> Self {
        RecordEvent {
            record,
            json: JsonEvent::borrow(&record.fields),
            input,
            dotted_keys: false,
            resolved: None,
        }
    }

    /// Like [`RecordEvent::new`], with `paths` resolved in one walk so that
    /// looking them up costs a hash each.
    pub fn with_paths(record: &'a Record, paths: &'a FieldPaths) -> Self {
        let mut event = RecordEvent::new(record, 0);
        if let Some(fields) = record.fields.as_object() {
            event.dotted_keys = fields.keys().any(|k| k.contains('.'));
            event.resolved = Some(paths.resolve(fields));
        }
        event
    }

    /// The resolved rule paths, when a lookup of a path reads its slot:
    /// not when a flat key with dots may win over the nested path.
    pub fn resolved(&self) -> Option<&Resolved<'a>> {
        self.resolved.as_ref().filter(|_| !self.dotted_keys)
    }

    fn annotation(&self, key: &str) -> Option<EventValue<'_>> {
        let v = self.record.fields.get("annotations")?.get(key)?;
        Some(EventValue::from(v))
    }

    fn alias(&self, path: &str) -> Option<EventValue<'_>> {
        let name = alias_name(path)?;
        let e = &self.record.event;
        let s = |v: &'a Option<String>| v.as_deref().map(|s| EventValue::Str(Cow::Borrowed(s)));
        match name {
            "format" => Some(EventValue::Str(Cow::Borrowed(self.record.format.name()))),
            "host" => s(&e.host),
            "namespace" => s(&e.namespace),
            "pod" => s(&e.pod),
            "container" => s(&e.container),
            "container_id" => s(&e.container_id),
            "user" => s(&e.user),
            "impersonated_user" => s(&e.impersonated_user),
            "user_agent" => s(&e.user_agent),
            "action" => s(&e.action),
            "api_group" => s(&e.api_group),
            "resource" => s(&e.resource),
            "subresource" => s(&e.subresource),
            "object_name" => s(&e.object_name),
            "message" => s(&e.message),
            "status" => e.status.map(|v| EventValue::Int(i64::from(v))),
            "success" => e.success.map(EventValue::Bool),
            "source_ip" => match e.source_ips.as_slice() {
                [] => None,
                [one] => Some(EventValue::Str(Cow::Borrowed(one))),
                many => Some(EventValue::Array(
                    many.iter()
                        .map(|v| EventValue::Str(Cow::Borrowed(v.as_str())))
                        .collect(),
                )),
            },
            // The authorizer's verdict on an audit event ("allow"/"forbid"),
            // from an annotation whose key has dots in it.
            "authz_decision" => self.annotation("authorization.k8s.io/decision"),
            // The audit request body as one JSON text, for rules that look
            // for content whose key is not known in advance (credentials in
            // a ConfigMap's data). Built only when a rule asks for it.
            "request_object" => self
                .record
                .fields
                .get("requestObject")
                .filter(|v| !v.is_null())
                .map(|v| EventValue::Str(Cow::Owned(v.to_string()))),
            "authz_reason" => self.annotation("authorization.k8s.io/reason"),
            "src_port"
            | "dst_ip"
            | "dst_port"
            | "dst_namespace"
            | "dst_pod"
            | "protocol"
            | "verdict"
            | "query"
            | "query_type"
            | "query_domain"
            | "query_longest_label"
            | "query_entropy"
            | "bytes" => network_alias(e.network.as_deref()?, name),
            "groups" if !e.groups.is_empty() => Some(EventValue::Array(
                e.groups
                    .iter()
                    .map(|v| EventValue::Str(Cow::Borrowed(v.as_str())))
                    .collect(),
            )),
            _ => None,
        }
    }
}

/// The `spoor.*` aliases of a network record ([`crate::event::Network`]):
/// one name per field, whatever the flow or DNS format called it.
fn network_alias<'a>(n: &'a crate::event::Network, name: &str) -> Option<EventValue<'a>> {
    let s = |v: &'a Option<String>| v.as_deref().map(|s| EventValue::Str(Cow::Borrowed(s)));
    let int = |v: Option<u64>| v.map(|v| EventValue::Int(v as i64));
    match name {
        "src_port" => int(n.src_port.map(u64::from)),
        "dst_port" => int(n.dst_port.map(u64::from)),
        "query_longest_label" => int(n.query_longest_label.map(u64::from)),
        "bytes" => int(n.bytes),
        "query_entropy" => n.query_entropy.map(EventValue::Float),
        "dst_ip" => s(&n.dst_ip),
        "dst_namespace" => s(&n.dst_namespace),
        "dst_pod" => s(&n.dst_pod),
        "protocol" => s(&n.protocol),
        "verdict" => s(&n.verdict),
        "query" => s(&n.query),
        "query_type" => s(&n.query_type),
        "query_domain" => s(&n.query_domain),
        _ => None,
    }
}

/// rsigma's lookup of a dotted path that steps through objects only, as
/// `Some(answer)`; `None` when rsigma's own walker must answer (a step onto
/// an array or a scalar, brackets, escapes, empty steps). Correlation asks
/// for its `group-by` fields this way on every match, and rsigma's walker
/// parses the path into a vector each time.
fn plain_lookup<'v>(fields: &'v Value, path: &str) -> Option<Option<EventValue<'v>>> {
    let object = fields.as_object()?;
    if !is_plain(path) {
        return None;
    }
    // A flat key with dots in its name wins over the nested path.
    if let Some(v) = object.get(path) {
        return Some(Some(EventValue::from(v)));
    }
    let mut at = fields;
    for step in path.split('.') {
        let Value::Object(object) = at else {
            return None;
        };
        if step.is_empty() {
            return None;
        }
        match object.get(step) {
            Some(v) => at = v,
            None => return Some(None),
        }
    }
    Some(Some(EventValue::from(at)))
}

/// The reference to a record that correlation evidence keeps:
/// `input:line`, parsed back by [`parse_event_ref`].
pub fn event_ref(input: u32, line: u64) -> String {
    format!("{input}:{line}")
}

/// Parse a stored `"<input>:<line>"` reference.
pub fn parse_event_ref(s: &str) -> Option<(u32, u64)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

impl Event for RecordEvent<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        let found = match self.resolved.as_ref().and_then(|r| r.get(path)) {
            // A flat key with dots in its name wins over the nested path.
            Some(_) if self.dotted_keys && path.contains('.') => self.json.get_field(path),
            Some(Found::None) => None,
            Some(Found::One(v)) => Some(EventValue::from(*v)),
            Some(Found::Many(all)) => Some(EventValue::Array(
                all.iter().map(|v| EventValue::from(*v)).collect(),
            )),
            None => match plain_lookup(&self.record.fields, path) {
                Some(found) => found,
                None => self.json.get_field(path),
            },
        };
        match found {
            Some(v) => Some(v),
            None => self.alias(path),
        }
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.json.any_string_value(pred)
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.json.all_string_values()
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        self.json.visit_string_values(visit)
    }

    /// The record as a reference, `{"id": "<input>:<line>"}`: the id
    /// correlation evidence names it by ([`event_ref`]), not a copy of it.
    /// The detector never materializes an event (rules' `include_event` is
    /// switched off at load, and correlation windows keep record places).
    fn to_json(&self) -> Value {
        let id = event_ref(self.input, self.record.location.line);
        let mut m = serde_json::Map::with_capacity(1);
        m.insert("id".to_string(), Value::String(id));
        Value::Object(m)
    }

    fn field_keys(&self) -> Vec<Cow<'_, str>> {
        self.json.field_keys()
    }

    fn top_level_keys(&self) -> Option<Vec<Cow<'_, str>>> {
        let mut keys = self.json.top_level_keys()?;
        keys.push(Cow::Borrowed(ALIAS_ROOT));
        Some(keys)
    }

    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        if !self.json.visit_top_level_keys(visit) {
            return false;
        }
        visit(ALIAS_ROOT);
        true
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::event::{Event as Normalized, Format, Location};
    use serde_json::json;

    /// An audit record of `fields` (normalized fields: alice, two addresses).
    pub(in crate::detect) fn record(fields: Value) -> Record {
        Record {
            format: Format::K8sAudit,
            event: Normalized {
                user: Some("alice".into()),
                source_ips: vec!["10.0.0.1".into(), "10.0.0.2".into()],
                status: Some(201),
                ..Default::default()
            },
            fields,
            location: Location {
                line: 7,
                ..Default::default()
            },
        }
    }

    #[test]
    fn dotted_paths_flat_keys_and_arrays() {
        let r = record(json!({
            "verb": "create",
            "objectRef": {"resource": "pods", "namespace": "default"},
            "a.b": "flat",
            "a": {"b": "nested"},
            "requestObject": {"spec": {"volumes": [
                {"name": "x", "emptyDir": {}},
                {"name": "y", "hostPath": {"path": "/etc"}}
            ]}},
            "responseStatus": {"code": 201}
        }));
        let ev = RecordEvent::new(&r, 3);
        assert_eq!(
            ev.get_field("verb"),
            Some(EventValue::Str(Cow::Borrowed("create")))
        );
        assert_eq!(
            ev.get_field("objectRef.resource"),
            Some(EventValue::Str(Cow::Borrowed("pods")))
        );
        assert_eq!(
            ev.get_field("a.b"),
            Some(EventValue::Str(Cow::Borrowed("flat")))
        );
        assert_eq!(
            ev.get_field("requestObject.spec.volumes.hostPath.path"),
            Some(EventValue::Str(Cow::Borrowed("/etc")))
        );
        assert_eq!(
            ev.get_field("responseStatus.code"),
            Some(EventValue::Int(201))
        );
        assert_eq!(ev.get_field("objectRef.name"), None);
        assert_eq!(ev.get_field("nope"), None);
    }

    /// Paths resolved up front must answer exactly what rsigma's own
    /// walker does, with and without a dotted top-level key.
    #[test]
    fn resolved_paths_agree_with_rsigma() {
        let dotted = json!({
            "a.b": "flat",
            "a": {"b": "nested", "c": [{"d": 1}, {"d": "two"}, {"e": 3}, [{"d": null}]]},
            "x": [{"y": {"z": "deep"}}],
            "": {"k": "empty key"},
            "n": 5
        });
        let undotted = json!({"a": {"b": "nested", "c.d": "inner flat"}, "n": 5});
        let paths = [
            "a.b",
            "a",
            "a.c",
            "a.c.d",
            "a.c.e",
            "x.y.z",
            "x.y",
            "x.q",
            "n",
            "n.m",
            ".k",
            "a..b",
            "missing..b",
            "missing",
            "missing.b",
            "a.b.c",
            "x.y.z.w",
            "a.c[0].d",
            "a.x",
        ];
        let trie = FieldPaths::from_paths(paths);
        for fields in [dotted, undotted] {
            let r = record(fields.clone());
            let ev = RecordEvent::with_paths(&r, &trie);
            let rsigma = JsonEvent::borrow(&fields);
            let untried = RecordEvent::new(&r, 0);
            for path in paths {
                assert_eq!(ev.get_field(path), rsigma.get_field(path), "path {path}");
                let expected = rsigma.get_field(path);
                assert_eq!(untried.get_field(path), expected, "not in the trie: {path}");
                if let Some(answer) = plain_lookup(&fields, path) {
                    assert_eq!(answer, expected, "plain lookup: {path}");
                }
            }
        }
        // The plain lookup answers paths through objects, missing or not,
        // and leaves arrays, scalars and odd paths to rsigma.
        let fields = json!({"a": {"b": "nested", "c": [{"d": 1}]}, "a.b": "flat", "n": 5});
        let answers = |path| plain_lookup(&fields, path).is_some();
        assert!(["a.b", "a", "missing.b", "a.x", "n"]
            .into_iter()
            .all(answers));
        assert!(!["a.c.d", "n.m", "a..b", ".k", "a.c[0].d"]
            .into_iter()
            .any(answers));
    }

    #[test]
    fn aliases_only_when_original_field_missing() {
        let r = record(json!({"spoor": {"user": "from-fields"}, "verb": "get"}));
        let ev = RecordEvent::new(&r, 0);
        assert_eq!(
            ev.get_field("spoor.user"),
            Some(EventValue::Str(Cow::Borrowed("from-fields")))
        );
        let r = record(json!({"verb": "get"}));
        let ev = RecordEvent::new(&r, 0);
        assert_eq!(
            ev.get_field("spoor.user"),
            Some(EventValue::Str(Cow::Borrowed("alice")))
        );
        assert_eq!(ev.get_field("spoor.status"), Some(EventValue::Int(201)));
        assert_eq!(
            ev.get_field("spoor.format"),
            Some(EventValue::Str(Cow::Borrowed("k8s-audit")))
        );
        assert!(matches!(
            ev.get_field("spoor.source_ip"),
            Some(EventValue::Array(v)) if v.len() == 2
        ));
        assert_eq!(ev.get_field("spoor.pod"), None);
        assert_eq!(ev.get_field("spoor.authz_decision"), None);
        let r = record(json!({"annotations": {"authorization.k8s.io/decision": "allow"}}));
        let ev = RecordEvent::new(&r, 0);
        assert_eq!(
            ev.get_field("spoor.authz_decision"),
            Some(EventValue::Str(Cow::Borrowed("allow")))
        );
        assert_eq!(ev.get_field("spoorx.user"), None);
        let keys = ev.top_level_keys().unwrap();
        assert!(keys.iter().any(|k| k == "spoor"));
    }

    #[test]
    fn keywords_see_original_fields_only_and_refs_round_trip() {
        let r = record(json!({"message": "Accepted password for root", "n": [{"x": "deep"}]}));
        let ev = RecordEvent::new(&r, 2);
        assert!(ev.any_string_value(&|s| s.contains("Accepted password")));
        assert!(ev.any_string_value(&|s| s == "deep"));
        assert!(!ev.any_string_value(&|s| s == "alice"));
        assert_eq!(ev.all_string_values().len(), 2);
        let j = ev.to_json();
        assert_eq!(j, json!({"id": "2:7"}));
        assert_eq!(parse_event_ref("2:7"), Some((2, 7)));
        assert_eq!(parse_event_ref("x:7"), None);
    }
}
