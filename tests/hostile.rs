//! The hostile corpus (tests/hostile/): logs and rule files written to hurt.
//! Each committed case has its expected outcome beside it
//! (`CASE.expected.json`); the big cases (a 100 MB line, a gzip bomb,
//! 100,000 nested brackets, ten thousand rules, a megabyte regex) are made
//! here at run time. Every case must: not panic, keep `unparsed <= lines`,
//! name its input and a line that exists in every diagnostic, and give
//! exactly the expected counts however its bytes are chunked.
//! `UPDATE_HOSTILE=1` rewrites the expected files (review the diff).

mod ingest_common;

use ingest_common::{fingerprint, run_cuts, tar, tar_header, Run};
use serde_json::{json, Value};
use spoor::analysis::Analysis;
use spoor::detect::{Detector, RuleSource};
use spoor::event::Record;
use spoor::ingest::archive::Source;
use spoor::ingest::limits::Limits;
use spoor::ingest::time::YearResolver;
use spoor::ingest::InputSummary;
use std::io::Write;
use std::path::{Path, PathBuf};

fn corpus(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(kind)
}

/// The case files of one corpus directory (not the expected files).
fn cases(kind: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no cases under tests/hostile/{kind}");
    out
}

/// Compares `got` with `CASE.expected.json`, or writes it under UPDATE_HOSTILE.
fn check_expected(case: &Path, got: &Value) {
    let path = PathBuf::from(format!("{}.expected.json", case.display()));
    if std::env::var_os("UPDATE_HOSTILE").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(got).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing (UPDATE_HOSTILE=1 writes it)", path.display()));
    let want: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got, &want, "{}", case.display());
}

/// The accounting every input keeps, named after the dropped file `path`.
fn check_accounting(path: &str, run: &Run) {
    for input in &run.inputs {
        assert!(
            input.path == path || input.path.starts_with(&format!("{path}!")),
            "{} not named after {path}",
            input.path
        );
        assert!(input.unparsed <= input.lines, "{input:?}");
        for d in &input.diagnostics {
            assert!(!d.message.is_empty());
            assert!(
                d.line <= input.lines,
                "{}: {d:?} past its last line",
                input.path
            );
        }
        if input.unparsed > 0 {
            assert!(
                input.diagnostics.iter().any(|d| d.line > 0),
                "{}: unparsed lines without a line diagnostic",
                input.path
            );
        }
    }
    let events: u64 = run.inputs.iter().map(|i| i.events).sum();
    assert_eq!(
        events,
        run.records.len() as u64,
        "{path}: events vs records"
    );
}

/// What the expected file records about one input.
fn outcome(i: &InputSummary) -> Value {
    json!({
        "path": i.path,
        "format": i.format.map(|f| f.name()),
        "lines": i.lines,
        "events": i.events,
        "unparsed": i.unparsed,
        "truncated": i.truncated,
        "duplicate_ids": i.integrity.duplicate_ids,
        "diagnostics": i.diagnostics.iter().map(|d| json!({"line": d.line, "message": d.message})).collect::<Vec<_>>(),
    })
}

#[test]
fn every_hostile_log_gives_its_expected_outcome_in_any_chunking() {
    for case in cases("logs") {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&case).unwrap();
        let whole = run_cuts(&name, &bytes, &[], None);
        check_accounting(&name, &whole);
        let ones: Vec<usize> = (1..bytes.len()).collect();
        let sevens: Vec<usize> = (7..bytes.len()).step_by(7).collect();
        for cuts in [ones, sevens] {
            let cut = run_cuts(&name, &bytes, &cuts, None);
            assert_eq!(fingerprint(&cut), fingerprint(&whole), "{name} chunked");
        }
        let got = json!({"inputs": whole.inputs.iter().map(outcome).collect::<Vec<_>>()});
        check_expected(&case, &got);
    }
}

/// All hostile logs in one case with the built-in rules and the event store,
/// then every export: nothing downstream of ingest may panic either, and
/// no payload survives unescaped into the HTML report.
#[test]
fn the_hostile_logs_go_through_rules_correlation_store_and_every_export() {
    let mut a = Analysis::new(&spoor::detect::builtin::builtin_sources()).with_store();
    for case in cases("logs") {
        a.open(&case.file_name().unwrap().to_string_lossy(), None);
        a.push(&std::fs::read(&case).unwrap());
    }
    a.finish();
    let store = a.store().unwrap();
    assert!(store.len() > 100, "{}", store.len());
    for q in ["user:*script*", "\"__pwned\"", "code:>=400", "ua:*onerror*"] {
        assert!(!store.run(q).unwrap().is_empty(), "{q}");
    }
    let far = store.run("after:9999-01-01").unwrap_err();
    assert!(far.message.starts_with("not a time"), "{far:?}");
    let report = spoor::report::Report::new(&a);
    for format in spoor::report::ExportFormat::ALL {
        let out = spoor::report::render(&report, format, &Default::default())
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        if format == spoor::report::ExportFormat::Html {
            assert!(
                !out.contains("<script>window.__pwned"),
                "payload unescaped in HTML"
            );
            assert!(!out.contains("<img src=x"), "payload unescaped in HTML");
        }
    }
}

/// Loads rule text alone (no built-in pack).
fn load(origin: &str, text: String) -> (Detector, Vec<spoor::detect::RuleFailure>) {
    Detector::new(&[RuleSource {
        origin: origin.into(),
        text,
    }])
}

#[test]
fn every_hostile_rule_file_loads_or_fails_as_expected() {
    for case in cases("rules") {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&std::fs::read(&case).unwrap()).into_owned();
        let (detector, failures) = load(&name, text);
        for f in &failures {
            assert_eq!(f.source, name, "a failure names its file");
            assert!(!f.message.is_empty());
        }
        let got = json!({
            "loaded": detector.rules().iter().map(|r| json!({"id": r.id, "title": r.title})).collect::<Vec<_>>(),
            "failures": failures.iter().map(|f| json!({"id": f.id, "message": f.message})).collect::<Vec<_>>(),
        });
        check_expected(&case, &got);
    }
}

/// Reads chunks from `chunks` as one input named `path` under `limits`.
fn read_stream(
    path: &str,
    limits: Limits,
    chunks: impl IntoIterator<Item = Vec<u8>>,
) -> Vec<InputSummary> {
    let mut source = Source::new(path, None, YearResolver::default()).with_limits(limits);
    let mut records = 0u64;
    let mut count = |_: Record, _: u32| records += 1;
    for c in chunks {
        source.push(&c, &mut count);
    }
    let inputs = source.finish(&mut count);
    assert_eq!(inputs.iter().map(|i| i.events).sum::<u64>(), records);
    inputs
}

const LINE: &str = "2024-05-14T09:12:33.000000123Z stdout F a container log line\n";

fn messages(i: &InputSummary) -> Vec<(u64, &str)> {
    i.diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect()
}

#[test]
fn a_100_mb_line_is_skipped_and_reported_at_its_line() {
    const MIB: usize = 1 << 20;
    let chunks = std::iter::once(LINE.as_bytes().to_vec())
        .chain((0..100).map(|_| vec![b'A'; MIB]))
        .chain(std::iter::once(format!("\n{LINE}").into_bytes()));
    let inputs = read_stream("huge-line.log", Limits::default(), chunks);
    let [i] = &inputs[..] else {
        panic!("{inputs:?}")
    };
    assert_eq!((i.lines, i.events, i.unparsed), (3, 2, 1));
    assert_eq!(
        messages(i),
        [(2, "line is 104857601 bytes, over the 16 MiB limit: skipped")]
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A 10 MB gzip that expands to 10 GiB: one compressed MiB of zeros,
/// repeated as concatenated gzip members.
fn bomb(prefix: &[u8]) -> Vec<u8> {
    let member = gzip(&vec![0u8; 1 << 20]);
    let mut out = gzip(prefix);
    for _ in 0..10 * 1024 {
        out.extend_from_slice(&member);
    }
    assert!(out.len() < 12 << 20, "{}", out.len());
    out
}

#[test]
fn a_gzip_bomb_stops_at_the_limit_with_a_message_naming_the_input() {
    let limits = Limits {
        decoded_bytes: 64 << 20,
        ..Limits::default()
    };
    let data = bomb(LINE.as_bytes());
    let chunks = data.chunks(4 << 20).map(<[u8]>::to_vec);
    let inputs = read_stream("bomb.log.gz", limits, chunks);
    let [i] = &inputs[..] else {
        panic!("{inputs:?}")
    };
    assert_eq!(i.path, "bomb.log.gz");
    assert!(i.truncated);
    assert_eq!((i.events, i.unparsed), (1, 1));
    let overlong = format!(
        "line is {} bytes, over the 16 MiB limit: skipped",
        (64 << 20) - LINE.len()
    );
    assert_eq!(
        messages(i),
        [
            (0, "gzip expands past 64 MiB: stopped reading, the rest of the input is skipped (possible decompression bomb)"),
            (2, overlong.as_str()),
        ]
    );
}

#[test]
fn a_tar_gz_bomb_stops_at_the_archive_limit() {
    let limits = Limits {
        archive_bytes: 32 << 20,
        ..Limits::default()
    };
    let data = bomb(&tar_header("zeros.log", 4 << 30));
    let inputs = read_stream("bomb.tgz", limits, data.chunks(1 << 20).map(<[u8]>::to_vec));
    let archive = inputs
        .iter()
        .find(|i| i.path == "bomb.tgz")
        .expect("archive problems");
    assert!(archive.truncated);
    assert_eq!(
        messages(archive),
        [(0, "archive expands past 32 MiB: stopped reading, the rest of the archive is skipped (possible decompression bomb)")]
    );
    let member = inputs
        .iter()
        .find(|i| i.path == "bomb.tgz!zeros.log")
        .unwrap();
    assert_eq!((member.lines, member.unparsed), (1, 1));
}

#[test]
fn archive_members_past_the_limit_are_counted_not_read() {
    let limits = Limits {
        archive_members: 10,
        ..Limits::default()
    };
    let tar = tar((0..30).map(|n| (format!("m{n}.log"), LINE)));
    let inputs = read_stream("many.tar", limits, [tar]);
    assert_eq!(inputs.len(), 11, "10 members and the archive's own entry");
    let archive = inputs.last().unwrap();
    assert_eq!(archive.path, "many.tar");
    assert_eq!(
        messages(archive),
        [(
            0,
            "more than 10 members: 20 members past the limit were not read"
        )]
    );
}

#[test]
fn a_hundred_thousand_nested_brackets_are_one_reported_line() {
    let audit = std::fs::read_to_string(corpus("logs").join("duplicate-ids.audit.log")).unwrap();
    let first = audit.lines().next().unwrap();
    let deep = format!(
        "{first}\n{}{}\n{first}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let run = run_cuts(
        "deep.jsonl",
        deep.as_bytes(),
        &[4096, 100_000, 150_000],
        None,
    );
    check_accounting("deep.jsonl", &run);
    let [i] = &run.inputs[..] else {
        panic!("{:?}", run.inputs)
    };
    assert_eq!((i.lines, i.events, i.unparsed), (3, 2, 1));
    let [(2, message)] = messages(i)[..] else {
        panic!("{:?}", i.diagnostics)
    };
    assert!(
        message.contains("nested more than 128 levels deep"),
        "{message}"
    );
}

/// Ten thousand small distinct rules, as one multi-document file.
fn many_rules(n: usize) -> String {
    (0..n)
        .map(|k| {
            format!(
                "title: Generated rule {k}\nid: 00000000-0000-4000-8000-{k:012}\nstatus: test\n\
                 logsource:\n  product: kubernetes\n  service: audit\nlevel: low\n\
                 detection:\n  selection:\n    verb: delete\n    objectRef.name: name-{k}\n  condition: selection\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Ten thousand rules load and run; three more than the limit are counted
/// in one failure naming the file (one load: this is the slowest test).
#[test]
fn ten_thousand_rules_load_and_run_and_more_are_refused() {
    let max = spoor::detect::MAX_RULES;
    assert_eq!(max, 10_000);
    let (mut detector, failures) = load("many.yml", many_rules(max + 3));
    assert_eq!(detector.rules().len(), max);
    let [f] = &failures[..] else {
        panic!("{failures:?}")
    };
    assert_eq!(f.source, "many.yml");
    assert_eq!(
        f.message,
        "more than 10000 rules: 3 rules past the limit were not loaded"
    );
    let line = std::fs::read_to_string(corpus("logs").join("duplicate-ids.audit.log")).unwrap();
    let line = line
        .lines()
        .next()
        .unwrap()
        .replace("\"verb\": \"get\"", "\"verb\": \"delete\"")
        .replace("\"name\": \"p0\"", "\"name\": \"name-7777\"");
    let mut found = Vec::new();
    let mut take = |r: Record| found.extend(detector.observe(&r, 0));
    let mut reader = spoor::ingest::InputReader::new("one.audit.log", None);
    reader.push(format!("{line}\n").as_bytes(), &mut take);
    reader.finish(&mut take);
    let titles: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(titles, ["Generated rule 7777"]);
}

#[test]
fn a_megabyte_regex_fails_to_load_with_a_clear_message() {
    let words: Vec<String> = (0..120_000).map(|k| format!("w{k:07}x")).collect();
    let text = format!(
        "title: Megabyte regex\nid: 00000000-0000-4000-8000-0000000000aa\nlogsource:\n  product: kubernetes\n  service: audit\n\
         detection:\n  selection:\n    userAgent|re: '({})+'\n  condition: selection\n",
        words.join("|")
    );
    assert!(text.len() > 1 << 20);
    let (detector, failures) = load("big-regex.yml", text);
    assert_eq!(detector.rules().len(), 0);
    let [f] = &failures[..] else {
        panic!("{failures:?}")
    };
    assert!(f.message.contains("size limit"), "{}", f.message);
}

#[test]
fn the_event_store_stops_at_its_cap_and_says_how_many_it_left_out() {
    let bytes = std::fs::read(corpus("logs").join("xss-audit.jsonl")).unwrap();
    let mut a = Analysis::new(&[]).with_store_limit(5);
    a.open("xss-audit.jsonl", None);
    a.push(&bytes);
    a.finish();
    let store = a.store().unwrap();
    assert_eq!((store.len(), store.events_dropped), (5, 7));
    assert_eq!(
        a.summary().events,
        12,
        "detection and the summary saw every event"
    );
    let report = spoor::report::Report::new(&a);
    let notices: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|n| n.message.as_str())
        .collect();
    assert!(
        notices.contains(&"the event store is full at 5 events: 7 later events are not in the explorer or timeline (rules and the summary saw them)"),
        "{notices:?}"
    );
}
