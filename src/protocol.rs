//! Messages between the page and its workers, as JSON text: the analysis
//! worker ([`ToWorker`]) and the tools worker ([`ToTools`]).
//!
//! Files themselves travel as browser `File` objects (or, for a generated
//! sample, as bytes) beside these messages; everything else is plain data
//! defined here, so both ends (and native tests) agree on one definition.

use crate::hunt::baseline::Baseline;
use crate::hunt::notebook::{Hunt, HuntResult};
use crate::hunt::patterns::MessagePatterns;
use crate::hunt::stack::Stack;
use crate::report::Report;
use crate::store::{Histogram, Lanes, Row, StackBy};
use serde::{Deserialize, Serialize};

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker has loaded (the tools worker says so when it starts; the
    /// analysis worker only when the page asks, with `{digest: true}`, as
    /// hashing its module would delay every analysis). `wasm_sha256`: the
    /// SHA-256 of its own wasm module, for the About box's check (absent
    /// when the build did not leave the bytes to hash).
    Ready {
        #[serde(default)]
        wasm_sha256: Option<String>,
    },
    /// Progress through the inputs. `wasm_memory`: the worker's wasm
    /// memory in bytes, for benchmarks (`bench/browser-throughput.mjs`);
    /// it only grows, so the last value seen is the peak.
    Progress {
        input: usize,
        path: String,
        done: u64,
        total: u64,
        wasm_memory: u64,
    },
    /// The analysis worker asks the page for bytes `from..to` of file
    /// `index` of the analysis message's `files`; the page answers
    /// `{index, from, slice}` with the bytes as a transferred
    /// `ArrayBuffer`, or `slice: null` when it cannot read them.
    Read { index: usize, from: u64, to: u64 },
    /// Every input is analysed; `wasm_memory` as in [`FromWorker::Progress`].
    Done {
        report: Box<Report>,
        wasm_memory: u64,
    },
    /// Something stopped the analysis.
    Failed { message: String },
    /// The answer to the page's [`Request`] with the same `id`.
    Answer {
        id: u64,
        tag: String,
        answer: Answer,
    },
}

/// A question from the page to a worker: about the finished analysis
/// ([`ToWorker`]) or for the tools worker ([`ToTools`]). `id` and `tag`
/// come back unchanged in the [`FromWorker::Answer`], so the page can route
/// it and drop stale answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request<B = ToWorker> {
    pub id: u64,
    pub tag: String,
    #[serde(flatten)]
    pub body: B,
}

/// What the page asks the worker once the analysis is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Events matching the query `q` (see `store::query`), a page of them.
    Query {
        q: String,
        offset: usize,
        limit: usize,
    },
    /// Event counts over time; `from`/`to` default to the case's span.
    Histogram {
        q: String,
        from: Option<i64>,
        to: Option<i64>,
        buckets: usize,
        #[serde(default)]
        stack_by: StackBy,
    },
    /// Swimlanes: the `top` most frequent values of `field` (`user`, `pod`,
    /// `host`, `ip`, …) among the matches of `q`, each binned over
    /// `[from, to)` like [`ToWorker::Histogram`].
    Lanes {
        q: String,
        field: String,
        top: usize,
        from: Option<i64>,
        to: Option<i64>,
        buckets: usize,
    },
    /// The raw text of one record, re-read from its input.
    Raw { input: u32, offset: u64, len: u64 },
    /// The events a finding cites as evidence.
    Evidence { finding: usize },
    /// Events of the same identity (or pod) within `minutes` of a finding.
    Surrounding { finding: usize, minutes: i64 },
    /// The most frequent values of each field among the matches of `q`.
    Stacks {
        q: String,
        fields: Vec<String>,
        top: usize,
    },
    /// What a loaded rule says about itself (description, why, next steps).
    Rule { rule_id: String },
    /// Hunting: the values of one to three fields among the matches of
    /// `q`, rarest first (`hunt::stack`).
    HuntStack {
        q: String,
        by: Vec<String>,
        limit: usize,
    },
    /// Hunting: per identity and address, what is usual and what breaks it.
    Baseline { q: String, limit: usize },
    /// Hunting: patterns of the loaded messages, rarest first, with counts
    /// per time bin.
    Patterns {
        q: String,
        bins: usize,
        limit: usize,
    },
    /// The built-in hunts.
    Hunts,
    /// Runs a hunt (built-in or saved) over the loaded events.
    RunHunt { hunt: Hunt },
    /// A Sigma rule draft from a hunt result: exact `fields`, or a pattern's
    /// `template`; `format` is the events' format (its logsource).
    Draft {
        title: String,
        format: String,
        #[serde(default)]
        fields: Vec<(String, String)>,
        #[serde(default)]
        template: Option<String>,
    },
}

/// What the page asks the tools worker (`web::tools`, `crate::tools`):
/// work that needs no analysed case, in a wasm module of its own that loads
/// on first use, so the analysis worker's module stays small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToTools {
    /// The files of a built-in sample incident (`crate::generate`). They
    /// come back as bytes in a plain object `{id, files: [{path, bytes}]}`,
    /// not as JSON; a failure comes back as an [`Answer::Error`].
    Sample { name: String },
    /// `report` in an export format (`report::ExportFormat` name); `note`
    /// is the analyst's note for the HTML report.
    Export {
        format: String,
        #[serde(default)]
        note: Option<String>,
        report: Box<Report>,
    },
}

/// A worker's answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Rows {
        /// The query that selected the rows.
        q: String,
        total: usize,
        offset: usize,
        rows: Vec<Row>,
    },
    Histogram {
        histogram: Histogram,
        /// First and last event time of the whole case.
        span: Option<(i64, i64)>,
    },
    Lanes {
        field: String,
        lanes: Lanes,
    },
    Raw {
        input: u32,
        offset: u64,
        text: String,
        /// How the text was obtained, when notable (e.g. decoded gzip).
        note: Option<String>,
    },
    Stacks {
        total: usize,
        span: Option<(i64, i64)>,
        fields: Vec<(String, Vec<(String, u64)>)>,
    },
    /// A rendered export, ready to download.
    Export {
        format: String,
        file_name: String,
        media_type: String,
        text: String,
    },
    Rule {
        info: Option<Box<crate::detect::RuleInfo>>,
    },
    HuntStack {
        stack: Stack,
    },
    Baseline {
        baseline: Baseline,
    },
    Patterns {
        patterns: MessagePatterns,
    },
    Hunts {
        hunts: Vec<Hunt>,
    },
    HuntResult {
        result: HuntResult,
    },
    /// A Sigma rule draft (YAML text).
    Draft {
        text: String,
    },
    /// The request could not be answered; `column` points into a bad query.
    Error {
        message: String,
        column: Option<usize>,
    },
}

impl<B: Serialize + serde::de::DeserializeOwned> Request<B> {
    /// Indented like the case file the page also writes: an export request
    /// carries the report, and one serializer for both keeps the page's
    /// wasm ~4 kB (gzipped) smaller than a compact one beside it.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("requests always serialize")
    }

    pub fn from_json(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| format!("bad request: {e}"))
    }
}

impl FromWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("worker messages always serialize")
    }

    pub fn from_json(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| format!("bad worker message: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let m = FromWorker::Progress {
            input: 1,
            path: "a.log".into(),
            done: 10,
            total: 20,
            wasm_memory: 1 << 20,
        };
        let json = m.to_json();
        assert!(json.contains("\"type\":\"progress\""));
        assert_eq!(FromWorker::from_json(&json).unwrap(), m);
        assert!(FromWorker::from_json("{\"type\":\"nope\"}").is_err());
    }

    #[test]
    fn requests_and_answers_round_trip() {
        let r = Request {
            id: 7,
            tag: "explorer".into(),
            body: ToWorker::Query {
                q: "user:a".into(),
                offset: 0,
                limit: 50,
            },
        };
        let json = r.to_json();
        assert!(json.contains("\"type\": \"query\""), "{json}");
        assert_eq!(Request::from_json(&json).unwrap(), r);
        let h = Request::from_json(r#"{"id":1,"tag":"t","type":"histogram","q":"","from":null,"to":1773453600000000000,"buckets":10}"#).unwrap();
        assert!(matches!(
            h.body,
            ToWorker::Histogram {
                to: Some(1773453600000000000),
                stack_by: StackBy::Format,
                ..
            }
        ));
        let a = FromWorker::Answer {
            id: 7,
            tag: "explorer".into(),
            answer: Answer::Error {
                message: "bad".into(),
                column: Some(3),
            },
        };
        assert_eq!(FromWorker::from_json(&a.to_json()).unwrap(), a);
        assert!(
            Request::<ToWorker>::from_json(r#"{"id":1,"tag":"t","type":"drop_tables"}"#).is_err()
        );
        // No request field may clash with the envelope's `id`, `tag` or `type`.
        for body in [
            ToWorker::Rule {
                rule_id: "r-1".into(),
            },
            ToWorker::Lanes {
                q: "verb:get".into(),
                field: "pod".into(),
                top: 8,
                from: None,
                to: Some(5),
                buckets: 100,
            },
            ToWorker::RunHunt {
                hunt: crate::hunt::notebook::builtin_hunts().remove(0),
            },
            ToWorker::Draft {
                title: "t".into(),
                format: "k8s-audit".into(),
                fields: vec![("user".into(), "a".into())],
                template: None,
            },
        ] {
            let r = Request {
                id: 9,
                tag: "t".into(),
                body,
            };
            assert_eq!(Request::from_json(&r.to_json()).unwrap(), r);
        }
        let t = Request {
            id: 4,
            tag: "sample".into(),
            body: ToTools::Sample {
                name: "rce-to-node".into(),
            },
        };
        let json = t.to_json();
        assert!(json.contains("\"type\": \"sample\""), "{json}");
        assert_eq!(Request::<ToTools>::from_json(&json).unwrap(), t);
        // The analysis worker does not take the tools worker's requests.
        assert!(Request::<ToWorker>::from_json(&json).is_err());
    }
}
