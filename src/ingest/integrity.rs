//! Integrity of the record: how far one input can be trusted as a complete,
//! untouched log. Computed while the records stream past, in bounded memory.
//!
//! - **gaps**: stretches with no events in an input that otherwise logs
//!   steadily. The typical interval is the median of the forward intervals
//!   between consecutive event times (an event earlier than the latest one
//!   seen adds no interval), estimated from a histogram of power-of-two
//!   millisecond buckets and rounded *up* to the bucket's upper edge, so
//!   it is exact to within a factor of two and never understated. A gap is
//!   an interval longer than `max(10 × typical, 5 min)`; gaps are judged
//!   only once the input has [`MIN_EVENTS_FOR_GAPS`] timed events. Every
//!   interval over the 5 min floor is a candidate; the [`MAX_GAPS`]
//!   largest are kept, the threshold is applied at the end of the input.
//! - **duplicate_ids**: an audit event whose (`auditID`, `stage`) was seen
//!   before in the same input. The pairs are kept as 64-bit hashes, at most
//!   [`MAX_IDS`]; past that the check stops (with a note).
//! - **out_of_order**: a record whose time is earlier than that of the
//!   previous record *of the same stream* by more than [`ORDER_TOLERANCE_NS`].
//!   The API server writes an audit event when its stage ends, so audit
//!   events are ordered by `stageTimestamp` and compared only with the
//!   previous event of the same stage (a `ResponseComplete` of a long watch
//!   legitimately follows later `RequestReceived` events); other formats
//!   compare the event time with the previous record of the same stream:
//!   the records of one format (a container line read as a CoreDNS query
//!   or an ingress request stays in its container log's stream).
//!   One displaced record counts once (a swap of two neighbours counts 1).
//!   A stream read newest-first (Loki's query API and `logcli` return
//!   entries backwards by default) is recognised when most of its steps go
//!   back in time: it is then judged in reverse, so only records out of
//!   *its* order count, and a note says the stream was reversed.
//! - **truncated**: a compressed stream or archive cut short, a last line
//!   without newline that does not parse, or a JSON document open at EOF.
//! - **stuck_requests**: audit requests logged at `RequestReceived` with no
//!   later stage (`ResponseStarted`, `ResponseComplete`, `Panic`) in the
//!   input, not counting those received in the last [`IN_FLIGHT_NS`] before
//!   the input's last event (still in flight when the log was cut).
//! - **audit_coverage**: for audit inputs, which resource × verb was logged
//!   at which audit level, and warnings derived from it (sensitive
//!   resources logged without bodies, activity absent altogether).

use crate::event::{str_at, Format, Record};
use crate::ingest::time::{format_rfc3339, parse_rfc3339};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use foldhash::fast::RandomState;

/// The smallest gap ever reported.
pub const MIN_GAP_NS: i64 = 5 * 60 * 1_000_000_000;
/// A gap is longer than this many typical intervals.
pub const GAP_FACTOR: i64 = 10;
/// Timed events an input needs before its gaps are judged.
pub const MIN_EVENTS_FOR_GAPS: u64 = 20;
/// Gaps kept per input (the largest).
pub const MAX_GAPS: usize = 1000;
/// How much earlier than its predecessor a record may be and still count
/// as in order (clocks of one writer jitter, batches interleave).
pub const ORDER_TOLERANCE_NS: i64 = 1_000_000_000;
/// Audit ids kept per input for the duplicate and stuck-request checks.
pub const MAX_IDS: usize = 1 << 20;
/// Requests received this close to the end of the input are in flight.
pub const IN_FLIGHT_NS: i64 = 60 * 1_000_000_000;
/// Audit events an input needs before absent activity is worth a warning.
pub const MIN_EVENTS_FOR_ABSENCE: u64 = 50;
/// Resource × verb rows kept in the audit coverage table.
pub const MAX_COVERAGE_ROWS: usize = 2000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Integrity {
    pub gaps: Vec<Gap>,
    pub duplicate_ids: u64,
    pub out_of_order: u64,
    pub truncated: bool,
    #[serde(default)]
    pub stuck_requests: u64,
    /// Typical interval between events, in milliseconds, as used for gaps
    /// (`null` when the input has too few timed events to judge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typical_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_coverage: Option<AuditCoverage>,
    /// Limits hit while checking (a check stopped early, gaps left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub from: String,
    pub to: String,
    pub seconds: u64,
}

/// Which resources and verbs an audit input logged, at which level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditCoverage {
    /// Audit events per level (`None`, `Metadata`, `Request`, `RequestResponse`).
    pub levels: BTreeMap<String, u64>,
    /// One row per resource (`pods/exec` for a subresource) and verb.
    pub table: Vec<CoverageRow>,
    /// Rows not kept because of the table's size limit.
    #[serde(default)]
    pub rows_dropped: u64,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageRow {
    pub resource: String,
    pub verb: String,
    pub levels: BTreeMap<String, u64>,
}

/// Streams records of one input and sums up its integrity.
#[derive(Debug, Default)]
pub struct IntegrityTracker {
    timed: u64,
    latest: Option<i64>,
    /// Forward intervals per bucket: 0 for < 1 ms, k for [2^(k-1), 2^k) ms
    /// (the last bucket takes everything from 2^30 ms, about 12 days).
    buckets: [u64; 32],
    candidates: BinaryHeap<Reverse<(i64, i64)>>,
    candidates_dropped: u64,
    /// Order per stream: format, and the hash of the audit stage.
    streams: HashMap<(u8, u64), StreamOrder, RandomState>,
    /// Keys here are hashes already: foldhash, not SipHash (a per-event cost).
    ids: HashSet<u64, RandomState>,
    ids_full: bool,
    duplicate_ids: u64,
    /// Audit requests at RequestReceived with no later stage yet: id → time.
    open: HashMap<u64, i64, RandomState>,
    open_full: bool,
    audit_events: u64,
    levels: BTreeMap<String, u64>,
    table: BTreeMap<(String, String), BTreeMap<String, u64>>,
    rows_dropped: u64,
    /// Scratch for the coverage row key (resource, verb) of one event.
    row_key: (String, String),
}

/// The order of one stream: its latest time and how many steps went
/// back or forward by more than [`ORDER_TOLERANCE_NS`].
#[derive(Debug, Clone, Copy)]
struct StreamOrder {
    last: i64,
    backward: u64,
    forward: u64,
}

impl StreamOrder {
    /// Most steps go back in time: the stream was written newest-first.
    fn reversed(&self) -> bool {
        self.backward >= 2 && self.backward > 4 * self.forward
    }

    /// Records out of the stream's own order.
    fn out_of_order(&self) -> u64 {
        if self.reversed() {
            self.forward
        } else {
            self.backward
        }
    }
}

/// A 64-bit digest of `parts`, for the sets of audit IDs and stages that
/// stand in for the strings themselves. Fixed seeds: the same text gives
/// the same digest in every tracker. (Not SipHash: it was 1.5 % of a scan.)
fn hash64(parts: &[&str]) -> u64 {
    const DIGEST: foldhash::fast::FixedState =
        foldhash::fast::FixedState::with_seed(0x243f_6a88_85a3_08d3);
    std::hash::BuildHasher::hash_one(&DIGEST, parts)
}

impl IntegrityTracker {
    pub fn observe(&mut self, record: &Record) {
        if record.format.is_audit() {
            self.count_time(record.event.time_ns);
            self.audit(record);
        } else {
            self.observe_line(record.format, record.event.time_ns);
        }
    }

    /// A record of a line format, of the stream `stream`, by its time alone
    /// (a record not built yet: [`crate::ingest::formats::Later`]).
    pub fn observe_line(&mut self, stream: Format, time_ns: Option<i64>) {
        self.count_time(time_ns);
        if let Some(t) = time_ns {
            self.order((stream as u8, 0), t);
        }
    }

    fn count_time(&mut self, time_ns: Option<i64>) {
        if let Some(t) = time_ns {
            self.timed += 1;
            self.interval(t);
        }
    }

    fn interval(&mut self, t: i64) {
        let Some(latest) = self.latest else {
            self.latest = Some(t);
            return;
        };
        if t <= latest {
            if t == latest {
                self.buckets[0] += 1;
            }
            return;
        }
        let d = t.saturating_sub(latest);
        let ms = (d / 1_000_000) as u64;
        let bucket = if ms == 0 {
            0
        } else {
            64 - ms.leading_zeros() as usize
        };
        self.buckets[bucket.min(31)] += 1;
        if d > MIN_GAP_NS {
            self.candidates.push(Reverse((d, latest)));
            if self.candidates.len() > MAX_GAPS {
                self.candidates.pop();
                self.candidates_dropped += 1;
            }
        }
        self.latest = Some(t);
    }

    fn order(&mut self, key: (u8, u64), t: i64) {
        match self.streams.get_mut(&key) {
            Some(s) => {
                if t < s.last.saturating_sub(ORDER_TOLERANCE_NS) {
                    s.backward += 1;
                } else if t > s.last.saturating_add(ORDER_TOLERANCE_NS) {
                    s.forward += 1;
                }
                s.last = t;
            }
            None => {
                if self.streams.len() < 4096 {
                    let first = StreamOrder {
                        last: t,
                        backward: 0,
                        forward: 0,
                    };
                    self.streams.insert(key, first);
                }
            }
        }
    }

    fn audit(&mut self, record: &Record) {
        let f = &record.fields;
        self.audit_events += 1;
        let stage = str_at(f, &["stage"]).unwrap_or("");
        let stage_time = str_at(f, &["stageTimestamp"])
            .and_then(parse_rfc3339)
            .or(record.event.time_ns);
        if let Some(t) = stage_time {
            self.order((record.format as u8, hash64(&[stage])), t);
        }
        if let Some(id) = str_at(f, &["auditID"]) {
            let h = hash64(&[id, stage]);
            if !self.ids_full {
                if !self.ids.insert(h) {
                    self.duplicate_ids += 1;
                } else if self.ids.len() >= MAX_IDS {
                    self.ids_full = true;
                }
            }
            let req = hash64(&[id]);
            if stage == "RequestReceived" {
                if self.open.len() < MAX_IDS {
                    self.open
                        .insert(req, record.event.time_ns.unwrap_or(i64::MIN));
                } else {
                    self.open_full = true;
                }
            } else if !stage.is_empty() {
                self.open.remove(&req);
            }
        }
        // Stage RequestReceived events repeat the request of their final
        // stage: coverage counts each request once, by its last stage.
        if stage == "RequestReceived" {
            return;
        }
        let level = str_at(f, &["level"]).unwrap_or("unknown");
        crate::count_key(&mut self.levels, level);
        // The row's key is written into a reused buffer: rows repeat, so
        // most events look their row up without allocating.
        let mut key = std::mem::take(&mut self.row_key);
        key.0.clear();
        key.1.clear();
        let object_ref = f.get("objectRef").unwrap_or(&serde_json::Value::Null);
        match (
            str_at(object_ref, &["resource"]),
            str_at(object_ref, &["subresource"]),
        ) {
            (Some(r), Some(s)) => {
                key.0.push_str(r);
                key.0.push('/');
                key.0.push_str(s);
            }
            (Some(r), None) => key.0.push_str(r),
            (None, _) => key.0.push_str("(non-resource)"),
        }
        key.1.push_str(str_at(f, &["verb"]).unwrap_or(""));
        if let Some(row) = self.table.get_mut(&key) {
            crate::count_key(row, level);
        } else if self.table.len() < MAX_COVERAGE_ROWS {
            self.table
                .insert(key.clone(), BTreeMap::from([(level.to_string(), 1)]));
        } else {
            self.rows_dropped += 1;
        }
        self.row_key = key;
    }

    /// The typical interval (median forward interval, rounded up to its
    /// bucket's upper edge), in nanoseconds.
    fn typical_ns(&self) -> Option<i64> {
        if self.timed < MIN_EVENTS_FOR_GAPS {
            return None;
        }
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        let mut seen = 0;
        for (k, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen * 2 >= total {
                return Some(if k == 0 {
                    0
                } else {
                    (1i64 << (k as u32).min(62)).saturating_mul(1_000_000)
                });
            }
        }
        None
    }

    pub fn finish(self, truncated: bool) -> Integrity {
        let mut notes = Vec::new();
        let typical = self.typical_ns();
        let mut gaps = Vec::new();
        if let Some(typ) = typical {
            let threshold = typ.saturating_mul(GAP_FACTOR).max(MIN_GAP_NS);
            let mut kept: Vec<(i64, i64)> = self
                .candidates
                .into_iter()
                .map(|Reverse(c)| c)
                .filter(|&(d, _)| d > threshold)
                .collect();
            crate::sort::by_key(&mut kept, |&(_, from)| from);
            gaps = kept
                .into_iter()
                .map(|(d, from)| Gap {
                    from: format_rfc3339(from),
                    to: format_rfc3339(from.saturating_add(d)),
                    seconds: (d / 1_000_000_000) as u64,
                })
                .collect();
            if self.candidates_dropped > 0 {
                notes.push(format!(
                    "only the {MAX_GAPS} largest gaps are listed; {} smaller intervals over 5 min left out",
                    self.candidates_dropped
                ));
            }
        }
        if self.ids_full {
            notes.push(format!(
                "duplicate check stopped after {MAX_IDS} audit ids: later duplicates are not counted"
            ));
        }
        if self.open_full {
            notes.push(format!(
                "stuck-request check stopped after {MAX_IDS} open requests"
            ));
        }
        let reversed = self.streams.values().filter(|s| s.reversed()).count();
        if reversed > 0 {
            notes.push(format!(
                "{reversed} stream(s) read newest-first (as Loki exports them): judged in reverse order"
            ));
        }
        let out_of_order = self.streams.values().map(StreamOrder::out_of_order).sum();
        let end = self.latest.unwrap_or(i64::MAX);
        let stuck = self
            .open
            .values()
            .filter(|&&t| t == i64::MIN || t < end.saturating_sub(IN_FLIGHT_NS))
            .count() as u64;
        let audit_coverage = (self.audit_events > 0).then(|| {
            let logged = self.levels.values().sum();
            coverage(self.levels, self.table, self.rows_dropped, logged)
        });
        Integrity {
            gaps,
            duplicate_ids: self.duplicate_ids,
            out_of_order,
            truncated,
            stuck_requests: stuck,
            typical_interval_ms: typical.map(|t| (t / 1_000_000) as u64),
            audit_coverage,
            notes,
        }
    }
}

/// Resources whose reads an investigator wants to see with their request.
const SENSITIVE_READS: [&str; 2] = ["secrets", "serviceaccounts/token"];
/// Writes whose body (the pod spec, the role's rules) decides whether they
/// were an attack.
const BODY_WRITES: [&str; 7] = [
    "pods",
    "deployments",
    "daemonsets",
    "clusterroles",
    "roles",
    "clusterrolebindings",
    "rolebindings",
];
/// Activity whose total absence from an audit log is worth saying.
const EXPECTED: [(&str, &str); 4] = [
    ("pods/exec", "no exec into pods"),
    ("secrets", "no secret access"),
    ("clusterrolebindings", "no cluster role binding activity"),
    ("serviceaccounts/token", "no service account token requests"),
];

fn coverage(
    levels: BTreeMap<String, u64>,
    table: BTreeMap<(String, String), BTreeMap<String, u64>>,
    rows_dropped: u64,
    events: u64,
) -> AuditCoverage {
    let mut warnings = Vec::new();
    let only_meta = |ls: &BTreeMap<String, u64>| {
        ls.keys()
            .all(|l| l == "Metadata" || l == "None" || l == "unknown")
    };
    // Per resource: the verbs logged without bodies.
    let mut by_resource: BTreeMap<&str, (Vec<&str>, bool)> = BTreeMap::new();
    for ((res, verb), ls) in &table {
        let reads = SENSITIVE_READS.contains(&res.as_str())
            && matches!(verb.as_str(), "get" | "list" | "watch" | "create");
        let writes = BODY_WRITES.contains(&res.as_str())
            && matches!(verb.as_str(), "create" | "update" | "patch");
        if (reads || writes) && ls.contains_key("Metadata") {
            let e = by_resource
                .entry(res.as_str())
                .or_insert((Vec::new(), true));
            e.0.push(verb.as_str());
            e.1 &= only_meta(ls);
        }
    }
    for (res, (verbs, all_meta)) in by_resource {
        if verbs.is_empty() {
            continue;
        }
        let what = if SENSITIVE_READS.contains(&res) {
            "which objects were read is known, not what was returned"
        } else {
            "the submitted object (pod spec, role rules) is not in the record, so rules on its content cannot fire"
        };
        let scope = if all_meta { "only" } else { "for some events" };
        warnings.push(format!(
            "{res} {} logged at Metadata level {scope}: {what}",
            verbs.join("/")
        ));
    }
    if events >= MIN_EVENTS_FOR_ABSENCE {
        for (res, text) in EXPECTED {
            if !table.keys().any(|(r, _)| r == res) {
                warnings.push(format!(
                    "{text} at all ({res}): absent from {events} audit events — not logged by the policy, or it did not happen"
                ));
            }
        }
    }
    AuditCoverage {
        levels,
        table: table
            .into_iter()
            .map(|((resource, verb), levels)| CoverageRow {
                resource,
                verb,
                levels,
            })
            .collect(),
        rows_dropped,
        warnings,
    }
}
