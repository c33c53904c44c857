//! The fictional cluster every scenario runs in, and its background noise:
//! controllers, kubelets, leases, probes, add-ons, developers, node daemons.

use super::fmt::{rfc3339_micros, rfc3339_nanos, SEC};
use super::records::{access_line, write_audit, write_cri, write_falco, write_klog, write_syslog};
use super::records::{Audit, Falco, Groups, Ident, Obj, CONTACT_API_SERVER, TERMINAL_SHELL};
use super::rng::{name_uid, Rng};

pub const KUBELET_UA: &str = "kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819";
pub const KCM_UA: &str = "kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/4b8e819";
pub const SCHED_UA: &str = "kube-scheduler/v1.29.2 (linux/amd64) kubernetes/4b8e819";
pub const KUBECTL_UA: &str = "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819";
pub const APISERVER_IP: &str = "10.0.0.10";

pub struct Node {
    pub name: &'static str,
    pub ip: &'static str,
    /// First three octets of the node's pod CIDR.
    pub pod_net: &'static str,
}

/// Index 0 is the control plane; 1..=3 are workers.
pub const NODES: [Node; 4] = [
    Node {
        name: "prod-cp-01",
        ip: "10.0.0.10",
        pod_net: "10.244.0",
    },
    Node {
        name: "prod-worker-01",
        ip: "10.0.1.21",
        pod_net: "10.244.1",
    },
    Node {
        name: "prod-worker-02",
        ip: "10.0.1.22",
        pod_net: "10.244.2",
    },
    Node {
        name: "prod-worker-03",
        ip: "10.0.1.23",
        pod_net: "10.244.3",
    },
];

pub const WORKERS: [usize; 3] = [1, 2, 3];

/// How a pod's container writes its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Combined-format access log (web frontends, ingress).
    Access,
    /// zap-style JSON lines.
    Json,
    /// logfmt.
    Logfmt,
    /// CoreDNS query log.
    Dns,
}

pub struct Pod {
    pub ns: &'static str,
    pub name: &'static str,
    pub node: usize,
    pub ip: &'static str,
    pub sa: &'static str,
    pub container: &'static str,
    pub image: &'static str,
    pub style: Style,
}

impl Pod {
    pub fn full(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }
}

pub const FRONTEND: usize = 0;
pub const CART: usize = 2;

pub const PODS: [Pod; 9] = [
    Pod {
        ns: "shop",
        name: "frontend-7d9c8b6f5-x2k4p",
        node: 2,
        ip: "10.244.2.17",
        sa: "frontend",
        container: "frontend",
        image: "registry.corp.example/shop/frontend:2.14.1",
        style: Style::Access,
    },
    Pod {
        ns: "shop",
        name: "frontend-7d9c8b6f5-q8w7n",
        node: 1,
        ip: "10.244.1.23",
        sa: "frontend",
        container: "frontend",
        image: "registry.corp.example/shop/frontend:2.14.1",
        style: Style::Access,
    },
    Pod {
        ns: "shop",
        name: "cart-6f7b9d5c4-8mzq2",
        node: 3,
        ip: "10.244.3.9",
        sa: "cart",
        container: "cart",
        image: "registry.corp.example/shop/cart:1.9.0",
        style: Style::Json,
    },
    Pod {
        ns: "payments",
        name: "api-5c8d7f9b6-2vlnt",
        node: 1,
        ip: "10.244.1.31",
        sa: "payments-api",
        container: "api",
        image: "registry.corp.example/payments/api:3.2.7",
        style: Style::Logfmt,
    },
    Pod {
        ns: "kube-system",
        name: "coredns-5d78c9869d-4xk9p",
        node: 1,
        ip: "10.244.1.2",
        sa: "coredns",
        container: "coredns",
        image: "registry.k8s.io/coredns/coredns:v1.11.1",
        style: Style::Dns,
    },
    Pod {
        ns: "kube-system",
        name: "coredns-5d78c9869d-r7tzl",
        node: 3,
        ip: "10.244.3.2",
        sa: "coredns",
        container: "coredns",
        image: "registry.k8s.io/coredns/coredns:v1.11.1",
        style: Style::Dns,
    },
    Pod {
        ns: "monitoring",
        name: "prometheus-k8s-0",
        node: 3,
        ip: "10.244.3.14",
        sa: "prometheus-k8s",
        container: "prometheus",
        image: "quay.io/prometheus/prometheus:v2.51.0",
        style: Style::Logfmt,
    },
    Pod {
        ns: "argocd",
        name: "argocd-application-controller-0",
        node: 1,
        ip: "10.244.1.40",
        sa: "argocd-application-controller",
        container: "application-controller",
        image: "quay.io/argoproj/argocd:v2.10.4",
        style: Style::Json,
    },
    Pod {
        ns: "ingress-nginx",
        name: "ingress-nginx-controller-6b7c8d9f4-m2x8p",
        node: 2,
        ip: "10.244.2.5",
        sa: "ingress-nginx",
        container: "controller",
        image: "registry.k8s.io/ingress-nginx/controller:v1.10.0",
        style: Style::Access,
    },
];

/// Pods whose container logs are part of every scenario's files.
pub const LOGGED_PODS: [usize; 4] = [0, 2, 3, 4];

pub struct Dev {
    pub name: &'static str,
    pub ip: &'static str,
    pub ua: &'static str,
    pub groups: &'static [&'static str],
    pub ns: &'static str,
}

pub const DEVS: [Dev; 3] = [
    Dev {
        name: "alice@corp.example",
        ip: "10.20.4.17",
        ua: KUBECTL_UA,
        groups: &["shop-devs", "system:authenticated"],
        ns: "shop",
    },
    Dev {
        name: "bob@corp.example",
        ip: "10.20.4.23",
        ua: "kubectl/v1.29.1 (darwin/arm64) kubernetes/bc401b9",
        groups: &["payments-devs", "system:authenticated"],
        ns: "payments",
    },
    Dev {
        name: "carol@corp.example",
        ip: "10.20.4.31",
        ua: KUBECTL_UA,
        groups: &["platform-admins", "system:authenticated"],
        ns: "kube-system",
    },
];

pub const NODE_GROUPS: &[&str] = &["system:nodes", "system:authenticated"];
pub const ANON_GROUPS: &[&str] = &["system:unauthenticated"];

/// Seed-dependent facts about the cluster: container IDs, pids, uids.
pub struct World {
    /// 64-hex container ID of each pod in [`PODS`].
    pub container_ids: Vec<String>,
    pub kubelet_pids: [u32; 4],
    pub containerd_pids: [u32; 4],
    pub resource_version: u64,
}

impl World {
    pub fn new(rng: &mut Rng) -> World {
        let container_ids = PODS.iter().map(|_| rng.hex(64)).collect();
        let mut kubelet_pids = [0; 4];
        let mut containerd_pids = [0; 4];
        for i in 0..4 {
            kubelet_pids[i] = rng.range(900, 1400) as u32;
            containerd_pids[i] = rng.range(600, 899) as u32;
        }
        World {
            container_ids,
            kubelet_pids,
            containerd_pids,
            resource_version: rng.range(40_000_000, 90_000_000),
        }
    }

    /// `var/log/containers/<pod>_<ns>_<container>-<id>.log`.
    pub fn log_path(&self, pod: usize) -> String {
        container_log_path(
            PODS[pod].name,
            PODS[pod].ns,
            PODS[pod].container,
            &self.container_ids[pod],
        )
    }
}

pub fn container_log_path(pod: &str, ns: &str, container: &str, id: &str) -> String {
    format!("var/log/containers/{pod}_{ns}_{container}-{id}.log")
}

/// `user` of a service account's bound token.
pub fn sa_name(ns: &str, sa: &str) -> String {
    format!("system:serviceaccount:{ns}:{sa}")
}

/// A service account as its token authenticates: name, uid and groups.
pub struct ServiceAccount<'a> {
    namespace: &'a str,
    pub name: String,
    uid: String,
}

impl<'a> ServiceAccount<'a> {
    pub fn new(namespace: &'a str, sa: &str) -> Self {
        let name = sa_name(namespace, sa);
        let uid = name_uid(&name);
        ServiceAccount {
            namespace,
            name,
            uid,
        }
    }

    pub fn ident(&self) -> Ident<'_> {
        Ident {
            name: &self.name,
            uid: Some(&self.uid),
            groups: Groups::ServiceAccount(self.namespace),
            extra: None,
        }
    }
}

/// `user.extra` of a pod-bound service-account token.
pub fn bound_token_extra(pod: &Pod, jti: &str) -> String {
    let node = NODES[pod.node].name;
    format!(
        r#"{{"authentication.kubernetes.io/credential-id":["JTI={jti}"],"authentication.kubernetes.io/node-name":["{node}"],"authentication.kubernetes.io/node-uid":["{}"],"authentication.kubernetes.io/pod-name":["{}"],"authentication.kubernetes.io/pod-uid":["{}"]}}"#,
        name_uid(node),
        pod.name,
        name_uid(pod.name)
    )
}

/// Background noise of one file.
pub enum Noise {
    Audit,
    Kubelet(usize),
    Syslog(usize),
    Auth(usize),
    Container(usize),
    Falco,
}

impl Noise {
    /// Appends one background record (sometimes a few related lines) at `t`.
    pub fn emit(&self, w: &World, rng: &mut Rng, t: i64, out: &mut String) {
        match self {
            Noise::Audit => audit_noise(w, rng, t, out),
            Noise::Kubelet(n) => kubelet_noise(w, *n, rng, t, out),
            Noise::Syslog(n) => syslog_noise(w, *n, rng, t, out),
            Noise::Auth(n) => auth_noise(*n, rng, t, out),
            Noise::Container(p) => container_noise(*p, rng, t, out),
            Noise::Falco => falco_noise(w, rng, t, out),
        }
    }
}

fn rbac_reason(kind: &str, binding: &str, role: &str, subject: &str) -> String {
    format!(r#"RBAC: allowed by {kind} "{binding}" of ClusterRole "{role}" to {subject}"#)
}

fn watch_query(rng: &mut Rng, w: &World) -> String {
    let secs = rng.range(300, 599);
    format!(
        "allowWatchBookmarks=true&resourceVersion={}&timeout={}m{}s&timeoutSeconds={secs}&watch=true",
        w.resource_version + rng.below(500_000),
        secs / 60,
        secs % 60
    )
}

/// Picks a pod running on `node` (any pod if none).
fn pod_on(rng: &mut Rng, node: usize) -> &'static Pod {
    let candidates: Vec<&Pod> = PODS.iter().filter(|p| p.node == node).collect();
    if candidates.is_empty() {
        rng.pick(&PODS)
    } else {
        candidates[rng.below(candidates.len() as u64) as usize]
    }
}

fn audit_noise(w: &World, rng: &mut Rng, t: i64, out: &mut String) {
    if rng.chance(1, 1000) {
        return suspicious_audit(w, rng, t, out);
    }
    let latency = rng.range(600, 9000) as u32;
    match rng.weighted(&[300, 60, 90, 70, 140, 60, 60, 55, 30, 20]) {
        0 => {
            let n = &NODES[rng.below(4) as usize];
            let user = format!("system:node:{}", n.name);
            let uri = format!(
                "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{}?timeout=10s",
                n.name
            );
            let mut a = Audit::ok(t, "update", &uri, node_ident(&user), n.ip, KUBELET_UA);
            a.obj = Some(Obj {
                resource: "leases",
                namespace: Some("kube-node-lease"),
                name: Some(n.name),
                api_group: "coordination.k8s.io",
                api_version: "v1",
                subresource: None,
            });
            a.latency_us = latency;
            write_audit(out, rng, &a);
        }
        1 => {
            let n = &NODES[rng.below(4) as usize];
            let user = format!("system:node:{}", n.name);
            let uri = format!("/api/v1/nodes/{}/status?timeout=10s", n.name);
            let mut a = Audit::ok(t, "patch", &uri, node_ident(&user), n.ip, KUBELET_UA);
            a.obj = Some(Obj {
                resource: "nodes",
                name: Some(n.name),
                api_version: "v1",
                subresource: Some("status"),
                ..Default::default()
            });
            a.latency_us = latency + 3000;
            write_audit(out, rng, &a);
        }
        2 => kubelet_api(w, rng, t, latency, out),
        3 => {
            let (user, lease, ua) = if rng.chance(1, 2) {
                (
                    "system:kube-controller-manager",
                    "kube-controller-manager",
                    KCM_UA,
                )
            } else {
                ("system:kube-scheduler", "kube-scheduler", SCHED_UA)
            };
            let uri = format!(
                "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}?timeout=5s"
            );
            let ua = format!("{ua}/leader-election");
            let verb = if rng.chance(1, 10) { "get" } else { "update" };
            let ident = Ident::user(user, &["system:authenticated"]);
            let mut a = Audit::ok(t, verb, &uri, ident, APISERVER_IP, &ua);
            a.obj = Some(Obj {
                resource: "leases",
                namespace: Some("kube-system"),
                name: Some(lease),
                api_group: "coordination.k8s.io",
                api_version: "v1",
                subresource: None,
            });
            a.reason = if user == "system:kube-scheduler" {
                r#"RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler""#
            } else {
                r#"RBAC: allowed by ClusterRoleBinding "system:kube-controller-manager" of ClusterRole "system:kube-controller-manager" to User "system:kube-controller-manager""#
            };
            a.latency_us = latency;
            write_audit(out, rng, &a);
        }
        4 => controller_noise(w, rng, t, latency, out),
        5 => {
            let path = *rng.pick(&["/livez", "/readyz", "/healthz", "/readyz", "/livez"]);
            let ip = if rng.chance(1, 3) {
                "10.0.0.5"
            } else {
                APISERVER_IP
            };
            let ua = if ip == "10.0.0.5" {
                "ELB-HealthChecker/2.0"
            } else {
                "kube-probe/1.29"
            };
            let ident = Ident::user("system:anonymous", ANON_GROUPS);
            let mut a = Audit::ok(t, "get", path, ident, ip, ua);
            a.reason = r#"RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated""#;
            a.latency_us = latency / 4 + 200;
            write_audit(out, rng, &a);
        }
        6 => addon_noise(w, rng, t, latency, out),
        7 => dev_noise(rng, t, latency, out),
        8 => {
            let account = ServiceAccount::new("argocd", "argocd-application-controller");
            let ident = account.ident();
            let ns = *rng.pick(&["shop", "payments", "monitoring"]);
            let (verb, uri, res) = match rng.below(3) {
                0 => (
                    "list",
                    format!("/apis/apps/v1/namespaces/{ns}/deployments?limit=500"),
                    "deployments",
                ),
                1 => (
                    "watch",
                    format!("/api/v1/namespaces/{ns}/configmaps?{}", watch_query(rng, w)),
                    "configmaps",
                ),
                _ => (
                    "get",
                    format!(
                        "/apis/apps/v1/namespaces/{ns}/deployments/{}",
                        if ns == "shop" { "frontend" } else { "api" }
                    ),
                    "deployments",
                ),
            };
            let ua = "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format";
            let mut a = Audit::ok(t, verb, &uri, ident, PODS[7].ip, ua);
            a.obj = Some(Obj {
                resource: res,
                namespace: Some(ns),
                api_group: if res == "deployments" { "apps" } else { "" },
                api_version: "v1",
                ..Default::default()
            });
            a.reason = r#"RBAC: allowed by ClusterRoleBinding "argocd-application-controller" of ClusterRole "argocd-application-controller" to ServiceAccount "argocd-application-controller/argocd""#;
            a.latency_us = latency;
            write_audit(out, rng, &a);
        }
        _ => {
            let account = ServiceAccount::new("kube-system", "metrics-server");
            let ident = account.ident();
            let uri = format!("/api/v1/nodes?{}", watch_query(rng, w));
            let mut a = Audit::ok(
                t,
                "watch",
                &uri,
                ident,
                "10.244.1.7",
                "metrics-server/v0.7.0 (linux/amd64) kubernetes/$Format",
            );
            a.obj = Some(Obj {
                resource: "nodes",
                api_version: "v1",
                ..Default::default()
            });
            a.reason = r#"RBAC: allowed by ClusterRoleBinding "system:metrics-server" of ClusterRole "system:metrics-server" to ServiceAccount "metrics-server/kube-system""#;
            a.latency_us = latency;
            write_audit(out, rng, &a);
        }
    }
}

fn node_ident(user: &str) -> Ident<'_> {
    Ident::user(user, NODE_GROUPS)
}

fn kubelet_api(w: &World, rng: &mut Rng, t: i64, latency: u32, out: &mut String) {
    let pod = rng.pick(&PODS);
    let n = &NODES[pod.node];
    let user = format!("system:node:{}", n.name);
    let (verb, uri, obj, code) = match rng.below(5) {
        0 => (
            "get",
            format!("/api/v1/namespaces/{}/pods/{}", pod.ns, pod.name),
            Obj {
                resource: "pods",
                namespace: Some(pod.ns),
                name: Some(pod.name),
                api_version: "v1",
                ..Default::default()
            },
            200,
        ),
        1 => (
            "patch",
            format!("/api/v1/namespaces/{}/pods/{}/status", pod.ns, pod.name),
            Obj {
                resource: "pods",
                namespace: Some(pod.ns),
                name: Some(pod.name),
                api_version: "v1",
                subresource: Some("status"),
                ..Default::default()
            },
            200,
        ),
        2 => (
            "watch",
            format!(
                "/api/v1/namespaces/{}/configmaps?fieldSelector=metadata.name%3Dkube-root-ca.crt&{}",
                pod.ns,
                watch_query(rng, w)
            ),
            Obj {
                resource: "configmaps",
                namespace: Some(pod.ns),
                api_version: "v1",
                ..Default::default()
            },
            200,
        ),
        3 => (
            "create",
            format!("/api/v1/namespaces/{}/serviceaccounts/{}/token", pod.ns, pod.sa),
            Obj {
                resource: "serviceaccounts",
                namespace: Some(pod.ns),
                name: Some(pod.sa),
                api_version: "v1",
                subresource: Some("token"),
                ..Default::default()
            },
            201,
        ),
        _ => (
            "get",
            format!("/api/v1/nodes/{}?resourceVersion=0&timeout=10s", n.name),
            Obj {
                resource: "nodes",
                name: Some(n.name),
                api_version: "v1",
                ..Default::default()
            },
            200,
        ),
    };
    let mut a = Audit::ok(t, verb, &uri, node_ident(&user), n.ip, KUBELET_UA);
    a.obj = Some(obj);
    a.code = code;
    a.latency_us = latency;
    write_audit(out, rng, &a);
}

struct Ctl {
    sa: &'static str,
    verb: &'static str,
    resource: &'static str,
    group: &'static str,
    version: &'static str,
    ns: Option<&'static str>,
    name: Option<&'static str>,
    sub: Option<&'static str>,
}

const CONTROLLERS: [Ctl; 9] = [
    Ctl {
        sa: "endpointslice-controller",
        verb: "update",
        resource: "endpointslices",
        group: "discovery.k8s.io",
        version: "v1",
        ns: Some("shop"),
        name: Some("frontend-x7k2p"),
        sub: None,
    },
    Ctl {
        sa: "endpointslice-controller",
        verb: "update",
        resource: "endpointslices",
        group: "discovery.k8s.io",
        version: "v1",
        ns: Some("payments"),
        name: Some("api-9hq4d"),
        sub: None,
    },
    Ctl {
        sa: "replicaset-controller",
        verb: "update",
        resource: "replicasets",
        group: "apps",
        version: "v1",
        ns: Some("shop"),
        name: Some("frontend-7d9c8b6f5"),
        sub: Some("status"),
    },
    Ctl {
        sa: "deployment-controller",
        verb: "update",
        resource: "deployments",
        group: "apps",
        version: "v1",
        ns: Some("shop"),
        name: Some("cart"),
        sub: Some("status"),
    },
    Ctl {
        sa: "horizontal-pod-autoscaler",
        verb: "update",
        resource: "horizontalpodautoscalers",
        group: "autoscaling",
        version: "v2",
        ns: Some("shop"),
        name: Some("frontend"),
        sub: Some("status"),
    },
    Ctl {
        sa: "generic-garbage-collector",
        verb: "watch",
        resource: "replicasets",
        group: "apps",
        version: "v1",
        ns: None,
        name: None,
        sub: None,
    },
    Ctl {
        sa: "cronjob-controller",
        verb: "list",
        resource: "cronjobs",
        group: "batch",
        version: "v1",
        ns: None,
        name: None,
        sub: None,
    },
    Ctl {
        sa: "resourcequota-controller",
        verb: "watch",
        resource: "resourcequotas",
        group: "",
        version: "v1",
        ns: None,
        name: None,
        sub: None,
    },
    Ctl {
        sa: "pod-garbage-collector",
        verb: "list",
        resource: "pods",
        group: "",
        version: "v1",
        ns: None,
        name: None,
        sub: None,
    },
];

fn resource_path(group: &str, version: &str, ns: Option<&str>, resource: &str) -> String {
    let base = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    match ns {
        Some(ns) => format!("{base}/namespaces/{ns}/{resource}"),
        None => format!("{base}/{resource}"),
    }
}

fn controller_noise(w: &World, rng: &mut Rng, t: i64, latency: u32, out: &mut String) {
    if rng.chance(1, 8) {
        // The scheduler's informers.
        let uri = format!(
            "/api/v1/pods?fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed&{}",
            watch_query(rng, w)
        );
        let ident = Ident::user("system:kube-scheduler", &["system:authenticated"]);
        let mut a = Audit::ok(t, "watch", &uri, ident, APISERVER_IP, SCHED_UA);
        a.obj = Some(Obj {
            resource: "pods",
            api_version: "v1",
            ..Default::default()
        });
        a.reason = r#"RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler""#;
        a.latency_us = latency;
        return write_audit(out, rng, &a);
    }
    let c = rng.pick(&CONTROLLERS);
    let account = ServiceAccount::new("kube-system", c.sa);
    let mut uri = resource_path(c.group, c.version, c.ns, c.resource);
    if let Some(name) = c.name {
        uri.push('/');
        uri.push_str(name);
    }
    if let Some(sub) = c.sub {
        uri.push('/');
        uri.push_str(sub);
    }
    match c.verb {
        "watch" => {
            uri.push('?');
            uri.push_str(&watch_query(rng, w));
        }
        "list" => uri.push_str("?limit=500&resourceVersion=0"),
        _ => {}
    }
    let ua = format!("{KCM_UA}/system:serviceaccount:kube-system:{}", c.sa);
    let ident = account.ident();
    let role = format!("system:controller:{}", c.sa);
    let reason = rbac_reason(
        "ClusterRoleBinding",
        &role,
        &role,
        &format!("ServiceAccount \"{}/kube-system\"", c.sa),
    );
    let mut a = Audit::ok(t, c.verb, &uri, ident, APISERVER_IP, &ua);
    a.obj = Some(Obj {
        resource: c.resource,
        namespace: c.ns,
        name: c.name,
        api_group: c.group,
        api_version: c.version,
        subresource: c.sub,
    });
    a.reason = &reason;
    a.latency_us = latency;
    write_audit(out, rng, &a);
}

fn addon_noise(w: &World, rng: &mut Rng, t: i64, latency: u32, out: &mut String) {
    let (ns, sa, ip, ua, resource, group, namespaced) = match rng.below(4) {
        0 => (
            "kube-system",
            "coredns",
            PODS[4].ip,
            "coredns/v0.0.0 (linux/amd64) kubernetes/$Format",
            "endpointslices",
            "discovery.k8s.io",
            None,
        ),
        1 => (
            "kube-system",
            "kube-proxy",
            NODES[1 + rng.below(3) as usize].ip,
            "kube-proxy/v1.29.2 (linux/amd64) kubernetes/4b8e819",
            "services",
            "",
            None,
        ),
        2 => (
            "monitoring",
            "prometheus-k8s",
            PODS[6].ip,
            "Prometheus/2.51.0",
            "endpoints",
            "",
            Some(*rng.pick(&["shop", "payments", "monitoring", "kube-system"])),
        ),
        _ => (
            "ingress-nginx",
            "ingress-nginx",
            PODS[8].ip,
            "nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f0a496c31d4c19f095469f3f23900f8a",
            "ingresses",
            "networking.k8s.io",
            None,
        ),
    };
    let account = ServiceAccount::new(ns, sa);
    let version = "v1";
    let mut uri = resource_path(group, version, namespaced, resource);
    let verb = if namespaced.is_some() {
        "list"
    } else {
        "watch"
    };
    if verb == "watch" {
        uri.push('?');
        uri.push_str(&watch_query(rng, w));
    } else {
        uri.push_str("?limit=500&resourceVersion=0");
    }
    let ident = account.ident();
    let reason = rbac_reason(
        "ClusterRoleBinding",
        sa,
        sa,
        &format!("ServiceAccount \"{sa}/{ns}\""),
    );
    let mut a = Audit::ok(t, verb, &uri, ident, ip, ua);
    a.obj = Some(Obj {
        resource,
        namespace: namespaced,
        api_group: group,
        api_version: version,
        ..Default::default()
    });
    a.reason = &reason;
    a.latency_us = latency;
    write_audit(out, rng, &a);
}

fn dev_noise(rng: &mut Rng, t: i64, latency: u32, out: &mut String) {
    let dev = rng.pick(&DEVS);
    let ident = Ident::user(dev.name, dev.groups);
    let ns = dev.ns;
    let pod = PODS.iter().find(|p| p.ns == ns).unwrap_or(&PODS[4]);
    let deploy = pod.name.rsplitn(3, '-').last().unwrap_or(pod.name);
    let (verb, uri, obj) = match rng.below(7) {
        0 => ("get", "/api?timeout=32s".to_string(), None),
        1 => ("get", "/apis?timeout=32s".to_string(), None),
        2 => (
            "list",
            format!("/api/v1/namespaces/{ns}/pods?limit=500"),
            Some(Obj {
                resource: "pods",
                namespace: Some(ns),
                api_version: "v1",
                ..Default::default()
            }),
        ),
        3 => (
            "get",
            format!("/apis/apps/v1/namespaces/{ns}/deployments/{deploy}"),
            Some(Obj {
                resource: "deployments",
                namespace: Some(ns),
                name: Some(deploy),
                api_group: "apps",
                api_version: "v1",
                subresource: None,
            }),
        ),
        4 => (
            "get",
            format!("/api/v1/namespaces/{ns}/pods/{}/log?container={}&tailLines=200", pod.name, pod.container),
            Some(Obj {
                resource: "pods",
                namespace: Some(ns),
                name: Some(pod.name),
                api_version: "v1",
                subresource: Some("log"),
                ..Default::default()
            }),
        ),
        5 => (
            "list",
            format!(
                "/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3D{}%2CinvolvedObject.namespace%3D{ns}%2CinvolvedObject.kind%3DPod&limit=500",
                pod.name
            ),
            Some(Obj {
                resource: "events",
                namespace: Some(ns),
                api_version: "v1",
                ..Default::default()
            }),
        ),
        _ => (
            "get",
            format!("/api/v1/namespaces/{ns}/pods/{}", pod.name),
            Some(Obj {
                resource: "pods",
                namespace: Some(ns),
                name: Some(pod.name),
                api_version: "v1",
                ..Default::default()
            }),
        ),
    };
    let reason = if dev.name.starts_with("carol") {
        r#"RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins""#.to_string()
    } else if obj.is_none() {
        r#"RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated""#.to_string()
    } else {
        format!(
            r#"RBAC: allowed by RoleBinding "{}/{ns}" of ClusterRole "edit" to Group "{}""#,
            dev.groups[0], dev.groups[0]
        )
    };
    let mut a = Audit::ok(t, verb, &uri, ident, dev.ip, dev.ua);
    a.obj = obj;
    a.reason = &reason;
    a.latency_us = latency + 2000;
    write_audit(out, rng, &a);
}

/// Rare benign events that look like attacks (about 0.1% of the audit noise).
fn suspicious_audit(_w: &World, rng: &mut Rng, t: i64, out: &mut String) {
    match rng.below(3) {
        0 => {
            let dev = &DEVS[0];
            let pod = &PODS[CART];
            let uri = format!(
                "/api/v1/namespaces/shop/pods/{}/exec?command=sh&container=cart&stdin=true&stdout=true&tty=true",
                pod.name
            );
            let ident = Ident::user(dev.name, dev.groups);
            let mut a = Audit::ok(t, "create", &uri, ident, dev.ip, dev.ua);
            a.obj = Some(Obj {
                resource: "pods",
                namespace: Some("shop"),
                name: Some(pod.name),
                api_version: "v1",
                subresource: Some("exec"),
                ..Default::default()
            });
            a.code = 101;
            a.reason = r#"RBAC: allowed by RoleBinding "shop-devs/shop" of ClusterRole "edit" to Group "shop-devs""#;
            a.latency_us = rng.range(20_000_000, 400_000_000) as u32;
            write_audit(out, rng, &a);
        }
        1 => {
            let dev = &DEVS[1];
            let ident = Ident::user(dev.name, dev.groups);
            let mut a = Audit::ok(
                t,
                "list",
                "/api/v1/namespaces/shop/secrets?limit=500",
                ident,
                dev.ip,
                dev.ua,
            );
            a.obj = Some(Obj {
                resource: "secrets",
                namespace: Some("shop"),
                api_version: "v1",
                ..Default::default()
            });
            a.code = 403;
            a.failure = Some((
                "Forbidden",
                r#"secrets is forbidden: User "bob@corp.example" cannot list resource "secrets" in API group "" in the namespace "shop""#,
            ));
            write_audit(out, rng, &a);
        }
        _ => {
            let dev = &DEVS[2];
            let ident = Ident::user(dev.name, dev.groups);
            let mut a = Audit::ok(
                t,
                "get",
                "/api/v1/namespaces/payments/secrets/api-tls",
                ident,
                dev.ip,
                dev.ua,
            );
            a.obj = Some(Obj {
                resource: "secrets",
                namespace: Some("payments"),
                name: Some("api-tls"),
                api_version: "v1",
                ..Default::default()
            });
            a.reason = r#"RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins""#;
            write_audit(out, rng, &a);
        }
    }
}

fn kubelet_noise(w: &World, node: usize, rng: &mut Rng, t: i64, out: &mut String) {
    let pid = w.kubelet_pids[node];
    let pod = pod_on(rng, node);
    let full = pod.full();
    let uid = name_uid(pod.name);
    let msg;
    let (sev, src) = match rng.weighted(&[25, 20, 15, 10, 8, 8, 5, 5, 4, 3]) {
        0 => {
            msg = format!(r#""SyncLoop UPDATE" source="api" pods=["{full}"]"#);
            ('I', "kubelet.go:2439")
        }
        1 => {
            msg = format!(r#""SyncLoop (probe)" probe="readiness" status="ready" pod="{full}""#);
            ('I', "kubelet.go:2512")
        }
        2 => {
            msg = format!(r#""SyncLoop RECONCILE" source="api" pods=["{full}"]"#);
            ('I', "kubelet.go:2452")
        }
        3 => {
            let ms = rng.range(1001, 1900);
            msg = format!(
                r#""Housekeeping took longer than expected" err="housekeeping took too long" expected="1s" actual="1.{:03}s""#,
                ms - 1000
            );
            ('E', "kubelet.go:2238")
        }
        4 => {
            msg = format!(
                r#""Probe failed" probeType="Readiness" pod="{full}" podUID="{uid}" containerName="{}" probeResult="failure" output="Get \"http://{}:8080/ready\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)""#,
                pod.container, pod.ip
            );
            ('I', "prober.go:107")
        }
        5 => {
            msg = format!(
                r#""Unable to retrieve pull secret, the image pull may not succeed." pod="{full}" secret="" err="secret \"regcred\" not found""#
            );
            ('W', "kubelet_pods.go:1046")
        }
        6 => {
            msg = format!(
                r#""operationExecutor.MountVolume started for volume \"kube-api-access-{}\" (UniqueName: \"kubernetes.io/projected/{uid}-kube-api-access-{}\") pod \"{}\" (UID: \"{uid}\") " pod="{full}""#,
                &uid[..5],
                &uid[..5],
                pod.name
            );
            ('I', "reconciler_common.go:220")
        }
        7 => {
            msg = format!(
                "http: TLS handshake error from {}:{}: EOF",
                NODES[0].ip,
                rng.range(32768, 60999)
            );
            ('I', "log.go:194")
        }
        8 => {
            msg = format!(
                r#""Observed pod startup duration" pod="{full}" podStartSLOduration={}.{:09} podStartE2EDuration="{}.{:09}s""#,
                rng.range(1, 9),
                rng.below(1_000_000_000),
                rng.range(10, 40),
                rng.below(1_000_000_000)
            );
            ('I', "pod_startup_latency_tracker.go:102")
        }
        _ => {
            msg = format!(r#""RemoveContainer" containerID="{}""#, rng.hex(64));
            ('I', "scope.go:117")
        }
    };
    write_klog(out, t, sev, pid, src, &msg);
}

fn syslog_noise(w: &World, node: usize, rng: &mut Rng, t: i64, out: &mut String) {
    let host = NODES[node].name;
    let containerd = format!("containerd[{}]", w.containerd_pids[node]);
    match rng.weighted(&[30, 15, 12, 10, 4, 4, 3, 2]) {
        0 => {
            let msg = format!(
                "run-containerd-runc-k8s.io-{}-runc.{}.mount: Deactivated successfully.",
                rng.hex(64),
                rng.k8s_suffix(6)
            );
            write_syslog(out, t, host, "systemd[1]", &msg);
        }
        1 => {
            let mut ts = String::new();
            rfc3339_nanos(&mut ts, t - rng.range(1000, 90_000) as i64);
            let id = rng.hex(64);
            let msg = format!(
                "time=\"{ts}\" level=info msg=\"ExecSync for \\\"{id}\\\" with command [/bin/sh -c pg_isready -U app] and timeout 1 (s)\""
            );
            write_syslog(out, t, host, &containerd, &msg);
            let mut ts2 = String::new();
            rfc3339_nanos(&mut ts2, t + 40_000_000);
            let msg = format!(
                "time=\"{ts2}\" level=info msg=\"ExecSync for \\\"{id}\\\" returns with exit code 0\""
            );
            write_syslog(out, t + 40_000_000, host, &containerd, &msg);
        }
        2 => {
            let mut line = String::new();
            kubelet_noise(w, node, rng, t, &mut line);
            let tag = format!("kubelet[{}]", w.kubelet_pids[node]);
            write_syslog(out, t, host, &tag, line.trim_end());
        }
        3 => {
            let mut ts = String::new();
            rfc3339_nanos(&mut ts, t);
            let pod = pod_on(rng, node);
            let msg = format!(
                "time=\"{ts}\" level=info msg=\"ImageCreate event name:\\\"{}\\\" labels:{{key:\\\"io.cri-containerd.image\\\" value:\\\"managed\\\"}}\"",
                pod.image
            );
            write_syslog(out, t, host, &containerd, &msg);
        }
        4 => write_syslog(
            out,
            t,
            host,
            &format!("CRON[{}]", rng.range(20_000, 60_000)),
            "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
        ),
        5 => {
            let msg = format!("veth{}: Gained IPv6LL", rng.hex(8));
            write_syslog(out, t, host, "systemd-networkd[512]", &msg);
        }
        6 => {
            let up = (t / SEC) % 1_000_000;
            let msg = format!(
                "[{up}.{:06}] cni0: port {}(veth{}) entered forwarding state",
                rng.below(1_000_000),
                rng.range(2, 12),
                rng.hex(8)
            );
            write_syslog(out, t, host, "kernel", &msg);
        }
        _ => write_syslog(
            out,
            t,
            host,
            "chronyd[640]",
            "Selected source 10.0.0.2 (ntp.corp.example)",
        ),
    }
}

fn auth_noise(node: usize, rng: &mut Rng, t: i64, out: &mut String) {
    let host = NODES[node].name;
    if rng.chance(1, 1000) {
        // An internet scanner that gives up quickly.
        let pid = format!("sshd[{}]", rng.range(20_000, 60_000));
        let ip = format!("192.0.2.{}", rng.range(2, 250));
        let user = *rng.pick(&["oracle", "admin", "test", "git", "postgres"]);
        let port = rng.range(32768, 60999);
        write_syslog(
            out,
            t,
            host,
            &pid,
            &format!("Invalid user {user} from {ip} port {port}"),
        );
        write_syslog(
            out,
            t + 900_000_000,
            host,
            &pid,
            &format!("Connection closed by invalid user {user} {ip} port {port} [preauth]"),
        );
        return;
    }
    match rng.weighted(&[70, 8, 6]) {
        0 => {
            let pid = format!("CRON[{}]", rng.range(20_000, 60_000));
            write_syslog(
                out,
                t,
                host,
                &pid,
                "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
            );
            write_syslog(
                out,
                t + rng.range(50, 900) as i64 * 1_000_000,
                host,
                &pid,
                "pam_unix(cron:session): session closed for user root",
            );
        }
        1 => {
            let pid = format!("sshd[{}]", rng.range(20_000, 60_000));
            let port = rng.range(32768, 60999);
            let key: String = rng.hex(43);
            write_syslog(
                out,
                t,
                host,
                &pid,
                &format!("Accepted publickey for ubuntu from 10.20.0.5 port {port} ssh2: ED25519 SHA256:{key}"),
            );
            write_syslog(
                out,
                t + 8_000_000,
                host,
                &pid,
                "pam_unix(sshd:session): session opened for user ubuntu(uid=1000) by (uid=0)",
            );
            let session = rng.range(100, 900);
            write_syslog(
                out,
                t + 30_000_000,
                host,
                "systemd-logind[598]",
                &format!("New session {session} of user ubuntu."),
            );
            let cmd = *rng.pick(&[
                "/usr/bin/crictl ps",
                "/usr/bin/journalctl -u kubelet --since -10m",
                "/usr/bin/systemctl status containerd",
                "/usr/bin/crictl images",
            ]);
            let t2 = t + rng.range(1000, 2000) as i64 * 1_000_000;
            write_syslog(
                out,
                t2,
                host,
                "sudo",
                &format!("  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND={cmd}"),
            );
            write_syslog(
                out,
                t2 + 2_000_000,
                host,
                "sudo",
                "pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)",
            );
            write_syslog(
                out,
                t2 + 300_000_000,
                host,
                "sudo",
                "pam_unix(sudo:session): session closed for user root",
            );
        }
        _ => {
            let session = rng.range(100, 900);
            write_syslog(
                out,
                t,
                host,
                "systemd-logind[598]",
                &format!("Session {session} logged out. Waiting for processes to exit."),
            );
            write_syslog(
                out,
                t + 20_000_000,
                host,
                "systemd-logind[598]",
                &format!("Removed session {session}."),
            );
        }
    }
}

const BROWSERS: [&str; 3] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
];

fn container_noise(p: usize, rng: &mut Rng, t: i64, out: &mut String) {
    let pod = &PODS[p];
    let node = &NODES[pod.node];
    let msg = match pod.style {
        Style::Access => {
            if rng.chance(2, 5) {
                let path = if rng.chance(1, 2) {
                    "/healthz"
                } else {
                    "/ready"
                };
                access_line(
                    t,
                    &format!("{}.1", node.pod_net),
                    &format!("GET {path} HTTP/1.1"),
                    200,
                    2,
                    "-",
                    "kube-probe/1.29",
                )
            } else {
                let (req, code, bytes) = match rng.below(5) {
                    0 => (
                        format!("GET /api/products?page={} HTTP/1.1", rng.range(1, 40)),
                        200,
                        rng.range(2000, 9000),
                    ),
                    1 => (
                        format!("GET /api/products/{} HTTP/1.1", rng.range(1000, 9999)),
                        200,
                        rng.range(800, 2400),
                    ),
                    2 => (
                        "POST /api/cart HTTP/1.1".to_string(),
                        201,
                        rng.range(60, 200),
                    ),
                    3 => (
                        format!("GET /static/js/main.{}.js HTTP/1.1", "8f3a2c91"),
                        200,
                        184_233,
                    ),
                    _ => (
                        format!("GET /api/products/{} HTTP/1.1", rng.range(1000, 9999)),
                        404,
                        48,
                    ),
                };
                access_line(
                    t,
                    PODS[8].ip,
                    &req,
                    code,
                    bytes as u32,
                    "https://shop.example.com/",
                    BROWSERS[rng.below(BROWSERS.len() as u64) as usize],
                )
            }
        }
        Style::Json => {
            let mut ts = String::new();
            rfc3339_micros(&mut ts, t);
            let status = *rng.pick(&[200, 200, 200, 201, 204, 404]);
            format!(
                r#"{{"level":"info","ts":"{ts}","caller":"server/http.go:142","msg":"request","method":"{}","path":"{}","status":{status},"duration_ms":{}.{},"request_id":"{}"}}"#,
                if status == 201 { "POST" } else { "GET" },
                rng.pick(&["/cart/items", "/cart", "/cart/checkout", "/healthz"]),
                rng.range(1, 60),
                rng.below(10),
                rng.hex(16)
            )
        }
        Style::Logfmt => {
            let mut ts = String::new();
            rfc3339_micros(&mut ts, t);
            format!(
                "ts={ts} level=info caller=handler.go:77 msg=\"charge authorized\" amount_cents={} currency=EUR latency_ms={} request_id={}",
                rng.range(500, 25_000),
                rng.range(80, 400),
                rng.hex(16)
            )
        }
        Style::Dns => {
            let (client, name) = match rng.below(4) {
                0 => (PODS[0].ip, "cart.shop.svc.cluster.local."),
                1 => (PODS[2].ip, "redis.shop.svc.cluster.local."),
                2 => (PODS[3].ip, "postgres.payments.svc.cluster.local."),
                _ => (PODS[0].ip, "api.payments.svc.cluster.local."),
            };
            format!(
                "[INFO] {client}:{} - {} \"A IN {name} udp {} false 512\" NOERROR qr,aa,rd {} 0.000{:03}s",
                rng.range(32768, 60999),
                rng.range(1, 65535),
                name.len() + 12,
                name.len() * 2 + 60,
                rng.range(60, 400)
            )
        }
    };
    write_cri(out, t, "stdout", &msg);
}

fn falco_noise(w: &World, rng: &mut Rng, t: i64, out: &mut String) {
    if rng.chance(1, 4) {
        // A developer's debugging shell (the exec the audit noise sometimes shows).
        let p = CART;
        let pod = &PODS[p];
        let id = &w.container_ids[p][..12];
        let fields: [(&str, &str); 10] = [
            ("evt.type", "execve"),
            ("user.name", "root"),
            ("user.uid", "0"),
            ("proc.cmdline", "sh"),
            ("proc.name", "sh"),
            ("proc.pname", "runc"),
            ("container.id", id),
            ("container.name", pod.container),
            ("k8s.ns.name", pod.ns),
            ("k8s.pod.name", pod.name),
        ];
        return write_falco(
            out,
            &Falco {
                t,
                hostname: NODES[pod.node].name,
                alert: &TERMINAL_SHELL,
                fields: &fields,
            },
        );
    }
    let argo = 7;
    let id = &w.container_ids[argo][..12];
    let pod = &PODS[argo];
    let conn = format!("{}:{}->10.96.0.1:443", pod.ip, rng.range(32768, 60999));
    let fields: [(&str, &str); 10] = [
        ("evt.type", "connect"),
        ("user.name", "argocd"),
        ("user.uid", "999"),
        (
            "proc.cmdline",
            "argocd-application-controller --status-processors 20",
        ),
        ("proc.name", "argocd-applicat"),
        ("fd.name", &conn),
        ("container.id", id),
        ("container.name", pod.container),
        ("k8s.ns.name", pod.ns),
        ("k8s.pod.name", pod.name),
    ];
    write_falco(
        out,
        &Falco {
            t,
            hostname: NODES[pod.node].name,
            alert: &CONTACT_API_SERVER,
            fields: &fields,
        },
    );
}
