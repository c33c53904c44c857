//! Reports: the analysis of a case as data ([`Report`], the versioned JSON
//! schema in docs/report-schema.md) and renderings of it, one module per
//! export format (docs/exports.md). Every renderer is a pure function of a
//! [`Report`] (and [`ExportOptions`]), so the CLI and the page write the
//! same bytes; [`render`] is the one entry point.

mod catalog;
mod csv;
mod ecs;
mod export;
pub mod html;
mod level;
mod navigator;
mod ndjson;
mod rule_coverage;
mod sarif;
mod text;
mod timesketch;

pub use catalog::{rule_docs, RuleDoc};
pub use ecs::render_ecs_bulk;
pub use export::{render, ExportFormat, ExportOptions, NavigatorScore};
pub use html::escape_html;
pub use level::Level;
pub use rule_coverage::RuleCoverageNote;
pub use text::{render_text, render_text_styled};

use crate::analysis::{Analysis, Summary};
use crate::ingest::time::format_rfc3339;
use crate::ingest::Diagnostic;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const SCHEMA: &str = "spoor.report/1";

/// The version of the built-in rule pack. The pack ships inside the tool,
/// so it is versioned with it; `rules.pack.sha256` tells packs apart
/// byte for byte.
pub const RULE_PACK_VERSION: &str = crate::VERSION;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    /// When the analysis ran (RFC 3339), given by the caller: the core
    /// never reads the clock. The only field that differs between two runs
    /// over the same inputs and rules.
    #[serde(default)]
    pub analysed_at: Option<String>,
    pub rules: Rules,
    /// What was left out on purpose (`--since`, `--until`, `--min-level`).
    #[serde(default)]
    pub filters: Filters,
    pub inputs: Vec<Input>,
    pub findings: Vec<Finding>,
    pub incidents: Vec<Incident>,
    /// The most active entities (at most [`MAX_REPORT_ENTITIES`]).
    #[serde(default)]
    pub entities: Vec<EntitySummary>,
    pub summary: Summary,
    /// What the case as a whole can be trusted to show: clocks that
    /// disagree between sources, rules that could not fire.
    #[serde(default)]
    pub integrity: CaseIntegrity,
    /// Notices about the case as a whole (per-line problems stay in
    /// `inputs[].diagnostics`).
    #[serde(default)]
    pub diagnostics: Vec<Notice>,
}

/// Integrity across inputs (per-input integrity is `inputs[].integrity`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseIntegrity {
    /// Offsets of other inputs' clocks from the audit log's, estimated
    /// from actions both describe (`crate::correlate::ClockSkew`).
    #[serde(default)]
    pub clock_skew: Vec<crate::correlate::ClockSkew>,
    /// Built-in rules that could not fire, by missing source or audit level.
    #[serde(default)]
    pub rule_coverage: Vec<RuleCoverageNote>,
}

/// A filter as given, in the report: RFC 3339 times and a level name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    pub since: Option<String>,
    pub until: Option<String>,
    pub min_level: Option<String>,
}

/// What to leave out of a case. Events outside `[since, until]` (event
/// time, nanoseconds, both ends included) are skipped before detection;
/// findings outside it or below `min_level` are dropped from the report.
/// Events and findings without a time are kept: they cannot be placed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Filter {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub min_level: Option<Level>,
}

impl Filter {
    /// Whether an event time lies inside the window (no time: yes).
    pub fn admits_time(&self, time_ns: Option<i64>) -> bool {
        let Some(t) = time_ns else { return true };
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// A notice about the case: `level` is `info` or `warning`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub level: String,
    pub message: String,
}

impl Notice {
    fn info(message: String) -> Notice {
        Notice {
            level: "info".into(),
            message,
        }
    }
    fn warning(message: String) -> Notice {
        Notice {
            level: "warning".into(),
            message,
        }
    }
}

/// The built-in rule pack in force: its version and the SHA-256 of its
/// rule texts concatenated in pack order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pack {
    pub version: String,
    pub sha256: String,
}

impl Pack {
    pub fn builtin() -> Pack {
        let mut h = Sha256::new();
        for (_, text) in crate::detect::BUILTIN {
            h.update(text.as_bytes());
        }
        Pack {
            version: RULE_PACK_VERSION.into(),
            sha256: crate::ingest::hex(&h.finalize()),
        }
    }
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
    /// The built-in pack, when it was loaded.
    #[serde(default)]
    pub pack: Option<Pack>,
    /// What the rules behind the findings say about themselves, in order of
    /// first finding.
    #[serde(default)]
    pub fired: Vec<RuleDoc>,
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

pub use crate::ingest::integrity::{AuditCoverage, CoverageRow, Gap, Integrity};

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

/// The description of a code correlation (`crate::correlate::CODE_RULES`),
/// shaped like a Sigma rule's.
fn code_rule_doc(id: &str) -> Option<RuleDoc> {
    let r = crate::correlate::CODE_RULES.iter().find(|r| r.id == id)?;
    let techniques: Vec<String> = r.techniques.iter().map(|t| t.to_string()).collect();
    Some(RuleDoc {
        id: r.id.to_string(),
        title: r.title.to_string(),
        level: r.level.to_string(),
        source: "builtin".to_string(),
        description: r.description.to_string(),
        tags: techniques
            .iter()
            .map(|t| format!("attack.{}", t.to_ascii_lowercase()))
            .collect(),
        techniques,
        references: r
            .techniques
            .iter()
            .map(|t| {
                format!(
                    "https://attack.mitre.org/techniques/{}/",
                    t.replace('.', "/")
                )
            })
            .collect(),
        falsepositives: Vec::new(),
    })
}

/// Most entities listed in a report.
pub const MAX_REPORT_ENTITIES: usize = 200;

impl Report {
    /// The report of a finished analysis, with the analysis's [`Filter`]
    /// applied to its findings. `analysed_at` is unset: see
    /// [`Report::with_analysed_at`].
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
        let rules = analysis.rules();
        let mut report = Report {
            schema: SCHEMA.into(),
            tool: Tool {
                name: "spoor".into(),
                version: crate::VERSION.into(),
            },
            analysed_at: None,
            rules: Rules {
                loaded: rules.len(),
                failed: analysis.rule_failures().to_vec(),
                pack: rules
                    .iter()
                    .any(|r| r.source == "builtin")
                    .then(Pack::builtin),
                fired: Vec::new(),
            },
            filters: Filters::default(),
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
                        truncated: s.truncated || s.integrity.truncated,
                        ..s.integrity.clone()
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
            summary: analysis.summary(),
            integrity: CaseIntegrity::default(),
            diagnostics: Vec::new(),
        };
        report.integrity = CaseIntegrity {
            clock_skew: correlation.clock_skew(&paths),
            rule_coverage: rule_coverage::notes(analysis, &report.inputs),
        };
        report.apply_filter(analysis.filter(), analysis.skipped_events());
        let docs = analysis.rule_docs();
        for f in &report.findings {
            if report.rules.fired.iter().any(|d| d.id == f.rule_id) {
                continue;
            }
            let doc = docs
                .iter()
                .find(|d| d.id == f.rule_id)
                .cloned()
                .or_else(|| code_rule_doc(&f.rule_id));
            report.rules.fired.push(doc.unwrap_or_else(|| RuleDoc {
                id: f.rule_id.clone(),
                title: f.title.clone(),
                level: f.level.clone(),
                techniques: f.techniques.clone(),
                ..Default::default()
            }));
        }
        report.diagnostics.extend(notices(&report, analysis));
        report
    }

    /// Sets when the analysis ran (nanoseconds since the epoch, UTC).
    pub fn with_analysed_at(mut self, ns: i64) -> Report {
        self.analysed_at = Some(format_rfc3339(ns));
        self
    }

    /// Drops findings outside the filter's window or below its level and
    /// records the filter; incidents keep pointing at the same findings
    /// (an incident left with none is dropped).
    fn apply_filter(&mut self, filter: Filter, skipped_events: u64) {
        if filter.is_empty() {
            return;
        }
        self.filters = Filters {
            since: filter.since.map(format_rfc3339),
            until: filter.until.map(format_rfc3339),
            min_level: filter.min_level.map(|l| l.name().to_string()),
        };
        let before = self.findings.len();
        let keep: Vec<bool> = self
            .findings
            .iter()
            .map(|f| {
                let time = f
                    .time
                    .as_deref()
                    .and_then(crate::ingest::time::parse_rfc3339);
                filter.admits_time(time)
                    && filter.min_level.is_none_or(|m| Level::of(&f.level) >= m)
            })
            .collect();
        self.retain_findings(&keep);
        if filter.since.is_some() || filter.until.is_some() {
            self.diagnostics.push(Notice::info(format!(
                "--since/--until: {skipped_events} event(s) outside the window were skipped before detection"
            )));
        }
        self.diagnostics.push(Notice::info(format!(
            "filters left out {} of {before} finding(s)",
            before - self.findings.len()
        )));
    }

    /// Keeps the findings whose flag is set, renumbering incident indexes.
    fn retain_findings(&mut self, keep: &[bool]) {
        let mut new_index = Vec::with_capacity(keep.len());
        let mut next = 0usize;
        for &k in keep {
            new_index.push(k.then_some(next));
            next += usize::from(k);
        }
        let mut i = 0;
        self.findings.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        for incident in &mut self.incidents {
            incident.findings = incident
                .findings
                .iter()
                .filter_map(|&f| new_index.get(f).copied().flatten())
                .collect();
        }
        self.incidents.retain(|i| !i.findings.is_empty());
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serializes");
        s.push('\n');
        s
    }
}

/// Case-level notices: inputs that could not be read in full, rules that
/// cannot apply to any input, findings no timeline can place.
/// What the event store's caps left out (`store::MAX_*`): detection saw
/// every event, the explorer and timeline do not.
fn store_notices(store: &crate::store::Store) -> Vec<Notice> {
    let mut out = Vec::new();
    if store.events_dropped > 0 {
        out.push(Notice::warning(format!(
            "the event store is full at {} events: {} later events are not in the explorer or timeline (rules and the summary saw them)",
            store.max_events(),
            store.events_dropped
        )));
    }
    if store.values_dropped + store.messages_dropped > 0 {
        out.push(Notice::warning(format!(
            "the event store's text is full: {} values and {} messages are shown empty in the explorer",
            store.values_dropped, store.messages_dropped
        )));
    }
    out
}

fn notices(report: &Report, analysis: &Analysis) -> Vec<Notice> {
    let mut out = Vec::new();
    for i in &report.inputs {
        if i.unparsed > 0 {
            out.push(Notice::warning(format!(
                "{}: {} of {} line(s) not parsed (see inputs[].diagnostics)",
                i.path, i.unparsed, i.lines
            )));
        }
        if i.integrity.truncated {
            out.push(Notice::warning(format!(
                "{}: input truncated (a line or document over the size cap)",
                i.path
            )));
        }
    }
    if let Some(store) = analysis.store() {
        out.extend(store_notices(store));
    }
    // Built-in rules are listed by source in `integrity.rule_coverage`.
    for r in analysis
        .inapplicable_rules()
        .into_iter()
        .filter(|r| r.source != "builtin")
    {
        out.push(Notice::info(format!(
            "rule {} ({}): {}",
            r.id, r.source, r.message
        )));
    }
    let untimed = report.findings.iter().filter(|f| f.time.is_none()).count();
    if untimed > 0 {
        out.push(Notice::warning(format!(
            "{untimed} finding(s) have no event time: the timeline and the Timesketch export leave them out"
        )));
    }
    out
}
