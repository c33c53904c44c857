//! Grouping accuracy of the pattern miner on loghub's labelled 2k samples,
//! and sanity of the same (untuned) miner on other log families.
//!
//! Grouping accuracy is loghub's (Zhu et al., ICSE-SEIP 2019, and the
//! logparser benchmark): a line is parsed correctly when the set of lines
//! sharing its predicted pattern is exactly the set of lines sharing its
//! labelled EventId. The miner reads the raw lines, headers included.

use spoor::patterns::scan::PatternScan;
use spoor::patterns::{PatternMiner, Patterns};
use std::collections::HashMap;
use std::path::PathBuf;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

fn read(rel: &str) -> String {
    let path = shared(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Splits one CSV record (RFC 4180 quoting; loghub's fields have no newlines).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The EventId of every line, from `*_structured.csv`.
fn labels(rel: &str) -> Vec<String> {
    let text = read(rel);
    let mut lines = text.lines();
    let header = csv_fields(lines.next().expect("header"));
    let col = header.iter().position(|h| h == "EventId").expect("EventId");
    lines.map(|l| csv_fields(l)[col].clone()).collect()
}

fn mine(lines: &[&str]) -> Patterns {
    let mut miner = PatternMiner::default();
    for l in lines {
        miner.add(l);
    }
    miner.finish()
}

/// loghub's grouping accuracy.
fn grouping_accuracy(predicted: &[u32], truth: &[String]) -> f64 {
    assert_eq!(predicted.len(), truth.len());
    let mut truth_size: HashMap<&str, usize> = HashMap::new();
    for t in truth {
        *truth_size.entry(t).or_default() += 1;
    }
    let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, &p) in predicted.iter().enumerate() {
        members.entry(p).or_default().push(i);
    }
    let mut correct = 0;
    for lines in members.values() {
        let first = truth[lines[0]].as_str();
        if lines.iter().all(|&i| truth[i] == first) && truth_size[first] == lines.len() {
            correct += lines.len();
        }
    }
    correct as f64 / truth.len() as f64
}

fn loghub(name: &str) -> (f64, Patterns, Vec<String>) {
    let log = read(&format!("loghub/{name}/{name}_2k.log"));
    let lines: Vec<&str> = log.lines().collect();
    let truth = labels(&format!("loghub/{name}/{name}_2k.log_structured.csv"));
    assert_eq!(lines.len(), truth.len(), "{name}: one label per line");
    let patterns = mine(&lines);
    let accuracy = grouping_accuracy(&patterns.line_pattern, &truth);
    (accuracy, patterns, truth)
}

/// Prints the predicted groups that are wrong, for diagnosis
/// (`cargo test --test patterns_accuracy -- --nocapture`).
fn explain(name: &str, p: &Patterns, truth: &[String]) {
    let mut by_pattern: HashMap<u32, HashMap<&str, usize>> = HashMap::new();
    for (i, &id) in p.line_pattern.iter().enumerate() {
        *by_pattern
            .entry(id)
            .or_default()
            .entry(&truth[i])
            .or_default() += 1;
    }
    let mut truth_size: HashMap<&str, usize> = HashMap::new();
    for t in truth {
        *truth_size.entry(t).or_default() += 1;
    }
    for pat in &p.patterns {
        let labels = &by_pattern[&pat.id];
        let ok = labels.len() == 1 && labels.iter().all(|(t, &n)| truth_size[t] == n);
        if !ok {
            println!(
                "  {name} wrong: [{}] {} <- {labels:?}",
                pat.count, pat.template
            );
        }
    }
}

#[test]
fn linux_grouping_accuracy_beats_drain() {
    let (accuracy, patterns, truth) = loghub("Linux");
    println!(
        "Linux: grouping accuracy {accuracy:.4} with {} patterns",
        patterns.patterns.len()
    );
    explain("Linux", &patterns, &truth);
    // Drain's published figure on this sample (loghub benchmark): 0.690.
    assert!(accuracy >= 0.69, "Linux grouping accuracy {accuracy:.4}");
}

#[test]
fn openssh_grouping_accuracy_beats_drain() {
    let (accuracy, patterns, truth) = loghub("OpenSSH");
    println!(
        "OpenSSH: grouping accuracy {accuracy:.4} with {} patterns",
        patterns.patterns.len()
    );
    explain("OpenSSH", &patterns, &truth);
    // Drain's published figure on this sample (loghub benchmark): 0.7875.
    assert!(
        accuracy >= 0.7875,
        "OpenSSH grouping accuracy {accuracy:.4}"
    );
    let templates: Vec<&str> = patterns
        .patterns
        .iter()
        .map(|p| p.template.as_str())
        .collect();
    assert!(
        templates.contains(&"Failed password for <*> from <*> port <*> ssh2"),
        "{templates:#?}"
    );
}

/// Mines whole files through the chunked scanner, as the CLI does.
fn scan_files(rels: &[&str]) -> spoor::patterns::scan::PatternReport {
    let mut scan = PatternScan::default();
    for rel in rels {
        let bytes = std::fs::read(shared(rel)).unwrap();
        scan.open(rel);
        for chunk in bytes.chunks(64 * 1024) {
            scan.push(chunk);
        }
    }
    scan.finish()
}

fn templates(report: &spoor::patterns::scan::PatternReport) -> Vec<&str> {
    report
        .patterns
        .patterns
        .iter()
        .map(|p| p.template.as_str())
        .collect()
}

fn mined_lines(report: &spoor::patterns::scan::PatternReport) -> usize {
    report.patterns.line_pattern.len()
}

#[test]
fn kubelet_klog_gives_few_sensible_patterns() {
    let report = scan_files(&["k8s-windows-kubelet-klog/kubelet.log"]);
    let lines = mined_lines(&report);
    let t = templates(&report);
    println!("kubelet.log: {lines} lines, {} patterns", t.len());
    for p in report.patterns.patterns.iter().filter(|p| p.count > 100) {
        println!("  {:>6}  {}", p.count, p.template);
    }
    assert!(lines > 20_000);
    assert!(
        t.len() < lines / 5,
        "{} patterns for {lines} lines",
        t.len()
    );
    assert!(t.len() < 1000, "{} patterns", t.len());
    for want in [
        "SyncLoop (housekeeping)",
        "eviction manager: no resources are starved",
    ] {
        assert!(t.contains(&want), "missing {want:?}");
    }
    // klog headers are gone: no template starts with a severity+date or a time.
    assert!(t
        .iter()
        .all(|t| !t.starts_with("I0820") && !t.contains("flags.go:")));
}

#[test]
fn syslog_family_gives_few_sensible_patterns() {
    let files = [
        "lnav-test-logs/logfile_syslog.0",
        "lnav-test-logs/logfile_syslog.1",
        "lnav-test-logs/logfile_syslog.2",
        "lnav-test-logs/logfile_syslog.3",
        "lnav-test-logs/logfile_syslog_with_mixed_times.0",
        "lnav-test-logs/logfile_muxed_syslog.0",
        "lnav-test-logs/logfile_glog.0",
    ];
    let report = scan_files(&files);
    let lines = mined_lines(&report);
    let t = templates(&report);
    println!("lnav logs: {lines} lines, {} patterns", t.len());
    for p in &report.patterns.patterns {
        println!("  {:>6}  {}", p.count, p.template);
    }
    // A tiny, varied sample (most messages appear once or twice): bounded
    // by half the lines rather than a fifth.
    assert!(
        t.len() <= lines / 2,
        "{} patterns for {lines} lines",
        t.len()
    );
    for want in [
        "ASL Sender Statistics",
        "attempting to mount entry /auto/opt",
        "AppleThunderboltNHIType2::waitForOk2Go2Sx - retries = <*>",
        "hibernate_page_list_setall(preflight <*>) start <*>, <*>",
        "Log if every <*>, iteration <*>",
    ] {
        assert!(t.contains(&want), "missing {want:?} in {t:#?}");
    }
    // Headers are gone: no host names, no program tags, no glog prefixes.
    for bad in ["veridian", "Tims-Air", "automount[", "logging_unittest"] {
        assert!(t.iter().all(|t| !t.contains(bad)), "{bad} in {t:#?}");
    }
    // A syslog line and the same line wrapped in JSON share a pattern.
    let mut by_file: HashMap<String, Vec<u32>> = HashMap::new();
    report.for_each_line(|path, _, id| by_file.entry(path.to_string()).or_default().push(id));
    let muxed = &by_file["lnav-test-logs/logfile_muxed_syslog.0"];
    for id in &by_file["lnav-test-logs/logfile_syslog.0"] {
        assert!(
            muxed.contains(id),
            "pattern {id} of logfile_syslog.0 not in the JSON copy"
        );
    }
}

#[test]
fn loghub_families_together_stay_bounded() {
    let report = scan_files(&["loghub/Linux/Linux_2k.log", "loghub/OpenSSH/OpenSSH_2k.log"]);
    let lines = mined_lines(&report);
    let t = templates(&report);
    println!("Linux + OpenSSH: {lines} lines, {} patterns", t.len());
    assert_eq!(lines, 4000);
    assert!(
        t.len() < lines / 5,
        "{} patterns for {lines} lines",
        t.len()
    );
}

/// How the accuracy moves with the global settings (not a gate; run with
/// `cargo test --test patterns_accuracy -- --ignored --nocapture`).
#[test]
#[ignore]
fn sensitivity_to_settings() {
    use spoor::patterns::PatternConfig;
    for name in ["Linux", "OpenSSH"] {
        let log = read(&format!("loghub/{name}/{name}_2k.log"));
        let truth = labels(&format!("loghub/{name}/{name}_2k.log_structured.csv"));
        for similarity in [0.4, 0.5, 0.6, 0.7] {
            for enum_values in [1, 2, 3, 4] {
                let mut miner = PatternMiner::new(PatternConfig {
                    similarity,
                    enum_values,
                    ..PatternConfig::default()
                });
                for l in log.lines() {
                    miner.add(l);
                }
                let p = miner.finish();
                let a = grouping_accuracy(&p.line_pattern, &truth);
                println!(
                    "{name:8} similarity {similarity:.1} enum_values {enum_values}: {a:.4} ({} patterns)",
                    p.patterns.len()
                );
            }
        }
    }
}
