//! Micro-benchmarks (divan): each parser on its own, and rule evaluation on
//! its own, so a change to one shows in its own figure.
//!
//!   cargo bench --bench micro
//!
//! The logs come from `spoor generate --scenario all` in memory (64 MB;
//! `SPOOR_MICRO_BYTES` to change it). A parser bench reads every generated
//! file of its format through an `InputReader` (hash, split, sniff, parse);
//! the rule benches run `Detector::observe` over the parsed audit records,
//! with the built-in pack and with it plus the SigmaHQ Kubernetes rules
//! (from `../shared/sigma`, when it is beside the repository). Loading the
//! rules is not timed.

use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;
use spoor::detect::{builtin_sources, Detector, RuleSource};
use spoor::event::Record;
use spoor::ingest::InputReader;
use std::sync::LazyLock;

fn main() {
    divan::main();
}

/// Generated files: path and bytes.
static FILES: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let scale = std::env::var("SPOOR_MICRO_BYTES")
        .ok()
        .map(|s| s.parse().expect("SPOOR_MICRO_BYTES is a number"))
        .unwrap_or(64_000_000);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    spoor::generate::generate_scaled("all", 7, scale, &mut |path, chunk| match files.last_mut() {
        Some((p, bytes)) if p == path => bytes.extend_from_slice(chunk),
        _ => files.push((path.to_string(), chunk.to_vec())),
    })
    .expect("the generator runs");
    files
});

/// Formats the generator writes, by [`spoor::event::Format::name`].
const FORMATS: &[&str] = &["k8s-audit", "cri", "klog", "syslog", "falco"];

/// The generated files a reader detects as `format`.
fn files_of(format: &str) -> Vec<&'static (String, Vec<u8>)> {
    FILES
        .iter()
        .filter(|(path, bytes)| {
            let mut reader = InputReader::new(path, None);
            reader.push(bytes, &mut |_| {});
            reader.finish(&mut |_| {}).format.map(|f| f.name()) == Some(format)
        })
        .collect()
}

#[divan::bench(args = FORMATS)]
fn parse(bencher: Bencher, format: &str) {
    let files = files_of(format);
    assert!(!files.is_empty(), "the generator writes {format}");
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        let mut events = 0u64;
        for (path, bytes) in &files {
            let mut reader = InputReader::new(path, None);
            for chunk in bytes.chunks(1 << 20) {
                reader.push(chunk, &mut |_| events += 1);
            }
            reader.finish(&mut |_| events += 1);
        }
        events
    });
}

/// Every generated audit record, parsed once.
static AUDIT: LazyLock<Vec<Record>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for (path, bytes) in files_of("k8s-audit") {
        let mut reader = InputReader::new(path, None);
        reader.push(bytes, &mut |r| out.push(r));
        reader.finish(&mut |r| out.push(r));
    }
    out
});

fn observe_all(bencher: Bencher, rules: &[RuleSource]) {
    bencher
        .counter(ItemsCount::new(AUDIT.len()))
        .with_inputs(|| Detector::new(rules).0)
        .bench_local_refs(|detector| {
            for r in AUDIT.iter() {
                divan::black_box(detector.observe(r, 0));
            }
        });
}

#[divan::bench(sample_count = 10)]
fn rules_builtin(bencher: Bencher) {
    observe_all(bencher, &builtin_sources());
}

#[divan::bench(sample_count = 10)]
fn rules_builtin_and_sigmahq(bencher: Bencher) {
    let sigma = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/sigma/application/kubernetes");
    let mut rules = builtin_sources();
    let mut dirs = vec![sigma];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                rules.push(RuleSource {
                    origin: path.display().to_string(),
                    text,
                });
            }
        }
    }
    observe_all(bencher, &rules);
}
