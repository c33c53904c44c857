//! SigmaHQ rules: they all load, and each Kubernetes audit rule fires on a
//! realistic audit event and stays quiet on a near miss
//! (tests/fixtures/sigma/<rule-file-stem>/{positive,negative}.json).

use std::fs;
use std::path::{Path, PathBuf};

use spoor::detect::{Detector, RuleSource};
use spoor::event::{Event, Format, Location, Record};

const SIGMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/sigma");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sigma");

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rule_files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
            out.push(p);
        }
    }
}

fn sources(sub: &str) -> Vec<RuleSource> {
    let mut files = Vec::new();
    rule_files(&Path::new(SIGMA).join(sub), &mut files);
    files
        .into_iter()
        .map(|p| RuleSource {
            text: fs::read_to_string(&p).unwrap(),
            origin: p.display().to_string(),
        })
        .collect()
}

fn load_all(sub: &str, min_rules: usize) -> Detector {
    let srcs = sources(sub);
    assert!(srcs.len() >= min_rules, "{sub}: only {} files", srcs.len());
    let (d, failures) = Detector::new(&srcs);
    assert!(failures.is_empty(), "{sub}: {failures:#?}");
    assert_eq!(d.rules().len(), srcs.len(), "{sub}: one rule per file");
    for r in d.rules() {
        assert!(!r.id.is_empty() && !r.title.is_empty(), "{r:?}");
        assert!(
            ["informational", "low", "medium", "high", "critical"].contains(&r.level.as_str()),
            "{r:?}"
        );
    }
    d
}

#[test]
fn kubernetes_audit_rules_load_and_apply_to_every_audit_variant() {
    let d = load_all("application/kubernetes/audit", 16);
    for f in [
        Format::K8sAudit,
        Format::K8sAuditEks,
        Format::K8sAuditAks,
        Format::K8sAuditGke,
    ] {
        assert!(d.inapplicable(&[f]).is_empty(), "{f}");
    }
    assert_eq!(d.inapplicable(&[Format::Syslog]).len(), 16);
    assert!(d.rules().iter().any(|r| r.techniques == ["T1609"]));
}

#[test]
fn linux_builtin_rules_load_and_apply_to_node_logs() {
    let d = load_all("linux/builtin", 10);
    assert!(d.inapplicable(&[Format::Syslog]).is_empty());
    assert!(d.inapplicable(&[Format::Journald]).is_empty());
    assert_eq!(d.inapplicable(&[Format::K8sAudit]).len(), d.rules().len());
}

#[test]
fn all_shared_rules_load_and_cloud_rules_are_notices() {
    let d = load_all("", 40);
    let seen = Format::ALL;
    let notices = d.inapplicable(&seen);
    // Exactly the cloud provider rules cannot apply to anything Spoor reads.
    let cloud = sources("cloud").len();
    assert_eq!(notices.len(), cloud, "{notices:#?}");
    for n in &notices {
        assert!(n.source.contains("/cloud/"), "{n:?}");
        assert!(
            n.message
                .starts_with("cannot apply to any loaded log: logsource"),
            "{n:?}"
        );
    }
}

fn record(fields: serde_json::Value, format: Format) -> Record {
    Record {
        format,
        event: Event {
            time_ns: Some(1_715_677_953_482_910_000),
            ..Default::default()
        },
        fields,
        location: Location {
            line: 1,
            lines: 1,
            ..Default::default()
        },
    }
}

fn rule_id(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("id:"))
        .map(|s| s.trim().to_string())
        .expect("rule has an id")
}

#[test]
fn every_kubernetes_audit_rule_fires_on_its_fixture_and_not_on_the_near_miss() {
    let mut rules = Vec::new();
    rule_files(
        &Path::new(SIGMA).join("application/kubernetes/audit"),
        &mut rules,
    );
    assert_eq!(rules.len(), 16);
    let mut checked = 0;
    for path in rules {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let dir = Path::new(FIXTURES).join(&stem);
        let read = |name: &str| -> serde_json::Value {
            let p = dir.join(name);
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            serde_json::from_str(&text).unwrap()
        };
        let (positive, negative) = (read("positive.json"), read("negative.json"));
        assert_eq!(positive["apiVersion"], "audit.k8s.io/v1", "{stem}");
        let text = fs::read_to_string(&path).unwrap();
        let id = rule_id(&text);
        let (mut d, failures) = Detector::new(&[RuleSource {
            origin: path.display().to_string(),
            text,
        }]);
        assert!(failures.is_empty(), "{stem}: {failures:?}");
        for format in [Format::K8sAudit, Format::K8sAuditGke] {
            let fired = d.observe(&record(positive.clone(), format), 0);
            assert!(
                fired.iter().any(|f| f.rule_id == id),
                "{stem}: positive fixture did not fire ({format})"
            );
            let f = &fired[0];
            assert_eq!(f.evidence.len(), 1);
            assert_eq!((f.evidence[0].input, f.evidence[0].line), (0, 1));
            assert_eq!(f.time_ns, Some(1_715_677_953_482_910_000));
            assert!(!f.matched.is_empty(), "{stem}: no matched fields");
            let fired = d.observe(&record(negative.clone(), format), 0);
            assert!(
                fired.is_empty(),
                "{stem}: near miss fired ({format}): {fired:?}"
            );
        }
        // The right log, wrong format: never evaluated.
        assert!(d.observe(&record(positive, Format::Syslog), 0).is_empty());
        checked += 1;
    }
    assert_eq!(checked, 16);
}

#[test]
fn mapped_rules_report_the_real_field_that_matched() {
    let path =
        Path::new(SIGMA).join("application/kubernetes/audit/kubernetes_audit_hostpath_mount.yml");
    let (mut d, _) = Detector::new(&[RuleSource {
        origin: "x".into(),
        text: fs::read_to_string(path).unwrap(),
    }]);
    let positive: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(
            Path::new(FIXTURES).join("kubernetes_audit_hostpath_mount/positive.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let f = d.observe(&record(positive, Format::K8sAudit), 3);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].matched.contains(&(
            "requestObject.spec.volumes.hostPath.path".into(),
            "/".into()
        )),
        "{:?}",
        f[0].matched
    );
    assert_eq!(f[0].evidence[0].input, 3);
}
