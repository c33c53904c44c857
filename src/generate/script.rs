//! A scenario's scripted lines, collected per file and sorted by time.

use super::cluster::{World, NODES};
use super::fmt::{clock, SEC};
use super::records::{write_audit, write_cri, write_falco, write_klog, write_syslog, Audit, Falco};
use super::rng::Rng;
use std::collections::BTreeMap;

pub const AUDIT_LOG: &str = "kube-apiserver/audit.log";
pub const FALCO_LOG: &str = "falco/events.json";

pub fn auth_log(node: usize) -> String {
    format!("nodes/{}/var/log/auth.log", NODES[node].name)
}
pub fn syslog_path(node: usize) -> String {
    format!("nodes/{}/var/log/syslog", NODES[node].name)
}
pub fn kubelet_log(node: usize) -> String {
    format!("nodes/{}/kubelet.log", NODES[node].name)
}

pub struct Script<'w> {
    pub w: &'w World,
    pub rng: Rng,
    /// Midnight (UTC, ns) of the scenario's day.
    midnight: i64,
    files: BTreeMap<String, Vec<(i64, u32, String)>>,
    seq: u32,
}

impl<'w> Script<'w> {
    pub fn new(w: &'w World, rng: Rng, midnight: i64) -> Self {
        Script {
            w,
            rng,
            midnight,
            files: BTreeMap::new(),
            seq: 0,
        }
    }

    /// `h:m:s` on the incident day plus a sub-second jitter: the second
    /// (what answers quote) never changes with the seed.
    pub fn t(&mut self, h: u32, m: u32, s: u32) -> i64 {
        self.at(h, m, s) + self.rng.below(900_000_000) as i64
    }

    /// `h:m:s` on the incident day, exactly.
    pub fn at(&self, h: u32, m: u32, s: u32) -> i64 {
        clock(self.midnight, h, m, s)
    }

    /// A time `ms` milliseconds after `t`, with up to 20% jitter.
    pub fn after(&mut self, t: i64, ms: u64) -> i64 {
        t + (ms + self.rng.below(ms / 5 + 1)) as i64 * 1_000_000
    }

    pub fn push(&mut self, path: &str, t: i64, line: String) {
        self.seq += 1;
        let seq = self.seq;
        self.files
            .entry(path.to_string())
            .or_default()
            .push((t, seq, line));
    }

    pub fn audit(&mut self, a: Audit) {
        let mut s = String::with_capacity(1024);
        write_audit(&mut s, &mut self.rng, &a);
        self.push(AUDIT_LOG, a.t, s);
    }

    pub fn cri(&mut self, path: &str, t: i64, stream: &str, msg: &str) {
        let mut s = String::with_capacity(msg.len() + 48);
        write_cri(&mut s, t, stream, msg);
        self.push(path, t, s);
    }

    pub fn syslog(&mut self, node: usize, t: i64, tag: &str, msg: &str) {
        let mut s = String::with_capacity(msg.len() + 48);
        write_syslog(&mut s, t, NODES[node].name, tag, msg);
        self.push(&syslog_path(node), t, s);
    }

    pub fn auth(&mut self, node: usize, t: i64, tag: &str, msg: &str) {
        let mut s = String::with_capacity(msg.len() + 48);
        write_syslog(&mut s, t, NODES[node].name, tag, msg);
        self.push(&auth_log(node), t, s);
    }

    pub fn klog(&mut self, node: usize, t: i64, severity: char, src: &str, msg: &str) {
        let mut s = String::with_capacity(msg.len() + 48);
        write_klog(&mut s, t, severity, self.w.kubelet_pids[node], src, msg);
        self.push(&kubelet_log(node), t, s);
    }

    pub fn falco(&mut self, f: Falco) {
        let mut s = String::with_capacity(1024);
        write_falco(&mut s, &f);
        self.push(FALCO_LOG, f.t, s);
    }

    /// Every scripted file's lines, each file sorted by time.
    pub fn finish(self) -> BTreeMap<String, Vec<(i64, String)>> {
        self.files
            .into_iter()
            .map(|(path, mut lines)| {
                crate::sort::by_key(&mut lines, |(t, seq, _)| (*t, *seq));
                let lines = lines.into_iter().map(|(t, _, l)| (t, l)).collect();
                (path, lines)
            })
            .collect()
    }
}

/// Whole seconds, for "every 60 s" loops.
pub fn secs(n: i64) -> i64 {
    n * SEC
}
