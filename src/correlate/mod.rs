//! Correlation across sources: entities, cross-source sequences, incidents.
//!
//! [`Correlator`] sees every record once (`observe`), every finding once
//! with the record it fired on (`finding`), and runs once at the end
//! (`finish`). It keeps compact per-entity information (counts, first and
//! last seen, small bounded lists) and a few bounded lists of notable
//! events ("signals"), never the events themselves.
//!
//! Links between sources: a container log's path names its pod and
//! container; Falco names `k8s.ns.name`/`k8s.pod.name`/`container.id` and
//! its hostname is the node; klog and syslog lines name their host (the
//! node) and kubelet lines the pod; audit pod creates and bindings name the
//! node a pod runs on; a bound service-account token names its pod; the
//! sourceIPs of `system:node:<name>` and of the control plane are the
//! cluster's own addresses.
//!
//! Multi-step sequences Sigma can express over one log are Sigma
//! correlations (`rules/builtin/correlations.yml`). The ones here are code
//! because Sigma cannot state them, and each says why.
//!
//! Incidents: findings sorted by time are joined (union-find) when they
//! share a linking entity seen within [`GAP_NS`] of each other. Ubiquitous
//! entities (control-plane and controller identities, control-plane
//! addresses, loopback) never link, and namespaces are not entities at all.
//! Everything is evaluated in event-time order after the last input, so
//! the result does not depend on the order inputs were given in.

mod describe;
mod entity;
mod incident;
mod skew;

pub use describe::tactic;
pub use entity::{internal_ip, ubiquitous_identity, Entity};
pub use incident::build_incidents;
pub use skew::ClockSkew;

use crate::detect::{Evidence, Finding};
use crate::event::{value_at, Format, Record};
use describe::Action;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use foldhash::fast::RandomState;

/// Findings further apart than this never join one incident (60 minutes).
pub const GAP_NS: i64 = 60 * 60 * 1_000_000_000;
/// Longest span between the two steps of a code correlation (60 minutes).
pub const WINDOW_NS: i64 = 60 * 60 * 1_000_000_000;
/// Most entities tracked; later new entities are counted, not kept.
pub const MAX_ENTITIES: usize = 200_000;
/// Most entries of each signal list and relation map.
pub const MAX_SIGNALS: usize = 20_000;
/// Most addresses remembered per identity.
const MAX_IPS_PER_IDENTITY: usize = 16;
/// Most uses remembered per RBAC binding.
const MAX_USES_PER_BINDING: usize = 8;
/// Most entities kept per finding.
const MAX_FACT_ENTITIES: usize = 24;

/// A correlation written in code (this module), described like a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRule {
    pub id: &'static str,
    pub title: &'static str,
    pub level: &'static str,
    pub techniques: &'static [&'static str],
    /// What it means, for the report's rule descriptions (like a Sigma
    /// rule's `description`).
    pub description: &'static str,
    /// Behaviours of rules/behaviours.yml it detects (like the `behaviours`
    /// field of the built-in Sigma rules).
    pub behaviours: &'static [&'static str],
}

const BINDING_USED: CodeRule = CodeRule {
    id: "spoor-correlate-binding-used",
    title: "RBAC Binding Created, Then Used",
    level: "high",
    techniques: &["T1098"],
    description: "A RoleBinding or ClusterRoleBinding was created, and within the hour the API server allowed a request because of that binding (its authorization reason names it): the new permission was put to use.",
    behaviours: &["rbac.binding_used"],
};
const TOKEN_NEW_ADDRESS: CodeRule = CodeRule {
    id: "spoor-correlate-token-new-address",
    title: "Secrets Read, Then a Service Account Used From a New Address",
    level: "high",
    techniques: &["T1528", "T1550.001"],
    description: "Secrets were read (or a token file was read in a pod), and within the hour a service account was used from an address outside the cluster that it had not used before: a stolen service-account token used from the thief's machine.",
    behaviours: &["cred.sa_token_external"],
};
const NODE_ELSEWHERE: CodeRule = CodeRule {
    id: "spoor-correlate-node-identity-elsewhere",
    title: "Node Identity Used From Another Address",
    level: "high",
    techniques: &["T1078", "T1552.004"],
    description: "A node's identity (system:node:<name>) made requests from an address other than the node's own (the address it uses most): the kubelet's credentials were taken off the node.",
    behaviours: &["authn.system_user_public_ip"],
};
const PERSON_NEW_ADDRESS: CodeRule = CodeRule {
    id: "spoor-correlate-person-new-address",
    title: "Personal Identity Used From a New Public Address and Client",
    level: "high",
    techniques: &["T1078", "T1552.001"],
    description: "A person's identity, first seen from a private address, was later used from a public address it had not used before and with another client (user agent): a stolen kubeconfig or token used from the thief's machine.",
    behaviours: &["authn.person_new_address"],
};
const EXEC_THEN_ACTIVITY: CodeRule = CodeRule {
    id: "spoor-correlate-exec-then-activity",
    title: "Exec Into a Pod, Then an Alert or Suspicious Output From It",
    level: "high",
    techniques: &["T1609", "T1059"],
    description: "Someone opened an exec session in a pod, and within the hour a finding came from inside that pod (a Falco alert, suspicious output in its container log): the session ran an attacker's commands.",
    behaviours: &["exec.exec_attach"],
};

/// Every code correlation, in the order they run.
pub const CODE_RULES: &[CodeRule] = &[
    BINDING_USED,
    TOKEN_NEW_ADDRESS,
    NODE_ELSEWHERE,
    PERSON_NEW_ADDRESS,
    EXEC_THEN_ACTIVITY,
];

/// What is known about one entity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityStats {
    /// Records that named it.
    pub events: u64,
    /// Findings whose record named it.
    pub findings: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
}

impl EntityStats {
    fn seen(&mut self, t: Option<i64>) {
        if let Some(t) = t {
            self.first_seen = Some(self.first_seen.map_or(t, |f| f.min(t)));
            self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        }
    }
}

/// Where a record is: input index and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct At {
    pub input: u32,
    pub line: u64,
}

impl At {
    fn evidence(self) -> Evidence {
        Evidence {
            input: self.input,
            line: self.line,
        }
    }
}

/// What the correlator keeps about one finding: the entities of its
/// record and the sentence that tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub time: Option<i64>,
    pub at: At,
    pub format: Format,
    pub entities: Vec<Entity>,
    pub action: Action,
    /// Tactics the record itself states (Falco's `mitre_*` tags).
    pub tactics: Vec<String>,
}

type FactKey = (String, Option<i64>, At);

/// An address an identity acted from.
#[derive(Debug, Clone, PartialEq)]
struct IpUse {
    ip: String,
    count: u64,
    first: i64,
    at: At,
    pod: Option<String>,
    /// User agent of the first use.
    agent: Option<String>,
}

/// A notable event kept for the code correlations.
#[derive(Debug, Clone, PartialEq)]
struct Signal {
    time: i64,
    at: At,
    actor: Option<String>,
    ip: Option<String>,
    pod: Option<String>,
    /// The binding created, or the object read.
    name: String,
}

#[derive(Default)]
pub struct Correlator {
    /// foldhash: looked up for every event (SipHash was 1.5 % of a scan).
    entities: HashMap<Entity, EntityStats, RandomState>,
    entities_dropped: u64,
    /// `ns/pod` → node.
    pod_node: BTreeMap<String, String>,
    /// Short container id → `ns/pod`.
    container_pod: BTreeMap<String, String>,
    /// Pod address → `ns/pod` (Hubble endpoints, audit pod status).
    ip_pod: BTreeMap<String, String>,
    /// Node address → node (audit pod status `hostIP`).
    ip_node: BTreeMap<String, String>,
    skew: skew::SkewTracker,
    /// Node, service-account and personal identities → addresses used.
    identity_ips: BTreeMap<String, Vec<IpUse>>,
    /// Source addresses of the control plane.
    control_ips: BTreeSet<String>,
    facts: HashMap<FactKey, Fact, RandomState>,
    bindings: Vec<Signal>,
    /// Binding (`ClusterRoleBinding name` / `RoleBinding ns/name`) → earliest uses.
    binding_uses: BTreeMap<String, Vec<Signal>>,
    secret_reads: Vec<Signal>,
    execs: Vec<Signal>,
    signals_dropped: u64,
    finished: bool,
}

/// Records the first value seen for `key`, within [`MAX_SIGNALS`] keys.
fn relate(map: &mut BTreeMap<String, String>, key: String, value: String) {
    if map.len() < MAX_SIGNALS || map.contains_key(&key) {
        map.entry(key).or_insert(value);
    }
}

fn push_bounded<T>(v: &mut Vec<T>, item: T, dropped: &mut u64) {
    if v.len() < MAX_SIGNALS {
        v.push(item);
    } else {
        *dropped += 1;
    }
}

/// `RBAC: allowed by ClusterRoleBinding "x" of ...` → `ClusterRoleBinding x`;
/// `RoleBinding "x/ns"` → `RoleBinding ns/x`.
fn binding_in_reason(reason: &str) -> Option<String> {
    let rest = reason.split("allowed by ").nth(1)?;
    let (kind, rest) = rest.split_once(" \"")?;
    let name = rest.split('"').next()?;
    match kind {
        "ClusterRoleBinding" => Some(format!("ClusterRoleBinding {name}")),
        "RoleBinding" => {
            let (n, ns) = name.split_once('/').unwrap_or((name, ""));
            Some(format!("RoleBinding {ns}/{n}"))
        }
        _ => None,
    }
}

impl Correlator {
    pub fn new() -> Self {
        Self::default()
    }

    fn bump(&mut self, e: &Entity, t: Option<i64>, finding: bool) {
        let count = |stats: &mut EntityStats| {
            if finding {
                stats.findings += 1;
            } else {
                stats.events += 1;
                stats.seen(t);
            }
        };
        // Looked up before inserting: entities repeat on most events, and
        // a lookup does not copy the name.
        if let Some(stats) = self.entities.get_mut(e) {
            return count(stats);
        }
        if self.entities.len() >= MAX_ENTITIES {
            self.entities_dropped += 1;
            return;
        }
        count(self.entities.entry(e.clone()).or_default());
    }

    /// One record (every record of the case passes here once).
    pub fn observe(&mut self, record: &Record, input: u32) {
        let t = record.event.time_ns;
        let at = At {
            input,
            line: record.location.line,
        };
        for e in entity::extract(record) {
            self.bump(&e, t, false);
        }
        self.skew.observe(record, input);
        let (pods, nodes) = entity::addresses(record);
        for (ip, pod) in pods {
            relate(&mut self.ip_pod, ip, pod);
        }
        for (ip, node) in nodes {
            relate(&mut self.ip_node, ip, node);
        }
        let e = &record.event;
        match record.format {
            f if f.is_audit() => self.observe_audit(record, t, at),
            Format::Falco => {
                if let (Some(ns), Some(pod)) = (&e.namespace, &e.pod) {
                    let pod = entity::scoped(Some(ns), pod);
                    if let Some(id) = &e.container_id {
                        self.relate_container(id, &pod);
                    }
                    if let Some(h) = &e.host {
                        self.relate_pod_node(&pod, h);
                    }
                    let token = value_at(&record.fields, &["output_fields", "fd.name"])
                        .and_then(Value::as_str)
                        .is_some_and(|f| f.contains("/serviceaccount/token"));
                    if let (true, Some(t)) = (token, t) {
                        let s = Signal {
                            time: t,
                            at,
                            actor: None,
                            ip: None,
                            pod: Some(pod),
                            name: "service-account token".into(),
                        };
                        push_bounded(&mut self.secret_reads, s, &mut self.signals_dropped);
                    }
                }
            }
            Format::Cri | Format::DockerJson => {
                if let (Some(ns), Some(pod), Some(id)) = (&e.namespace, &e.pod, &e.container_id) {
                    let pod = entity::scoped(Some(ns), pod);
                    self.relate_container(id, &pod);
                }
            }
            Format::Klog => {
                if let (Some(ns), Some(pod), Some(h)) = (&e.namespace, &e.pod, &e.host) {
                    let pod = entity::scoped(Some(ns), pod);
                    self.relate_pod_node(&pod, h);
                }
            }
            _ => {}
        }
    }

    fn relate_container(&mut self, id: &str, pod: &str) {
        let id = entity::short_container_id(id);
        relate(&mut self.container_pod, id, pod.to_string());
    }

    fn relate_pod_node(&mut self, pod: &str, node: &str) {
        relate(&mut self.pod_node, pod.to_string(), node.to_string());
    }

    fn observe_audit(&mut self, record: &Record, t: Option<i64>, at: At) {
        let e = &record.event;
        let Some(user) = e.user.as_deref() else {
            return;
        };
        let ip = e.source_ips.first().cloned();
        if entity::control_plane_identity(user) && self.control_ips.len() < 64 {
            self.control_ips
                .extend(e.source_ips.iter().take(4).cloned());
        }
        if let Some((pod, node)) = entity::scheduled_node(record) {
            if e.success != Some(false) {
                self.relate_pod_node(&pod, &node);
            }
        }
        let Some(t) = t else { return };
        let ok = e.success != Some(false);
        // Addresses of node, service-account and personal identities.
        if let (Some(ip), true) = (
            &ip,
            user.starts_with("system:node:")
                || user.starts_with("system:serviceaccount:")
                || personal_identity(user),
        ) {
            if !self.identity_ips.contains_key(user) && self.identity_ips.len() < MAX_SIGNALS {
                self.identity_ips.insert(user.to_string(), Vec::new());
            }
            if let Some(uses) = self.identity_ips.get_mut(user) {
                let full = uses.len() >= MAX_IPS_PER_IDENTITY;
                match uses.iter_mut().find(|u| &u.ip == ip) {
                    Some(u) => {
                        u.count += 1;
                        if (t, at) < (u.first, u.at) {
                            u.first = t;
                            u.at = at;
                            u.pod = entity::token_pod(record);
                            u.agent = e.user_agent.clone();
                        }
                    }
                    None if !full => uses.push(IpUse {
                        ip: ip.clone(),
                        count: 1,
                        first: t,
                        at,
                        pod: entity::token_pod(record),
                        agent: e.user_agent.clone(),
                    }),
                    None => {}
                }
            }
        }
        if !ok || entity::ubiquitous_identity(user) {
            return;
        }
        let signal = |name: String| Signal {
            time: t,
            at,
            actor: Some(user.to_string()),
            ip: ip.clone(),
            pod: None,
            name,
        };
        let resource = e.resource.as_deref().unwrap_or("");
        let verb = e.action.as_deref().unwrap_or("");
        match (verb, resource, e.subresource.as_deref()) {
            ("create" | "update" | "patch", "clusterrolebindings" | "rolebindings", None) => {
                if let Some(name) = e.object_name.clone().or_else(|| {
                    value_at(&record.fields, &["requestObject", "metadata", "name"])
                        .and_then(Value::as_str)
                        .map(String::from)
                }) {
                    let key = if resource == "clusterrolebindings" {
                        format!("ClusterRoleBinding {name}")
                    } else {
                        format!(
                            "RoleBinding {}",
                            entity::scoped(e.namespace.as_deref(), &name)
                        )
                    };
                    push_bounded(&mut self.bindings, signal(key), &mut self.signals_dropped);
                }
            }
            ("get" | "list" | "watch", "secrets", None) => {
                let name = entity::scoped(
                    e.namespace.as_deref(),
                    e.object_name.as_deref().unwrap_or("*"),
                );
                push_bounded(
                    &mut self.secret_reads,
                    signal(name),
                    &mut self.signals_dropped,
                );
            }
            (_, "pods", Some("exec" | "attach")) => {
                let pod = entity::scoped(
                    e.namespace.as_deref(),
                    e.object_name.as_deref().unwrap_or("?"),
                );
                let mut s = signal(pod.clone());
                s.pod = Some(pod);
                push_bounded(&mut self.execs, s, &mut self.signals_dropped);
            }
            _ => {}
        }
        // Which binding allowed it.
        let reason = value_at(
            &record.fields,
            &["annotations", "authorization.k8s.io/reason"],
        )
        .and_then(Value::as_str);
        if let Some(b) = reason.and_then(binding_in_reason) {
            if !self.binding_uses.contains_key(&b) && self.binding_uses.len() < MAX_SIGNALS {
                self.binding_uses.insert(b.clone(), Vec::new());
            }
            if let Some(uses) = self.binding_uses.get_mut(&b) {
                // Keep the earliest uses; a later one is not even built.
                let pos = uses.partition_point(|u| (u.time, u.at) <= (t, at));
                if pos < MAX_USES_PER_BINDING {
                    uses.insert(pos, signal(b));
                    uses.truncate(MAX_USES_PER_BINDING);
                }
            }
        }
    }

    /// One finding, with the record it fired on.
    pub fn finding(&mut self, finding: &Finding, record: &Record, input: u32) {
        let at = At {
            input,
            line: record.location.line,
        };
        let mut entities = entity::finding_entities(record);
        // A correlation's group-by values name its subject.
        for (field, value) in &finding.matched {
            let kind = match field.as_str() {
                "user.username" | "spoor.user" => "identity",
                "spoor.source_ip" | "sourceIPs" => "ip",
                _ => continue,
            };
            let e = Entity::new(kind, value.clone());
            if !entities.contains(&e) {
                entities.push(e);
            }
        }
        entities.truncate(MAX_FACT_ENTITIES);
        for e in &entities {
            self.bump(e, None, true);
        }
        let fact = Fact {
            time: finding.time_ns,
            at,
            format: record.format,
            entities,
            action: describe::action(record),
            tactics: describe::falco_tactics(record),
        };
        if self.facts.len() < MAX_SIGNALS * 5 {
            self.facts
                .insert((finding.rule_id.clone(), finding.time_ns, at), fact);
        }
    }

    /// The fact kept for `finding`, if any.
    pub fn fact(&self, finding: &Finding) -> Option<&Fact> {
        finding.evidence.iter().rev().find_map(|e| {
            let at = At {
                input: e.input,
                line: e.line,
            };
            self.facts
                .get(&(finding.rule_id.clone(), finding.time_ns, at))
        })
    }

    /// Statistics of one entity.
    pub fn entity(&self, e: &Entity) -> Option<&EntityStats> {
        self.entities.get(e)
    }

    /// Indexes of the findings (into `findings`, the analysis's final list)
    /// whose record named `e`, directly or through a container or an
    /// address of a node.
    pub fn entity_findings(&self, findings: &[Finding], e: &Entity) -> Vec<usize> {
        findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                self.fact(f)
                    .is_some_and(|fact| self.expand(&fact.entities).contains(e))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Entities by activity (records + findings), most active first; at most `n`.
    pub fn top_entities(&self, n: usize) -> Vec<(&Entity, &EntityStats)> {
        let mut all: Vec<(&Entity, &EntityStats)> = self.entities.iter().collect();
        crate::sort::by(&mut all, |a, b| {
            (b.1.findings, b.1.events)
                .cmp(&(a.1.findings, a.1.events))
                .then_with(|| a.0.cmp(b.0))
        });
        all.truncate(n);
        all
    }

    /// Clock offsets of other inputs from the audit log's, estimated from
    /// execs seen in both (see `skew`); `paths` names the inputs.
    pub fn clock_skew(&self, paths: &[String]) -> Vec<ClockSkew> {
        self.skew.estimates(paths)
    }

    /// Entities not tracked because of [`MAX_ENTITIES`].
    pub fn entities_dropped(&self) -> u64 {
        self.entities_dropped
    }

    /// The address of each node: from pod status (`hostIP`), else the
    /// most used address of its node identity.
    fn node_addresses(&self) -> BTreeMap<String, String> {
        let mut out = self.ip_node.clone();
        for (user, uses) in &self.identity_ips {
            let Some(node) = user.strip_prefix("system:node:") else {
                continue;
            };
            if let Some(home) = uses
                .iter()
                .max_by(|a, b| a.count.cmp(&b.count).then_with(|| b.ip.cmp(&a.ip)))
            {
                out.entry(home.ip.clone())
                    .or_insert_with(|| node.to_string());
            }
        }
        out
    }

    /// Linking entities of a fact: container ids add their pod, a node's
    /// address becomes the node; ubiquitous entities are dropped.
    pub fn expand(&self, entities: &[Entity]) -> Vec<Entity> {
        let nodes = self.node_addresses();
        let mut out: Vec<Entity> = Vec::new();
        let add = |e: Entity, out: &mut Vec<Entity>| {
            if !out.contains(&e) {
                out.push(e);
            }
        };
        for e in entities {
            match e.kind.as_str() {
                "identity" if ubiquitous_identity(&e.name) => {}
                "ip" if self.control_ips.contains(&e.name)
                    || e.name.starts_with("127.")
                    || e.name == "::1" => {}
                "ip" => match (nodes.get(&e.name), self.ip_pod.get(&e.name)) {
                    (Some(node), _) => add(Entity::new("node", node.clone()), &mut out),
                    (None, Some(pod)) => add(Entity::new("pod", pod.clone()), &mut out),
                    (None, None) => add(e.clone(), &mut out),
                },
                "container" => {
                    add(e.clone(), &mut out);
                    if let Some(pod) = self.container_pod.get(&e.name) {
                        add(Entity::new("pod", pod.clone()), &mut out);
                    }
                }
                _ => add(e.clone(), &mut out),
            }
        }
        out
    }

    /// End of the case: the code correlations, as findings.
    /// Runs once: a second call returns nothing.
    pub fn finish(&mut self) -> Vec<Finding> {
        let mut out = Vec::new();
        if std::mem::replace(&mut self.finished, true) {
            return out;
        }
        self.binding_then_use(&mut out);
        self.token_from_new_address(&mut out);
        self.node_identity_elsewhere(&mut out);
        self.person_from_new_address(&mut out);
        self.exec_then_activity(&mut out);
        out
    }

    fn emit(
        &mut self,
        out: &mut Vec<Finding>,
        rule: &CodeRule,
        time: i64,
        (first, here): (At, At),
        entities: Vec<Entity>,
        action: Action,
    ) {
        let finding = Finding {
            rule_id: rule.id.to_string(),
            title: rule.title.to_string(),
            level: rule.level.to_string(),
            techniques: rule.techniques.iter().map(|s| s.to_string()).collect(),
            time_ns: Some(time),
            evidence: if first == here {
                vec![here.evidence()]
            } else {
                vec![first.evidence(), here.evidence()]
            },
            matched: Vec::new(),
            context: Vec::new(),
        };
        for e in &entities {
            self.bump(e, None, true);
        }
        self.facts.insert(
            (finding.rule_id.clone(), finding.time_ns, here),
            Fact {
                time: Some(time),
                at: here,
                format: Format::K8sAudit,
                entities,
                action,
                tactics: Vec::new(),
            },
        );
        out.push(finding);
    }

    /// A new RBAC binding, then a request the API server allowed because of
    /// it. Code, not Sigma: joining the binding's name to the authorizer's
    /// reason on later events needs a value taken from one event and
    /// searched inside a string of another, which Sigma correlations
    /// (equality of group-by fields) cannot state.
    fn binding_then_use(&mut self, out: &mut Vec<Finding>) {
        let mut bindings = self.bindings.clone();
        crate::sort::by_key(&mut bindings, |b| (b.time, b.name.clone()));
        for b in bindings {
            let Some(uses) = self.binding_uses.get(&b.name) else {
                continue;
            };
            let Some(u) = uses
                .iter()
                .find(|u| u.time >= b.time && u.time - b.time <= WINDOW_NS && u.at != b.at)
                .cloned()
            else {
                continue;
            };
            let mut entities = vec![Entity::new("identity", u.actor.clone().unwrap_or_default())];
            if let Some(ip) = &u.ip {
                entities.push(Entity::new("ip", ip.clone()));
            }
            let (kind, name) = b.name.split_once(' ').unwrap_or(("", &b.name));
            entities.push(Entity::new(&kind.to_ascii_lowercase(), name));
            let text = format!(
                "used the rights of the {} {name}, created {} by {}",
                kind,
                clock(b.time),
                b.actor.as_deref().unwrap_or("?")
            );
            self.emit(
                out,
                &BINDING_USED,
                u.time,
                (b.at, u.at),
                entities,
                Action {
                    actor: u.actor.clone(),
                    ip: u.ip.clone(),
                    text,
                    class: format!("binding-used {}", b.name),
                },
            );
        }
    }

    /// Addresses that belong to the cluster: the control plane's and each
    /// node's own.
    fn cluster_addresses(&self) -> BTreeSet<String> {
        let mut c = self.control_ips.clone();
        c.extend(self.node_addresses().into_keys());
        c
    }

    /// Secrets read (or a token file read in a pod), then a service account
    /// used from an address outside the cluster that it had not used
    /// before. Code, not Sigma: "outside the cluster" needs the addresses
    /// learnt from other identities' events (nodes, control plane), and the
    /// read and the use are joined either by address or by the pod the
    /// token is bound to, across the audit log and Falco.
    fn token_from_new_address(&mut self, out: &mut Vec<Finding>) {
        let cluster = self.cluster_addresses();
        let mut reads = self.secret_reads.clone();
        crate::sort::by_key(&mut reads, |r| (r.time, r.at));
        let mut found = Vec::new();
        for (user, uses) in &self.identity_ips {
            if !user.starts_with("system:serviceaccount:") || ubiquitous_identity(user) {
                continue;
            }
            for u in uses {
                if cluster.contains(&u.ip) || internal_ip(&u.ip) {
                    continue;
                }
                let read = reads.iter().rev().find(|r| {
                    r.time <= u.first
                        && u.first - r.time <= WINDOW_NS
                        && (r.ip.as_deref() == Some(u.ip.as_str())
                            || (r.pod.is_some() && r.pod == u.pod))
                });
                if let Some(r) = read {
                    found.push((user.clone(), u.clone(), r.clone()));
                }
            }
        }
        for (user, u, r) in found {
            let mut entities = vec![
                Entity::new("identity", user.clone()),
                Entity::new("ip", u.ip.clone()),
            ];
            if let Some(p) = &u.pod {
                entities.push(Entity::new("pod", p.clone()));
            }
            let what = match (&r.actor, &r.pod) {
                (Some(a), _) => format!("after {a} read secrets ({}) at {}", r.name, clock(r.time)),
                (None, Some(p)) => format!(
                    "after its token was read in the pod {p} at {}",
                    clock(r.time)
                ),
                _ => String::new(),
            };
            let text = format!(
                "acted for the first time from {}, an address outside the cluster, {what}",
                u.ip
            );
            self.emit(
                out,
                &TOKEN_NEW_ADDRESS,
                u.first,
                (r.at, u.at),
                entities,
                Action {
                    actor: Some(user.clone()),
                    ip: Some(u.ip.clone()),
                    text,
                    class: format!("token-new-address {user}"),
                },
            );
        }
    }

    /// A node's identity used from an address other than the node's own.
    /// Code, not Sigma: the node's own address is learnt from the whole
    /// log (the address it uses most), which no Sigma condition can refer to.
    fn node_identity_elsewhere(&mut self, out: &mut Vec<Finding>) {
        let homes = self.node_addresses();
        let mut found = Vec::new();
        for (user, uses) in &self.identity_ips {
            let Some(node) = user.strip_prefix("system:node:") else {
                continue;
            };
            let Some(home) = homes
                .iter()
                .find(|(_, n)| *n == node)
                .map(|(ip, _)| ip.clone())
            else {
                continue;
            };
            for u in uses {
                if u.ip == home || self.control_ips.contains(&u.ip) || homes.contains_key(&u.ip) {
                    continue;
                }
                found.push((user.clone(), node.to_string(), home.clone(), u.clone()));
            }
        }
        for (user, node, home, u) in found {
            let entities = vec![
                Entity::new("identity", user.clone()),
                Entity::new("node", node.clone()),
                Entity::new("ip", u.ip.clone()),
            ];
            let text = format!(
                "acted from {} ({} requests), while the node {node} itself uses {home}",
                u.ip, u.count
            );
            self.emit(
                out,
                &NODE_ELSEWHERE,
                u.first,
                (u.at, u.at),
                entities,
                Action {
                    actor: Some(user.clone()),
                    ip: Some(u.ip.clone()),
                    text,
                    class: format!("node-elsewhere {user}"),
                },
            );
        }
    }

    /// A person's identity, seen first from an address inside the private
    /// ranges, later used from a public address it had not used before with
    /// another client (user agent): a stolen kubeconfig or token used from
    /// the thief's machine. Code, not Sigma: "the address and client it
    /// usually uses" is learnt from the whole log (across rotated segments,
    /// in event-time order), which no Sigma condition can refer to.
    fn person_from_new_address(&mut self, out: &mut Vec<Finding>) {
        let cluster = self.cluster_addresses();
        let mut found = Vec::new();
        for (user, uses) in &self.identity_ips {
            if !personal_identity(user) {
                continue;
            }
            for u in uses {
                if internal_ip(&u.ip) || cluster.contains(&u.ip) {
                    continue;
                }
                // The earliest earlier use from a private address, with
                // another client.
                let before = uses
                    .iter()
                    .filter(|v| {
                        internal_ip(&v.ip)
                            && (v.first, v.at) < (u.first, u.at)
                            && v.agent != u.agent
                    })
                    .min_by_key(|v| (v.first, v.at));
                if let Some(v) = before {
                    found.push((user.clone(), u.clone(), v.clone()));
                }
            }
        }
        for (user, u, v) in found {
            let entities = vec![
                Entity::new("identity", user.clone()),
                Entity::new("ip", u.ip.clone()),
            ];
            let agent = |a: &Option<String>| {
                a.as_deref()
                    .map(|a| format!(" with {}", a.trim()))
                    .unwrap_or_default()
            };
            let text = format!(
                "acted for the first time from {}{} ({} requests), an address outside the private ranges, after using {}{} since {}",
                u.ip,
                agent(&u.agent),
                u.count,
                v.ip,
                agent(&v.agent),
                clock(v.first)
            );
            self.emit(
                out,
                &PERSON_NEW_ADDRESS,
                u.first,
                (u.at, u.at),
                entities,
                Action {
                    actor: Some(user.clone()),
                    ip: Some(u.ip.clone()),
                    text,
                    class: format!("person-new-address {user}"),
                },
            );
        }
    }

    /// An exec into a pod, then a finding from inside that pod (a Falco
    /// alert, suspicious output in its container log). Code, not Sigma: the
    /// two steps come from different inputs, and rsigma's windows follow
    /// the order records arrive in, so a Sigma `temporal_ordered` across
    /// files would depend on the order the files were given in.
    fn exec_then_activity(&mut self, out: &mut Vec<Finding>) {
        let mut inside: Vec<(i64, At, String, String)> = Vec::new();
        for fact in self.facts.values() {
            if !matches!(
                fact.format,
                Format::Falco | Format::Cri | Format::DockerJson
            ) {
                continue;
            }
            let Some(t) = fact.time else { continue };
            for e in self.expand(&fact.entities) {
                if e.kind == "pod" {
                    inside.push((t, fact.at, e.name.clone(), fact.action.text.clone()));
                }
            }
        }
        crate::sort::ascending(&mut inside);
        inside.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
        let mut execs = self.execs.clone();
        crate::sort::by_key(&mut execs, |x| (x.time, x.at));
        for x in execs {
            let Some(pod) = &x.pod else { continue };
            let Some((t, at, _, text)) = inside
                .iter()
                .find(|(t, _, p, _)| p == pod && *t >= x.time && *t - x.time <= WINDOW_NS)
                .cloned()
            else {
                continue;
            };
            let mut entities = vec![Entity::new("pod", pod.clone())];
            if let Some(a) = &x.actor {
                entities.push(Entity::new("identity", a.clone()));
            }
            if let Some(ip) = &x.ip {
                entities.push(Entity::new("ip", ip.clone()));
            }
            let action = Action {
                actor: x.actor.clone(),
                ip: x.ip.clone(),
                text: format!(
                    "had opened a shell in the pod {pod} at {}; then {text}",
                    clock(x.time)
                ),
                class: format!("exec-then {pod}"),
            };
            self.emit(out, &EXEC_THEN_ACTIVITY, t, (x.at, at), entities, action);
        }
    }
}

/// A person (or a pipeline's own credential): neither a `system:` identity
/// (nodes, service accounts, the control plane), nor anonymous, nor a
/// managed control plane's own account.
fn personal_identity(user: &str) -> bool {
    !user.is_empty()
        && !user.starts_with("system:")
        && !user.starts_with("eks:")
        && !ubiquitous_identity(user)
        && !matches!(user, "aksService" | "masterclient" | "nodeclient")
}

/// `HH:MM:SS` (UTC) of a time.
pub fn clock(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_bindings() {
        assert_eq!(
            binding_in_reason(
                r#"RBAC: allowed by ClusterRoleBinding "debug" of ClusterRole "cluster-admin" to User "system:anonymous""#
            ),
            Some("ClusterRoleBinding debug".into())
        );
        assert_eq!(
            binding_in_reason(
                r#"RBAC: allowed by RoleBinding "frontend-deployer/shop" of ClusterRole "edit""#
            ),
            Some("RoleBinding shop/frontend-deployer".into())
        );
        assert_eq!(binding_in_reason("nope"), None);
    }

    #[test]
    fn internal_addresses() {
        assert!(internal_ip("10.0.1.23"));
        assert!(internal_ip("100.64.0.1"));
        assert!(internal_ip("fd00::1"));
        assert!(!internal_ip("203.0.113.7"));
        assert!(!internal_ip("not an ip"));
    }
}
