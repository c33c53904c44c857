//! First seen and baselines: what each identity and each source address
//! normally does in the loaded data, and the events that break it.
//!
//! One pass over the store in time order builds a [`Profile`] per identity
//! and per address (bounded tallies of verbs, resources, namespaces, user
//! agents, peers and hours) and notes, as it goes, the first time something
//! happens that the profile so far does not contain: an identity's first
//! touch of secrets, an established identity seen from a new address, a
//! service account speaking with `kubectl`'s user agent. Hours and volume
//! are judged at the end, against the whole profile: activity in hours that
//! hold a sliver of an identity's events, and five-minute bins where an
//! address sends many times its usual rate.

use crate::ingest::time::format_rfc3339;
use crate::store::query::term;
use crate::store::{format_of, Dict, Field, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Events an identity must have shown before a new address counts as odd.
pub const MIN_BASELINE_EVENTS: u64 = 5;
/// Events an identity needs before its hours say anything.
pub const MIN_HOUR_EVENTS: u64 = 20;
/// An hour holding less than 1/20 of an identity's events is unusual.
pub const UNUSUAL_HOUR_SHARE: u64 = 20;
/// Width of the bins a volume spike is judged in: five minutes.
pub const SPIKE_BIN_NS: i64 = 5 * 60 * 1_000_000_000;
/// A spike bin holds at least this many events...
pub const SPIKE_MIN_EVENTS: u64 = 20;
/// ...and this many times the address's median bin (empty bins included).
pub const SPIKE_FACTOR: u64 = 5;
/// An address needs activity over this many bins to have a usual rate.
pub const SPIKE_MIN_BINS: usize = 3;
/// Bins an address may span and still be judged (about ten years).
pub const MAX_SPIKE_BINS: usize = 1_000_000;
/// Distinct values tallied per profile and field; later ones are not seen.
pub const MAX_TALLY: usize = 256;
/// Entities profiled per kind; later ones are not profiled.
pub const MAX_ENTITIES: usize = 10_000;
/// Anomalies kept.
pub const MAX_ANOMALIES: usize = 1000;
/// Values listed per field of a profile.
const TOP_VALUES: usize = 5;

/// What kind of departure from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The identity's first event on secrets in the loaded data.
    FirstSecretAccess,
    /// An identity with a baseline, seen from an address it never used.
    NewAddress,
    /// A service account calling the API with kubectl's user agent.
    KubectlAgent,
    /// Activity in an hour of the day the identity is rarely active in.
    UnusualHour,
    /// A five-minute bin where an address sent far more than usual.
    VolumeSpike,
}

impl AnomalyKind {
    pub fn title(self) -> &'static str {
        match self {
            AnomalyKind::FirstSecretAccess => "first touch of secrets",
            AnomalyKind::NewAddress => "new address for an identity",
            AnomalyKind::KubectlAgent => "service account used with kubectl",
            AnomalyKind::UnusualHour => "unusual hour",
            AnomalyKind::VolumeSpike => "volume spike",
        }
    }
}

/// One event (or burst) that breaks a baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// The identity or address whose baseline is broken.
    pub entity: String,
    /// What is new: the address, the user agent, the hour, the bin's count.
    pub value: String,
    /// When it first happened (RFC 3339).
    pub time: String,
    /// Events that share it (for a spike: events in the bin).
    pub count: u64,
    /// Plain words on why it stands out.
    pub detail: String,
    /// Format of the first such event (a Sigma draft's logsource).
    pub format: String,
    /// `(field, value)` pairs that describe it (a Sigma draft's selection).
    pub fields: Vec<(String, String)>,
    /// The query that selects its events.
    pub query: String,
}

/// What an identity or an address normally does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// `identity` or `address`.
    pub kind: String,
    pub entity: String,
    pub events: u64,
    pub first: String,
    pub last: String,
    pub verbs: Vec<(String, u64)>,
    pub resources: Vec<(String, u64)>,
    pub namespaces: Vec<(String, u64)>,
    pub user_agents: Vec<(String, u64)>,
    /// Addresses of an identity, identities of an address.
    pub peers: Vec<(String, u64)>,
    /// Events per hour of the day (UTC).
    pub hours: Vec<u64>,
}

/// Profiles (rarest entities first) and anomalies (in time order).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub profiles: Vec<Profile>,
    pub anomalies: Vec<Anomaly>,
}

/// Counts of distinct symbols, at most [`MAX_TALLY`] of them.
#[derive(Default)]
struct Tally(HashMap<u32, u64>);

impl Tally {
    /// Counts `sym`; true when it was new (and could be tallied).
    fn add(&mut self, sym: u32) -> bool {
        if sym == 0 {
            return false;
        }
        if let Some(n) = self.0.get_mut(&sym) {
            *n += 1;
            return false;
        }
        if self.0.len() >= MAX_TALLY {
            return false;
        }
        self.0.insert(sym, 1);
        true
    }

    fn top(&self, dict: &Dict) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .0
            .iter()
            .map(|(&k, &n)| (dict.get(k).to_string(), n))
            .collect();
        crate::sort::by(&mut v, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(TOP_VALUES);
        v
    }
}

#[derive(Default)]
struct Acc {
    events: u64,
    first: Option<i64>,
    last: Option<i64>,
    verbs: Tally,
    resources: Tally,
    namespaces: Tally,
    agents: Tally,
    peers: Tally,
    hours: [u64; 24],
    /// Events per five-minute bin (addresses only).
    bins: HashMap<i64, u64>,
    /// Events seen before the first secret event (identities only).
    secrets_after: Option<u64>,
}

impl Acc {
    fn observe(&mut self, store: &Store, i: u32, peer: Field) -> bool {
        self.events += 1;
        if let Some(t) = store.time(i) {
            self.first = self.first.or(Some(t));
            self.last = Some(t);
            self.hours[hour_of(t)] += 1;
        }
        self.verbs.add(store.sym(Field::Action, i));
        self.resources.add(store.sym(Field::Resource, i));
        self.namespaces.add(store.sym(Field::Namespace, i));
        self.agents.add(store.sym(Field::UserAgent, i));
        self.peers.add(store.sym(peer, i))
    }

    fn profile(&self, store: &Store, kind: &str, entity: &str, peer: Field) -> Profile {
        let time = |t: Option<i64>| t.map(format_rfc3339).unwrap_or_default();
        Profile {
            kind: kind.to_string(),
            entity: entity.to_string(),
            events: self.events,
            first: time(self.first),
            last: time(self.last),
            verbs: self.verbs.top(store.dict(Field::Action)),
            resources: self.resources.top(store.dict(Field::Resource)),
            namespaces: self.namespaces.top(store.dict(Field::Namespace)),
            user_agents: self.agents.top(store.dict(Field::UserAgent)),
            peers: self.peers.top(store.dict(peer)),
            hours: self.hours.to_vec(),
        }
    }
}

fn hour_of(t: i64) -> usize {
    (t.rem_euclid(86_400 * 1_000_000_000) / 3_600_000_000_000) as usize
}

/// Profiles every identity and address among `events` (ids in time order)
/// and lists what breaks their baselines; at most `max_profiles` profiles.
pub fn baseline(store: &Store, events: &[u32], max_profiles: usize) -> Baseline {
    let secrets = store.symbol(Field::Resource, "secrets");
    let mut identities: HashMap<u32, Acc> = HashMap::new();
    let mut addresses: HashMap<u32, Acc> = HashMap::new();
    let mut found: Vec<(AnomalyKind, u32, u32, u32)> = Vec::new();
    let mut kubectl_seen: HashMap<(u32, u32), ()> = HashMap::new();
    for &i in events {
        let user = store.sym(Field::User, i);
        let ip = store.sym(Field::SourceIp, i);
        if user != 0 && (identities.len() < MAX_ENTITIES || identities.contains_key(&user)) {
            let acc = identities.entry(user).or_default();
            let before = acc.events;
            let new_address = acc.observe(store, i, Field::SourceIp);
            if new_address && before >= MIN_BASELINE_EVENTS {
                found.push((AnomalyKind::NewAddress, i, user, ip));
            }
            if secrets.is_some_and(|s| store.sym(Field::Resource, i) == s)
                && acc.secrets_after.is_none()
            {
                acc.secrets_after = Some(before);
                found.push((AnomalyKind::FirstSecretAccess, i, user, 0));
            }
            let agent = store.sym(Field::UserAgent, i);
            if is_service_account(store.dict(Field::User).get(user))
                && store
                    .dict(Field::UserAgent)
                    .get(agent)
                    .to_ascii_lowercase()
                    .starts_with("kubectl")
                && kubectl_seen.insert((user, agent), ()).is_none()
            {
                found.push((AnomalyKind::KubectlAgent, i, user, agent));
            }
        }
        if ip != 0 && (addresses.len() < MAX_ENTITIES || addresses.contains_key(&ip)) {
            let acc = addresses.entry(ip).or_default();
            acc.observe(store, i, Field::User);
            if let Some(t) = store.time(i) {
                *acc.bins.entry(t.div_euclid(SPIKE_BIN_NS)).or_default() += 1;
            }
        }
    }
    found.truncate(MAX_ANOMALIES);
    let user_name = |u: u32| store.dict(Field::User).get(u).to_string();
    let ip_name = |a: u32| store.dict(Field::SourceIp).get(a).to_string();
    let mut anomalies: Vec<(i64, Anomaly)> = Vec::new();
    let mut push = |t: Option<i64>, a: Anomaly| {
        anomalies.push((t.unwrap_or(i64::MAX), a));
    };
    for (kind, i, user, other) in found {
        let who = user_name(user);
        let acc = &identities[&user];
        let (value, fields, detail): (String, Vec<(String, String)>, String) = match kind {
            AnomalyKind::NewAddress => {
                let ip = ip_name(other);
                let detail = format!("{who} had shown {MIN_BASELINE_EVENTS}+ events from other addresses before {ip}");
                (
                    ip.clone(),
                    vec![("user".into(), who.clone()), ("ip".into(), ip)],
                    detail,
                )
            }
            AnomalyKind::FirstSecretAccess => {
                let after = acc.secrets_after.unwrap_or(0);
                let verb = store.value(Field::Action, i).to_string();
                (
                    "secrets".to_string(),
                    vec![
                        ("user".into(), who.clone()),
                        ("resource".into(), "secrets".into()),
                    ],
                    format!("first {verb} on secrets after {after} other events of {who}"),
                )
            }
            _ => {
                let agent = store.dict(Field::UserAgent).get(other).to_string();
                (
                    agent.clone(),
                    vec![("user".into(), who.clone()), ("ua".into(), agent)],
                    "service accounts run in pods; kubectl means a person holds its token"
                        .to_string(),
                )
            }
        };
        let query = fields
            .iter()
            .map(|(f, v)| term(f, v))
            .collect::<Vec<_>>()
            .join(" ");
        let count = store.run(&query).map(|ids| ids.len() as u64).unwrap_or(0);
        push(
            store.time(i),
            Anomaly {
                kind,
                entity: who,
                value,
                time: store.time(i).map(format_rfc3339).unwrap_or_default(),
                count,
                detail,
                format: format_of(store.format_code(i)).name().to_string(),
                fields,
                query,
            },
        );
    }
    for (&user, acc) in &identities {
        unusual_hours(store, &user_name(user), acc, &mut push);
    }
    for (&ip, acc) in &addresses {
        volume_spikes(&ip_name(ip), acc, &mut push);
    }
    crate::sort::by(&mut anomalies, |a, b| {
        (a.0, a.1.kind, &a.1.entity).cmp(&(b.0, b.1.kind, &b.1.entity))
    });
    anomalies.truncate(MAX_ANOMALIES);
    let mut profiles: Vec<Profile> = identities
        .iter()
        .map(|(&u, acc)| acc.profile(store, "identity", &user_name(u), Field::SourceIp))
        .chain(
            addresses
                .iter()
                .map(|(&a, acc)| acc.profile(store, "address", &ip_name(a), Field::User)),
        )
        .collect();
    crate::sort::by(&mut profiles, |a, b| {
        (a.events, &a.kind, &a.entity).cmp(&(b.events, &b.kind, &b.entity))
    });
    profiles.truncate(max_profiles);
    Baseline {
        profiles,
        anomalies: anomalies.into_iter().map(|(_, a)| a).collect(),
    }
}

fn is_service_account(user: &str) -> bool {
    user.starts_with("system:serviceaccount:")
}

/// The hours of the day (UTC) whose share of `acc`'s events is a sliver.
fn unusual_hours(store: &Store, who: &str, acc: &Acc, push: &mut impl FnMut(Option<i64>, Anomaly)) {
    let timed: u64 = acc.hours.iter().sum();
    if timed < MIN_HOUR_EVENTS {
        return;
    }
    for (hour, &n) in acc.hours.iter().enumerate() {
        if n == 0 || n * UNUSUAL_HOUR_SHARE >= timed {
            continue;
        }
        let Some(first) = first_in_hour(store, who, hour) else {
            continue;
        };
        let start = first - first.rem_euclid(3_600_000_000_000);
        let query = format!(
            "{} after:{} before:{}",
            term("user", who),
            format_rfc3339(start),
            format_rfc3339(start + 3_600_000_000_000)
        );
        push(
            Some(first),
            Anomaly {
                kind: AnomalyKind::UnusualHour,
                entity: who.to_string(),
                value: format!("{hour:02}:00 UTC"),
                time: format_rfc3339(first),
                count: n,
                detail: format!("{n} of {timed} events of {who} fall in this hour of the day"),
                format: String::new(),
                fields: vec![("user".into(), who.to_string())],
                query,
            },
        );
    }
}

/// The first event of `who` in hour `hour` of any day.
fn first_in_hour(store: &Store, who: &str, hour: usize) -> Option<i64> {
    let ids = store.run(&term("user", who)).ok()?;
    ids.iter()
        .filter_map(|&i| store.time(i))
        .find(|&t| hour_of(t) == hour)
}

/// Five-minute bins where an address sent [`SPIKE_FACTOR`] times its median.
fn volume_spikes(ip: &str, acc: &Acc, push: &mut impl FnMut(Option<i64>, Anomaly)) {
    let (Some(lo), Some(hi)) = (acc.bins.keys().min(), acc.bins.keys().max()) else {
        return;
    };
    let span = (hi - lo + 1) as usize;
    if !(SPIKE_MIN_BINS..=MAX_SPIKE_BINS).contains(&span) {
        return;
    }
    let mut counts: Vec<u64> = (*lo..=*hi)
        .map(|b| acc.bins.get(&b).copied().unwrap_or(0))
        .collect();
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2].max(1);
    for (k, n) in counts.iter_mut().enumerate() {
        if *n < SPIKE_MIN_EVENTS || *n < SPIKE_FACTOR * median {
            continue;
        }
        let start = (lo + k as i64) * SPIKE_BIN_NS;
        let query = format!(
            "{} after:{} before:{}",
            term("ip", ip),
            format_rfc3339(start),
            format_rfc3339(start + SPIKE_BIN_NS)
        );
        push(
            Some(start),
            Anomaly {
                kind: AnomalyKind::VolumeSpike,
                entity: ip.to_string(),
                value: format!("{n} events in 5 min"),
                time: format_rfc3339(start),
                count: *n,
                detail: format!("{n} events in five minutes; its usual (median) is {median}"),
                format: String::new(),
                fields: vec![("ip".into(), ip.to_string())],
                query,
            },
        );
    }
}

impl Baseline {
    /// Anomalies, one a line, then the profiles.
    pub fn render_text(&self) -> String {
        let mut out = format!("{} anomalies\n", self.anomalies.len());
        for a in &self.anomalies {
            out += &format!(
                "{}  {:<34}  {}  {}  ({} events)\n    {}\n    query: {}\n",
                if a.time.is_empty() { "-" } else { &a.time },
                a.kind.title(),
                a.entity,
                a.value,
                a.count,
                a.detail,
                a.query
            );
        }
        out += &format!("\n{} profiles, fewest events first\n", self.profiles.len());
        for p in &self.profiles {
            let list = |v: &[(String, u64)]| {
                v.iter()
                    .map(|(s, n)| format!("{s} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out += &format!(
                "{} {}: {} events {}..{}\n    verbs: {}\n    resources: {}\n    namespaces: {}\n    agents: {}\n    {}: {}\n",
                p.kind,
                p.entity,
                p.events,
                p.first,
                p.last,
                list(&p.verbs),
                list(&p.resources),
                list(&p.namespaces),
                list(&p.user_agents),
                if p.kind == "identity" { "addresses" } else { "identities" },
                list(&p.peers)
            );
        }
        out
    }
}
