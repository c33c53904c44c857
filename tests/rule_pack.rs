//! The built-in rule pack, data-driven: every rule carries the metadata
//! Spoor shows to learners, fires on its positive fixture and stays quiet
//! on its near miss (tests/fixtures/rules/<rule name>/{positive,negative}.*),
//! and normal cluster machinery raises nothing (tests/fixtures/rules-noise).
//!
//! Audit fixtures are audit log lines read through the real ingest
//! (`Analysis`). Node, kubelet, container and Falco fixtures are raw log
//! lines turned into records here with the field names Spoor's parsers use
//! for those formats (`program`/`message`/`source_ip`, `msg`, `log`, Falco's
//! own JSON). Network fixtures (`net_*`) go through the real ingest with
//! format detection.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use spoor::analysis::Analysis;
use spoor::detect::{builtin_sources, Detector, Finding, RuleSource, BUILTIN};
use spoor::event::{Event, Format, Location, Record};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rules");
const NOISE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rules-noise");

/// One YAML document of the pack, as plain data.
fn documents() -> Vec<(String, yaml_serde::Value)> {
    let mut out = Vec::new();
    for (file, text) in BUILTIN {
        for doc in yaml_serde::Deserializer::from_str(text) {
            let v = yaml_serde::Value::deserialize(doc).unwrap_or_else(|e| panic!("{file}: {e}"));
            if !v.is_null() {
                out.push((file.to_string(), v));
            }
        }
    }
    out
}

fn s<'a>(v: &'a yaml_serde::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(|x| x.as_str())
}

/// A list of strings; anything else in it (a YAML `key: value` slipped into
/// an unquoted item) fails the test.
fn list(v: &yaml_serde::Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(|x| x.as_sequence())
        .map(|xs| {
            xs.iter()
                .map(|x| {
                    x.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| panic!("{key}: not a string: {x:?}"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Rules whose matches only feed correlations (`generate` not true).
fn hidden(docs: &[(String, yaml_serde::Value)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, d) in docs {
        if let Some(c) = d.get("correlation") {
            let generate = d
                .get("generate")
                .or_else(|| c.get("generate"))
                .and_then(|g| g.as_bool())
                .unwrap_or(false);
            if !generate {
                out.extend(list(c, "rules"));
            }
        }
    }
    out
}

#[test]
fn every_rule_has_the_metadata_learners_see() {
    let uuid = Regex::new(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        .unwrap();
    let technique = Regex::new(r"^attack\.t\d{4}(\.\d{3})?$").unwrap();
    let tactics = [
        "initial_access",
        "execution",
        "persistence",
        "privilege_escalation",
        "defense_evasion",
        "credential_access",
        "discovery",
        "lateral_movement",
        "collection",
        "command_and_control",
        "exfiltration",
        "impact",
    ];
    let docs = documents();
    assert!(docs.len() >= 80, "only {} rules", docs.len());
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (file, d) in &docs {
        let title = s(d, "title").unwrap_or_default();
        let at = format!("{file}: {title}");
        let id = s(d, "id").unwrap_or_default();
        assert!(uuid.is_match(id), "{at}: id {id} is not a UUID v4");
        assert!(ids.insert(id.to_string()), "{at}: duplicate id {id}");
        let name = s(d, "name").unwrap_or_else(|| panic!("{at}: no name"));
        assert!(
            names.insert(name.to_string()),
            "{at}: duplicate name {name}"
        );
        assert!(!title.is_empty(), "{file}: a rule without title");
        assert_eq!(s(d, "status"), Some("experimental"), "{at}: status");
        for key in ["description", "level", "matrix", "why"] {
            assert!(
                s(d, key).is_some_and(|v| !v.trim().is_empty()),
                "{at}: no {key}"
            );
        }
        for key in ["references", "falsepositives", "next", "behaviours", "tags"] {
            assert!(!list(d, key).is_empty(), "{at}: no {key}");
        }
        let tags = list(d, "tags");
        assert!(
            tags.iter().any(|t| technique.is_match(t)),
            "{at}: no technique tag"
        );
        assert!(
            tags.iter()
                .any(|t| tactics.iter().any(|x| t == &format!("attack.{x}"))),
            "{at}: no tactic tag"
        );
    }
}

#[test]
fn the_pack_loads_and_rule_info_carries_the_explanations() {
    let (d, failures) = Detector::new(&builtin_sources());
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(d.rules().len(), documents().len());
    let exec = d.rule("8c40a968-49de-47a2-b5e7-5eb8d3ee1bcc").unwrap();
    assert_eq!(exec.name.as_deref(), Some("k8s_exec_into_pod"));
    assert_eq!(exec.matrix, "Exec into container");
    assert!(exec.why.contains("remote code execution"));
    assert!(exec.next.len() >= 3);
    assert!(!exec.falsepositives.is_empty() && !exec.references.is_empty());
    assert!(exec.description.starts_with("Someone opened"));
    for r in d.rules() {
        assert!(!r.why.is_empty() && !r.next.is_empty(), "{}", r.id);
        assert!(!r.techniques.is_empty(), "{}", r.id);
    }
    let json = serde_json::to_value(exec).unwrap();
    assert!(json.get("why").is_some() && json.get("next").is_some());
}

fn fixture_files(dir: &Path) -> (PathBuf, PathBuf) {
    let mut pos = None;
    let mut neg = None;
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        match stem {
            "positive" => pos = Some(p),
            "negative" => neg = Some(p),
            _ => {}
        }
    }
    (
        pos.unwrap_or_else(|| panic!("{}: no positive.*", dir.display())),
        neg.unwrap_or_else(|| panic!("{}: no negative.*", dir.display())),
    )
}

/// Audit lines through the real ingest and the whole built-in pack.
fn run_audit(path: &Path) -> Vec<Finding> {
    let mut a = Analysis::new(&builtin_sources());
    a.open(&path.display().to_string(), Some(Format::K8sAudit));
    a.push(&fs::read(path).unwrap());
    a.finish();
    assert!(
        a.inputs()[0].events > 0 && a.inputs()[0].unparsed == 0,
        "{}: {:?}",
        path.display(),
        a.inputs()[0]
    );
    a.findings().to_vec()
}

/// Network fixtures (Hubble flows, VPC flow logs, CoreDNS and ingress-nginx
/// container lines) through the real ingest with format detection, as a
/// responder would drop them.
fn run_sniffed(path: &Path) -> Vec<Finding> {
    let mut a = Analysis::new(&builtin_sources());
    a.open(&path.display().to_string(), None);
    a.push(&fs::read(path).unwrap());
    a.finish();
    assert!(
        a.inputs()[0].events > 0 && a.inputs()[0].unparsed == 0,
        "{}: {:?}",
        path.display(),
        a.inputs()[0]
    );
    a.findings().to_vec()
}

fn ns_of(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

fn record(format: Format, fields: serde_json::Value, event: Event, line: u64) -> Record {
    Record {
        format,
        event,
        fields,
        location: Location {
            line,
            lines: 1,
            ..Default::default()
        },
    }
}

/// `May 14 09:12:33 node-1 sshd[2211]: message` as Spoor's syslog parser
/// records it (plus the sshd source address its auth extraction adds).
fn syslog(line: &str, n: u64) -> Record {
    let re =
        Regex::new(r"^(\w{3} +\d+ \d\d:\d\d:\d\d) (\S+) ([^\[:\s]+)(?:\[(\d+)\])?: (.*)$").unwrap();
    let c = re
        .captures(line)
        .unwrap_or_else(|| panic!("not syslog: {line}"));
    let stamp = format!("2024 {}", &c[1]);
    let time = chrono::NaiveDateTime::parse_from_str(&stamp, "%Y %b %e %H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp_nanos_opt();
    let mut fields = serde_json::json!({
        "timestamp": &c[1], "host": &c[2], "program": &c[3], "message": &c[5],
    });
    if let Some(pid) = c.get(4) {
        fields["pid"] = pid.as_str().into();
    }
    let mut event = Event {
        time_ns: time,
        host: Some(c[2].to_string()),
        message: Some(c[5].to_string()),
        ..Default::default()
    };
    let from = Regex::new(r" from (\S+) port \d+").unwrap();
    if let Some(ip) = from.captures(&c[5]) {
        fields["source_ip"] = ip[1].into();
        event.source_ips = vec![ip[1].to_string()];
    }
    record(Format::Syslog, fields, event, n)
}

/// `I0514 09:12:33.509526    3312 flags.go:33] msg` as the klog parser records it.
fn klog(line: &str, n: u64) -> Record {
    let re = Regex::new(r"^([IWEF])(\d{4} \d\d:\d\d:\d\d\.\d+)\s+(\d+) ([^:\]]+):(\d+)\] (.*)$")
        .unwrap();
    let c = re
        .captures(line)
        .unwrap_or_else(|| panic!("not klog: {line}"));
    let fields = serde_json::json!({
        "severity": "info", "thread": &c[3], "file": &c[4], "line": &c[5], "time": &c[2], "msg": &c[6],
    });
    let event = Event {
        message: Some(c[6].to_string()),
        ..Default::default()
    };
    record(Format::Klog, fields, event, n)
}

/// A CRI container log line as the container parser records it.
fn cri(line: &str, n: u64) -> Record {
    let re = Regex::new(r"^(\S+) (stdout|stderr) ([PF]) (.*)$").unwrap();
    let c = re
        .captures(line)
        .unwrap_or_else(|| panic!("not CRI: {line}"));
    let fields = serde_json::json!({
        "time": &c[1], "stream": &c[2], "tag": "F", "log": format!("{}\n", &c[4]),
        "kubernetes": {"namespace_name": "default", "pod_name": "api-7d9f", "container_name": "app"},
    });
    let event = Event {
        time_ns: ns_of(&c[1]),
        namespace: Some("default".into()),
        pod: Some("api-7d9f".into()),
        container: Some("app".into()),
        message: Some(c[4].to_string()),
        ..Default::default()
    };
    record(Format::Cri, fields, event, n)
}

/// A Falco JSON alert as the Falco parser records it.
fn falco(line: &str, n: u64) -> Record {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let of = |k: &str| v["output_fields"][k].as_str().map(String::from);
    let event = Event {
        time_ns: v["time"].as_str().and_then(ns_of),
        host: v["hostname"].as_str().map(String::from),
        namespace: of("k8s.ns.name"),
        pod: of("k8s.pod.name"),
        container: of("container.name"),
        container_id: of("container.id"),
        user: of("user.name"),
        action: v["rule"].as_str().map(String::from),
        message: v["output"].as_str().map(String::from),
        ..Default::default()
    };
    record(Format::Falco, v, event, n)
}

fn run_records(path: &Path, parse: fn(&str, u64) -> Record) -> Vec<Finding> {
    let (mut d, failures) = Detector::new(&builtin_sources());
    assert!(failures.is_empty());
    let text = fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        out.extend(d.observe(&parse(line, i as u64 + 1), 0));
    }
    out.extend(d.finish());
    out
}

fn run_fixture(name: &str, path: &Path) -> Vec<Finding> {
    if name.starts_with("k8s_") {
        run_audit(path)
    } else if name.starts_with("node_") || name.starts_with("spoor_node_") {
        run_records(path, syslog)
    } else if name.starts_with("kubelet_") {
        run_records(path, klog)
    } else if name.starts_with("container_") {
        run_records(path, cri)
    } else if name.starts_with("falco_") {
        run_records(path, falco)
    } else if name.starts_with("net_") {
        run_sniffed(path)
    } else {
        panic!("{name}: no fixture reader for this rule family")
    }
}

#[test]
fn every_rule_fires_on_its_fixture_and_not_on_the_near_miss() {
    let docs = documents();
    let hidden = hidden(&docs);
    let ids: BTreeMap<String, String> = docs
        .iter()
        .filter_map(|(_, d)| Some((s(d, "name")?.to_string(), s(d, "id")?.to_string())))
        .collect();
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for e in fs::read_dir(FIXTURES).unwrap() {
        dirs.insert(e.unwrap().file_name().to_string_lossy().into_owned());
    }
    let untested: Vec<&String> = ids
        .keys()
        .filter(|n| !hidden.contains(*n) && !dirs.contains(*n))
        .collect();
    assert!(untested.is_empty(), "rules without fixtures: {untested:?}");
    let mut failures = Vec::new();
    for name in &dirs {
        let id = ids
            .get(name)
            .unwrap_or_else(|| panic!("fixture {name} names no rule"));
        let (pos, neg) = fixture_files(&Path::new(FIXTURES).join(name));
        let fired = run_fixture(name, &pos);
        match fired.iter().find(|f| &f.rule_id == id) {
            None => failures.push(format!(
                "{name}: positive did not fire (fired: {:?})",
                fired.iter().map(|f| &f.title).collect::<Vec<_>>()
            )),
            Some(f) => {
                if f.evidence.is_empty() || f.matched.is_empty() {
                    failures.push(format!(
                        "{name}: finding without evidence or matched fields"
                    ));
                }
            }
        }
        let fired = run_fixture(name, &neg);
        if fired.iter().any(|f| &f.rule_id == id) {
            failures.push(format!("{name}: near miss fired"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(dirs.len() >= 80, "only {} fixtures", dirs.len());
}

#[test]
fn normal_cluster_machinery_raises_nothing() {
    let f = run_audit(&Path::new(NOISE).join("cluster.jsonl"));
    assert!(
        f.is_empty(),
        "{:#?}",
        f.iter()
            .map(|f| (&f.title, &f.evidence, &f.context))
            .collect::<Vec<_>>()
    );
    let f = run_records(&Path::new(NOISE).join("node.log"), syslog);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn falco_findings_carry_pod_container_and_falco_rule() {
    let path = Path::new(FIXTURES).join("falco_warning/positive.jsonl");
    let f = run_records(&path, falco);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].level, "medium");
    for (k, v) in [
        ("pod", "api-7d9f"),
        ("container", "api"),
        ("namespace", "default"),
        ("action", "Read sensitive file untrusted"),
    ] {
        assert!(
            f[0].context.contains(&(k.to_string(), v.to_string())),
            "{k}: {:?}",
            f[0].context
        );
    }
}

#[test]
fn correlations_point_at_every_contributing_line() {
    let f = run_audit(&Path::new(FIXTURES).join("k8s_many_secrets_read/positive.jsonl"));
    let bursts: Vec<&Finding> = f
        .iter()
        .filter(|f| f.title == "Many Secrets Read by One Identity")
        .collect();
    // Six secrets in the window, threshold five: one finding, not one per
    // further event (rsigma.suppress).
    assert_eq!(bursts.len(), 1, "{bursts:?}");
    let burst = bursts[0];
    assert_eq!(burst.evidence.len(), 5, "{:?}", burst.evidence);
    let f = run_records(
        &Path::new(FIXTURES).join("node_ssh_success_after_bruteforce/positive.log"),
        syslog,
    );
    let chained = f
        .iter()
        .find(|f| f.title == "SSH Login Succeeded After a Brute Force")
        .expect("chained correlation fired");
    assert_eq!(chained.level, "critical");
    assert!(
        chained.evidence.iter().any(|e| e.line == 13),
        "{:?}",
        chained.evidence
    );
}

#[test]
fn allow_lists_suppress_findings_by_field_and_rule() {
    let pos = Path::new(FIXTURES).join("k8s_exec_into_pod/positive.jsonl");
    let exec_id = "8c40a968-49de-47a2-b5e7-5eb8d3ee1bcc";
    let run = |allow: &str| {
        let mut a = Analysis::with_allow(
            &builtin_sources(),
            &[RuleSource {
                origin: "allow.yml".into(),
                text: allow.into(),
            }],
        );
        a.open("x.jsonl", Some(Format::K8sAudit));
        a.push(&fs::read(&pos).unwrap());
        a.finish();
        (
            a.findings().iter().any(|f| f.rule_id == exec_id),
            a.rule_failures().to_vec(),
        )
    };
    // Plain list: this user is allowed to exec (rule named by its Sigma name).
    let (fired, failures) = run("allow:\n  - reason: on-call\n    rules: [k8s_exec_into_pod]\n    match:\n      user.username: alice@example.com\n");
    assert!(failures.is_empty(), "{failures:?}");
    assert!(!fired);
    // Another user: not suppressed.
    let (fired, _) =
        run("allow:\n  - rules: k8s_exec_into_pod\n    match:\n      user.username: bob\n");
    assert!(fired);
    // An alias works across formats; no `rules` means every rule.
    let (fired, _) = run("allow:\n  - match:\n      spoor.namespace: default\n");
    assert!(!fired);
    // CIDR over the normalized source address (cluster egress, say).
    let (fired, _) = run("allow:\n  - match:\n      spoor.source_ip|cidr: 10.12.0.0/16\n");
    assert!(!fired);
    // Sigma filter form.
    let (fired, failures) = run("title: on-call exec\nfilter:\n  rules: [8c40a968-49de-47a2-b5e7-5eb8d3ee1bcc]\n  oncall:\n    userAgent|startswith: 'kubectl/'\n  condition: not oncall\n");
    assert!(failures.is_empty(), "{failures:?}");
    assert!(!fired);
    // Mistakes are reported, and suppress nothing.
    let (fired, failures) = run(
        "allow:\n  - rules: [no_such_rule]\n    match:\n      user.username: alice@example.com\n",
    );
    assert!(fired);
    assert!(failures[0].message.contains("no_such_rule"), "{failures:?}");
    let (fired, failures) =
        run("title: r\nlogsource: {product: linux}\ndetection: {k: [x], condition: k}\n");
    assert!(fired && !failures.is_empty());
}
