use super::query::{parse, term, without_time, FieldName, Op, Term, Value};
use super::*;
use crate::event::{Event, Location};

fn rec(t: &str, user: &str, verb: &str, ns: &str, code: u16, msg: &str) -> Record {
    Record {
        format: Format::K8sAudit,
        event: Event {
            time_ns: crate::ingest::time::parse_rfc3339(t),
            user: Some(user.into()),
            action: Some(verb.into()),
            namespace: (!ns.is_empty()).then(|| ns.to_string()),
            status: Some(code),
            source_ips: vec!["10.0.0.1".into()],
            user_agent: Some("kubectl/v1.29".into()),
            message: (!msg.is_empty()).then(|| msg.to_string()),
            resource: Some("secrets".into()),
            object_name: Some("db-password".into()),
            ..Event::default()
        },
        fields: serde_json::Value::Null,
        location: Location {
            line: 1,
            lines: 1,
            offset: 0,
            len: 10,
        },
    }
}

fn store() -> Store {
    let mut s = Store::new();
    let rows = [
        (
            "2026-03-14T02:05:00Z",
            "dev-01",
            "delete",
            "kube-system",
            403,
            "forbidden here",
        ),
        ("2026-03-14T01:00:00Z", "dev-01", "get", "default", 200, ""),
        (
            "2026-03-14T02:30:00Z",
            "system:anonymous",
            "create",
            "kube-system",
            201,
            "Free Text hit",
        ),
        ("2026-03-14T03:30:00Z", "admin", "delete", "", 500, ""),
    ];
    for (i, (t, u, v, ns, c, m)) in rows.into_iter().enumerate() {
        let mut r = rec(t, u, v, ns, c, m);
        r.location.line = i as u64 + 1;
        s.push(&r, 0);
    }
    let mut untimed = rec("", "ghost", "get", "", 200, "");
    untimed.format = Format::Syslog;
    untimed.location.line = 5;
    s.push(&untimed, 1);
    s.seal();
    s
}

fn lines(s: &Store, q: &str) -> Vec<u32> {
    s.run(q).unwrap().into_iter().map(|i| s.line(i)).collect()
}

#[test]
fn parses_fields_aliases_negation_and_lists() {
    let q = parse(r#"user:dev-01 verb:delete,patch -ns:kube-system code:>=400 "free text" after:2026-03-14T02:00:00Z"#).unwrap();
    assert_eq!(q.terms.len(), 5);
    assert_eq!(
        q.terms[1],
        Term::Field {
            field: FieldName::Sym(Field::Action),
            values: vec![
                Value::Pattern("delete".into()),
                Value::Pattern("patch".into())
            ],
            negated: false
        }
    );
    assert!(matches!(&q.terms[2], Term::Field { negated: true, .. }));
    assert!(
        matches!(&q.terms[3], Term::Field { values, .. } if values == &[Value::Compare(Op::Ge, 400)])
    );
    assert_eq!(
        q.terms[4],
        Term::Text {
            text: "free text".into(),
            negated: false
        }
    );
    assert!(q.after.is_some() && q.before.is_none());
    assert_eq!(parse("").unwrap(), Default::default());
    assert_eq!(parse("   ").unwrap(), Default::default());
}

#[test]
fn bad_queries_name_the_token_and_column() {
    let e = parse("user:bob colour:red").unwrap_err();
    assert_eq!((e.column, e.token.as_str()), (10, "colour:red"));
    assert!(e.message.contains("unknown field `colour`"), "{e}");
    let e = parse("code:abc").unwrap_err();
    assert!(e.message.contains("not a number"), "{e}");
    assert_eq!(e.column, 1);
    let e = parse(r#"ns:a "open phrase"#).unwrap_err();
    assert_eq!(e.column, 6);
    assert!(e.message.contains("unterminated"), "{e}");
    let e = parse("after:yesterday").unwrap_err();
    assert!(e.message.contains("not a time"), "{e}");
    let e = parse("user:").unwrap_err();
    assert!(e.message.contains("needs a value"), "{e}");
    let e = parse(":x").unwrap_err();
    assert!(e.message.contains("field name"), "{e}");
    let e = parse("-after:2026-01-01").unwrap_err();
    assert!(e.message.contains("cannot be negated"), "{e}");
    let e = parse("user:>3").unwrap_err();
    assert!(e.message.contains("comparisons"), "{e}");
    let e = parse("verb:a,,b").unwrap_err();
    assert!(e.message.contains("empty value"), "{e}");
    let e = parse(r#"x """#).unwrap_err();
    assert_eq!(e.column, 3);
    assert!(e.to_string().starts_with("column 3"), "{e}");
    // Multibyte text before the bad token: columns count characters.
    let e = parse("é ü:1").unwrap_err();
    assert_eq!(e.column, 3);
}

#[test]
fn evaluates_in_time_order() {
    let s = store();
    assert_eq!(lines(&s, ""), vec![2, 1, 3, 4, 5], "untimed last");
    assert_eq!(lines(&s, "user:dev-01"), vec![2, 1]);
    assert_eq!(lines(&s, "USER:DEV-01 verb:delete"), vec![1]);
    assert_eq!(lines(&s, "verb:delete,create"), vec![1, 3, 4]);
    assert_eq!(lines(&s, "-verb:delete"), vec![2, 3, 5]);
    assert_eq!(lines(&s, "ns:kube-system code:>=400"), vec![1]);
    assert_eq!(lines(&s, "code:<300"), vec![2, 3, 5]);
    assert_eq!(lines(&s, "code:5*"), vec![4]);
    assert_eq!(lines(&s, "user:system:*"), vec![3]);
    assert_eq!(lines(&s, "u:*-01"), vec![2, 1]);
    assert_eq!(lines(&s, "-ns:*"), vec![4, 5], "no namespace");
    assert_eq!(lines(&s, r#""free text""#), vec![3]);
    assert_eq!(lines(&s, "forbidden"), vec![1]);
    assert_eq!(lines(&s, "-forbidden -hit"), vec![2, 4, 5]);
    assert_eq!(lines(&s, "ghost"), vec![5]);
    assert_eq!(lines(&s, "nothing-matches-this"), Vec::<u32>::new());
    assert_eq!(lines(&s, "after:2026-03-14T02:00:00Z"), vec![1, 3, 4]);
    assert_eq!(
        lines(&s, "after:2026-03-14T02:00:00Z before:2026-03-14T03:00"),
        vec![1, 3]
    );
    assert_eq!(lines(&s, "before:2026-03-14"), Vec::<u32>::new());
    assert_eq!(lines(&s, "format:syslog"), vec![5]);
    assert_eq!(lines(&s, "source:audit"), vec![2, 1, 3, 4]);
    assert_eq!(lines(&s, "input:1"), vec![5]);
    assert_eq!(
        lines(&s, "ua:kubectl* ip:10.0.0.1 res:secrets obj:db-*"),
        vec![2, 1, 3, 4, 5]
    );
}

#[test]
fn histogram_and_stack() {
    let s = store();
    let all = s.run("").unwrap();
    let (lo, hi) = s.span().unwrap();
    let h = s.histogram(&all, lo, hi + 1, 3, StackBy::Format);
    assert_eq!(h.total, 4, "untimed events are not charted");
    assert_eq!(h.series.len(), 1);
    assert_eq!(h.series[0].counts.iter().sum::<u32>(), 4);
    assert_eq!(h.series[0].counts, vec![1, 2, 1]);
    let h = s.histogram(&all, lo, hi + 1, 2, StackBy::Level);
    let names: Vec<_> = h.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["client-error", "ok", "server-error"]);
    let top = s.stack(StackField::Sym(Field::User), &all, 2);
    assert_eq!(
        top,
        vec![("dev-01".to_string(), 2), ("admin".to_string(), 1)]
    );
    let formats = s.stack(StackField::parse("source").unwrap(), &all, 10);
    assert_eq!(formats[0], ("k8s-audit".to_string(), 4));
}

#[test]
fn rows_and_helpers() {
    let s = store();
    let i = s.find(0, 3).unwrap();
    let r = s.row(i);
    assert_eq!(r.user, "system:anonymous");
    assert_eq!(r.time, "2026-03-14T02:30:00Z");
    assert_eq!(r.get("status"), "201");
    assert_eq!(
        without_time("user:a after:2026-01-01 x before:2026-02-01"),
        "user:a x"
    );
    assert_eq!(term("user", "a b"), r#"user:"a b""#);
    assert_eq!(term("user", "alice"), "user:alice");
    let q = term("msg", r#"say "hi", \ok"#);
    assert_eq!(lines(&s, &q), Vec::<u32>::new());
    assert!(parse(&q).is_ok());
    // Values from hostile logs stay values.
    for v in ["<script>alert(1)</script>", ">=400", "-x", "a,b", "=1"] {
        let q = term("user", v);
        let parsed = parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(
            parsed.terms,
            vec![Term::Field {
                field: FieldName::Sym(Field::User),
                values: vec![Value::Pattern(v.into())],
                negated: false
            }],
            "{q}"
        );
    }
}

#[test]
fn message_cap_and_widening_columns() {
    let mut s = Store::new();
    for i in 0..70_000u32 {
        let mut r = rec(
            "2026-03-14T02:05:00Z",
            &format!("user-{i}"),
            "get",
            "",
            200,
            "",
        );
        r.event.message = Some(format!("{i:0>200}"));
        s.push(&r, i % 300);
    }
    s.seal();
    assert_eq!(s.value(Field::User, 69_999), "user-69999");
    assert_eq!(s.input(69_999), 69_999 % 300);
    assert!(s.messages_dropped == 0);
    let long = "x".repeat(10_000);
    let mut r = rec("2026-03-14T02:05:00Z", "u", "get", "", 200, &long);
    r.location.line = 9;
    s.push(&r, 0);
    assert_eq!(s.value(Field::Message, 70_000).len(), MAX_MESSAGE_LEN);
}

/// Bytes per event on the built-in samples (run with --nocapture to read).
#[test]
fn bytes_per_event_on_samples() {
    for scenario in crate::generate::scenarios() {
        let mut a = crate::analysis::Analysis::new(&crate::detect::builtin_sources()).with_store();
        a.set_years(crate::ingest::time::YearResolver::with_year(
            crate::generate::YEAR,
        ));
        for f in crate::generate::generate(scenario.name, 1).unwrap() {
            a.open(&f.path, None);
            a.push(&f.bytes);
            a.close();
        }
        a.finish();
        let s = a.store().unwrap();
        let per = s.bytes() as f64 / s.len() as f64;
        println!(
            "store {}: {} events, {:.1} bytes/event",
            scenario.name,
            s.len(),
            per
        );
        assert_eq!(s.len() as u64, a.summary().events);
        assert!(per < 200.0, "{per}");
    }
}

/// Query latency on a million synthetic events; a report, not a bound.
/// `cargo test --release --lib store::tests::million -- --ignored --nocapture`
#[test]
#[ignore]
fn million_events_query_latency() {
    use std::time::Instant;
    let mut s = Store::new();
    let verbs = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    let base = crate::ingest::time::parse_rfc3339("2026-03-14T00:00:00Z").unwrap();
    let t0 = Instant::now();
    for i in 0..1_000_000u64 {
        let mut r = rec(
            "",
            &format!("user-{}", i % 5000),
            verbs[(i % 7) as usize],
            &format!("ns-{}", i % 40),
            [200, 201, 403, 404, 500][(i % 5) as usize],
            &format!("request {} handled for pod-{}", i % 20_000, i % 3000),
        );
        r.event.time_ns = Some(base + (i as i64) * 86_400_000_000); // one day in 1M steps of 86.4 ms
        r.event.pod = Some(format!("pod-{}", i % 3000));
        r.event.source_ips = vec![format!("10.0.{}.{}", i % 200, i % 250)];
        r.event.object_name = Some(format!("obj-{}", i % 10_000));
        r.location = Location {
            line: i + 1,
            lines: 1,
            offset: i * 400,
            len: 400,
        };
        s.push(&r, (i / 250_000) as u32);
    }
    s.seal();
    println!(
        "fill 1M: {:?}, {} bytes/event",
        t0.elapsed(),
        s.bytes() / s.len()
    );
    for q in [
        "",
        "user:user-42",
        "verb:delete ns:ns-3 code:>=400",
        "-verb:get,list,watch code:403",
        "\"pod-2999\"",
        "user:user-4* after:2026-03-14T06:00:00Z before:2026-03-14T12:00:00Z",
        "ua:kubectl*",
    ] {
        let t = Instant::now();
        let n = s.run(q).unwrap().len();
        println!("query {q:?}: {n} events in {:?}", t.elapsed());
    }
    let all = s.run("").unwrap();
    let (lo, hi) = s.span().unwrap();
    let t = Instant::now();
    let h = s.histogram(&all, lo, hi + 1, 300, StackBy::Format);
    println!("histogram 300 buckets over {}: {:?}", h.total, t.elapsed());
    let t = Instant::now();
    let top = s.stack(StackField::Sym(Field::User), &all, 10);
    println!(
        "stack user over 1M: {:?} ({} values)",
        t.elapsed(),
        top.len()
    );
}

#[test]
fn lanes_follow_the_top_values_on_the_histogram_buckets() {
    let s = store();
    let all = s.run("").unwrap();
    let (lo, hi) = s.span().unwrap();
    let user = StackField::Sym(Field::User);
    let lanes = s.lanes(&s.lane_keys(user, &all, 2), &all, lo, hi + 1, 3);
    let h = s.histogram(&all, lo, hi + 1, 3, StackBy::Format);
    assert_eq!((lanes.from, lanes.to, lanes.width), (h.from, h.to, h.width));
    let got: Vec<_> = lanes
        .lanes
        .iter()
        .map(|l| (l.name.as_str(), l.total, l.counts.clone()))
        .collect();
    // dev-01 at 01:00 and 02:05; admin at 03:30; the untimed ghost and
    // system:anonymous (a tie at 1, sorting after admin) are left out.
    assert_eq!(
        got,
        vec![("dev-01", 2, vec![1, 1, 0]), ("admin", 1, vec![0, 0, 1])]
    );
    // Totals count the whole selection, buckets only the range in view.
    let early = s.lanes(&s.lane_keys(user, &all, 5), &all, lo, lo + 1, 4);
    assert_eq!(early.lanes[0].name, "dev-01");
    assert_eq!(early.lanes[0].total, 2);
    assert_eq!(early.lanes[0].counts.iter().sum::<u32>(), 1);
    assert_eq!(early.lanes.len(), 4, "ghost, untimed, still has a lane");
    // Bounded whatever is asked.
    let many = s.lanes(&s.lane_keys(user, &all, 10_000), &all, lo, hi, 100_000);
    assert!(many.lanes.len() <= MAX_LANES);
    assert_eq!(many.lanes[0].counts.len(), 4096);
    assert!(s
        .lanes(&s.lane_keys(user, &[], 5), &[], lo, hi, 10)
        .lanes
        .is_empty());
    // Far-apart bounds take the wide arithmetic path and still bin.
    let wide = s.histogram(&all, i64::MIN + 1, i64::MAX, 2, StackBy::Format);
    assert_eq!(wide.total, 4);
    assert_eq!(wide.series[0].counts, vec![0, 4]);
}
