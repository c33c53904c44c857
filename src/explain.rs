//! Plain words for learners: what an audit event says, and what the audit
//! log's fields mean. Pure functions over the event's JSON.

use serde_json::Value;

/// The audit log fields a learner meets first, with what each means.
pub const GLOSSARY: &[(&str, &str)] = &[
    ("verb", "What was asked: get (read one object), list (read many), watch (follow changes), create, update (replace), patch (change part of), delete, deletecollection (delete many); also impersonate, bind and escalate for RBAC checks."),
    ("objectRef", "The object the request is about: resource (secrets, pods, clusterrolebindings…), namespace, name, apiGroup, and subresource (exec, log, token, status…). Absent for non-resource URLs such as /healthz."),
    ("user", "Who made the request as the API server authenticated it: username (a person, system:serviceaccount:NS:NAME, system:anonymous, system:node:…), groups, and extra (a token's pod binding, for instance)."),
    ("impersonatedUser", "Set when the caller acted as someone else (kubectl --as): the request was authorized as this identity, while user says who really sent it."),
    ("sourceIPs", "The client addresses, first the one the request came from; proxies and load balancers may add theirs. An address outside the cluster and office ranges deserves a look."),
    ("userAgent", "The client's self-description, such as kubectl/v1.30.1 (linux/amd64). Set by the client, so it can lie, but a change for one identity is a clue."),
    ("responseStatus", "The answer: code 200–299 succeeded, 401 not authenticated, 403 forbidden by authorization (RBAC), 404 not found, 409 conflict; message and reason say why."),
    ("stage", "When the event was written: RequestReceived, ResponseStarted (long requests like watch and exec), ResponseComplete, or Panic. One request can appear once per stage."),
    ("level", "How much the audit policy records: None, Metadata (who, what, when), Request (plus the request body) or RequestResponse (plus the response body)."),
];

/// The event's audit view: a native `audit.k8s.io` event as is.
fn field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    field(v, path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Whether `v` looks like a Kubernetes audit event.
pub fn is_audit_event(v: &Value) -> bool {
    text(v, &["verb"]).is_some()
        && (text(v, &["kind"]) == Some("Event")
            || text(v, &["apiVersion"]).is_some_and(|a| a.starts_with("audit.k8s.io"))
            || v.get("auditID").is_some())
}

fn verb_words(verb: &str) -> &str {
    match verb {
        "get" => "read",
        "list" => "list",
        "watch" => "watch",
        "create" => "create",
        "update" => "replace",
        "patch" => "change (patch)",
        "delete" => "delete",
        "deletecollection" => "delete every one of",
        "impersonate" => "impersonate",
        "bind" => "bind",
        "escalate" => "escalate",
        other => other,
    }
}

/// One event in plain words: who, from where, did what to which object,
/// and what the API server answered.
pub fn audit_event(v: &Value) -> String {
    if !is_audit_event(v) {
        return "This is not a Kubernetes audit event, so there is no audit explanation for it; see the glossary for what audit fields mean.".to_string();
    }
    let mut out = String::new();
    let time = text(v, &["requestReceivedTimestamp"]).or(text(v, &["stageTimestamp"]));
    if let Some(t) = time {
        out.push_str(&format!("At {t}, "));
    }
    let user = text(v, &["user", "username"]).unwrap_or("an unknown identity");
    let who = match user {
        "system:anonymous" => "an unauthenticated caller (system:anonymous)".to_string(),
        u if u.starts_with("system:serviceaccount:") => format!("the service account {u}"),
        u if u.starts_with("system:node:") => format!("the node {u}"),
        u => u.to_string(),
    };
    out.push_str(&who);
    let ip = field(v, &["sourceIPs"])
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str);
    let ua = text(v, &["userAgent"]);
    match (ip, ua) {
        (Some(ip), Some(ua)) => out.push_str(&format!(" (from {ip}, using {ua})")),
        (Some(ip), None) => out.push_str(&format!(" (from {ip})")),
        (None, Some(ua)) => out.push_str(&format!(" (using {ua})")),
        (None, None) => {}
    }
    if let Some(as_user) = text(v, &["impersonatedUser", "username"]) {
        out.push_str(&format!(", acting as {as_user} (impersonation),"));
    }
    let verb = text(v, &["verb"]).unwrap_or("?");
    out.push_str(&format!(" asked to {} ", verb_words(verb)));
    let resource = text(v, &["objectRef", "resource"]);
    let name = text(v, &["objectRef", "name"]);
    let ns = text(v, &["objectRef", "namespace"]);
    let sub = text(v, &["objectRef", "subresource"]);
    match resource {
        Some(r) => {
            match name {
                Some(n) => out.push_str(&format!("{r} \"{n}\"")),
                None if matches!(verb, "list" | "watch" | "deletecollection") => {
                    out.push_str(&format!("all {r}"))
                }
                None => out.push_str(r),
            }
            if let Some(s) = sub {
                out.push_str(&format!(" (its {s} subresource)"));
            }
            match ns {
                Some(ns) => out.push_str(&format!(" in namespace {ns}")),
                None if name.is_none() && matches!(verb, "list" | "watch") => {
                    out.push_str(" in all namespaces (or cluster-wide)")
                }
                None => {}
            }
        }
        None => out.push_str(&format!(
            "the URL {}",
            text(v, &["requestURI"]).unwrap_or("(unknown)")
        )),
    }
    out.push('.');
    if let Some(code) = field(v, &["responseStatus", "code"]).and_then(Value::as_u64) {
        let meaning = match code {
            200..=299 => "it was allowed and succeeded",
            401 => "the caller was not authenticated",
            403 => "authorization (RBAC) refused it",
            404 => "the object was not found",
            409 => "it conflicted with the object's current state (for example, it already exists)",
            422 => "the object was invalid",
            429 => "the caller was rate-limited",
            500..=599 => "the API server failed",
            _ => "see the code",
        };
        out.push_str(&format!(" The API server answered {code}: {meaning}."));
        if let Some(m) = text(v, &["responseStatus", "message"]) {
            out.push_str(&format!(" Its message: {m}."));
        }
    } else {
        out.push_str(" No response code is recorded at this stage.");
    }
    if let Some(reason) = text(v, &["annotations", "authorization.k8s.io/reason"]) {
        out.push_str(&format!(" Authorization said: {reason}."));
    }
    if let Some(stage) = text(v, &["stage"]) {
        let when = match stage {
            "RequestReceived" => "as soon as the request arrived",
            "ResponseStarted" => "when the response started (a long request such as watch or exec)",
            "ResponseComplete" => "after the response was sent",
            "Panic" => "because the API server panicked",
            _ => "at this stage",
        };
        out.push_str(&format!(" Recorded {when} ({stage})"));
        if let Some(level) = text(v, &["level"]) {
            out.push_str(&format!(", at audit level {level}"));
        }
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn explains_an_audit_event_in_plain_words() {
        let v = json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "stage": "ResponseComplete", "verb": "list",
            "user": {"username": "system:anonymous"},
            "sourceIPs": ["203.0.113.7"], "userAgent": "kubectl/v1.30.1",
            "objectRef": {"resource": "secrets", "apiVersion": "v1"},
            "responseStatus": {"code": 200},
            "requestReceivedTimestamp": "2026-03-14T02:13:07.000000Z"
        });
        let s = audit_event(&v);
        assert_eq!(
            s,
            "At 2026-03-14T02:13:07.000000Z, an unauthenticated caller (system:anonymous) (from 203.0.113.7, using kubectl/v1.30.1) asked to list all secrets in all namespaces (or cluster-wide). The API server answered 200: it was allowed and succeeded. Recorded after the response was sent (ResponseComplete), at audit level Metadata."
        );
        let v = json!({
            "kind": "Event", "verb": "create", "auditID": "x",
            "user": {"username": "carol@corp.example"},
            "impersonatedUser": {"username": "system:serviceaccount:kube-system:default"},
            "objectRef": {"resource": "pods", "namespace": "shop", "name": "cart", "subresource": "exec"},
            "responseStatus": {"code": 403, "message": "forbidden"},
            "annotations": {"authorization.k8s.io/reason": "no RBAC policy matched"}
        });
        let s = audit_event(&v);
        assert!(s.starts_with("carol@corp.example, acting as system:serviceaccount:kube-system:default (impersonation), asked to create pods \"cart\" (its exec subresource) in namespace shop."), "{s}");
        assert!(
            s.contains("403: authorization (RBAC) refused it. Its message: forbidden."),
            "{s}"
        );
        assert!(
            s.contains("Authorization said: no RBAC policy matched."),
            "{s}"
        );
        assert!(audit_event(&json!({"msg": "hello"})).contains("not a Kubernetes audit event"));
        assert!(!is_audit_event(&json!({"verb": "get"})));
    }

    #[test]
    fn glossary_covers_the_main_fields() {
        for f in [
            "verb",
            "objectRef",
            "user",
            "impersonatedUser",
            "sourceIPs",
            "userAgent",
            "responseStatus",
            "stage",
            "level",
        ] {
            assert!(GLOSSARY.iter().any(|(k, _)| *k == f), "{f}");
        }
    }
}
