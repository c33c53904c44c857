//! Ingest must give the same result however the bytes are chunked, never
//! panic, and account for every line. Inputs: the shared samples, the own
//! fixtures, hand-made bad inputs, and seeded random mutations of them.

mod ingest_common;

use ingest_common::*;
use spoor::event::Format;
use std::io::Write;

fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in [data_dir(), own_dir()] {
        for rel in files(&dir) {
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            out.push((rel.to_string_lossy().replace('\\', "/"), bytes));
        }
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Every fixture under 3 KiB cut once at every byte, every fixture cut into
/// 1-byte chunks (up to 64 KiB), and a gzip copy cut inside its blocks.
#[test]
fn chunking_never_changes_the_result() {
    for (name, bytes) in all_fixtures() {
        let whole = fingerprint(&run(&name, &bytes));
        if bytes.len() <= 3 * 1024 {
            for cut in 0..=bytes.len() {
                let got = fingerprint(&run_cuts(&name, &bytes, &[cut], None));
                assert_eq!(got, whole, "{name} cut at {cut}");
            }
        }
        if bytes.len() <= 64 * 1024 {
            let every: Vec<usize> = (1..bytes.len()).collect();
            assert_eq!(
                fingerprint(&run_cuts(&name, &bytes, &every, None)),
                whole,
                "{name} in 1-byte chunks"
            );
        }
        if bytes.len() <= 64 * 1024 && !name.ends_with(".tgz") && !name.ends_with(".zip") {
            let gz = gzip(&bytes);
            let plain = run(&name, &gz);
            let cuts: Vec<usize> = (1..gz.len()).step_by(7).collect();
            let chunked = run_cuts(&name, &gz, &cuts, None);
            assert_eq!(
                fingerprint(&plain),
                fingerprint(&chunked),
                "{name}.gz chunked"
            );
            // Same records as the plain file (hash and byte count differ).
            assert_eq!(
                plain.records.len(),
                run(&name, &bytes).records.len(),
                "{name}.gz records"
            );
        }
    }
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Seeded mutations: no panic; chunking-invariant; counts consistent.
#[test]
fn random_mutations_never_panic_and_account_for_every_line() {
    let fixtures: Vec<_> = all_fixtures()
        .into_iter()
        .filter(|(_, b)| b.len() <= 40 * 1024)
        .collect();
    let mut rng = XorShift(0x5eed_1234_abcd_ef01);
    let forced = [
        None,
        None,
        None,
        Some(Format::Syslog),
        Some(Format::Cri),
        Some(Format::K8sAudit),
        Some(Format::Klog),
    ];
    for case in 0..3000 {
        let (name, base) = &fixtures[rng.below(fixtures.len())];
        let mut bytes = base.clone();
        for _ in 0..1 + rng.below(6) {
            let len = bytes.len();
            match rng.below(7) {
                0 if len > 0 => {
                    let i = rng.below(len);
                    bytes[i] = rng.next() as u8;
                }
                1 => bytes.truncate(rng.below(len + 1)),
                2 => {
                    let i = rng.below(len + 1);
                    let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                    bytes.splice(i..i, junk);
                }
                3 => {
                    let (_, other) = &fixtures[rng.below(fixtures.len())];
                    let a = rng.below(other.len() + 1);
                    let b = (a + rng.below(2048)).min(other.len());
                    let i = rng.below(len + 1);
                    bytes.splice(i..i, other[a..b].iter().copied());
                }
                4 if len > 0 => {
                    let i = rng.below(len);
                    bytes.insert(i, b'\n');
                }
                5 => bytes = gzip(&bytes),
                _ => {}
            }
        }
        let force = forced[rng.below(forced.len())];
        let path = if rng.below(2) == 0 {
            name.clone()
        } else {
            format!("case{case}.log")
        };
        let whole = run_cuts(&path, &bytes, &[], force);
        let mut cuts: Vec<usize> = (0..rng.below(8))
            .map(|_| rng.below(bytes.len() + 1))
            .collect();
        cuts.sort();
        let chunked = run_cuts(&path, &bytes, &cuts, force);
        assert_eq!(
            fingerprint(&whole),
            fingerprint(&chunked),
            "case {case} ({name}) chunked at {cuts:?}"
        );
        for (m, input) in whole.inputs.iter().enumerate() {
            assert!(
                input.unparsed <= input.lines,
                "case {case}: unparsed {} > lines {}",
                input.unparsed,
                input.lines
            );
            let records: Vec<_> = whole
                .records
                .iter()
                .filter(|(i, _)| *i as usize == m)
                .collect();
            assert_eq!(
                records.len() as u64,
                input.events,
                "case {case}: events count"
            );
            for (_, r) in records {
                let last = r.location.line + r.location.lines.max(1) as u64 - 1;
                assert!(
                    r.location.line >= 1 && last <= input.lines.max(1),
                    "case {case}: record at {:?} outside {} lines",
                    r.location,
                    input.lines
                );
            }
            assert!(
                input.format.is_some() || input.path == path,
                "case {case}: no format for {}",
                input.path
            );
        }
    }
}

fn one(name: &str, bytes: &[u8]) -> spoor::ingest::InputSummary {
    let r = run(name, bytes);
    assert_eq!(r.inputs.len(), 1, "{name}");
    r.inputs.into_iter().next().unwrap()
}

#[test]
fn truncated_gzip_is_reported() {
    let gz = gzip(
        b"Nov  3 09:23:38 host sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2\n"
            .repeat(50)
            .as_slice(),
    );
    let s = one("cut.log.gz", &gz[..gz.len() / 2]);
    assert!(s.truncated);
    assert!(
        s.diagnostics
            .iter()
            .any(|d| d.message.contains("gzip stream is truncated")),
        "{:?}",
        s.diagnostics
    );
    let s = one("ok.log.gz", &gz);
    assert!(!s.truncated && s.unparsed == 0 && s.events == 50);
}

#[test]
fn bad_inputs_are_counted_not_fatal() {
    // invalid UTF-8 in a syslog line: read, with a diagnostic
    let s = one(
        "bad.log",
        b"Nov  3 09:23:38 host app[1]: caf\xe9\nNov  3 09:23:39 host app[1]: ok\n",
    );
    assert_eq!(
        (s.format, s.events, s.unparsed),
        (Some(Format::Syslog), 2, 0)
    );
    assert!(s
        .diagnostics
        .iter()
        .any(|d| d.line == 1 && d.message.contains("invalid UTF-8")));
    // binary file: text, nothing lost, nothing panics
    let bin: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let s = one("blob.bin", &bin);
    assert!(s.format.is_some());
    // empty file
    let s = one("empty.log", b"");
    assert_eq!((s.lines, s.events), (0, 0));
    assert!(s.diagnostics.iter().any(|d| d.message.contains("empty")));
    // a line over the limit in a JSON file
    let mut big = b"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"a\",\"verb\":\"get\"}\n".to_vec();
    big.extend(std::iter::repeat_n(
        b'x',
        spoor::ingest::lines::MAX_LINE_BYTES + 10,
    ));
    big.extend(b"\n{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"b\",\"verb\":\"get\"}\n");
    let s = one("big.log", &big);
    assert_eq!(
        (s.format, s.lines, s.events, s.unparsed),
        (Some(Format::K8sAudit), 3, 2, 1)
    );
    assert!(s
        .diagnostics
        .iter()
        .any(|d| d.line == 2 && d.message.contains("limit")));
    // BOM + CRLF
    let s = one(
        "crlf.log",
        b"\xef\xbb\xbfNov  3 09:23:38 h a[1]: x\r\nNov  3 09:23:39 h a[1]: y\r\n",
    );
    assert_eq!(
        (s.format, s.events, s.unparsed),
        (Some(Format::Syslog), 2, 0)
    );
    // two formats in one JSON file, one broken document
    let mixed = std::fs::read(own_dir().join("mixed.jsonl")).unwrap();
    let r = run("mixed.jsonl", &mixed);
    let formats: Vec<_> = r.records.iter().map(|(_, r)| r.format).collect();
    assert_eq!(formats, [Format::K8sAudit, Format::Falco]);
    assert_eq!(r.inputs[0].unparsed, 2);
}

/// fluent-bit's CRI/Docker partial-line vectors: joined as fluent-bit does.
#[test]
fn fluent_bit_partial_line_vectors() {
    let path =
        data_dir().join("fluent-bit-container-logs/multiline_c_cri_docker_test_vectors.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let arr = |name: &str| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .find(|a| a["array"] == name)
            .unwrap()["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    // A raw log line may hold a literal newline (C source `"ee\n"` inside
    // the JSON string): the file form escapes it, as Docker writes it.
    let to_file = |lines: &[String]| -> Vec<u8> {
        lines
            .iter()
            .map(|l| l.replace('\n', "\\n") + "\n")
            .collect::<String>()
            .into_bytes()
    };
    let logs = |bytes: &[u8], forced| -> Vec<String> {
        run_cuts("x.log", bytes, &[], forced)
            .records
            .iter()
            .map(|(_, r)| r.fields["log"].as_str().unwrap().to_string())
            .collect()
    };
    let mix = to_file(&arr("container_mix_input"));
    let mut got = logs(&mix, None);
    let mut want = arr("container_mix_output");
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let cri = logs(&to_file(&arr("cri_input")), None);
    assert_eq!(cri.len(), 8);
    assert!(
        cri.contains(&"1a. some multiline log".to_string())
            && cri.contains(&"2b. another multiline log".to_string())
    );
    let chain = logs(&to_file(&arr("docker_cri_chain_input")), None);
    assert_eq!(chain, ["first message", "second message", "third message"]);
}

/// The fluent-bit tail tests' joined outputs equal what the docker parser
/// joins from the split inputs (for the split-line cases).
#[test]
fn docker_split_lines_match_fluent_bit_outputs() {
    let dir = data_dir().join("fluent-bit-container-logs/tail");
    for name in ["dockermode", "dockermode_splitted_line"] {
        let Ok(input) = std::fs::read(dir.join(format!("log/{name}.log"))) else {
            return;
        };
        let want: Vec<String> = std::fs::read_to_string(dir.join(format!("out/{name}.out")))
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["log"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let got: Vec<String> = run("x.log", &input)
            .records
            .iter()
            .map(|(_, r)| r.fields["log"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn archives_name_members_and_report_odd_entries() {
    let bytes = std::fs::read(own_dir().join("bundle.tgz")).unwrap();
    let r = run("bundle.tgz", &bytes);
    let paths: Vec<_> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    assert!(
        paths[0].starts_with("bundle.tgz!var/log/containers/api-5c9_prod_api-"),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.ends_with("deep/auth.log")),
        "pax long name: {paths:?}"
    );
    let archive = r.inputs.last().unwrap();
    assert_eq!(archive.path, "bundle.tgz");
    let msgs: Vec<_> = archive
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(msgs.iter().any(|m| m.contains("symbolic link")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("`..`")), "{msgs:?}");
    let first = &r.records[0].1;
    assert_eq!(
        (first.event.pod.as_deref(), first.event.namespace.as_deref()),
        (Some("api-5c9"), Some("prod"))
    );
    // every member hashed on its own
    let mut hashes: Vec<_> = r.inputs.iter().map(|i| i.sha256.clone()).collect();
    hashes.dedup();
    assert_eq!(hashes.len(), r.inputs.len());
    // a truncated tar.gz says so
    let cut = run("cut.tgz", &bytes[..bytes.len() - 40]);
    assert!(cut.inputs.iter().any(|i| i.truncated), "{:?}", cut.inputs);
    // zips, with and without data descriptors
    for (name, members) in [("bundle.zip", 2), ("streamed.zip", 1)] {
        let bytes = std::fs::read(own_dir().join(name)).unwrap();
        let r = run(name, &bytes);
        assert_eq!(r.inputs.len(), members, "{name}: {:?}", r.inputs);
        assert!(
            r.inputs.iter().all(|i| i.unparsed == 0 && i.events > 0),
            "{name}: {:?}",
            r.inputs
        );
    }
}

/// A line that looks like one whole JSON object is parsed as it stands
/// (`JsonFramer::whole_line`), and framed when it is not one: each record
/// keeps the lines and bytes framing gives it.
#[test]
fn json_lines_and_documents_frame_alike() {
    let ev = |id: &str, rest: &str| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"{id}","verb":"get"{rest}"#
        )
    };
    let lines = [
        // ends with `}` but is not whole: the next line finishes it
        ev("a", r#","objectRef":{"resource":"pods"}"#),
        r#","stage":"ResponseComplete"}"#.to_string(),
        format!("  {}\t", ev("b", "}")),
        ev("c", r#","requestObject":"#),
        // whole on its own, but inside document c
        r#"{"x":1}"#.to_string(),
        "}".to_string(),
        format!("{} {}", ev("d", "}"), ev("e", "}")),
        r#"{"kind": nope}"#.to_string(),
    ];
    let text = lines.join("\n") + "\n";
    let r = run("audit.log", text.as_bytes());
    let got: Vec<_> = r
        .records
        .iter()
        .map(|(_, r)| {
            let l = r.location;
            let id = r.fields["auditID"].as_str().unwrap().to_string();
            (id, l.line, l.lines, l.offset, l.len)
        })
        .collect();
    let start = |n: usize| lines[..n].iter().map(|l| l.len() as u64 + 1).sum::<u64>();
    let (b, d) = (ev("b", "}"), ev("d", "}"));
    let e_offset = start(6) + d.len() as u64 + 1;
    let expected = [
        ("a".into(), 1, 2, 0, start(2) - 1),
        ("b".into(), 3, 1, start(2) + 2, b.len() as u64),
        ("c".into(), 4, 3, start(3), start(6) - 1 - start(3)),
        ("d".into(), 7, 1, start(6), d.len() as u64),
        ("e".into(), 7, 1, e_offset, ev("e", "}").len() as u64),
    ];
    assert_eq!(got, expected);
    assert_eq!(r.records[2].1.fields["requestObject"]["x"], 1);
    let input = &r.inputs[0];
    assert_eq!((input.lines, input.events, input.unparsed), (8, 5, 1));
    assert!(input
        .diagnostics
        .iter()
        .any(|d| d.line == 8 && d.message.contains("invalid JSON")));
}
