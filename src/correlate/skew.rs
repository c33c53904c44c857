//! Clock skew between sources that describe the same action.
//!
//! An exec into a pod is written by the API server (audit log, request
//! received time) and seen again where the pod runs: Falco alerts on the
//! shell it starts, and the container's own log often prints right away.
//! Each exec is an anchor; every event of another input that names the
//! same pod within [`WINDOW_NS`] gives an offset `event − anchor`. The
//! echoes of the execs agree on one offset (the skew plus a small delay)
//! while unrelated events scatter, so the estimate is the median of the
//! densest run of offsets within [`CLUSTER_NS`]; min and max show how much
//! its samples agree. Memory is bounded: at most [`MAX_ANCHORS`] execs and
//! [`MAX_TIMES`] event times per pod and input (the first ones).

use crate::event::{Format, Record};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How far an echo may lie from its anchor.
pub const WINDOW_NS: i64 = 10 * 60 * 1_000_000_000;
/// Execs kept as anchors.
pub const MAX_ANCHORS: usize = 10_000;
/// Event times kept per pod and input.
pub const MAX_TIMES: usize = 1024;
/// Width of the cluster of offsets one clock skew explains.
pub const CLUSTER_NS: i64 = 2_000_000_000;
/// Pods × inputs tracked.
const MAX_KEYS: usize = 20_000;

/// The estimated offset of one input's clock from an audit log's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockSkew {
    /// The audit log (the reference clock).
    pub reference: String,
    /// The input whose clock is compared.
    pub other: String,
    /// What was paired: `exec in the audit log vs Falco alert in the pod`.
    pub basis: String,
    /// Median of `other − reference` over the pairs, in milliseconds
    /// (positive: the other clock is ahead).
    pub offset_ms: i64,
    pub min_ms: i64,
    pub max_ms: i64,
    /// Pairs the estimate rests on.
    pub samples: u64,
}

#[derive(Debug, Default)]
pub struct SkewTracker {
    /// `(ns/pod, time, input)` of each exec.
    anchors: Vec<(String, i64, u32)>,
    seen_ids: HashSet<String>,
    /// `(ns/pod, input)` → event times.
    times: BTreeMap<(String, u32), Vec<i64>>,
    /// Input → what its echoes are.
    kinds: BTreeMap<u32, &'static str>,
}

impl SkewTracker {
    pub fn observe(&mut self, record: &Record, input: u32) {
        let e = &record.event;
        let (Some(ns), Some(pod), Some(t)) = (&e.namespace, &e.pod, e.time_ns) else {
            return;
        };
        let key = || format!("{ns}/{pod}");
        if record.format.is_audit() {
            let exec = e.action.as_deref() == Some("create")
                && matches!(e.subresource.as_deref(), Some("exec" | "attach"));
            let id = record.fields.get("auditID").and_then(|v| v.as_str());
            if exec && self.anchors.len() < MAX_ANCHORS {
                // One anchor per request, whichever stage comes first.
                if id.is_none_or(|id| self.seen_ids.insert(id.to_string())) {
                    self.anchors.push((key(), t, input));
                }
            }
            return;
        }
        let kind = match record.format {
            Format::Falco => "Falco alert in the pod",
            f if f.is_container() => "output of the pod's containers",
            _ => return,
        };
        self.kinds.entry(input).or_insert(kind);
        let k = (key(), input);
        if !self.times.contains_key(&k) && self.times.len() >= MAX_KEYS {
            return;
        }
        let v = self.times.entry(k).or_default();
        if v.len() < MAX_TIMES {
            v.push(t);
        }
    }

    /// One estimate per (audit input, other input) pair with samples;
    /// `paths` names the inputs.
    pub fn estimates(&self, paths: &[String]) -> Vec<ClockSkew> {
        let mut sorted = self.times.clone();
        for v in sorted.values_mut() {
            v.sort_unstable();
        }
        let mut pairs: BTreeMap<(u32, u32), Vec<(i64, usize)>> = BTreeMap::new();
        for (anchor, (pod, t, reference)) in self.anchors.iter().enumerate() {
            for ((_, other), times) in sorted.range((pod.clone(), 0)..=(pod.clone(), u32::MAX)) {
                let from = times.partition_point(|&x| x < t - WINDOW_NS);
                let ds = pairs.entry((*reference, *other)).or_default();
                ds.extend(
                    times[from..]
                        .iter()
                        .take_while(|&&x| x <= t + WINDOW_NS)
                        .map(|&x| (x - t, anchor)),
                );
            }
        }
        let path = |i: u32| paths.get(i as usize).cloned().unwrap_or_default();
        pairs
            .into_iter()
            .filter_map(|((reference, other), mut ds)| {
                ds.sort_unstable();
                let (cluster, anchors) = densest(&ds)?;
                let ms = |ns: i64| ns.div_euclid(1_000_000);
                Some(ClockSkew {
                    reference: path(reference),
                    other: path(other),
                    basis: format!(
                        "exec in the audit log vs {}",
                        self.kinds.get(&other).copied().unwrap_or("events")
                    ),
                    offset_ms: ms(cluster[cluster.len() / 2].0),
                    min_ms: ms(cluster[0].0),
                    max_ms: ms(cluster[cluster.len() - 1].0),
                    samples: anchors as u64,
                })
            })
            .collect()
    }
}

/// The offsets one echo delay explains: the run of sorted `(offset,
/// anchor)` pairs within [`CLUSTER_NS`] that the most distinct execs
/// contribute to (ties: the run nearest zero), and that count. Every exec
/// has its echo at about the skew; other events in the window scatter, so
/// the run most execs agree on is the skew, even when it is larger than
/// the spacing between the pod's events.
fn densest(ds: &[(i64, usize)]) -> Option<(&[(i64, usize)], usize)> {
    let mut best: Option<(usize, i64, usize, usize)> = None;
    let mut in_run: HashMap<usize, u32> = HashMap::new();
    let mut start = 0;
    for end in 0..ds.len() {
        *in_run.entry(ds[end].1).or_default() += 1;
        while ds[end].0 - ds[start].0 > CLUSTER_NS {
            let a = ds[start].1;
            if let Some(c) = in_run.get_mut(&a) {
                *c -= 1;
                if *c == 0 {
                    in_run.remove(&a);
                }
            }
            start += 1;
        }
        let n = in_run.len();
        let centre = ds[(start + end) / 2].0.abs();
        let better = match best {
            None => true,
            Some((bn, bc, _, _)) => n > bn || (n == bn && centre < bc),
        };
        if better {
            best = Some((n, centre, start, end));
        }
    }
    best.map(|(n, _, s, e)| (&ds[s..=e], n))
}

#[cfg(test)]
mod tests {
    use super::densest;

    #[test]
    fn the_offset_most_execs_agree_on_wins() {
        let s = 1_000_000_000;
        // Exec 0 has two unrelated events 55 s off; execs 0 and 1 both
        // have their echo at about 90 s.
        let ds = [
            (55 * s, 0),
            (55 * s + 2, 0),
            (90 * s, 0),
            (90 * s + s / 2, 1),
            (200 * s, 1),
        ];
        assert_eq!(densest(&ds), Some((&ds[2..4], 2)));
        assert_eq!(densest(&[]), None);
        // A tie goes to the run nearest zero.
        let tie = [(-50 * s, 0), (3 * s, 1)];
        assert_eq!(densest(&tie), Some((&tie[1..2], 1)));
    }
}
