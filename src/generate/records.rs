//! One writer per log source: each appends one record (one line, newline
//! included) in the exact shape the real source writes.

use super::fmt::{
    clf_time, falco_output_time, json_str, klog_time, rfc3339_micros, rfc3339_nanos, syslog_time,
};
use super::rng::Rng;
use std::fmt::Write;

/// Who made an API request, as the audit log records it.
#[derive(Debug, Clone, Copy)]
pub struct Ident<'a> {
    pub name: &'a str,
    pub uid: Option<&'a str>,
    pub groups: Groups<'a>,
    /// `user.extra` as raw JSON (bound service-account tokens carry the pod).
    pub extra: Option<&'a str>,
}

impl<'a> Ident<'a> {
    /// A user (or node, or anonymous) without uid or extra.
    pub const fn user(name: &'a str, groups: &'a [&'a str]) -> Ident<'a> {
        Ident {
            name,
            uid: None,
            groups: Groups::Listed(groups),
            extra: None,
        }
    }
}

/// `user.groups` of an audit event.
#[derive(Debug, Clone, Copy)]
pub enum Groups<'a> {
    Listed(&'a [&'a str]),
    /// The three groups every service account of this namespace is in.
    ServiceAccount(&'a str),
}

/// `objectRef` of an audit event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Obj<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    pub api_group: &'a str,
    pub api_version: &'a str,
    pub subresource: Option<&'a str>,
}

/// One audit.k8s.io/v1 event at stage ResponseComplete.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    /// requestReceivedTimestamp, ns.
    pub t: i64,
    pub level: &'a str,
    pub verb: &'a str,
    pub uri: &'a str,
    pub user: Ident<'a>,
    pub ip: &'a str,
    pub ua: &'a str,
    pub obj: Option<Obj<'a>>,
    pub code: u16,
    /// Authorizer reason for allowed requests ("" for the node authorizer).
    pub reason: &'a str,
    /// (reason, message) of a failed request's Status.
    pub failure: Option<(&'a str, &'a str)>,
    pub request_object: Option<&'a str>,
    pub response_object: Option<&'a str>,
    pub latency_us: u32,
}

impl<'a> Audit<'a> {
    /// A Metadata-level event that succeeded with 200.
    pub fn ok(
        t: i64,
        verb: &'a str,
        uri: &'a str,
        user: Ident<'a>,
        ip: &'a str,
        ua: &'a str,
    ) -> Self {
        Audit {
            t,
            level: "Metadata",
            verb,
            uri,
            user,
            ip,
            ua,
            obj: None,
            code: 200,
            reason: "",
            failure: None,
            request_object: None,
            response_object: None,
            latency_us: 1800,
        }
    }
    pub fn obj(mut self, obj: Obj<'a>) -> Self {
        self.obj = Some(obj);
        self
    }
    pub fn code(mut self, code: u16) -> Self {
        self.code = code;
        self
    }
    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = reason;
        self
    }
    pub fn fail(mut self, code: u16, reason: &'a str, message: &'a str) -> Self {
        self.code = code;
        self.failure = Some((reason, message));
        self
    }
    /// Adds the request body (level Request).
    pub fn body(mut self, json: &'a str) -> Self {
        self.level = "Request";
        self.request_object = Some(json);
        self
    }
    pub fn latency(mut self, us: u32) -> Self {
        self.latency_us = us;
        self
    }
}

impl<'a> Obj<'a> {
    /// A resource of the core API group.
    pub fn core(resource: &'a str, namespace: Option<&'a str>, name: Option<&'a str>) -> Self {
        Obj {
            resource,
            namespace,
            name,
            api_group: "",
            api_version: "v1",
            subresource: None,
        }
    }
    /// A resource of a named API group.
    pub fn group(
        api_group: &'a str,
        api_version: &'a str,
        resource: &'a str,
        namespace: Option<&'a str>,
        name: Option<&'a str>,
    ) -> Self {
        Obj {
            resource,
            namespace,
            name,
            api_group,
            api_version,
            subresource: None,
        }
    }
    pub fn sub(mut self, subresource: &'a str) -> Self {
        self.subresource = Some(subresource);
        self
    }
}

pub fn write_audit(out: &mut String, rng: &mut Rng, a: &Audit) {
    out.push_str(r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"#);
    json_str(out, a.level);
    out.push_str(r#","auditID":""#);
    out.push_str(&rng.uuid());
    out.push_str(r#"","stage":"ResponseComplete","requestURI":"#);
    json_str(out, a.uri);
    out.push_str(r#","verb":"#);
    json_str(out, a.verb);
    out.push_str(r#","user":{"username":"#);
    json_str(out, a.user.name);
    if let Some(uid) = a.user.uid {
        out.push_str(r#","uid":"#);
        json_str(out, uid);
    }
    out.push_str(r#","groups":["#);
    let namespace_group;
    let groups: &[&str] = match a.user.groups {
        Groups::Listed(list) => list,
        Groups::ServiceAccount(ns) => {
            namespace_group = format!("system:serviceaccounts:{ns}");
            &[
                "system:serviceaccounts",
                &namespace_group,
                "system:authenticated",
            ]
        }
    };
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, g);
    }
    out.push(']');
    if let Some(extra) = a.user.extra {
        out.push_str(r#","extra":"#);
        out.push_str(extra);
    }
    out.push_str(r#"},"sourceIPs":["#);
    json_str(out, a.ip);
    out.push_str(r#"],"userAgent":"#);
    json_str(out, a.ua);
    if let Some(o) = &a.obj {
        out.push_str(r#","objectRef":{"resource":"#);
        json_str(out, o.resource);
        if let Some(ns) = o.namespace {
            out.push_str(r#","namespace":"#);
            json_str(out, ns);
        }
        if let Some(name) = o.name {
            out.push_str(r#","name":"#);
            json_str(out, name);
        }
        out.push_str(r#","apiGroup":"#);
        json_str(out, o.api_group);
        out.push_str(r#","apiVersion":"#);
        json_str(out, o.api_version);
        if let Some(sub) = o.subresource {
            out.push_str(r#","subresource":"#);
            json_str(out, sub);
        }
        out.push('}');
    }
    out.push_str(r#","responseStatus":{"metadata":{}"#);
    if let Some((reason, message)) = a.failure {
        out.push_str(r#","status":"Failure","message":"#);
        json_str(out, message);
        out.push_str(r#","reason":"#);
        json_str(out, reason);
    }
    let _ = write!(out, r#","code":{}}}"#, a.code);
    if let Some(body) = a.request_object {
        out.push_str(r#","requestObject":"#);
        out.push_str(body);
    }
    if let Some(body) = a.response_object {
        out.push_str(r#","responseObject":"#);
        out.push_str(body);
    }
    out.push_str(r#","requestReceivedTimestamp":""#);
    rfc3339_micros(out, a.t);
    out.push_str(r#"","stageTimestamp":""#);
    rfc3339_micros(out, a.t + a.latency_us as i64 * 1000);
    out.push_str(r#"","annotations":{"authorization.k8s.io/decision":"#);
    let denied_by_authorizer = a.failure.is_some_and(|(_, m)| m.contains(" cannot "));
    if a.code == 403 && denied_by_authorizer {
        out.push_str(r#""forbid","authorization.k8s.io/reason":""}}"#);
    } else {
        out.push_str(r#""allow","authorization.k8s.io/reason":"#);
        json_str(out, a.reason);
        out.push_str("}}");
    }
    out.push('\n');
}

/// A CRI (containerd / CRI-O) container log line: `TIME STREAM F MESSAGE`.
pub fn write_cri(out: &mut String, t: i64, stream: &str, msg: &str) {
    rfc3339_nanos(out, t);
    out.push(' ');
    out.push_str(stream);
    out.push_str(" F ");
    out.push_str(msg);
    out.push('\n');
}

/// An RFC 3164 line as rsyslog writes it: `Mar 14 02:13:07 host tag: msg`.
pub fn write_syslog(out: &mut String, t: i64, host: &str, tag: &str, msg: &str) {
    syslog_time(out, t);
    out.push(' ');
    out.push_str(host);
    out.push(' ');
    out.push_str(tag);
    out.push_str(": ");
    out.push_str(msg);
    out.push('\n');
}

/// A klog line: `I0314 02:13:07.123456    1187 file.go:123] msg`.
pub fn write_klog(out: &mut String, t: i64, severity: char, pid: u32, src: &str, msg: &str) {
    out.push(severity);
    klog_time(out, t);
    let _ = write!(out, " {pid:>7} {src}] ");
    out.push_str(msg);
    out.push('\n');
}

/// An access-log line in the combined format.
pub fn access_line(
    t: i64,
    client: &str,
    req: &str,
    code: u16,
    bytes: u32,
    referer: &str,
    ua: &str,
) -> String {
    let mut s = String::with_capacity(160);
    s.push_str(client);
    s.push_str(" - - [");
    clf_time(&mut s, t);
    let _ = write!(s, "] \"{req}\" {code} {bytes} \"{referer}\" \"{ua}\"");
    s
}

/// What a Falco rule says when it fires: its name, priority, output text
/// (before the `(field=value ...)` part) and tags, as in Falco's rules.
#[derive(Debug)]
pub struct Alert {
    pub rule: &'static str,
    pub priority: &'static str,
    pub text: &'static str,
    pub tags: &'static [&'static str],
}

pub const TERMINAL_SHELL: Alert = Alert {
    rule: "Terminal shell in container",
    priority: "Notice",
    text: "A shell was spawned in a container with an attached terminal",
    tags: &[
        "T1059",
        "container",
        "maturity_stable",
        "mitre_execution",
        "shell",
    ],
};

pub const CONTACT_API_SERVER: Alert = Alert {
    rule: "Contact K8S API Server From Container",
    priority: "Notice",
    text: "Unexpected connection to K8s API Server from container",
    tags: &[
        "T1565",
        "container",
        "k8s",
        "maturity_stable",
        "mitre_discovery",
        "network",
    ],
};

pub const READ_SENSITIVE_FILE: Alert = Alert {
    rule: "Read sensitive file untrusted",
    priority: "Warning",
    text: "Sensitive file opened for reading by non-trusted program",
    tags: &[
        "T1555",
        "container",
        "filesystem",
        "host",
        "maturity_stable",
        "mitre_credential_access",
    ],
};

/// The tags of Falco's container-launch rules.
const CONTAINER_LAUNCH_TAGS: &[&str] = &[
    "T1610",
    "container",
    "cis",
    "maturity_sandbox",
    "mitre_execution",
];

pub const PRIVILEGED_CONTAINER: Alert = Alert {
    rule: "Launch Privileged Container",
    priority: "Informational",
    text: "Privileged container started",
    tags: CONTAINER_LAUNCH_TAGS,
};

pub const SENSITIVE_MOUNT: Alert = Alert {
    rule: "Launch Sensitive Mount Container",
    priority: "Notice",
    text: "Container with sensitive mount started",
    tags: CONTAINER_LAUNCH_TAGS,
};

/// One Falco alert as JSON (`json_output: true`).
#[derive(Debug, Clone, Copy)]
pub struct Falco<'a> {
    pub t: i64,
    pub hostname: &'a str,
    pub alert: &'a Alert,
    /// `(field, value)` shown in the output and put in output_fields.
    pub fields: &'a [(&'a str, &'a str)],
}

pub fn write_falco(out: &mut String, f: &Falco) {
    let mut output = String::with_capacity(256);
    falco_output_time(&mut output, f.t);
    let _ = write!(output, ": {} {} (", f.alert.priority, f.alert.text);
    for (i, (k, v)) in f.fields.iter().enumerate() {
        if i > 0 {
            output.push(' ');
        }
        let short = match *k {
            "k8s.ns.name" => "k8s_ns",
            "k8s.pod.name" => "k8s_pod_name",
            "container.id" => "container_id",
            "container.name" => "container_name",
            "container.image.repository" => "image",
            "proc.cmdline" => "command",
            "proc.name" => "process",
            "proc.pname" => "parent",
            "user.name" => "user",
            "user.uid" => "user_uid",
            "fd.name" if v.contains("->") => "connection",
            "fd.name" => "file",
            "fd.rip" => "connection",
            "evt.type" => "evt_type",
            other => other,
        };
        let _ = write!(output, "{short}={v}");
    }
    output.push(')');
    out.push_str(r#"{"hostname":"#);
    json_str(out, f.hostname);
    out.push_str(r#","output":"#);
    json_str(out, &output);
    out.push_str(r#","priority":"#);
    json_str(out, f.alert.priority);
    out.push_str(r#","rule":"#);
    json_str(out, f.alert.rule);
    out.push_str(r#","source":"syscall","tags":["#);
    for (i, tag) in f.alert.tags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, tag);
    }
    out.push_str(r#"],"time":""#);
    rfc3339_nanos(out, f.t);
    out.push_str(r#"","output_fields":{"#);
    let _ = write!(out, r#""evt.time":{}"#, f.t);
    for (k, v) in f.fields {
        out.push(',');
        json_str(out, k);
        out.push(':');
        if *k == "user.uid" || *k == "proc.pid" {
            out.push_str(v);
        } else {
            json_str(out, v);
        }
    }
    out.push_str("}}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::fmt::{clock, midnight};

    fn at(h: u32, m: u32, s: u32) -> i64 {
        clock(midnight((2026, 3, 14)), h, m, s)
    }

    #[test]
    fn audit_line_is_valid_json() {
        let mut out = String::new();
        let user = Ident::user("system:anonymous", &["system:unauthenticated"]);
        let mut a = Audit::ok(
            at(2, 0, 0),
            "list",
            "/api/v1/secrets?limit=500",
            user,
            "203.0.113.7",
            "curl/8.5.0",
        );
        a.obj = Some(Obj {
            resource: "secrets",
            api_version: "v1",
            ..Default::default()
        });
        write_audit(&mut out, &mut Rng::new(1), &a);
        let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(v["objectRef"]["resource"], "secrets");
        assert_eq!(v["responseStatus"]["code"], 200);
        out.clear();
        write_falco(
            &mut out,
            &Falco {
                t: at(2, 0, 0),
                hostname: "n",
                alert: &Alert {
                    rule: "r",
                    priority: "Critical",
                    text: "x",
                    tags: &["a"],
                },
                fields: &[("user.uid", "0"), ("k8s.ns.name", "shop")],
            },
        );
        let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(v["output_fields"]["k8s.ns.name"], "shop");
    }
}
