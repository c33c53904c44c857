//! Micro-benchmarks: each parser on its own, and rule evaluation on its
//! own, so a change to one shows in its own figure.
//!
//!   cargo run --release --example micro [SCALE_BYTES]
//!
//! The logs come from `spoor generate --scenario all --scale` in memory
//! (default 64 MB): every file is read through an `InputReader` (hash,
//! split, sniff, parse), timed per detected format. Then the audit records
//! are parsed once and timed through `Detector::observe` with the built-in
//! pack and, when `../shared/sigma` is beside the repository, the SigmaHQ
//! Kubernetes rules. Times are CPU-bound single-thread wall times: run it
//! on a quiet machine or compare runs made one after the other.

use spoor::detect::{builtin_sources, Detector, RuleSource};
use spoor::event::{Format, Record};
use spoor::ingest::InputReader;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Each measurement repeats until at least this long has passed.
const MIN_TIME: Duration = Duration::from_millis(300);

fn main() {
    let scale: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SCALE_BYTES is a number"))
        .unwrap_or(64_000_000);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    spoor::generate::generate_scaled("all", 7, scale, &mut |path, chunk| match files.last_mut() {
        Some((p, bytes)) if p == path => bytes.extend_from_slice(chunk),
        _ => files.push((path.to_string(), chunk.to_vec())),
    })
    .expect("the generator runs");

    println!("| parser | MB | events | MB/s | events/s |");
    println!("|---|---|---|---|---|");
    let mut by_format: BTreeMap<Format, (u64, u64, Duration)> = BTreeMap::new();
    for (path, bytes) in &files {
        let (format, events, took) = time_parse(path, bytes);
        let row = by_format.entry(format).or_default();
        row.0 += bytes.len() as u64;
        row.1 += events;
        row.2 += took;
    }
    for (format, (bytes, events, took)) in &by_format {
        let s = took.as_secs_f64();
        println!(
            "| {format} | {:.1} | {events} | {:.0} | {:.0} |",
            *bytes as f64 / 1e6,
            *bytes as f64 / 1e6 / s,
            *events as f64 / s
        );
    }

    let audit: Vec<Record> = files
        .iter()
        .filter(|(p, _)| p.ends_with("audit.log"))
        .flat_map(|(p, b)| records(p, b))
        .collect();
    let mut rules = builtin_sources();
    println!();
    println!("| rules | loaded | audit events | events/s |");
    println!("|---|---|---|---|");
    time_rules("built-in pack", &rules, &audit);
    let sigma = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/sigma/application/kubernetes/audit");
    if let Ok(dir) = std::fs::read_dir(&sigma) {
        for entry in dir.flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                rules.push(RuleSource {
                    origin: entry.path().display().to_string(),
                    text,
                });
            }
        }
        time_rules("built-in pack + SigmaHQ k8s audit", &rules, &audit);
    }
}

/// Reads one file end to end, repeatedly; its format, events and time per read.
fn time_parse(path: &str, bytes: &[u8]) -> (Format, u64, Duration) {
    let (mut runs, started) = (0u32, Instant::now());
    loop {
        let mut reader = InputReader::new(path, None);
        let mut events = 0u64;
        for chunk in bytes.chunks(1 << 20) {
            reader.push(chunk, &mut |_| events += 1);
        }
        let summary = reader.finish(&mut |_| events += 1);
        runs += 1;
        let took = started.elapsed();
        if took >= MIN_TIME {
            let format = summary.format.unwrap_or(Format::Text);
            return (format, events, took / runs);
        }
    }
}

fn records(path: &str, bytes: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut reader = InputReader::new(path, None);
    reader.push(bytes, &mut |r| out.push(r));
    reader.finish(&mut |r| out.push(r));
    out
}

/// Evaluates every audit record against freshly loaded rules, repeatedly;
/// loading is not timed.
fn time_rules(name: &str, rules: &[RuleSource], audit: &[Record]) {
    let (mut runs, mut spent) = (0u32, Duration::ZERO);
    let mut loaded = 0;
    while spent < MIN_TIME {
        let (mut detector, _) = Detector::new(rules);
        loaded = detector.rules().len();
        let started = Instant::now();
        for r in audit {
            std::hint::black_box(detector.observe(r, 0));
        }
        spent += started.elapsed();
        runs += 1;
    }
    let per_run = spent.as_secs_f64() / f64::from(runs);
    println!(
        "| {name} | {loaded} | {} | {:.0} |",
        audit.len(),
        audit.len() as f64 / per_run
    );
}
