//! Integrity of the record on doctored copies of real logs: the audit2rbac
//! demo log and the generator's audit log with lines removed (a time gap),
//! duplicated, shuffled and cut, and an audit log recorded at mixed levels.

mod ingest_common;

use ingest_common::*;
use spoor::ingest::integrity::Integrity;

fn integrity(name: &str, bytes: &[u8]) -> Integrity {
    let r = run(name, bytes);
    assert_eq!(r.inputs.len(), 1);
    let mut i = r.inputs[0].integrity.clone();
    i.truncated |= r.inputs[0].truncated;
    i
}

fn demo_lines() -> Option<Vec<String>> {
    let text = std::fs::read_to_string(data_dir().join("audit2rbac-demo/demo.v1.log")).ok()?;
    Some(text.lines().map(str::to_string).collect())
}

fn join(lines: &[String]) -> Vec<u8> {
    let mut s = lines.join("\n");
    s.push('\n');
    s.into_bytes()
}

fn gaps(i: &Integrity) -> Vec<(String, String, u64)> {
    i.gaps
        .iter()
        .map(|g| (g.from.clone(), g.to.clone(), g.seconds))
        .collect()
}

fn generated_audit() -> Vec<String> {
    let files = spoor::generate::generate("anonymous-to-admin", 1).unwrap();
    let f = files
        .iter()
        .find(|f| f.path.ends_with("kube-apiserver/audit.log"))
        .expect("the scenario writes an audit log");
    String::from_utf8(f.bytes.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn demo_log_as_recorded() {
    let Some(lines) = demo_lines() else { return };
    let i = integrity("demo.v1.log", &join(&lines));
    // The demo itself pauses for 26 minutes between two sessions.
    assert_eq!(
        gaps(&i),
        vec![(
            "2017-09-11T20:01:50Z".into(),
            "2017-09-11T20:27:42Z".into(),
            1552
        )]
    );
    assert_eq!(i.typical_interval_ms, Some(0));
    assert_eq!(
        (i.duplicate_ids, i.out_of_order, i.truncated),
        (0, 0, false)
    );
    assert_eq!(i.stuck_requests, 0);
}

#[test]
fn demo_log_lines_removed_shows_a_second_gap() {
    let Some(mut lines) = demo_lines() else {
        return;
    };
    // Lines 3-5 (19:58:37, 19:59:03, 20:00:59) deleted.
    lines.drain(2..5);
    let i = integrity("demo.v1.log", &join(&lines));
    assert_eq!(
        gaps(&i),
        vec![
            (
                "2017-09-11T19:55:34Z".into(),
                "2017-09-11T20:01:26Z".into(),
                352
            ),
            (
                "2017-09-11T20:01:50Z".into(),
                "2017-09-11T20:27:42Z".into(),
                1552
            )
        ]
    );
    assert_eq!((i.duplicate_ids, i.out_of_order), (0, 0));
}

#[test]
fn demo_log_duplicated_lines() {
    let Some(mut lines) = demo_lines() else {
        return;
    };
    let (a, b) = (lines[9].clone(), lines[20].clone());
    lines.insert(21, b.clone());
    lines.insert(10, a);
    lines.push(b);
    let i = integrity("demo.v1.log", &join(&lines));
    assert_eq!(i.duplicate_ids, 3);
    // The copy of line 21 appended at the end is 25 s older than line 37.
    assert_eq!(i.out_of_order, 1);
}

#[test]
fn demo_log_shuffled() {
    let Some(mut lines) = demo_lines() else {
        return;
    };
    // Two neighbours swapped: one record out of order.
    lines.swap(0, 1);
    // The last record (20:29:04) moved to line 5: the record after it is
    // earlier, once.
    let last = lines.pop().unwrap();
    lines.insert(4, last);
    let i = integrity("demo.v1.log", &join(&lines));
    assert_eq!(i.out_of_order, 2);
    assert_eq!(i.duplicate_ids, 0);
}

#[test]
fn demo_log_truncated() {
    let Some(lines) = demo_lines() else { return };
    let mut bytes = join(&lines);
    // Cut in the middle of the last record, no newline after it.
    bytes.truncate(bytes.len() - 200);
    let r = run("demo.v1.log", &bytes);
    assert!(r.inputs[0].truncated);
    assert!(r.inputs[0].integrity.truncated);
    assert_eq!((r.inputs[0].events, r.inputs[0].unparsed), (36, 1));
    // A complete last line without its newline is not truncation.
    let mut whole = join(&lines);
    whole.pop();
    let r = run("demo.v1.log", &whole);
    assert!(!r.inputs[0].truncated);
    assert_eq!(r.inputs[0].events, 37);
}

#[test]
fn pretty_printed_document_open_at_eof_is_truncated() {
    let Some(lines) = demo_lines() else { return };
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let doc = format!("[\n{pretty},\n{pretty}\n]\n");
    let cut = &doc.as_bytes()[..doc.len() - 40];
    let r = run("demo.json", cut);
    assert!(r.inputs[0].truncated);
    let r = run("demo.json", doc.as_bytes());
    assert!(!r.inputs[0].truncated);
}

#[test]
fn generated_audit_log_doctored() {
    let lines = generated_audit();
    assert_eq!(lines.len(), 400);
    let i = integrity("audit.log", &join(&lines));
    assert!(i.gaps.is_empty(), "{:?}", i.gaps);
    // Events every few seconds: the median interval is in the 4-8 s bucket.
    assert_eq!(i.typical_interval_ms, Some(8192));
    assert_eq!(
        (i.duplicate_ids, i.out_of_order, i.truncated),
        (0, 0, false)
    );

    // 50 records (lines 51-100) removed: 5 min 34 s without events.
    let mut cut = lines.clone();
    cut.drain(50..100);
    let i = integrity("audit.log", &join(&cut));
    assert_eq!(
        gaps(&i),
        vec![(
            "2026-03-14T02:04:42.250361Z".into(),
            "2026-03-14T02:10:16.398261Z".into(),
            334
        )]
    );

    // Ten records doubled, five neighbour pairs swapped, and the tail cut.
    let mut d = lines.clone();
    for k in 0..10 {
        let at = 30 + k * 30;
        let copy = d[at].clone();
        d.insert(at + 1, copy);
    }
    for k in 0..5 {
        d.swap(200 + k * 20, 201 + k * 20);
    }
    let mut bytes = join(&d);
    bytes.truncate(bytes.len() - 100);
    let i = integrity("audit.log", &bytes);
    assert_eq!(i.duplicate_ids, 10);
    // One swapped pair shares its stageTimestamp (02:21:41.001007): 4.
    assert_eq!(i.out_of_order, 4);
    assert!(i.truncated);
}

#[test]
fn audit_policy_coverage_on_mixed_levels() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/integrity/mixed-levels.audit.log");
    let bytes = std::fs::read(path).unwrap();
    let i = integrity("mixed-levels.audit.log", &bytes);
    // web-1 and web-2 completed, node-1 never did; the last request is
    // still in flight when the log ends.
    assert_eq!(i.stuck_requests, 1);
    assert_eq!((i.duplicate_ids, i.out_of_order), (0, 0));
    let c = i.audit_coverage.expect("audit input");
    let levels: Vec<(&str, u64)> = c.levels.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        levels,
        vec![("Metadata", 53), ("Request", 3), ("RequestResponse", 3)]
    );
    let row = |res: &str, verb: &str| {
        c.table
            .iter()
            .find(|r| r.resource == res && r.verb == verb)
            .map(|r| {
                r.levels
                    .iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
    };
    assert_eq!(
        row("pods", "create").as_deref(),
        Some("Metadata:1,RequestResponse:1")
    );
    assert_eq!(row("secrets", "get").as_deref(), Some("Metadata:1"));
    assert_eq!(
        row("clusterrolebindings", "create").as_deref(),
        Some("Request:1")
    );
    assert_eq!(row("pods", "exec"), None);
    assert_eq!(
        c.warnings,
        vec![
            "pods create logged at Metadata level for some events: the submitted object (pod spec, role rules) is not in the record, so rules on its content cannot fire",
            "secrets get/list logged at Metadata level only: which objects were read is known, not what was returned",
            "no exec into pods at all (pods/exec): absent from 59 audit events — not logged by the policy, or it did not happen",
            "no service account token requests at all (serviceaccounts/token): absent from 59 audit events — not logged by the policy, or it did not happen",
        ]
    );
}

/// The generator's audit log as Loki's query API returns it: one stream,
/// newest entry first.
fn loki_query_api(lines: &[String]) -> Vec<u8> {
    let values: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .rev()
        .map(|(n, l)| {
            serde_json::json!([format!("{}", 1_700_000_000_000_000_000u64 + n as u64), l])
        })
        .collect();
    let doc = serde_json::json!({"status": "success", "data": {"resultType": "streams",
        "result": [{"stream": {"job": "kube-apiserver-audit"}, "values": values}]}});
    serde_json::to_vec(&doc).unwrap()
}

/// The same as `logcli query --output=jsonl` writes it (also newest first).
fn logcli_jsonl(lines: &[String]) -> Vec<u8> {
    let out: Vec<String> = lines
        .iter()
        .rev()
        .map(|l| {
            serde_json::json!({"labels": {"job": "kube-apiserver-audit"}, "line": l,
                "timestamp": "2023-11-14T22:13:20Z"})
            .to_string()
        })
        .collect();
    join(&out)
}

#[test]
fn loki_exports_newest_first_are_not_out_of_order() {
    let lines = generated_audit();
    let recorded = integrity("audit.log", &join(&lines));
    assert_eq!(recorded.out_of_order, 0);
    for (name, bytes) in [
        ("query_range.json", loki_query_api(&lines)),
        ("logcli.jsonl", logcli_jsonl(&lines)),
    ] {
        let i = integrity(name, &bytes);
        assert_eq!(i.out_of_order, 0, "{name}: {i:?}");
        assert!(
            i.notes.iter().any(|n| n.contains("newest-first")),
            "{name}: {:?}",
            i.notes
        );
    }
    // A record displaced in the export still counts, as it would in the
    // recorded log: lines 200..203 moved after line 40.
    let mut doctored = lines.clone();
    let moved: Vec<String> = doctored.drain(200..203).collect();
    for (k, l) in moved.into_iter().enumerate() {
        doctored.insert(41 + k, l);
    }
    let recorded = integrity("audit.log", &join(&doctored)).out_of_order;
    assert!(recorded >= 1);
    let exported = integrity("query_range.json", &loki_query_api(&doctored)).out_of_order;
    assert_eq!(exported, recorded);
}

/// Clock skew between the audit log and Falco on the generator's
/// rce-to-node scenario, as recorded and with Falco's clock doctored 90 s
/// ahead: the estimate moves by exactly 90 s, on the same pairs.
#[test]
fn clock_skew_between_audit_and_falco() {
    use spoor::analysis::Analysis;
    use spoor::ingest::time::{format_rfc3339, parse_rfc3339};
    use spoor::report::Report;
    let files = spoor::generate::generate("rce-to-node", 1).unwrap();
    let audit = files
        .iter()
        .find(|f| f.path.ends_with("kube-apiserver/audit.log"))
        .unwrap();
    let falco = files
        .iter()
        .find(|f| f.path.ends_with("falco/events.json"))
        .unwrap();
    let shifted: Vec<String> = String::from_utf8(falco.bytes.clone())
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = parse_rfc3339(v["time"].as_str().unwrap()).unwrap();
            v["time"] = format_rfc3339(t + 90_000_000_000).into();
            v.to_string()
        })
        .collect();
    let skew = |falco_bytes: &[u8]| {
        let mut a = Analysis::new(&spoor::detect::builtin_sources());
        for (path, bytes) in [("audit.log", &audit.bytes[..]), ("falco.json", falco_bytes)] {
            a.open(path, None);
            a.push(bytes);
        }
        a.finish();
        let r = Report::new(&a);
        let k = r
            .integrity
            .clock_skew
            .iter()
            .find(|k| k.other == "falco.json")
            .cloned()
            .unwrap_or_else(|| panic!("no estimate: {:?}", r.integrity.clock_skew));
        assert_eq!(k.reference, "audit.log");
        assert!(k.basis.contains("Falco"), "{}", k.basis);
        k
    };
    let recorded = skew(&falco.bytes);
    let doctored = skew(&join(&shifted));
    assert!(recorded.samples >= 2, "{recorded:?}");
    assert!(recorded.offset_ms.abs() < 5_000, "{recorded:?}");
    assert_eq!(doctored.samples, recorded.samples);
    assert_eq!(
        doctored.offset_ms - recorded.offset_ms,
        90_000,
        "{doctored:?}"
    );
}

/// The rule-coverage note on an audit-only case: the network, node and
/// Falco rules are listed as missing their source; with every event cut
/// down to `Metadata` (no bodies), the rules that read request bodies of
/// the resources the log holds are listed as below their audit level.
#[test]
fn rule_coverage_names_missing_sources_and_low_audit_levels() {
    use spoor::analysis::Analysis;
    use spoor::report::Report;
    let report = |lines: &[String]| {
        let mut a = Analysis::new(&spoor::detect::builtin_sources());
        a.open("audit.log", None);
        a.push(&join(lines));
        a.finish();
        Report::new(&a).integrity.rule_coverage
    };
    let lines = generated_audit();
    let full = report(&lines);
    let flows = full
        .iter()
        .find(|n| n.source.starts_with("network flows"))
        .unwrap_or_else(|| panic!("{full:#?}"));
    assert_eq!(flows.reason, "missing");
    assert!(flows.rules.contains(&"net_pod_metadata_access".to_string()));
    for source in [
        "DNS query logs",
        "ingress access logs",
        "Falco alerts",
        "node logs",
    ] {
        assert!(
            full.iter().any(|n| n.source.starts_with(source)),
            "{source}: {full:#?}"
        );
    }
    assert!(!full
        .iter()
        .any(|n| n.source.starts_with("API server audit log")));
    let metadata_only: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("requestObject");
            o.remove("responseObject");
            o.insert("level".into(), "Metadata".into());
            v.to_string()
        })
        .collect();
    let low = report(&metadata_only);
    let bodies: Vec<_> = low.iter().filter(|n| n.reason == "audit_level").collect();
    assert!(!bodies.is_empty(), "{low:#?}");
    let binding = bodies
        .iter()
        .find(|n| n.source.contains("clusterrolebindings"))
        .unwrap_or_else(|| panic!("{bodies:#?}"));
    assert!(
        binding.message.contains("Metadata level at most"),
        "{binding:?}"
    );
    assert!(
        binding
            .rules
            .iter()
            .any(|r| r == "k8s_cluster_admin_binding"),
        "{binding:?}"
    );
    assert!(
        !full
            .iter()
            .any(|n| n.reason == "audit_level" && n.source.contains("clusterrolebindings")),
        "the recorded log has binding bodies: {full:#?}"
    );
}
