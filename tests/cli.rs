//! The `spoor` command line as users and scripts meet it: exit codes
//! (0 / 1 / 2, never 101), messages that name the problem, --output,
//! --format, --min-level, --since/--until, the time of analysis, and the
//! rules subcommands.

mod ingest_common;

use ingest_common::tar;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn spoor(args: &[&str]) -> Output {
    spoor_with(&[], args)
}

/// [`spoor`] with these environment variables set.
fn spoor_with(env: &[(&str, &str)], args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("SOURCE_DATE_EPOCH")
        .envs(env.iter().copied())
        .output()
        .expect("spoor runs");
    assert_ne!(out.status.code(), Some(101), "panicked: {}", stderr(&out));
    assert!(out.status.code().is_some(), "killed by a signal");
    out
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}
fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli")
}

/// The anonymous-to-admin sample, written once per test run.
fn case() -> &'static str {
    static CASE: OnceLock<String> = OnceLock::new();
    CASE.get_or_init(|| {
        let dir = tmp().join("case");
        let _ = std::fs::remove_dir_all(&dir);
        for f in spoor::generate::generate("anonymous-to-admin", 1).unwrap() {
            let p = dir.join(&f.path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &f.bytes).unwrap();
        }
        dir.display().to_string()
    })
}

const AT: &str = "2026-03-15T08:00:00Z";
const YEAR: &str = "2026";

/// `scan INPUTS… --year --format json --analysed-at`: a report that depends
/// only on the inputs.
fn pinned_scan<'a>(inputs: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["scan"];
    args.extend_from_slice(inputs);
    args.extend(["--year", YEAR, "--format", "json", "--analysed-at", AT]);
    args
}

fn json_scan(extra: &[&str]) -> Value {
    let mut args = pinned_scan(&[case()]);
    args.extend_from_slice(extra);
    let out = spoor(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn exit_codes_0_and_1_follow_fail_on() {
    let out = spoor(&["scan", case(), "--year", YEAR]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("findings:"));
    assert!(
        !stdout(&out).contains('\u{1b}'),
        "no colour when not a terminal"
    );
    assert_eq!(
        code(&spoor(&[
            "scan",
            case(),
            "--year",
            YEAR,
            "--fail-on",
            "high"
        ])),
        1
    );
    let report = json_scan(&[]);
    let critical = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["level"] == "critical");
    assert_eq!(
        code(&spoor(&[
            "scan",
            case(),
            "--year",
            YEAR,
            "--fail-on",
            "critical"
        ])),
        i32::from(critical)
    );
    // Filtered out findings do not fail the run.
    let out = spoor(&[
        "scan",
        case(),
        "--year",
        YEAR,
        "--fail-on",
        "high",
        "--since",
        "2099-01-01T00:00:00Z",
    ]);
    assert_eq!(code(&out), 0);
}

#[test]
fn usage_and_input_errors_exit_2_naming_the_problem() {
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "--no-such-flag", "x"], "--no-such-flag"),
        (&["scan"], "PATHS"),
        (&["frobnicate"], "frobnicate"),
        (&["scan", "/no/such/path.log"], "/no/such/path.log"),
        (&["scan", case(), "--format", "xml"], "xml"),
        (&["scan", case(), "--min-level", "severe"], "severe"),
        (&["scan", case(), "--fail-on", "urgent"], "urgent"),
        (&["scan", case(), "--since", "yesterday"], "yesterday"),
        (
            &["scan", case(), "--until", "2026-13-01T00:00:00Z"],
            "2026-13-01",
        ),
        (
            &[
                "scan",
                case(),
                "--since",
                "2026-03-15T00:00:00Z",
                "--until",
                "2026-03-14T00:00:00Z",
            ],
            "--since",
        ),
        (&["scan", case(), "--analysed-at", "now"], "now"),
        (
            &["scan", case(), "--rules", "/no/such/rules"],
            "/no/such/rules",
        ),
        (&["rules", "explain", "no-such-rule"], "no-such-rule"),
        (
            &["rules", "test", "--fixtures", "/no/such/fixtures"],
            "/no/such/fixtures",
        ),
    ];
    for (args, needle) in cases {
        let out = spoor(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // An output path that cannot be written.
    let out = spoor(&["scan", case(), "--output", "/no/such/dir/report.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("/no/such/dir/report.json"));
}

#[test]
fn a_rule_that_does_not_load_is_an_error_naming_the_file() {
    let dir = tmp().join("bad-rules");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("broken.yml");
    std::fs::write(&bad, "title: Broken\nid: b-1\ndetection: [\n").unwrap();
    let bad = bad.display().to_string();
    let out = spoor(&["scan", case(), "--rules", &bad]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains(&bad), "{}", stderr(&out));
    // The report is still written, naming the rule that failed.
    assert!(stdout(&out).contains("rules: "), "{}", stdout(&out));
    assert!(stdout(&out).contains(&bad), "{}", stdout(&out));
    let out = spoor(&["rules", "test", "--rules", &bad]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains(&bad));
    let out = spoor(&["rules", "list", "--rules", &bad]);
    assert_eq!(code(&out), 2);
    // A rules folder without any rule file.
    let empty = tmp().join("no-rules");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("README.txt"), "not a rule").unwrap();
    let out = spoor(&["scan", case(), "--rules", &empty.display().to_string()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no .yml or .yaml rule file"));
}

#[test]
fn help_documents_exit_codes_and_formats() {
    for args in [&["--help"][..], &["scan", "--help"]] {
        let out = spoor(args);
        assert_eq!(code(&out), 0);
        let text = stdout(&out);
        assert!(text.contains("Exit status:"), "{text}");
        assert!(text.contains("2  usage or input error"));
    }
    let text = stdout(&spoor(&["scan", "--help"]));
    for f in [
        "text",
        "json",
        "ndjson",
        "csv",
        "html",
        "timesketch",
        "navigator",
        "sarif",
    ] {
        assert!(text.contains(f), "{f}");
    }
    for flag in [
        "--since",
        "--until",
        "--min-level",
        "--fail-on",
        "--output",
        "--analysed-at",
        "--note",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
}

#[test]
fn output_writes_the_report_to_a_file() {
    let dir = tmp().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    for format in [
        "json",
        "ndjson",
        "csv",
        "html",
        "timesketch",
        "navigator",
        "sarif",
        "text",
    ] {
        let file = dir.join(format!("report.{format}"));
        let out = spoor(&[
            "scan",
            case(),
            "--year",
            YEAR,
            "--format",
            format,
            "--output",
            &file.display().to_string(),
            "--analysed-at",
            AT,
        ]);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
        assert!(
            out.stdout.is_empty(),
            "{format}: the report goes to the file only"
        );
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(!written.is_empty(), "{format}");
        assert!(!written.contains('\u{1b}'), "{format}: no colour in files");
    }
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(v["schema"], "spoor.report/1");
    assert_eq!(v["analysed_at"], AT);
}

#[test]
fn the_report_is_byte_identical_apart_from_the_time_of_analysis() {
    let run = |env: Option<&str>, flag: Option<&str>| -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spoor"));
        cmd.args(["scan", case(), "--year", YEAR, "--format", "json"]);
        if let Some(t) = flag {
            cmd.args(["--analysed-at", t]);
        }
        cmd.env_remove("SOURCE_DATE_EPOCH");
        if let Some(e) = env {
            cmd.env("SOURCE_DATE_EPOCH", e);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let a = run(Some("1773561600"), None);
    let b = run(Some("1773561600"), None);
    assert_eq!(a, b);
    assert!(
        a.contains("\"analysed_at\": \"2026-03-15T08:00:00Z\""),
        "SOURCE_DATE_EPOCH pins it"
    );
    // The flag wins over the environment.
    let c = run(Some("1"), Some(AT));
    assert_eq!(a, c);
    // Without either, the current time; everything else is the same.
    let now = run(None, None);
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("\"analysed_at\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&now), strip(&a));
    let v: Value = serde_json::from_str(&now).unwrap();
    assert!(v["analysed_at"].as_str().unwrap() > "2026-01-01");
    let out = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["scan", case(), "--format", "json"])
        .env("SOURCE_DATE_EPOCH", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SOURCE_DATE_EPOCH"));
}

/// Reading on one thread and detecting on another must not change a
/// byte: correlations and incidents see the records in the same order, and
/// each input and archive member keeps its own summary.
#[test]
fn one_and_two_threads_give_the_same_report() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let shared = shared.display().to_string();
    // Archives: members with records, without, and an archive's own
    // summary; and a tar of two logs whose integrity checks differ.
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest/own");
    let two_logs_tar = tar([
        (
            "node/auth.log",
            std::fs::read(own.join("auth.log")).unwrap(),
        ),
        (
            "api/audit.log",
            std::fs::read(Path::new(case()).join("kube-apiserver/audit.log")).unwrap(),
        ),
    ]);
    let two_logs = tmp().join("two-logs.tar");
    std::fs::write(&two_logs, two_logs_tar).unwrap();
    let own = own.display().to_string();
    let two_logs = two_logs.display().to_string();
    let scan_with = |threads: &str, env: &[(&str, &str)]| -> Output {
        let mut args = pinned_scan(&[case(), &shared, &own, &two_logs]);
        args.extend(["--threads", threads]);
        spoor_with(env, &args)
    };
    let scan = |threads: &str| scan_with(threads, &[]);
    let one = scan("1");
    let two = scan("2");
    assert_eq!(code(&one), code(&two), "{}", stderr(&two));
    let report: Value = serde_json::from_slice(&one.stdout).unwrap();
    let inputs = report["inputs"].as_array().unwrap();
    assert!(inputs.len() > 20);
    let member = |name: &str| {
        inputs
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no input {name}"))
    };
    let integrity = |name: &str| &member(name)["integrity"];
    assert!(integrity("streamed.zip!stream/audit.log")["audit_coverage"].is_object());
    assert!(integrity("two-logs.tar!api/audit.log")["audit_coverage"].is_object());
    assert!(integrity("two-logs.tar!api/audit.log")["typical_interval_ms"].is_u64());
    assert_eq!(integrity("two-logs.tar!node/auth.log")["out_of_order"], 1);
    assert!(integrity("two-logs.tar!node/auth.log")["audit_coverage"].is_null());
    assert!(!report["findings"].as_array().unwrap().is_empty());
    assert!(
        stdout(&one) == stdout(&two),
        "reports differ between 1 and 2 threads"
    );
    // The work moving between the threads: the reading thread takes the
    // analysis after every probe, or after every other one, probing every
    // few KiB of input.
    for alone in ["always", "alternate"] {
        let moving = scan_with(
            "2",
            &[("SPOOR_EPOCH_BYTES", "4096"), ("SPOOR_ALONE", alone)],
        );
        assert!(
            stdout(&one) == stdout(&moving),
            "reports differ between 1 thread and 2 with SPOOR_ALONE={alone}"
        );
    }
    let zero = scan("0");
    assert_eq!(code(&zero), 2);
    assert!(stderr(&zero).contains("--threads"), "{}", stderr(&zero));
}

#[test]
fn min_level_drops_findings_below_it() {
    let all = json_scan(&[]);
    let n = all["findings"].as_array().unwrap().len();
    assert!(n > 0);
    let at_least_high = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "high" || f["level"] == "critical")
        .count();
    assert!(
        at_least_high > 0 && at_least_high < n,
        "{at_least_high} of {n}"
    );
    let high = json_scan(&["--min-level", "high"]);
    assert_eq!(high["findings"].as_array().unwrap().len(), at_least_high);
    assert_eq!(high["filters"]["min_level"], "high");
    let crit = json_scan(&["--min-level", "critical"]);
    assert!(crit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["level"] == "critical"));
    assert_eq!(crit["summary"]["events"], all["summary"]["events"]);
}

#[test]
fn since_and_until_filter_findings_and_events_by_event_time() {
    let all = json_scan(&[]);
    let times: Vec<&str> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["time"].as_str())
        .collect();
    let (since, until) = (times[1], times[times.len() - 2]);
    let cut = json_scan(&["--since", since, "--until", until]);
    let kept = cut["findings"].as_array().unwrap();
    assert!(!kept.is_empty() && kept.len() < times.len());
    let t = |s: &str| spoor::ingest::time::parse_rfc3339(s).unwrap();
    for f in kept {
        let ft = t(f["time"].as_str().unwrap());
        assert!(t(since) <= ft && ft <= t(until), "{f}");
    }
    assert!(cut["summary"]["events"].as_u64() < all["summary"]["events"].as_u64());
    assert_eq!(cut["filters"]["since"].as_str().map(t), Some(t(since)));
    // A window after everything: nothing left, still exit 0.
    let late = json_scan(&["--since", "2030-01-01T00:00:00Z"]);
    assert_eq!(late["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn rules_explain_and_test() {
    let out = spoor(&["rules", "explain", "2222e4c3-4cf0-4904-90e4-34a7a8d7929b"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "Anonymous API Request Allowed",
        "level:       high",
        "T1078.001",
        "description:",
        "false positives:",
        "references:",
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let out = spoor(&[
        "rules",
        "explain",
        "anonymous api request allowed",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["level"], "high");

    let out = spoor(&["rules", "test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("0 did not load"));

    // SigmaHQ's Kubernetes rules against the project's fixtures.
    let sigma =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sigma/application/kubernetes/audit");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigma");
    if sigma.is_dir() {
        let out = spoor(&[
            "rules",
            "test",
            "--no-builtin",
            "--rules",
            &sigma.display().to_string(),
            "--fixtures",
            &fixtures.display().to_string(),
        ]);
        assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
        assert_eq!(
            stdout(&out)
                .lines()
                .filter(|l| l.starts_with("ok "))
                .count(),
            32
        );
        // A fixture that expects the wrong verdict fails the run.
        let swapped = tmp().join("swapped");
        let stem = "kubernetes_audit_exec_into_container";
        std::fs::create_dir_all(swapped.join(stem)).unwrap();
        std::fs::copy(
            fixtures.join(stem).join("negative.json"),
            swapped.join(stem).join("positive.json"),
        )
        .unwrap();
        let out = spoor(&[
            "rules",
            "test",
            "--no-builtin",
            "--rules",
            &sigma.join(format!("{stem}.yml")).display().to_string(),
            "--fixtures",
            &swapped.display().to_string(),
        ]);
        assert_eq!(code(&out), 2);
        assert!(
            stdout(&out).contains(&format!("FAIL  {stem}/positive.json")),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn case_show_renders_a_saved_case_in_any_format() {
    let report = json_scan(&[]);
    let findings = report["findings"].as_array().unwrap().len();
    let dir = tmp().join("case-show");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("case.json");
    let case = serde_json::json!({
        "schema": "spoor.case/1",
        "report": report,
        "view": "tab=findings&sel=1",
        "notes": "seen by <ana>",
    });
    std::fs::write(&file, case.to_string()).unwrap();
    let f = file.to_str().unwrap();
    let out = spoor(&["case", "show", f, "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let back: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(back, report);
    let out = spoor(&["case", "show", f]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&findings.to_string()),
        "{}",
        stdout(&out)
    );
    let out = spoor(&["case", "show", f, "--format", "html"]);
    assert!(stdout(&out).contains("seen by &lt;ana&gt;"));
    let out = spoor(&["case", "show", f, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    // Not a case file: exit 2 naming the problem.
    let bad = dir.join("report.json");
    std::fs::write(&bad, report.to_string()).unwrap();
    let out = spoor(&["case", "show", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("not a Spoor case file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn hunt_stacks_baselines_hunts_and_drafts() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hunt/audit.log");
    let out = spoor(&["hunt", "stack", fixture, "--by", "user", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stack: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(stack["rows"][0]["values"][0], "system:anonymous");
    assert_eq!(stack["rows"][0]["count"], 1);
    // The time filter and the query narrow what is stacked.
    let out = spoor(&[
        "hunt",
        "stack",
        fixture,
        "--by",
        "user,verb",
        "--query",
        "resource:secrets",
        "--since",
        "2026-03-14T02:41:06Z",
        "--format",
        "json",
    ]);
    let stack: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(stack["events"], 1, "{stack}");
    assert_eq!(stack["rows"][0]["values"][1], "get");
    let out = spoor(&["hunt", "stack", fixture, "--by", "ua", "--draft", "1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("userAgent: \"Go-http-client/1.1\""),
        "{}",
        stdout(&out)
    );
    let out = spoor(&["hunt", "baseline", fixture]);
    assert!(stdout(&out).starts_with("5 anomalies"), "{}", stdout(&out));
    let out = spoor(&["hunt", "list", "--format", "json"]);
    let hunts: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(hunts.as_array().unwrap().len() >= 5);
    let out = spoor(&["hunt", "run", fixture, "--hunt", "secret-sprawl"]);
    assert!(
        stdout(&out).contains("2 matching events"),
        "{}",
        stdout(&out)
    );
    let out = spoor(&["hunt", "run", fixture, "--hunt", "nope"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no such hunt"));
    let out = spoor(&["hunt", "stack", fixture, "--by", "bogus"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("bogus"));
}

#[test]
fn patterns_read_archives_member_by_member() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest/own");
    let expected = [
        ("bundle.tgz", ["auth.log", "app.log.1.gz"]),
        ("bundle.zip", ["kubelet.log", "stored.txt"]),
    ];
    for (archive, members) in expected {
        let path = format!("{dir}/{archive}");
        let out = spoor(&["patterns", &path, "--format", "json"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let paths: std::collections::BTreeSet<&str> = json["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["path"].as_str().unwrap())
            .collect();
        let prefix = format!("{path}!");
        assert!(paths.iter().all(|p| p.starts_with(&prefix)), "{paths:?}");
        for member in members {
            assert!(
                paths.iter().any(|p| p.ends_with(member)),
                "{member} in {paths:?}"
            );
        }
    }
    // A gzip member is read as text, not as bytes.
    let out = spoor(&["patterns", &format!("{dir}/bundle.tgz")]);
    assert!(!stdout(&out).contains('\u{1f}'), "gzip bytes mined as text");
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
    out
}

#[test]
fn generate_all_is_byte_identical_and_scans_as_four_incidents() {
    let dirs = [tmp().join("gen-a"), tmp().join("gen-b")];
    for d in &dirs {
        let _ = std::fs::remove_dir_all(d);
        let out = spoor(&[
            "generate",
            "--scenario",
            "all",
            "--out",
            &d.display().to_string(),
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let (a, b) = (tree(&dirs[0]), tree(&dirs[1]));
    assert_eq!(a, b, "same seed, same bytes");
    assert!(a.contains_key("ssh-to-kubelet/nodes/prod-worker-03-support-bundle.tar.gz"));
    assert!(!a
        .keys()
        .any(|p| p.starts_with("ssh-to-kubelet/nodes/prod-worker-03/")));
    assert!(
        !a.keys().any(|p| p.contains("answer")),
        "no answer key among the logs"
    );

    let out = spoor(&["scan", &dirs[0].display().to_string(), "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let incidents = report["incidents"].as_array().unwrap();
    let days: Vec<&str> = incidents
        .iter()
        .map(|i| &i["first_seen"].as_str().unwrap()[..10])
        .collect();
    assert_eq!(
        days,
        ["2026-03-14", "2026-03-21", "2026-03-28", "2026-04-04"]
    );
}

#[test]
fn generate_answer_keys_prints_json() {
    let out = spoor(&["generate", "--scenario", "all", "--answer-keys"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let keys: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 4);
    for key in keys {
        let name = key["scenario"].as_str().unwrap();
        let lib = spoor::generate::answer_key(name).unwrap();
        assert_eq!(key["date"], lib.date.as_str());
        let questions = key["questions"].as_array().unwrap();
        assert_eq!(questions.len(), lib.questions.len(), "{name}");
        assert_eq!(questions[0][0], lib.questions[0].0);
        assert_eq!(questions[0][1], lib.questions[0].1);
        assert!(!key["expected_rules"].as_array().unwrap().is_empty());
    }
    let one = spoor(&["generate", "--scenario", "rce-to-node", "--answer-keys"]);
    let one: Value = serde_json::from_str(&stdout(&one)).unwrap();
    assert_eq!(one[0]["scenario"], "rce-to-node");
    assert_eq!(one.as_array().unwrap().len(), 1);

    let bad = spoor(&["generate", "--scenario", "nope", "--answer-keys"]);
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("unknown scenario 'nope'"),
        "{}",
        stderr(&bad)
    );
    let neither = spoor(&["generate", "--scenario", "all"]);
    assert_eq!(code(&neither), 2);
    assert!(stderr(&neither).contains("--out"), "{}", stderr(&neither));
}
