//! Reports: the analysis of a case as data ([`Report`], the versioned JSON
//! schema in docs/report-schema.md) and renderings of it.

mod text;

pub use text::render_text;

use crate::analysis::{Analysis, Summary};
use crate::ingest::time::format_rfc3339;
use crate::ingest::Diagnostic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCHEMA: &str = "spoor.report/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub rules: Rules,
    pub inputs: Vec<Input>,
    pub findings: Vec<Finding>,
    pub incidents: Vec<Incident>,
    /// The most active entities (at most [`MAX_REPORT_ENTITIES`]).
    #[serde(default)]
    pub entities: Vec<EntitySummary>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    pub loaded: usize,
    pub failed: Vec<crate::detect::RuleFailure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub path: String,
    pub sha256: String,
    pub format: String,
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub unparsed: u64,
    pub diagnostics: Vec<Diagnostic>,
    pub diagnostics_dropped: u64,
    pub integrity: Integrity,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Integrity {
    pub gaps: Vec<Gap>,
    pub duplicate_ids: u64,
    pub out_of_order: u64,
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub from: String,
    pub to: String,
    pub seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub level: String,
    pub techniques: Vec<String>,
    pub time: Option<String>,
    pub evidence: Vec<EvidenceRef>,
    pub matched: Vec<(String, String)>,
    /// Who and what the record that completed the finding is about:
    /// `user`, `impersonated_user`, `source_ip`, `host`, `namespace`, `pod`,
    /// `container`, `action`, `resource`, `object` (only those it names).
    /// Absent when the record names none of them (and for the code
    /// correlations of `crate::correlate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub path: String,
    pub line: u64,
}

/// Findings that belong together: linked by shared entities (an identity,
/// an address, a pod, a container, a node, an object) within a time gap.
/// See `crate::correlate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    /// 0..=100: severity of its findings, ATT&CK tactics, breadth.
    pub score: u32,
    pub level: String,
    /// Indexes into `findings`, in time order.
    pub findings: Vec<usize>,
    /// The story as plain sentences (the `text` of each `story` line).
    pub narrative: Vec<String>,
    #[serde(default)]
    pub first_seen: Option<String>,
    #[serde(default)]
    pub last_seen: Option<String>,
    /// The linking entities involved, actors first.
    #[serde(default)]
    pub entities: Vec<crate::correlate::Entity>,
    /// ATT&CK tactics (Sigma tag spelling, e.g. `credential_access`).
    #[serde(default)]
    pub tactics: Vec<String>,
    #[serde(default)]
    pub story: Vec<StoryLine>,
}

/// One sentence of an incident's story and what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryLine {
    pub time: Option<String>,
    pub text: String,
    /// Index into `findings` of the (first) finding told.
    pub finding: usize,
    /// Every finding the sentence tells.
    #[serde(default)]
    pub findings: Vec<usize>,
    pub evidence: Vec<EvidenceRef>,
}

/// One entity of the case and its activity (the most active ones only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntitySummary {
    pub kind: String,
    pub name: String,
    pub events: u64,
    pub findings: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// Most entities listed in a report.
pub const MAX_REPORT_ENTITIES: usize = 200;

impl Report {
    /// The report of a finished analysis.
    pub fn new(analysis: &Analysis) -> Report {
        let inputs = analysis.inputs();
        let path_of = |i: u32| {
            inputs
                .get(i as usize)
                .map(|s| s.path.clone())
                .unwrap_or_default()
        };
        let paths: Vec<String> = inputs.iter().map(|s| s.path.clone()).collect();
        let correlation = analysis.correlation();
        let incidents = crate::correlate::build_incidents(correlation, analysis.findings(), &paths);
        let entities = correlation
            .top_entities(MAX_REPORT_ENTITIES)
            .into_iter()
            .map(|(e, s)| EntitySummary {
                kind: e.kind.clone(),
                name: e.name.clone(),
                events: s.events,
                findings: s.findings,
                first_seen: s.first_seen.map(format_rfc3339),
                last_seen: s.last_seen.map(format_rfc3339),
            })
            .collect();
        Report {
            schema: SCHEMA.into(),
            tool: Tool {
                name: "spoor".into(),
                version: crate::VERSION.into(),
            },
            rules: Rules {
                loaded: analysis.rules().len(),
                failed: analysis.rule_failures().to_vec(),
            },
            inputs: inputs
                .iter()
                .map(|s| Input {
                    path: s.path.clone(),
                    sha256: s.sha256.clone(),
                    format: s.format.map(|f| f.name()).unwrap_or("text").into(),
                    bytes: s.bytes,
                    lines: s.lines,
                    events: s.events,
                    unparsed: s.unparsed,
                    diagnostics: s.diagnostics.clone(),
                    diagnostics_dropped: s.diagnostics_dropped,
                    integrity: Integrity {
                        truncated: s.truncated,
                        ..Default::default()
                    },
                })
                .collect(),
            findings: analysis
                .findings()
                .iter()
                .map(|f| Finding {
                    rule_id: f.rule_id.clone(),
                    title: f.title.clone(),
                    level: f.level.clone(),
                    techniques: f.techniques.clone(),
                    time: f.time_ns.map(format_rfc3339),
                    evidence: f
                        .evidence
                        .iter()
                        .map(|e| EvidenceRef {
                            path: path_of(e.input),
                            line: e.line,
                        })
                        .collect(),
                    matched: f.matched.clone(),
                    context: (!f.context.is_empty()).then(|| f.context.iter().cloned().collect()),
                })
                .collect(),
            incidents,
            entities,
            summary: analysis.summary().clone(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serializes");
        s.push('\n');
        s
    }
}
