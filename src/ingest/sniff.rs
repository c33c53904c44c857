//! Recognises a log format from the content of an input's first lines,
//! never from its name: files get renamed, archives lose paths.
//!
//! JSON and YAML inputs are recognised by their syntax only: which format a
//! JSON document is in is decided per document by the JSON dispatcher
//! ([`crate::ingest::formats::json::classify`]), so one file may mix them,
//! and the input is reported in the format of its first record. Line
//! formats are scored: the share of sample lines each format explains
//! (continuation lines, which start with whitespace, are not counted);
//! the best one over half wins, else the input is plain text.

use crate::event::Format;
use crate::ingest::formats::{container, eks, json, klog, logfmt, syslog, vpc_flow, yaml};
use serde_json::Value;

/// The kind of input, as far as the first lines tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// JSON documents (lines, pretty-printed, arrays, wrappers).
    Json,
    /// YAML documents.
    Yaml,
    /// A line format.
    Lines(Format),
}

/// Picks the kind of input that explains the sample lines best.
pub fn sniff(sample: &[&str]) -> Sniffed {
    let lines: Vec<&str> = sample
        .iter()
        .map(|l| l.trim_start_matches('\u{feff}').trim_end())
        .filter(|l| !l.trim().is_empty())
        .collect();
    let Some(first) = lines.first() else {
        return Sniffed::Lines(Format::Text);
    };
    let first = first.trim_start();
    if first.starts_with('{') || first.starts_with('[') {
        return Sniffed::Json;
    }
    // A VPC flow log delivered to S3 names its (custom) fields first.
    if vpc_flow::is_header(first) {
        return Sniffed::Lines(Format::VpcFlow);
    }
    let heads: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with([' ', '\t']))
        .collect();
    let n = heads.len().max(1);
    let score = |f: &dyn Fn(&str) -> bool| heads.iter().filter(|l| f(l)).count();
    let candidates: [(Format, usize); 6] = [
        (Format::K8sAuditEks, score(&eks::looks_like_line)),
        (Format::Cri, score(&|l| container::split_cri(l).is_some())),
        (Format::Klog, score(&klog::looks_like)),
        (Format::Syslog, score(&syslog::looks_like)),
        (Format::Logfmt, score(&logfmt::looks_like)),
        (Format::VpcFlow, score(&vpc_flow::looks_like)),
    ];
    let mut best: Option<(Format, usize)> = None;
    for (f, s) in candidates {
        if s * 2 > n && best.is_none_or(|(_, b)| s > b) {
            best = Some((f, s));
        }
    }
    if let Some((f, _)) = best {
        return Sniffed::Lines(f);
    }
    if yaml::looks_like(&lines) {
        return Sniffed::Yaml;
    }
    Sniffed::Lines(Format::Text)
}

/// The format the sample is in (for JSON, of its first complete document).
pub fn detect(sample: &[&str]) -> Format {
    match sniff(sample) {
        Sniffed::Lines(f) => f,
        Sniffed::Yaml => Format::Jsonl,
        Sniffed::Json => {
            let joined: String = sample
                .iter()
                .map(|l| l.trim_start_matches('\u{feff}'))
                .collect::<Vec<_>>()
                .join("\n");
            let mut stream = serde_json::Deserializer::from_str(&joined).into_iter::<Value>();
            match stream.next() {
                Some(Ok(Value::Array(a))) => a.first().map_or(Format::Jsonl, json::classify),
                Some(Ok(v)) => json::classify(&v),
                _ => Format::Jsonl,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_json_lines() {
        let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","verb":"get"}"#;
        assert_eq!(detect(&[line]), Format::K8sAudit);
    }

    #[test]
    fn line_formats() {
        assert_eq!(detect(&["hello world"]), Format::Text);
        assert_eq!(detect(&[]), Format::Text);
        assert_eq!(detect(&["2024-01-02T03:04:05.1Z stdout F hi"]), Format::Cri);
        assert_eq!(
            detect(&["I0102 15:04:05.999999    1234 file.go:12] msg"]),
            Format::Klog
        );
        assert_eq!(
            detect(&["Nov  3 09:23:38 veridian sudo: x"]),
            Format::Syslog
        );
        assert_eq!(
            detect(&["<34>1 2003-10-11T22:14:15.003Z host su - ID47 - msg"]),
            Format::Syslog
        );
        assert_eq!(
            detect(&[r#"time="2024" level=info msg="a b""#]),
            Format::Logfmt
        );
        assert_eq!(
            detect(&[r#"2024-01-02T03:04:05Z {"auditID":"a","verb":"get"}"#]),
            Format::K8sAuditEks
        );
        assert_eq!(
            detect(&["2 123456789012 eni-0a1b2c3d 10.0.1.11 10.0.2.25 39004 443 6 12 3120 1773310440 1773310500 ACCEPT OK"]),
            Format::VpcFlow
        );
        assert_eq!(
            detect(&[
                "version srcaddr dstaddr action",
                "5 10.0.0.1 10.0.0.2 ACCEPT"
            ]),
            Format::VpcFlow
        );
        assert_eq!(
            detect(&[
                r#"{"flow":{"time":"2026-03-12T10:14:58Z","verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"Type":"L3_L4"},"node_name":"w"}"#
            ]),
            Format::Hubble
        );
        assert_eq!(sniff(&["# c", "a: 1", "b:", "  c: 2"]), Sniffed::Yaml);
        assert_eq!(
            sniff(&[
                "Header1: abc",
                "Header2: def",
                "Nov  3 09:23:38 v a[1]: x",
                "Nov  3 09:23:38 v a[1]: y",
                "Nov  3 09:23:38 v a[1]: z"
            ]),
            Sniffed::Lines(Format::Syslog)
        );
    }
}
