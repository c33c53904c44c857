//! Golden tests: every log sample in ../shared/data and every own fixture
//! in tests/fixtures/ingest/own is read, and its detected format, counts,
//! diagnostics and first normalized events are compared with
//! tests/fixtures/ingest/<folder>/<file>.expected. `UPDATE_GOLDEN=1`
//! rewrites the expected files (review the diff before committing).

mod ingest_common;

use ingest_common::*;
use spoor::ingest::archive::Source;
use spoor::ingest::formats::Unit;
use spoor::ingest::time::YearResolver;
use std::fmt::Write as _;
use std::path::Path;

/// Events shown per input in a golden file.
const SHOWN: usize = 8;

fn golden_text(run: &Run) -> String {
    let mut s = String::new();
    for (n, i) in run.inputs.iter().enumerate() {
        let format = i.format.map(|f| f.name()).unwrap_or("-");
        writeln!(s, "input: {}", i.path).unwrap();
        writeln!(
            s,
            "format: {format}  bytes: {}  lines: {}  events: {}  unparsed: {}  truncated: {}",
            i.bytes, i.lines, i.events, i.unparsed, i.truncated
        )
        .unwrap();
        writeln!(s, "sha256: {}", i.sha256).unwrap();
        for d in i.diagnostics.iter().take(12) {
            writeln!(s, "diagnostic: line {}: {}", d.line, d.message).unwrap();
        }
        if i.diagnostics.len() > 12 {
            writeln!(s, "diagnostic: ... {} more", i.diagnostics.len() - 12).unwrap();
        }
        for (_, r) in run
            .records
            .iter()
            .filter(|(m, _)| *m as usize == n)
            .take(SHOWN)
        {
            let ev = serde_json::to_string(&r.event).unwrap();
            writeln!(
                s,
                "L{}+{} {} {ev}",
                r.location.line, r.location.lines, r.format
            )
            .unwrap();
        }
    }
    s
}

fn check(dir: &Path, rel: &Path, golden_dir: &Path, failures: &mut Vec<String>) {
    let bytes = std::fs::read(dir.join(rel)).unwrap();
    let name = rel.to_string_lossy().replace('\\', "/");
    let run = run(&name, &bytes);
    let got = golden_text(&run);
    let expected_path = golden_dir.join(format!("{name}.expected"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
        std::fs::write(&expected_path, &got).unwrap();
        return;
    }
    match std::fs::read_to_string(&expected_path) {
        Ok(want) if want == got => {}
        Ok(want) => failures.push(format!(
            "{name}: output differs from {}\n--- want\n{want}\n--- got\n{got}",
            expected_path.display()
        )),
        Err(_) => failures.push(format!(
            "{name}: no golden {} (run with UPDATE_GOLDEN=1)",
            expected_path.display()
        )),
    }
}

#[test]
fn shared_samples_match_goldens() {
    let dir = data_dir();
    if !dir.exists() {
        eprintln!("../shared/data missing: skipped");
        return;
    }
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest");
    let mut failures = Vec::new();
    let mut n = 0;
    for rel in files(&dir) {
        if is_not_a_log(&rel) {
            // No golden, but whatever they sniff as, nothing is unparsed.
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            let r = run(&rel.to_string_lossy(), &bytes);
            if r.inputs.iter().any(|i| i.unparsed > 0) {
                failures.push(format!(
                    "{}: unparsed lines in a non-log file",
                    rel.display()
                ));
            }
            continue;
        }
        n += 1;
        check(&dir, &rel, &golden, &mut failures);
    }
    assert!(n > 100, "expected the shared samples, found {n} files");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn own_fixtures_match_goldens() {
    let dir = own_dir();
    let golden = dir.join("../own-expected");
    let mut failures = Vec::new();
    for rel in files(&dir) {
        check(&dir, &rel, &golden, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Exports of central log pipelines (Elasticsearch/OpenSearch, ECS,
/// Fluent Bit/Fluentd, Loki) in tests/fixtures/ingest/pipeline.
#[test]
fn pipeline_fixtures_match_goldens() {
    folder_matches_goldens("pipeline");
}

/// Network evidence in tests/fixtures/ingest/network: Hubble flows (jsonpb
/// and bare json), VPC flow logs (default and custom header), CoreDNS and
/// ingress-nginx container logs (CRI and Docker json-file).
#[test]
fn network_fixtures_match_goldens() {
    folder_matches_goldens("network");
}

/// Every file of tests/fixtures/ingest/<folder> against <folder>-expected.
fn folder_matches_goldens(folder: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(folder);
    let golden = dir.join(format!("../{folder}-expected"));
    let mut failures = Vec::new();
    for rel in files(&dir) {
        check(&dir, &rel, &golden, &mut failures);
    }
    assert!(!files(&dir).is_empty(), "{folder}: no fixtures");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Records built later ([`Unit::Later`], for the thread that analyses
/// them) are known in order by where they lie and by their time: once
/// built, they must say the same, and be the records read built. Every
/// shared sample and fixture, read both ways.
#[test]
fn records_built_later_are_where_and_when_they_said() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest");
    let mut later = 0;
    for dir in [data_dir(), fixtures] {
        for rel in files(&dir) {
            let name = rel.to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            let mut src = Source::new(&name, None, YearResolver::default());
            let mut units = Vec::new();
            src.push_units(&bytes, &mut |u, m| units.push((m, u)));
            let inputs = src.finish_units(&mut |u, m| units.push((m, u)));
            let records = units
                .into_iter()
                .map(|(m, unit)| {
                    let known = match &unit {
                        Unit::Later(l) => Some((l.location, l.time_ns)),
                        Unit::Built(_) => None,
                    };
                    let record = unit.build();
                    if let Some((location, time_ns)) = known {
                        later += 1;
                        assert_eq!(location, record.location, "{name}");
                        assert_eq!(time_ns, record.event.time_ns, "{name}");
                    }
                    (m, record)
                })
                .collect();
            let read_built = run(&name, &bytes);
            assert_eq!(
                fingerprint(&Run { records, inputs }),
                fingerprint(&read_built),
                "{name}"
            );
        }
    }
    assert!(later > 10_000, "only {later} records built later");
}
