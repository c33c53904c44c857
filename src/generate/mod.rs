//! Seeded, deterministic generator of realistic multi-source Kubernetes
//! logs with an attack woven in: the built-in samples, the benchmark inputs
//! and the learner walkthroughs all come from here.
//!
//! No I/O, no clock, no `rand`: a [`rng::Rng`] (SplitMix64) seeded by the
//! caller drives everything, so the same seed gives byte-identical output on
//! every platform, native or WASM.
//!
//! How it works: each scenario is a [`script`] of attack lines at fixed
//! times (the second never moves with the seed, only the sub-second part)
//! plus, per output file, a background-noise source ([`cluster::Noise`]).
//! Files are streamed one after another: a file's noise gets a byte budget,
//! and the time of each noise line is derived from the bytes emitted so far
//! (`t0 + bytes × span / budget`), so noise exactly fills the time window
//! and the scripted lines are merged in where their time falls. Memory stays
//! at one chunk plus the (small) script, whatever the scale.

mod bundle;
mod cluster;
mod fmt;
mod records;
pub(crate) mod rng;
mod scenarios;
mod script;

pub use bundle::support_bundle;

use cluster::{Noise, World, LOGGED_PODS, WORKERS};
use flate2::write::GzEncoder;
use flate2::Compression;
use rng::Rng;
use script::{auth_log, kubelet_log, syslog_path, Script, AUDIT_LOG, FALCO_LOG};
use std::io::Write;

/// One scenario of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    pub name: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// The (UTC) day it happens on. Each scenario has its own, a week
    /// apart (more than the widest background window), so the four
    /// scanned together stay four incidents.
    pub day: (i64, u32, u32),
    /// A node whose logs arrive as its support bundle (a `.tar.gz`)
    /// instead of loose files, as a responder would receive them.
    pub bundled_node: Option<usize>,
}

impl Scenario {
    /// `2026-03-14`: the day answers' times are on.
    pub fn date(&self) -> String {
        fmt::date(fmt::midnight(self.day))
    }
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        name: "anonymous-to-admin",
        title: "Anonymous API access to cluster-admin",
        summary: "A debugging ClusterRoleBinding lets system:anonymous act as cluster-admin; an outside address lists and reads secrets across all namespaces, then creates a service account bound to cluster-admin and uses its token.",
        day: (2026, 3, 14),
        bundled_node: None,
    },
    Scenario {
        name: "rce-to-node",
        title: "Web RCE to node takeover",
        summary: "Command injection in a web pod, download-and-execute, the pod's service-account token used from outside, exec into another pod, a crypto-miner in a privileged pod, then a privileged hostPath / pod to escape onto the node.",
        day: (2026, 3, 21),
        bundled_node: None,
    },
    Scenario {
        name: "stolen-kubeconfig",
        title: "Stolen kubeconfig",
        summary: "An admin's kubeconfig used from an unusual address and client: reconnaissance, a CronJob in kube-system that fetches a payload every ten minutes, then the events about it deleted.",
        day: (2026, 3, 28),
        bundled_node: None,
    },
    Scenario {
        name: "ssh-to-kubelet",
        title: "SSH brute force to the kubelet's identity",
        summary: "Password brute force on a worker's SSH, sudo to read the kubelet's credentials, then the node identity used from outside: secrets read, pods created, a static pod with hostPath /.",
        day: (2026, 4, 4),
        bundled_node: Some(scenarios::VICTIM),
    },
];

/// The scenarios [`generate`] knows, in catalogue order.
pub fn scenarios() -> &'static [Scenario] {
    &SCENARIOS
}

/// One generated log file: its path in a bundle and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What an analyst should find in a scenario (`spoor generate
/// --answer-keys` prints it as JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnswerKey {
    pub scenario: &'static str,
    /// Behaviours present in the logs, as short stable tags.
    pub expected_rules: Vec<&'static str>,
    pub attacker_ips: Vec<&'static str>,
    pub attacker_identities: Vec<&'static str>,
    /// (question, answer) for a learner walkthrough; times are UTC on
    /// `date` and do not depend on the seed.
    pub questions: Vec<(&'static str, &'static str)>,
    /// The scenario's day, `2026-03-14`.
    pub date: String,
}

/// The answer key of a scenario (`None` for an unknown name or `all`).
pub fn answer_key(scenario: &str) -> Option<AnswerKey> {
    scenarios::answer_key(scenario)
}

/// The year every scenario happens in: syslog lines carry no year, so
/// readers of the generated files are told it.
pub const YEAR: i32 = 2026;

/// Log bytes of one built-in sample scenario (about 1,500 lines).
pub const SAMPLE_BYTES: u64 = 500_000;
/// The seed of the page's built-in samples: the same sample everywhere.
pub const SAMPLE_SEED: u64 = 1;
/// Bytes handed to the sink at most per call (a little more for one record).
pub const CHUNK_BYTES: usize = 64 * 1024;
/// The audit log rotates every this many bytes at most (kube-apiserver
/// `--audit-log-maxsize=100`).
const ROTATE_MAX: u64 = 100 << 20;
/// Background noise per second, so large scales cover a longer window.
const BYTES_PER_SECOND: u64 = 100_000;
/// Shortest window of background around the attack (02:00 to 02:40).
const MIN_WINDOW_SECS: u64 = 40 * 60;
/// Longest window (3 days): beyond it, noise just gets denser.
const MAX_WINDOW_SECS: u64 = 3 * 86_400;

/// The small built-in sample of `scenario` (or of every scenario for `all`,
/// paths prefixed by the scenario's name).
pub fn generate(scenario: &str, seed: u64) -> Result<Vec<GeneratedFile>, String> {
    let count = if scenario == "all" {
        SCENARIOS.len() as u64
    } else {
        1
    };
    let mut files: Vec<GeneratedFile> = Vec::new();
    generate_scaled(scenario, seed, SAMPLE_BYTES * count, &mut |path, chunk| {
        append_chunk(&mut files, path, chunk)
    })?;
    Ok(files)
}

/// Collects streamed chunks into files (a file's chunks come together).
fn append_chunk(files: &mut Vec<GeneratedFile>, path: &str, chunk: &[u8]) {
    match files.last_mut() {
        Some(f) if f.path == path => f.bytes.extend_from_slice(chunk),
        _ => files.push(GeneratedFile {
            path: path.to_string(),
            bytes: chunk.to_vec(),
        }),
    }
}

/// Streams `scenario` with background noise up to about `scale_bytes` of
/// log text in total (gzip-rotated files count by their uncompressed size).
///
/// Files come one after another: every chunk of a file reaches `sink`
/// before the next file starts, in chunks of about [`CHUNK_BYTES`].
pub fn generate_scaled(
    scenario: &str,
    seed: u64,
    scale_bytes: u64,
    sink: &mut dyn FnMut(&str, &[u8]),
) -> Result<(), String> {
    if scenario == "all" {
        let share = scale_bytes / SCENARIOS.len() as u64;
        for s in &SCENARIOS {
            run_scenario(s, seed, share, &format!("{}/", s.name), sink);
        }
        return Ok(());
    }
    let Some(s) = SCENARIOS.iter().find(|s| s.name == scenario) else {
        let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        return Err(format!(
            "unknown scenario '{scenario}': use one of {}, or all",
            names.join(", ")
        ));
    };
    run_scenario(s, seed, scale_bytes, "", sink);
    Ok(())
}

/// One output file: its scripted lines and its background.
struct Plan {
    path: String,
    noise: Option<Noise>,
    weight: u64,
    rotate: bool,
    /// `kubelet --log-file` writes a klog header (which also dates the file).
    klog_header: Option<&'static str>,
    script: Vec<(i64, String)>,
}

fn run_scenario(
    scenario: &Scenario,
    seed: u64,
    scale: u64,
    prefix: &str,
    sink: &mut dyn FnMut(&str, &[u8]),
) {
    let name = scenario.name;
    let midnight = fmt::midnight(scenario.day);
    let base = Rng::new(seed).fork(name);
    let world = World::new(&mut base.fork("world"));
    let mut script = Script::new(&world, base.fork("script"), midnight);
    scenarios::run(name, &mut script);
    let mut scripted = script.finish();

    let mut plans = vec![Plan {
        path: AUDIT_LOG.into(),
        noise: Some(Noise::Audit),
        weight: 700,
        rotate: name == "stolen-kubeconfig",
        klog_header: None,
        script: Vec::new(),
    }];
    for &n in &WORKERS {
        let mut kubelet = plan(kubelet_log(n), Noise::Kubelet(n), 30);
        kubelet.klog_header = Some(cluster::NODES[n].name);
        plans.push(kubelet);
        plans.push(plan(syslog_path(n), Noise::Syslog(n), 20));
        plans.push(plan(auth_log(n), Noise::Auth(n), 6));
    }
    for &p in &LOGGED_PODS {
        plans.push(plan(world.log_path(p), Noise::Container(p), 30));
    }
    plans.push(plan(FALCO_LOG.into(), Noise::Falco, 4));
    for p in plans.iter_mut() {
        p.script = scripted.remove(&p.path).unwrap_or_default();
    }
    for (path, lines) in scripted {
        plans.push(Plan {
            path,
            noise: None,
            weight: 0,
            rotate: false,
            klog_header: None,
            script: lines,
        });
    }

    let scripted_bytes: u64 = plans
        .iter()
        .flat_map(|p| p.script.iter())
        .map(|(_, l)| l.len() as u64)
        .sum();
    let noise_total = scale.saturating_sub(scripted_bytes);
    let weights: u64 = plans.iter().map(|p| p.weight).sum();
    let window = (scale / BYTES_PER_SECOND).clamp(MIN_WINDOW_SECS, MAX_WINDOW_SECS) as i64;
    let t0 = fmt::clock(midnight, 2, 20, 0) - window * fmt::SEC / 2;
    let t1 = t0 + window * fmt::SEC;

    // The bundled node's files are held back (about 6 % of the bytes) and
    // leave as one archive at the end: a tar header needs its member's size.
    let host = scenario.bundled_node.map(|n| cluster::NODES[n].name);
    let node_dir = host.map(|h| format!("nodes/{h}/"));
    let mut bundled: Vec<GeneratedFile> = Vec::new();
    let mut route = |path: &str, chunk: &[u8]| match (
        host,
        node_dir.as_deref().and_then(|d| path.strip_prefix(d)),
    ) {
        (Some(host), Some(member)) => {
            append_chunk(&mut bundled, &format!("{host}/{member}"), chunk)
        }
        _ => sink(&format!("{prefix}{path}"), chunk),
    };
    for p in &plans {
        let budget = noise_total * p.weight / weights;
        let mut rng = base.fork(&p.path);
        stream_file(p, &world, &mut rng, budget, (t0, t1), &mut route);
    }
    if let Some(host) = host {
        // "Collected" at 03:00, after the incident.
        let collected = fmt::clock(midnight, 3, 0, 0) / fmt::SEC;
        let archive = support_bundle(&bundled, collected as u64);
        let path = format!("{prefix}nodes/{host}-support-bundle.tar.gz");
        for chunk in archive.chunks(CHUNK_BYTES) {
            sink(&path, chunk);
        }
    }
}

fn plan(path: String, noise: Noise, weight: u64) -> Plan {
    Plan {
        path,
        noise: Some(noise),
        weight,
        rotate: false,
        klog_header: None,
        script: Vec::new(),
    }
}

/// Where a file's bytes go: straight to the sink, or through gzip into the
/// rotated `audit-<time>.log.gz` segments.
struct Out<'a> {
    sink: &'a mut dyn FnMut(&str, &[u8]),
    path: String,
    gz: Option<GzEncoder<Vec<u8>>>,
}

impl Out<'_> {
    fn write(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.gz.as_mut() {
            None => (self.sink)(&self.path, text.as_bytes()),
            Some(gz) => {
                gz.write_all(text.as_bytes())
                    .expect("writing to a Vec cannot fail");
                let done = std::mem::take(gz.get_mut());
                if !done.is_empty() {
                    (self.sink)(&self.path, &done);
                }
            }
        }
    }

    /// Ends the current segment and continues in `path` (gzipped or not).
    fn switch(&mut self, path: String, gzip: bool) {
        if let Some(gz) = self.gz.take() {
            let rest = gz.finish().expect("writing to a Vec cannot fail");
            if !rest.is_empty() {
                (self.sink)(&self.path, &rest);
            }
        }
        self.path = path;
        self.gz = gzip.then(|| GzEncoder::new(Vec::new(), Compression::fast()));
    }
}

fn stream_file(
    p: &Plan,
    world: &World,
    rng: &mut Rng,
    budget: u64,
    (t0, t1): (i64, i64),
    sink: &mut dyn FnMut(&str, &[u8]),
) {
    let span = (t1 - t0) as u128;
    let full_path = p.path.clone();
    let dir = full_path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    // Rotation: segment k holds noise bytes [k*R, (k+1)*R) and is named by
    // the (planned) time it was rotated at.
    let rotate_every = if p.rotate && budget > 0 {
        (budget / 2).clamp(1, ROTATE_MAX)
    } else {
        u64::MAX
    };
    let time_at = |bytes: u64| -> i64 {
        if budget == 0 {
            t1
        } else {
            t0 + (bytes as u128 * span / budget as u128) as i64
        }
    };
    let segment_path = |k: u64| -> (String, bool) {
        if rotate_every != u64::MAX && (k + 2).saturating_mul(rotate_every) < budget + 1 {
            let stamp = fmt::rotation_stamp(time_at((k + 1) * rotate_every));
            (format!("{dir}/audit-{stamp}.log.gz"), true)
        } else {
            (full_path.clone(), false)
        }
    };
    let mut out = Out {
        sink,
        path: String::new(),
        gz: None,
    };
    let (first, gz) = segment_path(0);
    out.switch(first, gz);
    let mut segment = 0u64;
    let mut buf = String::with_capacity(CHUNK_BYTES + 8192);
    if let Some(host) = p.klog_header {
        let c = fmt::civil(t0);
        buf.push_str(&format!(
            "Log file created at: {:04}/{:02}/{:02} {:02}:{:02}:{:02}\nRunning on machine: {host}\nBinary: Built with gc go1.21.7 for linux/amd64\nLog line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n",
            c.year, c.month, c.day, c.hour, c.min, c.sec
        ));
    }
    let mut noise_bytes = 0u64;
    let mut next = 0usize;
    let mut last_t = t0;
    let mut gap = (time_at(256) - t0) as u64;
    loop {
        // Noise lines land at random points of the gap their bytes span.
        let jitter = if gap > 0 { rng.below(gap) as i64 } else { 0 };
        let t = (time_at(noise_bytes) + jitter).max(last_t);
        while next < p.script.len() && p.script[next].0 <= t {
            buf.push_str(&p.script[next].1);
            next += 1;
        }
        let Some(noise) = p.noise.as_ref() else { break };
        if noise_bytes >= budget {
            break;
        }
        let before = buf.len();
        noise.emit(world, rng, t, &mut buf);
        let added = (buf.len() - before) as u64;
        noise_bytes += added;
        gap = (time_at(noise_bytes) - time_at(noise_bytes - added)) as u64;
        last_t = t;
        if noise_bytes >= (segment + 1).saturating_mul(rotate_every) {
            out.write(&buf);
            buf.clear();
            segment += 1;
            let (path, gz) = segment_path(segment);
            if path != out.path {
                out.switch(path, gz);
            }
        } else if buf.len() >= CHUNK_BYTES {
            out.write(&buf);
            buf.clear();
        }
    }
    for (_, line) in &p.script[next..] {
        buf.push_str(line);
        if buf.len() >= CHUNK_BYTES {
            out.write(&buf);
            buf.clear();
        }
    }
    out.write(&buf);
    out.switch(String::new(), false);
}
