//! The detector's correlation behaviour at its edges, and its detection
//! verdicts checked against a deliberately simple reference evaluator.

use spoor::detect::{Detector, Evidence, Finding, RuleSource};
use spoor::event::{Event, Format, Location, Record};

use serde_json::{json, Map, Value};

fn detector(text: &str) -> Detector {
    let (d, failures) = Detector::new(&[RuleSource {
        origin: "test".into(),
        text: text.into(),
    }]);
    assert!(failures.is_empty(), "{failures:#?}");
    d
}

const T0: i64 = 1_715_000_000;

fn audit(verb: &str, resource: &str, user: &str, name: &str, secs: i64, line: u64) -> Record {
    Record {
        format: Format::K8sAudit,
        event: Event {
            time_ns: Some((T0 + secs) * 1_000_000_000),
            ..Default::default()
        },
        fields: json!({
            "apiVersion": "audit.k8s.io/v1", "kind": "Event", "stage": "ResponseComplete",
            "verb": verb, "user": {"username": user},
            "objectRef": {"resource": resource, "namespace": "default", "name": name},
            "responseStatus": {"code": 200}
        }),
        location: Location {
            line,
            ..Default::default()
        },
    }
}

const BASE: &str = r#"
title: Secret read
id: secret-read
name: secret_read
logsource: {product: kubernetes, service: audit}
detection:
    selection: {verb: get, objectRef.resource: secrets}
    condition: selection
level: low
---
title: Exec
id: exec-pod
name: exec_pod
logsource: {product: kubernetes, service: audit}
detection:
    selection: {verb: create, objectRef.resource: pods/exec}
    condition: selection
level: medium
"#;

fn with(correlation: &str) -> String {
    format!("{BASE}---\n{correlation}")
}

fn correlations(f: &[Finding], id: &str) -> Vec<Finding> {
    f.iter().filter(|f| f.rule_id == id).cloned().collect()
}

fn count_rule(window: &str, group_by: &str) -> String {
    with(&format!(
        r#"title: Many secret reads
id: many-secrets
tags: [attack.t1552.007]
correlation:
    type: event_count
    rules: [secret_read]
    group-by: [{group_by}]
    timespan: {window}
    condition: {{gte: 3}}
level: high
"#
    ))
}

#[test]
fn event_count_just_inside_the_timespan_fires() {
    let mut d = detector(&count_rule("60s", "user.username"));
    let mut fired = Vec::new();
    for (i, t) in [0, 30, 60].into_iter().enumerate() {
        fired = d.observe(&audit("get", "secrets", "alice", "s", t, i as u64 + 1), 2);
        if t < 60 {
            assert!(correlations(&fired, "many-secrets").is_empty());
        }
    }
    let c = correlations(&fired, "many-secrets");
    assert_eq!(c.len(), 1, "{fired:?}");
    assert_eq!(c[0].level, "high");
    assert_eq!(c[0].techniques, vec!["T1552.007"]);
    assert_eq!(c[0].time_ns, Some((T0 + 60) * 1_000_000_000));
    let lines: Vec<u64> = c[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![1, 2, 3], "every contributing event is evidence");
    assert!(c[0].evidence.iter().all(|e| e.input == 2));
    assert!(c[0]
        .matched
        .contains(&("user.username".into(), "alice".into())));
    // `generate` is false by default: the base rule's own matches are not findings.
    assert!(fired.iter().all(|f| f.rule_id != "secret-read"));
}

#[test]
fn event_count_just_outside_the_timespan_does_not_fire() {
    let mut d = detector(&count_rule("60s", "user.username"));
    let mut all = Vec::new();
    for (i, t) in [0, 30, 61].into_iter().enumerate() {
        all.extend(d.observe(&audit("get", "secrets", "alice", "s", t, i as u64 + 1), 0));
    }
    assert!(correlations(&all, "many-secrets").is_empty(), "{all:?}");
    // ... but a fourth event brings three back inside the window.
    let f = d.observe(&audit("get", "secrets", "alice", "s", 62, 4), 0);
    let c = correlations(&f, "many-secrets");
    assert_eq!(c.len(), 1);
    let lines: Vec<u64> = c[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4], "the evicted event is not evidence");
}

#[test]
fn group_by_keeps_identities_apart() {
    let mut d = detector(&count_rule("5m", "user.username"));
    let mut all = Vec::new();
    let seq = [
        ("alice", 0),
        ("bob", 1),
        ("alice", 2),
        ("bob", 3),
        ("carol", 4),
    ];
    for (i, (u, t)) in seq.into_iter().enumerate() {
        all.extend(d.observe(&audit("get", "secrets", u, "s", t, i as u64 + 1), 0));
    }
    assert!(
        correlations(&all, "many-secrets").is_empty(),
        "2+2+1 is not 3"
    );
    let f = d.observe(&audit("get", "secrets", "bob", "s", 5, 6), 0);
    let c = correlations(&f, "many-secrets");
    assert_eq!(c.len(), 1);
    assert!(c[0]
        .matched
        .contains(&("user.username".into(), "bob".into())));
    let lines: Vec<u64> = c[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 4, 6]);
}

#[test]
fn value_count_counts_distinct_values() {
    let text = with(
        r#"title: Many distinct secrets
id: distinct-secrets
correlation:
    type: value_count
    rules: [secret_read]
    group-by: [user.username]
    timespan: 10m
    condition: {gte: 3, field: objectRef.name}
level: high
"#,
    );
    let mut d = detector(&text);
    let mut all = Vec::new();
    for (i, n) in ["a", "a", "b", "b", "a"].into_iter().enumerate() {
        all.extend(d.observe(&audit("get", "secrets", "eve", n, i as i64, i as u64), 0));
    }
    assert!(correlations(&all, "distinct-secrets").is_empty());
    let f = d.observe(&audit("get", "secrets", "eve", "c", 10, 10), 0);
    assert_eq!(correlations(&f, "distinct-secrets").len(), 1);
}

fn temporal(kind: &str) -> String {
    with(&format!(
        r#"title: Exec and secrets
id: exec-secrets
correlation:
    type: {kind}
    rules: [exec_pod, secret_read]
    group-by: [user.username]
    timespan: 5m
level: critical
"#
    ))
}

fn run(d: &mut Detector, steps: &[(&str, i64)], user: &str) -> Vec<Finding> {
    let mut all = Vec::new();
    for (i, (what, t)) in steps.iter().enumerate() {
        let r = match *what {
            "exec" => audit("create", "pods/exec", user, "web", *t, i as u64 + 1),
            _ => audit("get", "secrets", user, "db", *t, i as u64 + 1),
        };
        all.extend(d.observe(&r, 0));
    }
    all
}

#[test]
fn temporal_is_unordered_and_temporal_ordered_is_not() {
    let reversed = [("secret", 0), ("exec", 100)];
    let ordered = [("exec", 0), ("secret", 100)];

    // One of the two rules alone is not enough.
    let mut d = detector(&temporal("temporal"));
    let alone = run(&mut d, &[("secret", 0), ("secret", 5)], "u1");
    assert!(correlations(&alone, "exec-secrets").is_empty(), "{alone:?}");

    let mut d = detector(&temporal("temporal"));
    assert_eq!(
        correlations(&run(&mut d, &reversed, "u1"), "exec-secrets").len(),
        1
    );
    let mut d = detector(&temporal("temporal"));
    let f = run(&mut d, &ordered, "u1");
    let c = correlations(&f, "exec-secrets");
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].level, "critical");
    assert_eq!(
        c[0].evidence,
        vec![
            Evidence { input: 0, line: 1 },
            Evidence { input: 0, line: 2 }
        ]
    );

    let mut d = detector(&temporal("temporal_ordered"));
    assert!(correlations(&run(&mut d, &reversed, "u1"), "exec-secrets").is_empty());
    let mut d = detector(&temporal("temporal_ordered"));
    assert_eq!(
        correlations(&run(&mut d, &ordered, "u1"), "exec-secrets").len(),
        1
    );

    // Outside the timespan: nothing, in either kind.
    let mut d = detector(&temporal("temporal"));
    assert!(correlations(
        &run(&mut d, &[("exec", 0), ("secret", 301)], "u1"),
        "exec-secrets"
    )
    .is_empty());
    // Different identities never complete each other's sequence.
    let mut d = detector(&temporal("temporal"));
    let mut all = run(&mut d, &[("exec", 0)], "u1");
    all.extend(run(&mut d, &[("secret", 10)], "u2"));
    assert!(correlations(&all, "exec-secrets").is_empty());
}

#[test]
fn correlations_chain_and_generate_true_keeps_base_findings() {
    let text = with(
        r#"title: Two secret reads
id: two-secrets
name: two_secrets
correlation:
    type: event_count
    rules: [secret_read]
    group-by: [user.username]
    timespan: 5m
    condition: {gte: 2}
    generate: true
level: medium
---
title: Exec then secret burst
id: exec-then-burst
correlation:
    type: temporal_ordered
    rules: [exec_pod, two_secrets]
    group-by: [user.username]
    timespan: 10m
level: critical
"#,
    );
    let mut d = detector(&text);
    let f = run(
        &mut d,
        &[("exec", 0), ("secret", 10), ("secret", 20)],
        "mallory",
    );
    assert_eq!(correlations(&f, "two-secrets").len(), 1, "{f:#?}");
    let chained = correlations(&f, "exec-then-burst");
    assert_eq!(chained.len(), 1, "{f:#?}");
    // Its evidence includes the secret reads of the child correlation.
    assert!(chained[0]
        .evidence
        .contains(&Evidence { input: 0, line: 2 }));
    assert!(chained[0]
        .evidence
        .contains(&Evidence { input: 0, line: 3 }));
    // generate: true → the secret reads are findings of their own too...
    assert_eq!(correlations(&f, "secret-read").len(), 2);
    // ... while the exec, referenced by a correlation with the default
    // `generate: false`, only feeds it.
    assert!(correlations(&f, "exec-pod").is_empty());
}

#[test]
fn records_without_time_never_enter_a_window() {
    let mut d = detector(&count_rule("60s", "user.username"));
    let mut all = Vec::new();
    for i in 0..5 {
        let mut r = audit("get", "secrets", "alice", "s", 0, i);
        r.event.time_ns = None;
        all.extend(d.observe(&r, 0));
    }
    assert!(all.is_empty(), "{all:?}");
}

#[test]
fn correlation_with_unknown_reference_is_a_failure() {
    let text = with(
        "title: Bad\nid: bad-corr\ncorrelation: {type: event_count, rules: [nope], timespan: 1m, condition: {gte: 1}}\n",
    );
    let (d, failures) = Detector::new(&[RuleSource {
        origin: "f.yml".into(),
        text,
    }]);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].id, "bad-corr");
    assert!(failures[0].message.contains("nope"));
    assert_eq!(d.rules().len(), 2);
}

// ---------------------------------------------------------------------------
// Differential test against a tiny reference evaluator.
// ---------------------------------------------------------------------------

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
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIELDS: &[&str] = &["verb", "objectRef.resource", "user.username", "userAgent"];
const EVENT_VALUES: &[&str] = &[
    "alpha",
    "Alpha",
    "beta",
    "alphabet",
    "gamma-alpha",
    "BETA-gamma",
    "delta",
    "",
    "al",
    "ga",
];
const PATTERNS: &[&str] = &["alpha", "beta", "al", "gamma", "ha", "delta", "a", "ALPHA"];

#[derive(Clone, Copy, Debug)]
enum Op {
    Eq,
    Contains,
    Starts,
    Ends,
}

struct Item {
    field: &'static str,
    op: Op,
    values: Vec<&'static str>,
}

enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

fn gen_cond(rng: &mut XorShift, n: usize, depth: u32) -> Cond {
    if depth == 0 || rng.below(3) == 0 {
        return Cond::Sel(rng.below(n));
    }
    match rng.below(3) {
        0 => Cond::Not(Box::new(gen_cond(rng, n, depth - 1))),
        1 => Cond::And(
            Box::new(gen_cond(rng, n, depth - 1)),
            Box::new(gen_cond(rng, n, depth - 1)),
        ),
        _ => Cond::Or(
            Box::new(gen_cond(rng, n, depth - 1)),
            Box::new(gen_cond(rng, n, depth - 1)),
        ),
    }
}

fn cond_text(c: &Cond) -> String {
    match c {
        Cond::Sel(i) => format!("sel{i}"),
        Cond::Not(a) => format!("not ({})", cond_text(a)),
        Cond::And(a, b) => format!("({}) and ({})", cond_text(a), cond_text(b)),
        Cond::Or(a, b) => format!("({}) or ({})", cond_text(a), cond_text(b)),
    }
}

fn lookup<'a>(event: &'a Value, path: &str) -> Option<&'a str> {
    path.split('.')
        .try_fold(event, |v, k| v.get(k))
        .and_then(Value::as_str)
}

/// Sigma semantics, as simply as possible: strings compare
/// case-insensitively, a list of values is an OR, the items of a selection
/// are an AND, and an item on a missing field is false.
fn reference_item(item: &Item, event: &Value) -> bool {
    let Some(v) = lookup(event, item.field) else {
        return false;
    };
    let v = v.to_lowercase();
    item.values.iter().any(|p| {
        let p = p.to_lowercase();
        match item.op {
            Op::Eq => v == p,
            Op::Contains => v.contains(&p),
            Op::Starts => v.starts_with(&p),
            Op::Ends => v.ends_with(&p),
        }
    })
}

fn reference(cond: &Cond, sels: &[Vec<Item>], event: &Value) -> bool {
    match cond {
        Cond::Sel(i) => sels[*i].iter().all(|it| reference_item(it, event)),
        Cond::Not(a) => !reference(a, sels, event),
        Cond::And(a, b) => reference(a, sels, event) && reference(b, sels, event),
        Cond::Or(a, b) => reference(a, sels, event) || reference(b, sels, event),
    }
}

fn gen_event(rng: &mut XorShift) -> Value {
    let mut root = Map::new();
    for field in FIELDS {
        if rng.below(5) == 0 {
            continue; // missing field
        }
        let value = Value::String(rng.pick(EVENT_VALUES).to_string());
        match field.split_once('.') {
            None => {
                root.insert(field.to_string(), value);
            }
            Some((a, b)) => {
                let inner = root
                    .entry(a.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                inner.as_object_mut().unwrap().insert(b.to_string(), value);
            }
        }
    }
    Value::Object(root)
}

#[test]
fn engine_agrees_with_reference_evaluator() {
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    let mut rules = Vec::new();
    let mut text = String::new();
    const RULES: usize = 250;
    for r in 0..RULES {
        let n = 1 + rng.below(3);
        let mut sels: Vec<Vec<Item>> = Vec::new();
        for _ in 0..n {
            let mut items: Vec<Item> = Vec::new();
            for _ in 0..1 + rng.below(2) {
                let field = *rng.pick(FIELDS);
                if items.iter().any(|i| i.field == field) {
                    continue;
                }
                let op = *rng.pick(&[Op::Eq, Op::Contains, Op::Starts, Op::Ends]);
                let values = (0..1 + rng.below(2)).map(|_| *rng.pick(PATTERNS)).collect();
                items.push(Item { field, op, values });
            }
            sels.push(items);
        }
        let cond = gen_cond(&mut rng, n, 3);
        text.push_str(&format!(
            "title: gen {r}\nid: gen-{r}\nlogsource: {{product: kubernetes, service: audit}}\ndetection:\n"
        ));
        for (i, items) in sels.iter().enumerate() {
            text.push_str(&format!("    sel{i}:\n"));
            for it in items {
                let m = match it.op {
                    Op::Eq => "",
                    Op::Contains => "|contains",
                    Op::Starts => "|startswith",
                    Op::Ends => "|endswith",
                };
                text.push_str(&format!("        {}{m}:\n", it.field));
                for v in &it.values {
                    text.push_str(&format!("            - '{v}'\n"));
                }
            }
        }
        text.push_str(&format!(
            "    condition: {}\nlevel: low\n---\n",
            cond_text(&cond)
        ));
        rules.push((sels, cond));
    }
    let (mut d, failures) = Detector::new(&[RuleSource {
        origin: "generated".into(),
        text,
    }]);
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(d.rules().len(), RULES);

    let (mut agree, mut fired_total) = (0, 0);
    for line in 1..=300u64 {
        let fields = gen_event(&mut rng);
        let expected: Vec<String> = rules
            .iter()
            .enumerate()
            .filter(|(_, (sels, cond))| reference(cond, sels, &fields))
            .map(|(i, _)| format!("gen-{i}"))
            .collect();
        let record = Record {
            format: Format::K8sAudit,
            event: Event::default(),
            fields: fields.clone(),
            location: Location {
                line,
                ..Default::default()
            },
        };
        let mut got: Vec<String> = d
            .observe(&record, 0)
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        got.sort_by_key(|id| id[4..].parse::<usize>().unwrap());
        assert_eq!(got, expected, "event {fields}");
        agree += 1;
        fired_total += got.len();
    }
    assert_eq!(agree, 300);
    // The generator must exercise both verdicts, or the test proves little.
    assert!(
        fired_total > 1000 && fired_total < 300 * RULES - 1000,
        "{fired_total}"
    );
}
