//! Correlation into incidents: the generator's four attacks, benign
//! background, window edges, unrelated entities, input order.

use spoor::analysis::Analysis;
use spoor::correlate::{Entity, GAP_NS};
use spoor::generate::{answer_key, generate, GeneratedFile, YEAR};
use spoor::ingest::time::YearResolver;
use spoor::report::{Incident, Report};

const SEED: u64 = 7;

fn analyse(files: &[GeneratedFile]) -> Report {
    let mut a = Analysis::new(&spoor::detect::builtin_sources());
    a.set_years(YearResolver::with_year(YEAR));
    for f in files {
        a.open(&f.path, None);
        for chunk in f.bytes.chunks(65_536) {
            a.push(chunk);
        }
    }
    a.finish();
    Report::new(&a)
}

fn has(inc: &Incident, kind: &str, name: &str) -> bool {
    inc.entities.contains(&Entity::new(kind, name))
}

fn says(inc: &Incident, needle: &str) -> bool {
    inc.narrative.iter().any(|l| l.contains(needle))
}

/// Key sentences (substrings of narrative lines) per scenario.
const STORIES: &[(&str, &[&str])] = &[
    (
        "anonymous-to-admin",
        &[
            "carol@corp.example, from 10.20.4.31, created the ClusterRoleBinding debug-anonymous-access to cluster-admin for the user system:anonymous",
            "02:13:07 — system:anonymous, from 203.0.113.7, listed secrets in all namespaces",
            "read the secret payments/db-credentials, and 11 more like it until 02:13:44",
            "02:15:09 — system:anonymous, from 203.0.113.7, created the ClusterRoleBinding metrics-agent-admin to cluster-admin for the service account kube-system/metrics-agent",
            "02:16:31 — system:serviceaccount:kube-system:metrics-agent, from 203.0.113.7,",
        ],
    ),
    (
        "rce-to-node",
        &[
            "Falco on prod-worker-02: Run shell untrusted in the pod shop/frontend-7d9c8b6f5-x2k4p",
            "02:13:45 — system:serviceaccount:shop:frontend, from 203.0.113.45, acted for the first time from 203.0.113.45, an address outside the cluster, after its token was read in the pod shop/frontend-7d9c8b6f5-x2k4p",
            "02:15:33 — system:serviceaccount:shop:frontend, from 203.0.113.45, ran `sh` in the pod shop/cart-6f7b9d5c4-8mzq2",
            "created the privileged pod shop/log-rotate-7x2kq",
            "Detect crypto miners using the Stratum protocol in the pod shop/log-rotate-7x2kq",
            "created the privileged, host PID, host network, hostPath pod shop/sys-check on the node prod-worker-02",
            "02:21:30 — system:serviceaccount:shop:frontend, from 203.0.113.45, ran `chroot /host bash` in the pod shop/sys-check",
        ],
    ),
    (
        "stolen-kubeconfig",
        &[
            "02:16:03 — carol@corp.example, from 198.51.100.77, created the CronJob kube-system/node-cleanup",
            "carol@corp.example, from 198.51.100.77, deleted the event kube-system/",
        ],
    ),
    (
        "ssh-to-kubelet",
        &[
            "sshd logged “Accepted password for ubuntu from 203.0.113.99",
            "02:12:10 — system:node:prod-worker-03, from 203.0.113.99, acted from 203.0.113.99",
            "while the node prod-worker-03 itself uses 10.0.1.23",
            "02:14:02 — system:node:prod-worker-03, from 203.0.113.99, created the privileged, host PID, hostPath pod kube-system/kube-metrics-prod-worker-03 on the node prod-worker-03",
            "Falco on prod-worker-03: Redirect STDOUT/STDIN to Network Connection in Container in the pod kube-system/kube-metrics-prod-worker-03",
        ],
    ),
];

#[test]
fn one_incident_per_attack_with_its_entities_and_story() {
    for (name, sentences) in STORIES {
        let files = generate(name, SEED).unwrap();
        let report = analyse(&files);
        let key = answer_key(name).unwrap();
        assert_eq!(
            report.incidents.len(),
            1,
            "{name}: {:#?}",
            report
                .incidents
                .iter()
                .map(|i| &i.narrative)
                .collect::<Vec<_>>()
        );
        let inc = &report.incidents[0];
        assert_eq!(inc.id, "INC-001");
        assert!(
            key.attacker_ips.iter().any(|ip| has(inc, "ip", ip)),
            "{name}: no attacker address among {:?}",
            inc.entities
        );
        for ip in key.attacker_ips.iter().filter(|ip| has(inc, "ip", ip)) {
            assert!(ip.starts_with("203.0.113.") || ip.starts_with("198.51.100."));
        }
        assert!(
            key.attacker_identities
                .iter()
                .any(|id| has(inc, "identity", id)),
            "{name}: no attacker identity among {:?}",
            inc.entities
        );
        for s in *sentences {
            assert!(
                says(inc, s),
                "{name}: no line with {s:?} in {:#?}",
                inc.narrative
            );
        }
        // Time order (as instants: RFC 3339 texts with and without
        // fractional seconds do not sort as text), each line backed by
        // evidence that exists.
        let times: Vec<chrono::DateTime<chrono::FixedOffset>> = inc
            .story
            .iter()
            .filter_map(|l| l.time.as_ref())
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{name}: story out of order"
        );
        assert_eq!(inc.narrative.len(), inc.story.len());
        for line in &inc.story {
            assert!(inc.findings.contains(&line.finding));
            assert!(!line.evidence.is_empty());
            for e in &line.evidence {
                let input = report.inputs.iter().find(|i| i.path == e.path);
                let input =
                    input.unwrap_or_else(|| panic!("{name}: evidence in unknown {}", e.path));
                assert!(
                    e.line >= 1 && e.line <= input.lines,
                    "{name}: {}:{}",
                    e.path,
                    e.line
                );
            }
        }
        assert!(inc.score > 0 && inc.score <= 100);
        assert!(
            matches!(inc.level.as_str(), "high" | "critical"),
            "{name}: {}",
            inc.level
        );
        assert!(inc.tactics.len() >= 3, "{name}: {:?}", inc.tactics);
        assert!(inc.first_seen <= inc.last_seen);
        // Top-level entity list: bounded, and names the attacker.
        assert!(!report.entities.is_empty() && report.entities.len() <= 200);
    }
}

/// The generated bundle with the attack's lines taken out: every line that
/// names an attacker address, identity or artefact, and the files only the
/// attack wrote.
fn background(name: &str) -> Vec<GeneratedFile> {
    let key = answer_key(name).unwrap();
    let mut markers: Vec<String> = key
        .attacker_ips
        .iter()
        .chain(key.attacker_identities.iter())
        .map(|s| s.to_string())
        .collect();
    // Artefacts of the attacks that carry no address or identity.
    markers.extend(
        [
            "debug-anonymous-access",
            "metrics-agent",
            "www-data",
            "kworker",
            "log-rotate-7x2kq",
            "sys-check",
            "kube-svc",
            "203.0.113.45",
            "node-cleanup",
            "kube-metrics-prod-worker-03",
            "/etc/kubernetes/",
            "/tmp/.k.pem",
            "cart-6f7b9d5c4-8mzq2/exec",
            "\"Terminal shell in container\"",
        ]
        .map(String::from),
    );
    generate(name, SEED)
        .unwrap()
        .into_iter()
        .filter(|f| !markers.iter().any(|m| f.path.contains(m.as_str())))
        .filter(|f| !f.path.ends_with(".gz"))
        .map(|f| {
            let text = String::from_utf8(f.bytes).unwrap();
            let kept: String = text
                .split_inclusive('\n')
                .filter(|l| !markers.iter().any(|m| l.contains(m.as_str())))
                .collect();
            GeneratedFile {
                path: f.path,
                bytes: kept.into_bytes(),
            }
        })
        .collect()
}

#[test]
fn background_activity_makes_no_incident() {
    for (name, _) in STORIES {
        let report = analyse(&background(name));
        assert!(
            report.incidents.is_empty(),
            "{name}: {:#?}",
            report
                .incidents
                .iter()
                .map(|i| &i.narrative)
                .collect::<Vec<_>>()
        );
    }
}

/// Sigma correlations (rules/builtin/correlations.yml) stream: within ONE
/// log they need its rotated segments in time order, which is also their
/// sorted path order (`audit-<time>.log.gz` < `audit.log`, as the CLI walks
/// folders). Every other order, across sources, is free: the code in
/// `src/correlate/` works on event time. So permutations move files
/// anywhere but keep the segments of one log in their original order.
fn keep_log_segments_in_order(order: &mut [GeneratedFile], original: &[GeneratedFile]) {
    let is_segment = |f: &GeneratedFile| f.path.starts_with("kube-apiserver/");
    let segments: Vec<GeneratedFile> = original.iter().filter(|f| is_segment(f)).cloned().collect();
    let mut next = segments.into_iter();
    for slot in order.iter_mut().filter(|f| is_segment(f)) {
        *slot = next.next().unwrap();
    }
}

#[test]
fn input_order_does_not_change_incidents() {
    // Per scenario (`all` puts four copies of one cluster on the same
    // morning, whose shared pods and nodes rightly join into one incident).
    for (name, _) in STORIES {
        let files = generate(name, SEED).unwrap();
        let base = analyse(&files);
        assert_eq!(base.incidents.len(), 1, "{name}");
        let mut reversed = files.clone();
        reversed.reverse();
        let mut rotated = files.clone();
        rotated.rotate_left(files.len() / 3);
        // Odd files first, then even ones.
        let interleaved: Vec<GeneratedFile> = files
            .iter()
            .skip(1)
            .step_by(2)
            .chain(files.iter().step_by(2))
            .cloned()
            .collect();
        for mut order in [reversed, rotated, interleaved] {
            keep_log_segments_in_order(&mut order, &files);
            let other = analyse(&order);
            let a = serde_json::to_string_pretty(&base.incidents).unwrap();
            let b = serde_json::to_string_pretty(&other.incidents).unwrap();
            assert_eq!(a, b, "{name}");
        }
    }
}

// ------------------------------------------------------ synthetic audit ----

const T0: i64 = 1_773_453_600; // 2026-03-14T02:00:00Z

fn stamp(secs: i64) -> String {
    spoor::ingest::time::format_rfc3339(secs * 1_000_000_000)
}

fn exec(user: &str, ip: &str, ns: &str, pod: &str, secs: i64) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods/{pod}/exec?command=sh","verb":"create","user":{{"username":"{user}"}},"sourceIPs":["{ip}"],"userAgent":"kubectl","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{pod}","apiVersion":"v1","subresource":"exec"}},"responseStatus":{{"code":101}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}"}}"#,
        uuid(secs, user),
        t = stamp(secs)
    )
}

fn admin_binding(user: &str, ip: &str, name: &str, subject: &str, secs: i64) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{}","stage":"ResponseComplete","requestURI":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings","verb":"create","user":{{"username":"{user}"}},"sourceIPs":["{ip}"],"userAgent":"kubectl","objectRef":{{"resource":"clusterrolebindings","name":"{name}","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"}},"responseStatus":{{"code":201}},"requestObject":{{"kind":"ClusterRoleBinding","metadata":{{"name":"{name}"}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}},"subjects":[{{"kind":"User","name":"{subject}"}}]}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}"}}"#,
        uuid(secs, name),
        t = stamp(secs)
    )
}

fn uuid(secs: i64, salt: &str) -> String {
    let h = salt.bytes().fold(secs as u64, |a, b| {
        a.wrapping_mul(31).wrapping_add(b as u64)
    });
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        h as u32,
        h & 0xffff_ffff_ffff
    )
}

fn audit_report(lines: &[String]) -> Report {
    let mut text = lines.join("\n");
    text.push('\n');
    analyse(&[GeneratedFile {
        path: "audit.log".into(),
        bytes: text.into_bytes(),
    }])
}

/// Indexes of the findings of level low or above, and of the informational ones.
fn split_informational(r: &Report) -> (Vec<usize>, Vec<usize>) {
    (0..r.findings.len()).partition(|&i| r.findings[i].level != "informational")
}

#[test]
fn grouping_window_edges() {
    let gap = GAP_NS / 1_000_000_000;
    // An exec, then (by the same identity and address) a cluster-admin
    // binding: two rules, one incident, as long as the gap allows.
    for (delta, incidents) in [(gap - 1, 1), (gap, 1), (gap + 1, 0), (3 * gap, 0)] {
        let lines = vec![
            exec("mallory", "198.51.100.9", "default", "web-1", T0),
            admin_binding("mallory", "198.51.100.9", "backdoor", "mallory", T0 + delta),
        ];
        let r = audit_report(&lines);
        // Informational findings (a change by an identity outside the
        // allow-list) record activity and take no part in incidents.
        let (counted, info) = split_informational(&r);
        assert_eq!(counted.len(), 2, "{delta}: {:?}", r.findings);
        assert_eq!(r.incidents.len(), incidents, "gap {delta}s");
        if incidents == 1 {
            let inc = &r.incidents[0];
            assert_eq!(inc.findings, counted);
            assert!(info.iter().all(|i| !inc.findings.contains(i)));
            assert!(has(inc, "identity", "mallory") && has(inc, "ip", "198.51.100.9"));
            assert!(has(inc, "pod", "default/web-1"));
            assert!(says(
                inc,
                "mallory, from 198.51.100.9, ran `sh` in the pod default/web-1"
            ));
            assert!(says(
                inc,
                "mallory, from 198.51.100.9, created the ClusterRoleBinding backdoor to cluster-admin for the user mallory"
            ));
        }
    }
}

#[test]
fn unrelated_entities_never_join() {
    // Two actors at the same minutes, in the same namespace, each doing an
    // exec and a binding: two incidents, each with only its own entities.
    let lines = vec![
        exec("mallory", "198.51.100.9", "default", "web-1", T0),
        exec("eve", "203.0.113.50", "default", "web-2", T0 + 5),
        admin_binding("eve", "203.0.113.50", "eve-admin", "eve", T0 + 60),
        admin_binding(
            "mallory",
            "198.51.100.9",
            "mallory-admin",
            "mallory",
            T0 + 65,
        ),
    ];
    let r = audit_report(&lines);
    assert_eq!(r.incidents.len(), 2, "{:#?}", r.incidents);
    let (a, b) = (&r.incidents[0], &r.incidents[1]);
    assert!(has(a, "identity", "mallory") && !has(a, "identity", "eve"));
    assert!(has(b, "identity", "eve") && !has(b, "identity", "mallory"));
    assert!(!has(a, "ip", "203.0.113.50") && !has(b, "ip", "198.51.100.9"));
    let (counted, _) = split_informational(&r);
    assert_eq!(counted.len(), 4, "{:?}", r.findings);
    for inc in [a, b] {
        assert_eq!(inc.findings.len(), 2);
        assert!(inc.findings.iter().all(|i| counted.contains(i)));
        assert!(inc.entities.iter().all(|e| e.kind != "namespace"));
    }
    // Control-plane identities never link. The pack reports nothing that
    // system:kube-* does, so: the same two actions by another `system:`
    // identity (from two addresses, so only the identity could link them)
    // stay findings.
    let lines = vec![
        exec(
            "system:volume-scheduler",
            "10.0.0.10",
            "default",
            "web-1",
            T0,
        ),
        admin_binding("system:volume-scheduler", "10.0.0.11", "x", "y", T0 + 5),
    ];
    let r = audit_report(&lines);
    let rules: std::collections::BTreeSet<&str> =
        r.findings.iter().map(|f| f.rule_id.as_str()).collect();
    let records: std::collections::BTreeSet<u64> = r
        .findings
        .iter()
        .flat_map(|f| f.evidence.iter().map(|e| e.line))
        .collect();
    assert!(rules.len() >= 2 && records.len() == 2, "{:#?}", r.findings);
    assert!(r.incidents.is_empty(), "{:#?}", r.incidents);
}

/// The kubelet's `pods/status` patch that gives a pod its address.
fn pod_status(node: &str, ns: &str, pod: &str, pod_ip: &str, host_ip: &str, secs: i64) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"{}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods/{pod}/status","verb":"patch","user":{{"username":"system:node:{node}","groups":["system:nodes"]}},"sourceIPs":["{host_ip}"],"userAgent":"kubelet/v1.29.2","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{pod}","apiVersion":"v1","subresource":"status"}},"responseStatus":{{"code":200}},"requestObject":{{"status":{{"hostIP":"{host_ip}","podIP":"{pod_ip}","podIPs":[{{"ip":"{pod_ip}"}}],"phase":"Running"}}}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}"}}"#,
        uuid(secs, pod),
        t = stamp(secs)
    )
}

/// Network findings join the audit finding about the same pod: the Hubble
/// flow names the pod, the CoreDNS query only its address, which the
/// kubelet's status patch in the audit log ties to the pod.
#[test]
fn network_findings_join_the_pods_incident() {
    const T_NET: i64 = 1_773_310_440; // 2026-03-12T10:14:00Z, the fixtures' day
    let ns = "shop";
    let pod = "web-7c9d8-x2kfp";
    let audit = [
        pod_status("worker-1", ns, pod, "10.244.1.23", "10.0.1.11", T_NET - 600),
        exec("mallory@corp.example", "198.51.100.20", ns, pod, T_NET),
    ]
    .join("\n")
        + "\n";
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rules");
    let read = |rel: &str| std::fs::read(format!("{rules}/{rel}")).unwrap();
    let files = [
        GeneratedFile {
            path: "audit.log".into(),
            bytes: audit.into_bytes(),
        },
        GeneratedFile {
            path: "hubble.jsonpb".into(),
            bytes: read("net_pod_metadata_access/positive.jsonpb"),
        },
        GeneratedFile {
            path:
                "var/log/containers/coredns-5d78c9869d-7xk2p_kube-system_coredns-0123456789ab.log"
                    .into(),
            bytes: read("net_dns_tunnel_label/positive.log"),
        },
    ];
    let mut a = Analysis::new(&spoor::detect::builtin_sources());
    for f in &files {
        a.open(&f.path, None);
        a.push(&f.bytes);
    }
    a.finish();
    let r = Report::new(&a);
    let index = |rule: &str| {
        r.findings
            .iter()
            .position(|f| {
                r.rules
                    .fired
                    .iter()
                    .any(|d| d.id == f.rule_id && d.title == rule)
            })
            .unwrap_or_else(|| panic!("no finding {rule}: {:#?}", r.findings))
    };
    let exec = index("Exec or Attach Into a Pod");
    let metadata = index("Pod Reached the Cloud Instance Metadata Service");
    let tunnel = index("DNS Query With a Long or Random-Looking Label");
    let inc = r
        .incidents
        .iter()
        .find(|i| i.findings.contains(&exec))
        .expect("an incident with the exec");
    assert!(
        inc.findings.contains(&metadata) && inc.findings.contains(&tunnel),
        "{inc:#?}"
    );
    assert!(
        has(inc, "pod", "shop/web-7c9d8-x2kfp"),
        "{:?}",
        inc.entities
    );
}
