//! Plain-language descriptions of records and ATT&CK tactics of techniques.

use super::entity::{binding_subjects, scoped, short_container_id};
use crate::event::{value_at, Format, Record};
use serde_json::Value;

/// Longest quoted log message in a sentence, in characters.
const MAX_QUOTE: usize = 120;

/// What one record says someone did: the actor, the address, the action
/// (a verb phrase), and a class used to fold repeated actions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Action {
    pub actor: Option<String>,
    pub ip: Option<String>,
    pub text: String,
    pub class: String,
}

fn quote(s: &str) -> String {
    let s = s.trim();
    let mut out: String = s.chars().take(MAX_QUOTE).collect();
    if s.chars().count() > MAX_QUOTE {
        out.push('…');
    }
    format!("“{out}”")
}

fn singular(resource: &str) -> String {
    let r = resource;
    let s = if let Some(stem) = r.strip_suffix("ies") {
        format!("{stem}y")
    } else if r.ends_with("sses") || r.ends_with("xes") {
        r[..r.len() - 2].to_string()
    } else if let Some(stem) = r.strip_suffix('s') {
        stem.to_string()
    } else {
        r.to_string()
    };
    match s.as_str() {
        "clusterrolebinding" => "ClusterRoleBinding".into(),
        "rolebinding" => "RoleBinding".into(),
        "clusterrole" => "ClusterRole".into(),
        "serviceaccount" => "service account".into(),
        "cronjob" => "CronJob".into(),
        "daemonset" => "DaemonSet".into(),
        "configmap" => "ConfigMap".into(),
        _ => s,
    }
}

fn subject_phrase(s: &str) -> String {
    if let Some(sa) = s.strip_prefix("system:serviceaccount:") {
        let (ns, name) = sa.split_once(':').unwrap_or(("", sa));
        format!("the service account {ns}/{name}")
    } else if let Some(g) = s.strip_prefix("group:") {
        format!("the group {g}")
    } else {
        format!("the user {s}")
    }
}

/// `command=a&command=b` of an exec request URI, as `a b`.
fn exec_command(uri: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    let parts: Vec<String> = query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("command="))
        .map(percent_decode)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pod_traits(f: &Value) -> Vec<&'static str> {
    let spec = value_at(f, &["requestObject", "spec"])
        .cloned()
        .unwrap_or(Value::Null);
    let mut t = Vec::new();
    let containers = spec
        .get("containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if containers.iter().any(|c| {
        value_at(c, &["securityContext", "privileged"]).and_then(Value::as_bool) == Some(true)
    }) {
        t.push("privileged");
    }
    if spec.get("hostPID").and_then(Value::as_bool) == Some(true) {
        t.push("host PID");
    }
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        t.push("host network");
    }
    if spec
        .get("volumes")
        .and_then(Value::as_array)
        .is_some_and(|v| v.iter().any(|v| v.get("hostPath").is_some()))
    {
        t.push("hostPath");
    }
    t
}

fn audit_action(r: &Record) -> Action {
    let e = &r.event;
    let f = &r.fields;
    let verb = e.action.as_deref().unwrap_or("request");
    let resource = e.resource.as_deref().unwrap_or("");
    let ns = e.namespace.as_deref();
    let name = e.object_name.as_deref();
    let what = || match name {
        Some(n) => format!("the {} {}", singular(resource), scoped(ns, n)),
        None => format!("a {}", singular(resource)),
    };
    let mut text = match (verb, resource, e.subresource.as_deref()) {
        (_, "pods", Some("exec" | "attach")) => {
            let pod = scoped(ns, name.unwrap_or("?"));
            match e.message.as_deref().and_then(exec_command) {
                Some(cmd) => format!("ran `{cmd}` in the pod {pod}"),
                None => format!("opened a shell in the pod {pod}"),
            }
        }
        ("create", "serviceaccounts", Some("token")) => format!(
            "requested a token for the service account {}",
            scoped(ns, name.unwrap_or("?"))
        ),
        (_, "", _) => format!(
            "requested {}",
            e.message
                .as_deref()
                .unwrap_or("the API")
                .split('?')
                .next()
                .unwrap_or("")
        ),
        ("list" | "watch", _, _) => match ns {
            Some(ns) => format!("listed {resource} in the namespace {ns}"),
            None => format!("listed {resource} in all namespaces"),
        },
        ("get", _, _) => format!("read {}", what()),
        ("deletecollection", _, _) => match ns {
            Some(ns) => format!("deleted all {resource} in the namespace {ns}"),
            None => format!("deleted all {resource}"),
        },
        ("delete", _, _) => format!("deleted {}", what()),
        ("create" | "update" | "patch", "clusterrolebindings" | "rolebindings", _) => {
            let role = value_at(f, &["requestObject", "roleRef", "name"])
                .and_then(Value::as_str)
                .unwrap_or("?");
            let subjects: Vec<String> = binding_subjects(f)
                .iter()
                .map(|s| subject_phrase(s))
                .collect();
            let verb = if verb == "create" {
                "created"
            } else {
                "changed"
            };
            let mut s = format!("{verb} {} to {role}", what());
            if !subjects.is_empty() {
                s.push_str(" for ");
                s.push_str(&subjects.join(", "));
            }
            s
        }
        ("create", "pods", None) => {
            let mut s = format!("created {}", what());
            let traits = pod_traits(f);
            if !traits.is_empty() {
                s = format!(
                    "created the {} pod {}",
                    traits.join(", "),
                    scoped(ns, name.unwrap_or("?"))
                );
            }
            if let Some(node) =
                value_at(f, &["requestObject", "spec", "nodeName"]).and_then(Value::as_str)
            {
                s.push_str(&format!(" on the node {node}"));
            }
            s
        }
        ("create", _, _) => format!("created {}", what()),
        ("update" | "patch", _, _) => format!("changed {}", what()),
        (v, _, _) => format!("{v} {}", what()),
    };
    if let Some(code) = e.status.filter(|c| *c >= 400) {
        text = format!("was refused ({code}) when it tried: {text}");
    }
    Action {
        actor: e.user.clone(),
        ip: e.source_ips.first().cloned(),
        class: format!(
            "{verb} {resource} {}",
            e.status.map(|c| c >= 400).unwrap_or(false)
        ),
        text,
    }
}

fn falco_action(r: &Record) -> Action {
    let e = &r.event;
    let rule = e.action.as_deref().unwrap_or("alert");
    let of = |k: &str| {
        r.fields
            .get("output_fields")
            .and_then(|o| o.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let mut s = format!("Falco on {}: {rule}", e.host.as_deref().unwrap_or("?"));
    if let (Some(ns), Some(pod)) = (&e.namespace, &e.pod) {
        s.push_str(&format!(" in the pod {ns}/{pod}"));
    } else if let Some(id) = &e.container_id {
        s.push_str(&format!(" in the container {}", short_container_id(id)));
    }
    if let Some(cmd) = of("proc.cmdline") {
        s.push_str(&format!(" ({})", quote(cmd)));
    }
    Action {
        actor: None,
        ip: None,
        class: format!("falco {rule}"),
        text: s,
    }
}

/// The record in one sentence fragment.
pub fn action(r: &Record) -> Action {
    let e = &r.event;
    if r.format.is_audit() {
        return audit_action(r);
    }
    match r.format {
        Format::Falco => falco_action(r),
        Format::Cri | Format::DockerJson => {
            let pod = match (&e.namespace, &e.pod) {
                (Some(ns), Some(p)) => format!("the pod {ns}/{p}"),
                _ => "a container".into(),
            };
            Action {
                actor: None,
                ip: None,
                class: format!("log {pod}"),
                text: format!("{pod} logged {}", quote(e.message.as_deref().unwrap_or(""))),
            }
        }
        _ => {
            let program = r
                .fields
                .get("program")
                .or_else(|| r.fields.get("SYSLOG_IDENTIFIER"))
                .and_then(Value::as_str);
            let mut s = String::new();
            if let Some(h) = &e.host {
                s.push_str(&format!("on {h}, "));
            }
            if let Some(p) = program {
                s.push_str(&format!("{p} logged "));
            } else {
                s.push_str("the log says ");
            }
            s.push_str(&quote(e.message.as_deref().unwrap_or("")));
            Action {
                actor: None,
                ip: e.source_ips.first().cloned(),
                class: format!(
                    "node {} {}",
                    e.host.as_deref().unwrap_or(""),
                    program.unwrap_or("")
                ),
                text: s,
            }
        }
    }
}

/// The primary ATT&CK tactic of a technique (by its top-level id), in
/// Sigma's tag spelling. A small embedded table: techniques Spoor's rules
/// and Falco's default rules use.
pub fn tactic(technique: &str) -> Option<&'static str> {
    let top = technique
        .split('.')
        .next()
        .unwrap_or(technique)
        .to_ascii_uppercase();
    Some(match top.as_str() {
        "T1078" | "T1190" | "T1133" | "T1199" | "T1195" => "initial_access",
        "T1059" | "T1609" | "T1610" | "T1204" | "T1203" | "T1072" => "execution",
        "T1053" | "T1098" | "T1136" | "T1543" | "T1547" | "T1546" | "T1505" | "T1525" => {
            "persistence"
        }
        "T1611" | "T1068" | "T1548" | "T1134" => "privilege_escalation",
        "T1070" | "T1562" | "T1036" | "T1027" | "T1112" | "T1564" => "defense_evasion",
        "T1110" | "T1552" | "T1528" | "T1555" | "T1003" | "T1556" | "T1539" => "credential_access",
        "T1613" | "T1082" | "T1087" | "T1069" | "T1046" | "T1057" | "T1083" | "T1018" => {
            "discovery"
        }
        "T1021" | "T1550" | "T1210" | "T1570" => "lateral_movement",
        "T1005" | "T1530" | "T1119" => "collection",
        "T1071" | "T1105" | "T1090" | "T1095" | "T1571" | "T1572" => "command_and_control",
        "T1041" | "T1048" | "T1567" => "exfiltration",
        "T1496" | "T1485" | "T1486" | "T1489" | "T1490" | "T1499" | "T1565" => "impact",
        _ => return None,
    })
}

/// Tactics a Falco alert names in its tags (`mitre_execution`, ...).
pub fn falco_tactics(r: &Record) -> Vec<String> {
    if r.format != Format::Falco {
        return Vec::new();
    }
    let Some(tags) = r.fields.get("tags").and_then(Value::as_array) else {
        return Vec::new();
    };
    tags.iter()
        .filter_map(Value::as_str)
        .filter_map(|t| t.strip_prefix("mitre_"))
        .map(|t| t.replace('-', "_"))
        .take(8)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_exec_commands() {
        assert_eq!(
            exec_command("/api/v1/namespaces/shop/pods/x/exec?command=chroot&command=%2Fhost&command=bash&tty=true"),
            Some("chroot /host bash".into())
        );
        assert_eq!(exec_command("/x?tty=true"), None);
        assert_eq!(percent_decode("%2"), "%2");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
    }

    #[test]
    fn tactics_of_techniques() {
        assert_eq!(tactic("T1552.007"), Some("credential_access"));
        assert_eq!(tactic("t1609"), Some("execution"));
        assert_eq!(tactic("T9999"), None);
        assert_eq!(singular("secrets"), "secret");
        assert_eq!(singular("clusterrolebindings"), "ClusterRoleBinding");
        assert_eq!(singular("policies"), "policy");
    }
}
