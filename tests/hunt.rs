//! Hunting instruments on fixtures with known answers: stacking and first
//! seen / baselines (tests/fixtures/hunt/expected.json beside its input),
//! Sigma drafts that parse and fire on the event they came from, built-in
//! hunts that run, and the Hunt questions on the sample incident.

use serde_json::Value;
use spoor::analysis::Analysis;
use spoor::detect::{self, RuleSource};
use spoor::hunt::baseline::{baseline, AnomalyKind};
use spoor::hunt::draft::{sigma_draft, DraftSource};
use spoor::hunt::notebook::{builtin_hunts, run_hunt};
use spoor::hunt::patterns::message_patterns;
use spoor::hunt::stack::{parse_fields, stack};
use spoor::ingest::time::YearResolver;
use spoor::store::Store;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hunt");

fn analyse(rules: &[RuleSource], files: &[(String, Vec<u8>)]) -> Analysis {
    let mut a = Analysis::new(rules).with_store();
    a.set_years(YearResolver::with_year(spoor::generate::YEAR));
    for (path, bytes) in files {
        a.open(path, None);
        a.push(bytes);
        a.close();
    }
    a.finish();
    a
}

fn fixture() -> (Analysis, Value) {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/expected.json")).unwrap())
            .unwrap();
    let input = expected["input"].as_str().unwrap();
    let bytes = std::fs::read(format!("{DIR}/{input}")).unwrap();
    (analyse(&[], &[(input.to_string(), bytes)]), expected)
}

fn sample() -> Analysis {
    let files: Vec<(String, Vec<u8>)> = spoor::generate::generate("anonymous-to-admin", 1)
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.bytes))
        .collect();
    analyse(&detect::builtin_sources(), &files)
}

fn store(a: &Analysis) -> &Store {
    a.store().expect("analysed with a store")
}

#[test]
fn stacks_match_their_expected_rarest_first_rows() {
    let (a, expected) = fixture();
    let store = store(&a);
    for case in expected["stacks"].as_array().unwrap() {
        let by = case["by"].as_str().unwrap();
        let q = case["query"].as_str().unwrap();
        let fields = parse_fields(by).unwrap();
        let ids = store.run(q).unwrap();
        let s = stack(store, &fields, &ids, q, 100);
        let got: Vec<Value> = s
            .rows
            .iter()
            .map(|r| serde_json::json!([r.values, r.count]))
            .collect();
        assert_eq!(
            &Value::from(got),
            &case["rows"],
            "stack by {by} where {q:?}"
        );
        // Every row's query selects exactly its events.
        for r in &s.rows {
            assert_eq!(
                store.run(&r.query).unwrap().len() as u64,
                r.count,
                "{}",
                r.query
            );
        }
    }
    assert!(
        parse_fields("user,verb,resource,ip").is_err(),
        "at most three fields"
    );
    assert!(parse_fields("bogus").unwrap_err().contains("bogus"));
    assert!(parse_fields("").is_err());
}

#[test]
fn first_seen_and_baselines_match_their_expected_anomalies() {
    let (a, expected) = fixture();
    let store = store(&a);
    let ids = store.run("").unwrap();
    let b = baseline(store, &ids, 100);
    let got: Vec<Value> = b
        .anomalies
        .iter()
        .map(|x| {
            serde_json::json!({"kind": x.kind, "entity": x.entity, "value": x.value,
                               "time": x.time, "count": x.count})
        })
        .collect();
    assert_eq!(Value::from(got), expected["anomalies"]);
    for x in &b.anomalies {
        let n = store.run(&x.query).unwrap().len() as u64;
        assert_eq!(n, x.count, "{:?} query {}", x.kind, x.query);
    }
    // Profiles: fewest events first; the address profile knows its identities.
    assert_eq!(b.profiles[0].events, 1);
    let app = b
        .profiles
        .iter()
        .find(|p| p.kind == "identity" && p.entity == "system:serviceaccount:default:app")
        .unwrap();
    assert_eq!(app.events, 10);
    assert_eq!(app.peers[0], ("10.244.1.7".to_string(), 8));
    assert_eq!(app.hours[2], 10);
    let bob_ip = b.profiles.iter().find(|p| p.entity == "10.0.0.9").unwrap();
    assert_eq!(bob_ip.peers, vec![("bob".to_string(), 37)]);
}

/// A draft made from a result parses as Sigma, fires on the event it came
/// from, and not on a near miss.
fn assert_draft_fires(draft: &str, hit: &[(String, Vec<u8>)], miss: &[(String, Vec<u8>)]) {
    let rule = RuleSource {
        origin: "draft.yml".into(),
        text: draft.to_string(),
    };
    assert!(detect::looks_like_sigma(draft), "{draft}");
    // Code correlations may add findings of their own: count the draft's.
    let drafted = |a: &Analysis| {
        a.findings()
            .iter()
            .filter(|f| f.title.starts_with("Hunt draft"))
            .count()
    };
    let a = analyse(std::slice::from_ref(&rule), hit);
    assert!(
        a.rule_failures().is_empty(),
        "{:?}\n{draft}",
        a.rule_failures()
    );
    assert_eq!(drafted(&a), 1, "draft did not fire:\n{draft}");
    let b = analyse(&[rule], miss);
    assert_eq!(drafted(&b), 0, "draft fired on a near miss:\n{draft}");
}

#[test]
fn drafts_from_stack_rows_and_anomalies_fire_on_their_events() {
    let (a, _) = fixture();
    let store = store(&a);
    let all = store.run("").unwrap();
    let fields = parse_fields("user,ip,ua").unwrap();
    let s = stack(store, &fields, &all, "", 1);
    let row = &s.rows[0];
    assert_eq!(row.values[0], "system:anonymous");
    let pairs: Vec<(String, String)> = s.fields.iter().cloned().zip(row.values.clone()).collect();
    let draft = sigma_draft("rare identity", &row.format, &DraftSource::Fields(pairs)).unwrap();
    assert!(
        draft.contains("product: kubernetes") && draft.contains("service: audit"),
        "{draft}"
    );
    assert!(
        draft.contains("user.username: \"system:anonymous\""),
        "{draft}"
    );
    let line = std::fs::read_to_string(format!("{DIR}/audit.log")).unwrap();
    let anonymous = line
        .lines()
        .find(|l| l.contains("system:anonymous"))
        .unwrap();
    let near = anonymous.replace("198.51.100.1", "198.51.100.2");
    assert_draft_fires(
        &draft,
        &[("a.log".into(), format!("{anonymous}\n").into_bytes())],
        &[("b.log".into(), format!("{near}\n").into_bytes())],
    );
    let b = baseline(store, &all, 10);
    let kubectl = b
        .anomalies
        .iter()
        .find(|x| x.kind == AnomalyKind::KubectlAgent)
        .unwrap();
    let draft = sigma_draft(
        "kubectl",
        &kubectl.format,
        &DraftSource::Fields(kubectl.fields.clone()),
    )
    .unwrap();
    let hit = line.lines().find(|l| l.contains("admin-token")).unwrap();
    let near = hit.replace("kubectl/v1.29.0", "app/1.0");
    assert_draft_fires(
        &draft,
        &[("a.log".into(), format!("{hit}\n").into_bytes())],
        &[("b.log".into(), format!("{near}\n").into_bytes())],
    );
}

#[test]
fn draft_from_a_log_pattern_fires_on_its_lines() {
    let lines = std::fs::read_to_string("../shared/data/loghub/OpenSSH/OpenSSH_2k.log").unwrap();
    let bytes = lines.as_bytes().to_vec();
    let a = analyse(&[], &[("ssh.log".into(), bytes)]);
    let store = store(&a);
    let p = message_patterns(store, &store.run("").unwrap(), 20, 500);
    assert!(p.messages > 1900, "{}", p.messages);
    let failed = p
        .patterns
        .iter()
        .find(|p| p.template.starts_with("Failed password for <*> from"))
        .expect("the brute force pattern");
    // Rarest first, sparkline sums to the count, the query finds its lines.
    assert!(p.patterns.windows(2).all(|w| w[0].count <= w[1].count));
    assert_eq!(
        failed.bins.iter().map(|&b| b as u64).sum::<u64>(),
        failed.count
    );
    assert_eq!(
        store.run(&failed.query).unwrap().len() as u64,
        failed.count,
        "{}",
        failed.query
    );
    let draft = sigma_draft(
        "brute force",
        &failed.format,
        &DraftSource::Pattern(failed.template.clone()),
    )
    .unwrap();
    assert!(draft.contains("product: linux"), "{draft}");
    let hit = lines
        .lines()
        .find(|l| l.contains("Failed password for"))
        .unwrap();
    let near = hit.replace("Failed password", "Accepted password");
    assert_draft_fires(
        &draft,
        &[("a.log".into(), format!("{hit}\n").into_bytes())],
        &[("b.log".into(), format!("{near}\n").into_bytes())],
    );
    // How many patterns a click finds exactly (the message glob).
    let exact = p
        .patterns
        .iter()
        .filter(|x| store.run(&x.query).map(|ids| ids.len() as u64) == Ok(x.count))
        .count();
    eprintln!(
        "OpenSSH: {} patterns, {exact} found exactly by their query",
        p.patterns.len()
    );
    assert!(
        exact * 10 >= p.patterns.len() * 9,
        "{exact} of {}",
        p.patterns.len()
    );
}

#[test]
fn builtin_hunts_run_and_answer_what_is_rare_on_the_sample() {
    let hunts = builtin_hunts();
    assert!(hunts.len() >= 5);
    let ids: Vec<&str> = hunts.iter().map(|h| h.id.as_str()).collect();
    for want in [
        "sa-token-outside-cluster",
        "exec-spree",
        "rbac-drift",
        "secret-sprawl",
    ] {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }
    let a = sample();
    let store = store(&a);
    for h in &hunts {
        let r = run_hunt(store, h).unwrap();
        assert_eq!(
            run_hunt(store, h).unwrap(),
            r,
            "a rerun gives the same result"
        );
    }
    let anonymous = hunts.iter().find(|h| h.id == "anonymous-requests").unwrap();
    let r = run_hunt(store, anonymous).unwrap();
    assert!(r.matches > 0);
    assert!(r
        .stack
        .unwrap()
        .rows
        .iter()
        .any(|row| row.values[0] == "203.0.113.7"));
    // "What is new here?": the first-seen pass names the anonymous
    // identity's first touch of secrets and the stolen service-account
    // token used with kubectl.
    let all = store.run("").unwrap();
    let b = baseline(store, &all, 0);
    let seen: Vec<(AnomalyKind, &str)> = b
        .anomalies
        .iter()
        .map(|a| (a.kind, a.entity.as_str()))
        .collect();
    assert!(
        seen.contains(&(AnomalyKind::FirstSecretAccess, "system:anonymous")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(
            AnomalyKind::KubectlAgent,
            "system:serviceaccount:kube-system:metrics-agent"
        )),
        "{seen:?}"
    );
    // Patterns of the node and container messages, rarest first; each
    // pattern's query finds its lines (a more general template may also
    // cover another pattern's lines: counted, and kept rare).
    let p = message_patterns(store, &all, 50, 500);
    assert!(p.messages > 300 && !p.patterns.is_empty(), "{}", p.messages);
    assert!(p.patterns.windows(2).all(|w| w[0].count <= w[1].count));
    let exact = p
        .patterns
        .iter()
        .filter(|x| store.run(&x.query).map(|ids| ids.len() as u64) == Ok(x.count))
        .count();
    eprintln!(
        "sample: {} messages, {} patterns, {exact} found exactly by their query",
        p.messages,
        p.patterns.len()
    );
    assert!(
        exact * 10 >= p.patterns.len() * 9,
        "{exact} of {}",
        p.patterns.len()
    );
}
