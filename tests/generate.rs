//! The log generator: determinism, realism (everything ingests), answer
//! keys that match the logs, and bounded-memory scaling.

use flate2::read::GzDecoder;
use spoor::analysis::Analysis;
use spoor::generate::{
    answer_key, generate, generate_scaled, scenarios, support_bundle, GeneratedFile, CHUNK_BYTES,
};
use spoor::ingest::archive::Source;
use spoor::ingest::time::YearResolver;
use std::collections::BTreeMap;
use std::io::Read;

fn names() -> Vec<&'static str> {
    scenarios().iter().map(|s| s.name).collect()
}

fn plain(f: &GeneratedFile) -> Vec<u8> {
    if f.path.ends_with(".gz") {
        let mut out = Vec::new();
        GzDecoder::new(&f.bytes[..]).read_to_end(&mut out).unwrap();
        out
    } else {
        f.bytes.clone()
    }
}

#[test]
fn four_scenarios_with_answer_keys() {
    assert_eq!(
        names(),
        [
            "anonymous-to-admin",
            "rce-to-node",
            "stolen-kubeconfig",
            "ssh-to-kubelet"
        ]
    );
    for name in names() {
        let key = answer_key(name).expect("every scenario has a key");
        assert_eq!(key.scenario, name);
        assert!(!key.expected_rules.is_empty());
        assert!(!key.attacker_ips.is_empty());
        assert!(!key.attacker_identities.is_empty());
        assert!(key.questions.len() >= 4);
        for ip in &key.attacker_ips {
            assert!(
                ip.starts_with("203.0.113.") || ip.starts_with("198.51.100."),
                "{ip} is not a documentation address"
            );
        }
    }
    assert!(answer_key("all").is_none());
    assert!(generate("nope", 1).is_err());
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for name in names() {
        let a = generate(name, 42).unwrap();
        let b = generate(name, 42).unwrap();
        assert_eq!(a, b, "{name}: not deterministic");
        let c = generate(name, 43).unwrap();
        assert_ne!(a, c, "{name}: the seed changes nothing");
    }
}

#[test]
fn all_prefixes_every_scenario() {
    let files = generate("all", 7).unwrap();
    for name in names() {
        assert!(files
            .iter()
            .any(|f| f.path.starts_with(&format!("{name}/kube-apiserver/"))));
    }
}

#[test]
fn samples_have_the_expected_files_and_sizes() {
    for name in names() {
        let files = generate(name, 1).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let mut wanted = vec![
            "kube-apiserver/audit.log",
            "nodes/prod-worker-01/var/log/auth.log",
            "nodes/prod-worker-02/var/log/syslog",
            "falco/events.json",
        ];
        // The attacked node of ssh-to-kubelet comes as its support bundle.
        if name == "ssh-to-kubelet" {
            wanted.push("nodes/prod-worker-03-support-bundle.tar.gz");
            assert!(!paths.iter().any(|p| p.starts_with("nodes/prod-worker-03/")));
        } else {
            wanted.push("nodes/prod-worker-03/kubelet.log");
        }
        for want in wanted {
            assert!(paths.contains(&want), "{name}: no {want} in {paths:?}");
        }
        assert!(paths
            .iter()
            .any(|p| p.starts_with("var/log/containers/") && p.ends_with(".log")));
        let lines: usize = files
            .iter()
            .map(|f| plain(f).iter().filter(|b| **b == b'\n').count())
            .sum();
        assert!((300..=5000).contains(&lines), "{name}: {lines} lines");
        for f in files.iter().filter(|f| !f.path.ends_with(".tar.gz")) {
            let text = String::from_utf8(plain(f)).unwrap();
            assert!(text.ends_with('\n'), "{}: no final newline", f.path);
            if f.path.ends_with(".json") || f.path.contains("audit") {
                for line in text.lines() {
                    serde_json::from_str::<serde_json::Value>(line)
                        .unwrap_or_else(|e| panic!("{}: {e}: {line}", f.path));
                }
            }
        }
    }
    let rotated = generate("stolen-kubeconfig", 1).unwrap();
    assert!(rotated
        .iter()
        .any(|f| f.path.starts_with("kube-apiserver/audit-2026-03-28T")
            && f.path.ends_with(".log.gz")));
}

/// Feeds files through the real pipeline, in odd-sized chunks.
fn analyse(files: &[GeneratedFile]) -> Analysis {
    let mut analysis = Analysis::new(&spoor::detect::builtin_sources());
    for f in files {
        analysis.open(&f.path, None);
        for chunk in f.bytes.chunks(7919) {
            analysis.push(chunk);
        }
        analysis.close();
    }
    analysis.finish();
    analysis
}

#[test]
fn every_file_ingests_and_the_answers_are_in_the_events() {
    for name in names() {
        let files = generate(name, 2026).unwrap();
        let analysis = analyse(&files);
        for input in analysis.inputs() {
            assert_eq!(
                input.unparsed, 0,
                "{name}: {} has unparsed lines: {:?}",
                input.path, input.diagnostics
            );
            assert!(input.events > 0, "{name}: {} has no events", input.path);
            assert!(!input.truncated);
        }
        let audit = analysis
            .inputs()
            .iter()
            .find(|i| i.path == "kube-apiserver/audit.log")
            .unwrap();
        assert_eq!(audit.format.map(|f| f.name()), Some("k8s-audit"));

        // Every record's normalized fields plus its original fields, as text.
        let mut haystack = String::new();
        let mut users: BTreeMap<String, u64> = BTreeMap::new();
        for f in &files {
            let mut reader = Source::new(&f.path, None, YearResolver::with_year(2026));
            let mut sink = |r: spoor::event::Record, _member: u32| {
                if let Some(u) = &r.event.user {
                    *users.entry(u.clone()).or_default() += 1;
                }
                haystack.push_str(&r.event.source_ips.join(" "));
                haystack.push(' ');
                haystack.push_str(&r.fields.to_string());
                haystack.push('\n');
            };
            reader.push(&f.bytes, &mut sink);
            reader.finish(&mut sink);
        }
        let key = answer_key(name).unwrap();
        for ip in &key.attacker_ips {
            assert!(
                haystack.contains(ip),
                "{name}: attacker IP {ip} not in any event"
            );
        }
        for who in &key.attacker_identities {
            let in_summary = analysis.summary().users.contains_key(*who);
            assert!(
                in_summary || haystack.contains(who),
                "{name}: identity {who} not in any event"
            );
        }
        // The audit identities are normalized users, not just text.
        for who in key
            .attacker_identities
            .iter()
            .filter(|w| w.starts_with("system:"))
        {
            assert!(
                users.contains_key(*who),
                "{name}: {who} is not an event user"
            );
        }
    }
}

#[test]
fn scaled_output_hits_the_size_in_bounded_chunks() {
    let target: u64 = 5 * 1024 * 1024;
    for name in ["rce-to-node", "stolen-kubeconfig"] {
        let mut total = 0u64;
        let mut largest = 0usize;
        let mut chunks = 0u64;
        let mut current: Option<(String, Vec<u8>)> = None;
        let mut plain_total = 0u64;
        let finish = |cur: Option<(String, Vec<u8>)>, plain_total: &mut u64| {
            if let Some((path, bytes)) = cur {
                let f = GeneratedFile { path, bytes };
                *plain_total += plain(&f).len() as u64;
            }
        };
        generate_scaled(name, 9, target, &mut |path, chunk| {
            total += chunk.len() as u64;
            largest = largest.max(chunk.len());
            chunks += 1;
            match current.as_mut() {
                Some((p, bytes)) if p == path => bytes.extend_from_slice(chunk),
                _ => {
                    let done = current.replace((path.to_string(), chunk.to_vec()));
                    finish(done, &mut plain_total);
                }
            }
        })
        .unwrap();
        finish(current.take(), &mut plain_total);
        let lo = target * 9 / 10;
        let hi = target * 11 / 10;
        assert!(
            (lo..=hi).contains(&plain_total),
            "{name}: {plain_total} bytes of logs for {target}"
        );
        assert!(total <= plain_total);
        assert!(
            largest <= CHUNK_BYTES + 64 * 1024,
            "{name}: a chunk of {largest} bytes"
        );
        assert!(chunks > 20, "{name}: only {chunks} chunks");
    }
}

#[test]
fn scaled_is_deterministic_and_keeps_the_attack() {
    let run = |seed: u64| {
        let mut all = Vec::new();
        generate_scaled("anonymous-to-admin", seed, 2_000_000, &mut |p, c| {
            all.extend_from_slice(p.as_bytes());
            all.extend_from_slice(c);
        })
        .unwrap();
        all
    };
    let a = run(5);
    assert_eq!(a, run(5));
    assert_ne!(a, run(6));
    let text = String::from_utf8_lossy(&a);
    assert!(text.contains(r#""requestURI":"/api/v1/secrets?limit=500""#));
    assert!(text.contains("debug-anonymous-access"));
}

/// (path, mtime, bytes) of each member of a `.tar.gz`, checksums checked,
/// PAX `path` records applied.
fn untar(tgz: &[u8]) -> Vec<(String, u64, Vec<u8>)> {
    let mut tar = Vec::new();
    GzDecoder::new(tgz).read_to_end(&mut tar).unwrap();
    let octal = |field: &[u8]| {
        let text = String::from_utf8_lossy(field).to_string();
        u64::from_str_radix(text.trim_matches(|c: char| c == '\0' || c == ' '), 8).unwrap()
    };
    let mut at = 0;
    let mut members = Vec::new();
    let mut pax_path: Option<String> = None;
    while at + 512 <= tar.len() && tar[at] != 0 {
        let h = &tar[at..at + 512];
        let name = String::from_utf8_lossy(&h[..100])
            .trim_end_matches('\0')
            .to_string();
        let prefix = String::from_utf8_lossy(&h[345..500])
            .trim_end_matches('\0')
            .to_string();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let size = octal(&h[124..135]) as usize;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    *b as u64
                }
            })
            .sum();
        assert_eq!(sum, octal(&h[148..154]), "{path}: checksum");
        let data = tar[at + 512..at + 512 + size].to_vec();
        at += 512 + size.div_ceil(512) * 512;
        if h[156] == b'x' {
            let record = String::from_utf8_lossy(&data).to_string();
            let value = record
                .split_once(" path=")
                .unwrap()
                .1
                .trim_end_matches('\n');
            pax_path = Some(value.to_string());
            continue;
        }
        let path = pax_path.take().unwrap_or(path);
        members.push((path, octal(&h[136..147]), data));
    }
    members
}

#[test]
fn bundle_holds_every_file() {
    // Long container-log paths need the ustar prefix or a PAX record.
    let files = generate("rce-to-node", 3).unwrap();
    let members = untar(&support_bundle(&files, 1_773_457_200));
    assert_eq!(members.len(), files.len());
    for ((path, mtime, bytes), f) in members.iter().zip(&files) {
        assert_eq!(path, &f.path);
        assert_eq!(*mtime, 1_773_457_200);
        assert_eq!(bytes, &f.bytes, "{path}");
    }
}

#[test]
fn the_attacked_node_arrives_as_its_support_bundle() {
    let files = generate("ssh-to-kubelet", 3).unwrap();
    let bundle = files
        .iter()
        .find(|f| f.path == "nodes/prod-worker-03-support-bundle.tar.gz")
        .expect("the bundle");
    let members = untar(&bundle.bytes);
    let paths: Vec<&str> = members.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "prod-worker-03/kubelet.log",
            "prod-worker-03/var/log/syslog",
            "prod-worker-03/var/log/auth.log"
        ]
    );
    // Collected at 03:00 on the scenario's day, 2026-04-04.
    assert!(members.iter().all(|(_, mtime, _)| *mtime == 1_775_271_600));
    let auth = String::from_utf8(members[2].2.clone()).unwrap();
    assert!(auth.contains("Accepted password for ubuntu from 203.0.113.99"));
    // The other workers stay loose files.
    assert!(files
        .iter()
        .any(|f| f.path == "nodes/prod-worker-01/var/log/auth.log"));
}

/// `SPOOR_GEN_DUMP=/tmp/dir cargo test --test generate dump -- --ignored`
/// writes the samples out for a look; `SPOOR_GEN_SCALE=bytes` also times
/// the scaled generator.
#[test]
#[ignore]
fn dump() {
    let Ok(dir) = std::env::var("SPOOR_GEN_DUMP") else {
        return;
    };
    for name in names() {
        let files = generate(name, 1).unwrap();
        for f in &files {
            let path = std::path::Path::new(&dir).join(name).join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &f.bytes).unwrap();
        }
        let mut analysis = analyse(&files);
        if let Ok(sigma) = std::env::var("SPOOR_GEN_SIGMA") {
            let mut rules = spoor::detect::builtin_sources();
            let mut stack = vec![std::path::PathBuf::from(sigma)];
            while let Some(p) = stack.pop() {
                if p.is_dir() {
                    for e in std::fs::read_dir(&p).unwrap() {
                        stack.push(e.unwrap().path());
                    }
                } else if p.extension().is_some_and(|e| e == "yml") {
                    rules.push(spoor::detect::RuleSource {
                        origin: p.display().to_string(),
                        text: std::fs::read_to_string(&p).unwrap(),
                    });
                }
            }
            analysis = Analysis::new(&rules);
            for f in &files {
                analysis.open(&f.path, None);
                analysis.push(&f.bytes);
                analysis.close();
            }
            analysis.finish();
        }
        let mut fired: BTreeMap<String, usize> = BTreeMap::new();
        for f in analysis.findings() {
            *fired.entry(f.title.clone()).or_default() += 1;
        }
        println!("{name}: findings {fired:?}");
        let formats: Vec<String> = analysis
            .inputs()
            .iter()
            .map(|i| {
                format!(
                    "{}={}",
                    i.path.rsplit('/').next().unwrap_or(""),
                    i.format.map(|f| f.name()).unwrap_or("?")
                )
            })
            .collect();
        println!("{name}: formats {formats:?}");
        for i in analysis.inputs() {
            if !i.diagnostics.is_empty() {
                println!(
                    "{name}: {} diagnostics {:?}",
                    i.path,
                    &i.diagnostics[..i.diagnostics.len().min(2)]
                );
            }
        }
    }
    if let Ok(scale) = std::env::var("SPOOR_GEN_SCALE") {
        let scale: u64 = scale.parse().unwrap();
        let started = std::time::Instant::now();
        let mut total = 0u64;
        generate_scaled("all", 1, scale, &mut |_, c| total += c.len() as u64).unwrap();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "scaled: {total} bytes written in {secs:.2}s: {:.1} MB/s",
            total as f64 / secs / 1e6
        );
    }
}
