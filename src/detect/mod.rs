//! Detection: Sigma rules (built-in pack, user files) run over records.
//!
//! This module is a thin adapter over the `rsigma-parser` / `rsigma-eval`
//! crates; it does not evaluate Sigma itself. What it adds:
//!
//! - [`RecordEvent`]: rsigma's `Event` trait over a [`Record`] (borrowed,
//!   no copy), see `adapter.rs`.
//! - Routing by logsource (`route.rs`): one rsigma `Engine` per [`Route`];
//!   a record is evaluated only by engines whose logsource fits its format.
//!   Rules whose logsource no Spoor format carries still load (they are
//!   valid rules) and are reported by [`Detector::inapplicable`].
//! - A field-mapping pipeline kept as data (`rules/mapping/`), applied to
//!   Kubernetes audit rules before compilation.
//! - Correlations (`correlation.rs`: rsigma's correlation engine rebuilt
//!   from its parts, counting windows kept incrementally), fed the
//!   detections of every lane, on EVENT time (never the wall clock): records
//!   without a time still produce detections but never enter a window.
//! - Per-rule load failures: one bad document never hides the others, and
//!   no rule text can make the detector panic.
//!
//! The library does no file I/O: callers read rule files and pass their
//! text as [`RuleSource`]s (a file may hold several `---` documents).

mod adapter;
mod correlation;
mod paths;
mod prefilter;
pub use adapter::ALIAS_ROOT;
pub mod allow;
pub mod builtin;
mod route;
mod selectors;
mod verdict;

pub use adapter::{parse_event_ref, RecordEvent};
pub use builtin::{builtin_sources, BUILTIN, KUBERNETES_AUDIT_PIPELINE};
pub use route::{Family, Route};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rsigma_eval::{
    apply_pipelines, compile_rule, evaluate_rule, parse_pipeline, CorrelationEventMode, Engine,
    EvaluationResult, MatchDetailLevel, Pipeline, ResultBody,
};
use rsigma_parser::{
    parse_sigma_yaml, ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType,
    FilterRule, FilterRuleTarget, SigmaCollection, SigmaRule,
};
use serde::{Deserialize, Serialize};

use crate::event::{Format, Record};
use correlation::Correlations;
use paths::FieldPaths;
use prefilter::Prefilter;
use verdict::Verdict;

/// Where rule text came from: `builtin` or the path it was read from.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub origin: String,
    pub text: String,
}

/// True when `text` reads as Sigma (a rule or a correlation) rather than a
/// YAML log: some document has top-level `title:` and `detection:` or
/// `correlation:` keys. The page uses it to tell dropped rules from logs.
pub fn looks_like_sigma(text: &str) -> bool {
    text.split("\n---").any(|doc| {
        let has = |key: &str| doc.lines().any(|l| l.starts_with(key));
        has("title:") && (has("detection:") || has("correlation:"))
    })
}

/// Rules (detections and correlations) loaded at most, built-in pack
/// included: each compiled rule costs memory and time on every event, and a
/// rule file from the internet may hold any number. Rules past it are
/// counted in one failure per source. (SigmaHQ holds about 3,000 rules.)
pub const MAX_RULES: usize = 10_000;

/// Parentheses nested in one condition at most. The condition parser
/// recurses per level: 5,000 levels overflow the page's wasm stack (an
/// uncatchable abort there), so deeper conditions are refused before parsing.
pub const MAX_CONDITION_DEPTH: usize = 64;

/// The deepest parenthesis nesting in any one-line `condition:` of `text`.
fn condition_depth(text: &str) -> usize {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("condition:"))
        .map(|c| {
            let mut depth = 0usize;
            let mut deepest = 0;
            for ch in c.chars() {
                match ch {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                deepest = deepest.max(depth);
            }
            deepest
        })
        .max()
        .unwrap_or(0)
}

/// A rule that did not load or cannot apply, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleFailure {
    pub source: String,
    pub id: String,
    pub message: String,
}

/// What `rules list` prints about one loaded rule, and what the page and
/// reports show to explain a finding (looked up by [`Finding::rule_id`]).
///
/// Besides the standard Sigma fields, Spoor's built-in rules carry three
/// custom top-level fields for learners (any rule may use them): `matrix`
/// (the technique's name in Microsoft's Threat Matrix for Kubernetes), `why`
/// (why the behaviour matters) and `next` (triage steps, in order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub level: String,
    pub source: String,
    pub techniques: Vec<String>,
    /// The rule's Sigma `name`, by which correlations reference it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Threat Matrix for Kubernetes technique name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub matrix: String,
    /// Why the detected behaviour matters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
    /// Triage steps a student can follow, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub falsepositives: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// One piece of evidence behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Index of the input in the analysis.
    pub input: u32,
    pub line: u64,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub level: String,
    pub techniques: Vec<String>,
    pub time_ns: Option<i64>,
    pub evidence: Vec<Evidence>,
    /// Field → matched value, for "why this fired".
    pub matched: Vec<(String, String)>,
    /// Who and what the record is about (`user`, `namespace`, `pod`,
    /// `container`, `host`, `source_ip`, `action`, `resource`, `object`),
    /// from the normalized event of the record that completed the finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<(String, String)>,
}

/// Level reported for a rule that does not state one.
const DEFAULT_LEVEL: &str = "medium";
/// Most contributing events kept per correlation window (as references).
const MAX_CORRELATION_EVIDENCE: usize = 256;
/// Longest matched value kept in a finding, in bytes.
const MAX_MATCHED_VALUE: usize = 512;

/// One rsigma engine and the records it may see.
struct Lane {
    route: Route,
    engine: Engine,
}

/// A lane ready to evaluate: its engine's rules behind a [`Prefilter`],
/// each with its [`Verdict`].
struct ReadyLane {
    route: Route,
    engine: Engine,
    prefilter: Prefilter,
    verdicts: Vec<Verdict>,
    /// Per rule: its matches only feed correlations (never findings), so
    /// they need no matched fields; the others' come from the engine.
    quiet: Vec<bool>,
}

struct RuleMeta {
    info: RuleInfo,
    name: Option<String>,
    /// Human description of what the rule reads, for notices.
    logsource: String,
    /// Families of formats the rule can fire on; empty = none.
    families: Vec<Family>,
}

/// The single-event half of detection: every rule's own match, with no
/// state kept between records, so any thread may evaluate any record (see
/// [`Detector::lanes`]). Correlation, which needs the records in order,
/// stays in the [`Detector`].
pub struct Lanes {
    lanes: Vec<ReadyLane>,
    /// Every field path the lanes' rules name.
    paths: FieldPaths,
}

impl Lanes {
    /// `quiet`: ids of the rules whose matches are not findings.
    fn new(lanes: Vec<Lane>, quiet: &RuleIds) -> Lanes {
        let verdicts: Vec<Vec<Verdict>> = lanes
            .iter()
            .map(|l| l.engine.rules().iter().map(Verdict::new).collect())
            .collect();
        let rule_detections = lanes
            .iter()
            .flat_map(|l| l.engine.rules())
            .flat_map(|r| r.detections.values());
        let copies = verdicts.iter().flatten().flat_map(Verdict::detections);
        let paths = FieldPaths::of_detections(rule_detections.chain(copies));
        let lanes = lanes
            .into_iter()
            .zip(verdicts)
            .map(|(Lane { route, engine }, verdicts)| ReadyLane {
                route,
                prefilter: Prefilter::new(engine.rules(), &paths),
                verdicts,
                quiet: engine
                    .rules()
                    .iter()
                    .map(|r| r.id.as_ref().is_some_and(|id| quiet.contains(id)))
                    .collect(),
                engine,
            })
            .collect();
        Lanes { lanes, paths }
    }

    /// The matches of the rules whose route accepts the record.
    ///
    /// Only the prefilter's candidates are decided. When a rule that makes
    /// findings matches, the lane's engine evaluates the record for its
    /// matched fields (findings are rare); a quiet rule's match goes to
    /// correlation as its rule's header alone, which is all correlation
    /// reads.
    pub fn evaluate(&self, record: &Record) -> Vec<EvaluationResult> {
        let program = if Family::NodeLog.accepts(record.format) {
            route::record_program(record)
        } else {
            None
        };
        let mut accepting = self
            .lanes
            .iter()
            .filter(|lane| lane.route.accepts(record.format, program))
            .peekable();
        if accepting.peek().is_none() {
            return Vec::new();
        }
        // Single-event engines never ask for the event's reference (events
        // are not included in results), so the input number is moot here.
        let event = RecordEvent::with_paths(record, &self.paths);
        let mut detections: Vec<EvaluationResult> = Vec::new();
        let mut candidates = Vec::new();
        for lane in accepting {
            lane.prefilter.candidates(&event, &mut candidates);
            let rules = lane.engine.rules();
            let first = detections.len();
            let mut detailed = false;
            for &index in &candidates {
                let rule = &rules[index];
                let matched = match lane.verdicts[index].of(&event) {
                    Some(matched) => matched,
                    None => evaluate_rule(rule, &event).is_some(),
                };
                if !matched {
                    continue;
                }
                if !lane.quiet[index] {
                    detailed = true;
                    break;
                }
                detections.push(quiet_match(rule));
            }
            if detailed {
                detections.truncate(first);
                detections.extend(lane.engine.evaluate(&event));
            }
        }
        detections
    }
}

/// A quiet rule's match: its id, which is all correlation reads of it
/// (rsigma's `feed_detections`), and nothing a finding would show, as it
/// makes none. It is built for most audit events ("Allowed API Request"):
/// the title and tags are left out, not copied.
fn quiet_match(rule: &rsigma_eval::CompiledRule) -> EvaluationResult {
    EvaluationResult {
        header: rsigma_eval::RuleHeader {
            rule_title: String::new(),
            rule_id: rule.id.clone(),
            level: rule.level,
            tags: Vec::new(),
            custom_attributes: Arc::clone(&rule.custom_attributes),
            enrichments: None,
        },
        body: ResultBody::Detection(rsigma_eval::DetectionBody {
            matched_selections: Vec::new(),
            matched_fields: Vec::new(),
            event: None,
        }),
    }
}

/// Rule ids, looked up for every match.
type RuleIds = HashSet<String, foldhash::fast::RandomState>;

/// Runs a set of Sigma rules over records.
pub struct Detector {
    lanes: Arc<Lanes>,
    correlation: Option<Correlations>,
    rules: Vec<RuleMeta>,
    /// Ids of rules referenced only by `generate: false` correlations:
    /// their own matches feed the correlation but are not findings.
    correlation_only: RuleIds,
}

impl Detector {
    /// Load every rule in `sources`. Rules that fail to parse or compile are
    /// returned as failures; every other rule is loaded.
    pub fn new(sources: &[RuleSource]) -> (Detector, Vec<RuleFailure>) {
        Detector::new_with_allow(sources, &[])
    }

    /// Like [`Detector::new`], plus allow-lists that suppress findings
    /// (see [`allow`] for the two accepted forms: Sigma filter documents and
    /// a plain `allow:` list of field conditions). An allow source that does
    /// not parse, or holds anything but filters, is reported as a failure and
    /// suppresses nothing.
    pub fn new_with_allow(
        sources: &[RuleSource],
        allow_sources: &[RuleSource],
    ) -> (Detector, Vec<RuleFailure>) {
        let mut failures = Vec::new();
        let mut sources = sources.to_vec();
        for a in allow_sources {
            match allow::to_filters(&a.text) {
                Ok(text) => sources.push(RuleSource {
                    origin: a.origin.clone(),
                    text,
                }),
                Err(message) => failures.push(RuleFailure {
                    source: a.origin.clone(),
                    id: String::new(),
                    message,
                }),
            }
        }
        let sources = &sources[..];
        let pipeline = match parse_pipeline(KUBERNETES_AUDIT_PIPELINE) {
            Ok(p) => Some(p),
            Err(e) => {
                failures.push(RuleFailure {
                    source: "builtin".into(),
                    id: "rules/mapping/kubernetes-audit.yml".into(),
                    message: format!("field mapping did not load: {e}"),
                });
                None
            }
        };

        let mut metas: Vec<RuleMeta> = Vec::new();
        let mut lane_rules: BTreeMap<Route, Vec<rsigma_eval::CompiledRule>> = BTreeMap::new();
        // Transformed detection rules, kept until correlations are wired.
        let mut detections: Vec<SigmaRule> = Vec::new();
        let mut correlations: Vec<(String, CorrelationRule, bool)> = Vec::new();
        let mut filters: Vec<(String, FilterRule)> = Vec::new();

        for src in sources {
            let depth = condition_depth(&src.text);
            if depth > MAX_CONDITION_DEPTH {
                failures.push(doc_failure(
                    src,
                    None,
                    format!(
                        "a condition nests {depth} parentheses deep, over the limit of {MAX_CONDITION_DEPTH}: not loaded"
                    ),
                ));
                continue;
            }
            let collection = match guard(|| parse_sigma_yaml(&src.text)) {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    failures.push(doc_failure(src, None, e.to_string()));
                    continue;
                }
                Err(panic) => {
                    failures.push(doc_failure(src, None, panic));
                    continue;
                }
            };
            report_document_failures(src, &collection, &mut failures);
            let room = MAX_RULES.saturating_sub(metas.len() + correlations.len());
            let over =
                (collection.rules.len() + collection.correlations.len()).saturating_sub(room);
            if over > 0 {
                failures.push(doc_failure(
                    src,
                    None,
                    format!(
                        "more than {MAX_RULES} rules: {over} rules past the limit were not loaded"
                    ),
                ));
            }
            let rules_room = room.min(collection.rules.len());
            let correlations_room = room - rules_room;
            for rule in collection.rules.into_iter().take(rules_room) {
                load_rule(
                    src,
                    rule,
                    pipeline.as_ref(),
                    &mut metas,
                    &mut lane_rules,
                    &mut detections,
                    &mut failures,
                );
            }
            let docs = scan_documents(&src.text);
            for c in collection.correlations.into_iter().take(correlations_room) {
                // Whether the document states a condition (rsigma does not
                // tell a default from an explicit `gte: 1`, see below).
                let explicit = docs
                    .iter()
                    .find(|d| d.id.is_some() && d.id == c.id || d.title.as_ref() == Some(&c.title))
                    .is_none_or(|d| d.mentions_condition);
                correlations.push((src.origin.clone(), c, explicit));
            }
            for f in collection.filters {
                filters.push((src.origin.clone(), f));
            }
        }

        let mut lanes: Vec<Lane> = lane_rules
            .into_iter()
            .map(|(route, compiled)| {
                let mut engine = Engine::new();
                engine.set_match_detail(MatchDetailLevel::Summary);
                engine.extend_compiled_rules(compiled);
                Lane { route, engine }
            })
            .collect();

        for (origin, filter) in &mut filters {
            // Filters may name rules by id, title or Sigma `name`; rsigma
            // knows ids and titles, so names are resolved to ids here.
            if let FilterRuleTarget::Specific(refs) = &mut filter.rules {
                for r in refs.iter_mut() {
                    if let Some(m) = metas.iter().find(|m| m.name.as_deref() == Some(r.as_str())) {
                        *r = m.info.id.clone();
                    }
                }
                let unknown: Vec<&String> = refs
                    .iter()
                    .filter(|r| {
                        !metas
                            .iter()
                            .any(|m| m.info.id == **r || m.info.title == **r)
                    })
                    .collect();
                if !unknown.is_empty() {
                    failures.push(RuleFailure {
                        source: origin.clone(),
                        id: filter.id.clone().unwrap_or_default(),
                        message: format!(
                            "filter names no loaded detection rule: {}",
                            unknown
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
            let filter = &*filter;
            for lane in &mut lanes {
                let applied = guard(|| lane.engine.apply_filter(filter));
                let message = match applied {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => e.to_string(),
                    Err(p) => p,
                };
                failures.push(RuleFailure {
                    source: origin.clone(),
                    id: filter
                        .id
                        .clone()
                        .or_else(|| filter.name.clone())
                        .unwrap_or_default(),
                    message,
                });
                break;
            }
        }

        let (correlation, correlation_only) =
            load_correlations(correlations, &detections, &mut metas, &mut failures);

        (
            Detector {
                lanes: Arc::new(Lanes::new(lanes, &correlation_only)),
                correlation,
                rules: metas,
                correlation_only,
            },
            failures,
        )
    }

    /// Every loaded rule (detections and correlations), in load order.
    pub fn rules(&self) -> Vec<RuleInfo> {
        self.rules.iter().map(|m| m.info.clone()).collect()
    }

    /// The loaded rule with this id, to explain a finding.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().map(|m| &m.info).find(|i| i.id == id)
    }

    /// The log families a loaded rule reads (none: no log Spoor reads).
    pub fn families_of(&self, id: &str) -> Vec<Family> {
        self.rules
            .iter()
            .find(|m| m.info.id == id)
            .map(|m| m.families.clone())
            .unwrap_or_default()
    }

    /// Loaded rules that cannot fire on any of `formats_seen`: rules for log
    /// sources Spoor does not read (cloud provider logs, EDR telemetry) and
    /// rules for a log that is not among the inputs. Notices, not failures.
    pub fn inapplicable(&self, formats_seen: &[Format]) -> Vec<RuleFailure> {
        self.rules
            .iter()
            .filter(|m| {
                !m.families
                    .iter()
                    .any(|fam| formats_seen.iter().any(|f| fam.accepts(*f)))
            })
            .map(|m| {
                let wants: Vec<&str> = m
                    .families
                    .iter()
                    .flat_map(|f| f.formats())
                    .map(Format::name)
                    .collect();
                let message = if wants.is_empty() {
                    format!(
                        "cannot apply to any loaded log: logsource {} is not a log Spoor reads",
                        m.logsource
                    )
                } else {
                    format!(
                        "cannot apply to any loaded log: logsource {} needs {}",
                        m.logsource,
                        wants.join(" or ")
                    )
                };
                RuleFailure {
                    source: m.info.source.clone(),
                    id: m.info.id.clone(),
                    message,
                }
            })
            .collect()
    }

    /// Run the rules over one record: its detections, then any correlation
    /// that completes on it.
    pub fn observe(&mut self, record: &Record, input: u32) -> Vec<Finding> {
        let detections = self.lanes.evaluate(record);
        self.conclude(record, input, detections)
    }

    /// The single-event rules, to evaluate records on other threads; their
    /// matches come back through [`Detector::conclude`] in record order.
    pub fn lanes(&self) -> Arc<Lanes> {
        Arc::clone(&self.lanes)
    }

    /// The findings of one record from its rule matches
    /// ([`Lanes::evaluate`]): the detections, then any correlation that
    /// completes on it. Records must come in order.
    pub fn conclude(
        &mut self,
        record: &Record,
        input: u32,
        detections: Vec<EvaluationResult>,
    ) -> Vec<Finding> {
        if detections.is_empty() {
            // Correlations only move on detections.
            return Vec::new();
        }
        let results = match (&mut self.correlation, record.event.time_ns) {
            (Some(correlations), Some(ns)) => {
                let event = RecordEvent::new(record, input);
                let place = Evidence {
                    input,
                    line: record.location.line,
                };
                correlations.process(&event, place, detections, ns.div_euclid(1_000_000_000))
            }
            _ => detections,
        };
        self.findings(results, record, input)
    }

    /// End of input. A correlation fires on the event that satisfies its
    /// condition (as in rsigma), so nothing is pending here.
    pub fn finish(&mut self) -> Vec<Finding> {
        Vec::new()
    }

    fn findings(
        &self,
        results: Vec<EvaluationResult>,
        record: &Record,
        input: u32,
    ) -> Vec<Finding> {
        let here = Evidence {
            input,
            line: record.location.line,
        };
        let mut out: Vec<Finding> = Vec::with_capacity(results.len());
        let mut chained: Vec<usize> = Vec::new();
        for r in results {
            let rule_id = r.header.rule_id.as_deref().unwrap_or_default();
            if matches!(r.body, ResultBody::Detection(_)) && self.correlation_only.contains(rule_id)
            {
                continue;
            }
            let rule_id = rule_id.to_string();
            let mut finding = Finding {
                title: r.header.rule_title.clone(),
                level: r
                    .header
                    .level
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_else(|| DEFAULT_LEVEL.to_string()),
                techniques: techniques(&r.header.tags),
                time_ns: record.event.time_ns,
                evidence: Vec::new(),
                matched: Vec::new(),
                context: context(record),
                rule_id,
            };
            match r.body {
                ResultBody::Detection(d) => {
                    finding.evidence.push(here.clone());
                    for m in d.matched_fields {
                        if m.negated || m.value.is_null() {
                            continue;
                        }
                        let pair = (m.field, value_text(&m.value));
                        if !finding.matched.contains(&pair) {
                            finding.matched.push(pair);
                        }
                    }
                    // rsigma reports fields in hash order: sort, so the same
                    // input always gives the same report.
                    crate::sort::ascending(&mut finding.matched);
                }
                ResultBody::Correlation(c) => {
                    let refs = c.event_refs.iter().flatten().filter_map(|r| r.id.clone());
                    let full = c
                        .events
                        .iter()
                        .flatten()
                        .filter_map(|e| e.get("id").and_then(|v| v.as_str()).map(String::from));
                    for id in refs.chain(full) {
                        if let Some((input, line)) = parse_event_ref(&id) {
                            let ev = Evidence { input, line };
                            if !finding.evidence.contains(&ev) {
                                finding.evidence.push(ev);
                            }
                        }
                    }
                    if finding.evidence.is_empty() {
                        // A correlation of correlations keeps no events of
                        // its own: its evidence is its children's (filled in
                        // below) plus the event that completed it.
                        chained.push(out.len());
                    }
                    if !finding.evidence.contains(&here) {
                        finding.evidence.push(here.clone());
                    }
                    finding.matched = c.group_key;
                    finding.matched.push((
                        format!("{:?}", c.correlation_type).to_lowercase(),
                        format_number(c.aggregated_value),
                    ));
                }
            }
            out.push(finding);
        }
        for idx in chained {
            let mut extra: Vec<Evidence> = Vec::new();
            for (j, f) in out.iter().enumerate() {
                if j != idx && f.evidence.len() > 1 {
                    extra.extend(f.evidence.iter().cloned());
                }
            }
            let ev = &mut out[idx].evidence;
            for e in extra {
                if !ev.contains(&e) {
                    ev.push(e);
                }
            }
        }
        out
    }
}

/// Run `f`, turning a panic inside rsigma into an error message.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("rule engine panicked: {what}")
    })
}

fn doc_failure(src: &RuleSource, id: Option<String>, message: String) -> RuleFailure {
    RuleFailure {
        source: src.origin.clone(),
        id: id
            .or_else(|| scan_documents(&src.text).into_iter().find_map(|d| d.id))
            .unwrap_or_default(),
        message,
    }
}

/// The head of one YAML document, found by a plain line scan (rsigma's
/// per-document errors do not say which document they are about).
#[derive(Debug, Default)]
struct DocHead {
    id: Option<String>,
    title: Option<String>,
    action: bool,
    has_content: bool,
    mentions_condition: bool,
}

fn scan_documents(text: &str) -> Vec<DocHead> {
    fn scalar(v: &str) -> Option<String> {
        let v = v.trim();
        let v = v
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .or_else(|| v.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
            .unwrap_or(v)
            .trim();
        (!v.is_empty()).then(|| v.to_string())
    }
    let mut docs = vec![DocHead::default()];
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            docs.push(DocHead::default());
            continue;
        }
        let Some(doc) = docs.last_mut() else { continue };
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "..." {
            continue;
        }
        doc.has_content = true;
        doc.mentions_condition |= trimmed.contains("condition");
        if let Some(v) = trimmed.strip_prefix("id:") {
            doc.id = scalar(v);
        } else if let Some(v) = trimmed.strip_prefix("title:") {
            doc.title = scalar(v);
        } else if trimmed.starts_with("action:") {
            doc.action = true;
        }
    }
    docs.retain(|d| d.has_content);
    docs
}

/// rsigma returns a collection plus per-document error strings (some of
/// which are mere warnings about rules that still loaded). A document is a
/// failure when it produced no rule, correlation or filter.
fn report_document_failures(
    src: &RuleSource,
    collection: &SigmaCollection,
    failures: &mut Vec<RuleFailure>,
) {
    let produced =
        collection.rules.len() + collection.correlations.len() + collection.filters.len();
    let docs = scan_documents(&src.text);
    if collection.errors.is_empty() {
        if produced == 0 {
            failures.push(doc_failure(
                src,
                None,
                "no Sigma rule, correlation or filter in this text".to_string(),
            ));
        }
        return;
    }
    let mut known: HashSet<&str> = HashSet::new();
    for r in &collection.rules {
        known.extend(r.id.as_deref());
        known.insert(r.title.as_str());
    }
    for c in &collection.correlations {
        known.extend(c.id.as_deref());
        known.insert(c.title.as_str());
    }
    for f in &collection.filters {
        known.extend(f.id.as_deref());
        known.insert(f.title.as_str());
    }
    let message = collection.errors.join("; ");
    let failed: Vec<&DocHead> = docs
        .iter()
        .filter(|d| !d.action)
        .filter(|d| {
            let by_id = d.id.as_deref().is_some_and(|id| known.contains(id));
            let by_title = d.title.as_deref().is_some_and(|t| known.contains(t));
            !by_id && !by_title
        })
        .collect();
    if failed.is_empty() {
        let content = docs.iter().filter(|d| !d.action).count();
        if produced == 0 || produced < content {
            failures.push(doc_failure(src, None, message));
        }
        return;
    }
    for d in failed {
        failures.push(RuleFailure {
            source: src.origin.clone(),
            id: d.id.clone().unwrap_or_default(),
            message: message.clone(),
        });
    }
}

fn load_rule(
    src: &RuleSource,
    mut rule: SigmaRule,
    pipeline: Option<&Pipeline>,
    metas: &mut Vec<RuleMeta>,
    lane_rules: &mut BTreeMap<Route, Vec<rsigma_eval::CompiledRule>>,
    detections: &mut Vec<SigmaRule>,
    failures: &mut Vec<RuleFailure>,
) {
    // Results name rules by id; a rule without one is named by its `name`
    // or title so that it can still be reported and correlated.
    if rule.id.is_none() {
        rule.id = Some(rule.name.clone().unwrap_or_else(|| rule.title.clone()));
    }
    let id = rule.id.clone().unwrap_or_default();
    let fail = |failures: &mut Vec<RuleFailure>, message: String| {
        failures.push(RuleFailure {
            source: src.origin.clone(),
            id: id.clone(),
            message,
        })
    };
    let route = route::route_for(&rule.logsource);
    if let (
        Some(p),
        Some(Route {
            family: Family::Audit,
            ..
        }),
    ) = (pipeline, &route)
    {
        match guard(|| apply_pipelines(std::slice::from_ref(p), &mut rule)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return fail(failures, format!("field mapping: {e}")),
            Err(e) => return fail(failures, e),
        }
    }
    let mut compiled = match guard(|| compile_rule(&rule)) {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return fail(failures, e.to_string()),
        Err(e) => return fail(failures, e),
    };
    compiled.include_event = false;
    for condition in &mut compiled.conditions {
        selectors::resolve(condition, compiled.detections.keys());
    }
    let attrs = &rule.custom_attributes;
    metas.push(RuleMeta {
        info: RuleInfo {
            id,
            title: rule.title.clone(),
            level: level_text(rule.level),
            source: src.origin.clone(),
            techniques: techniques(&rule.tags),
            name: rule.name.clone(),
            description: text_of(rule.description.as_deref()),
            matrix: attr_text(attrs, "matrix"),
            why: attr_text(attrs, "why"),
            next: attr_list(attrs, "next"),
            falsepositives: rule.falsepositives.clone(),
            references: rule.references.clone(),
        },
        name: rule.name.clone(),
        logsource: route::describe(&rule.logsource),
        families: route.iter().map(|r| r.family).collect(),
    });
    if let Some(route) = route {
        lane_rules.entry(route).or_default().push(compiled);
    }
    detections.push(rule);
}

fn load_correlations(
    correlations: Vec<(String, CorrelationRule, bool)>,
    detections: &[SigmaRule],
    metas: &mut Vec<RuleMeta>,
    failures: &mut Vec<RuleFailure>,
) -> (Option<Correlations>, RuleIds) {
    if correlations.is_empty() {
        return (None, RuleIds::default());
    }
    // Families by every name a rule can be referenced by.
    let mut families: HashMap<String, Vec<Family>> = HashMap::new();
    for m in metas.iter() {
        families.insert(m.info.id.clone(), m.families.clone());
        if let Some(n) = &m.name {
            families.insert(n.clone(), m.families.clone());
        }
    }
    let mut correlations: Vec<(String, CorrelationRule)> = correlations
        .into_iter()
        .map(|(origin, mut c, explicit_condition)| {
            if c.id.is_none() {
                c.id = Some(c.name.clone().unwrap_or_else(|| c.title.clone()));
            }
            // rsigma 0.23 gives a `temporal` correlation without a condition
            // `gte: 1` (fires when ANY referenced rule matched), although its
            // own comment and the Sigma spec say ALL referenced rules must
            // match. Spoor applies the spec default. (`temporal_ordered` is
            // unaffected: its check already requires every rule, in order.)
            if !explicit_condition && c.correlation_type == CorrelationType::Temporal {
                if let CorrelationCondition::Threshold {
                    predicates,
                    field: None,
                    ..
                } = &mut c.condition
                {
                    let n = c.rules.len() as u64;
                    for (op, v) in predicates.iter_mut() {
                        if *op == ConditionOperator::Gte && *v == 1 {
                            *v = n;
                        }
                    }
                }
            }
            (origin, c)
        })
        .collect();
    for (_, c) in &correlations {
        for key in c.id.iter().chain(c.name.iter()) {
            families.entry(key.clone()).or_default();
        }
    }
    // Correlations inherit the families of what they reference; chains
    // need a few rounds.
    for _ in 0..=correlations.len() {
        let mut changed = false;
        for (_, c) in &correlations {
            let mut fams: Vec<Family> = c
                .rules
                .iter()
                .filter_map(|r| families.get(r))
                .flatten()
                .copied()
                .collect();
            crate::sort::ascending(&mut fams);
            fams.dedup();
            for key in c.id.iter().chain(c.name.iter()) {
                if families.get(key) != Some(&fams) {
                    families.insert(key.clone(), fams.clone());
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    let mut engine = Correlations::new(CorrelationEventMode::Refs, MAX_CORRELATION_EVIDENCE);
    let mut loaded: Vec<CorrelationRule> = Vec::new();
    for (origin, mut c) in correlations.drain(..) {
        cap_group_entries(&mut c);
        let id = c.id.clone().unwrap_or_default();
        let fail = |failures: &mut Vec<RuleFailure>, message: String| {
            failures.push(RuleFailure {
                source: origin.clone(),
                id: id.clone(),
                message,
            })
        };
        if let Some(missing) = c.rules.iter().find(|r| !families.contains_key(r.as_str())) {
            fail(failures, format!("unknown rule reference: {missing}"));
            continue;
        }
        match guard(|| engine.add_correlation(&c)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                fail(failures, e.to_string());
                continue;
            }
            Err(e) => {
                fail(failures, e);
                continue;
            }
        }
        let attrs = &c.custom_attributes;
        metas.push(RuleMeta {
            info: RuleInfo {
                id: id.clone(),
                title: c.title.clone(),
                level: level_text(c.level),
                source: origin.clone(),
                techniques: techniques(&c.tags),
                name: c.name.clone(),
                description: text_of(c.description.as_deref()),
                matrix: attr_text(attrs, "matrix"),
                why: attr_text(attrs, "why"),
                next: attr_list(attrs, "next"),
                falsepositives: c.falsepositives.clone(),
                references: c.references.clone(),
            },
            name: c.name.clone(),
            logsource: format!("correlation of {}", c.rules.join(", ")),
            families: families.get(&id).cloned().unwrap_or_default(),
        });
        loaded.push(c);
    }
    if loaded.is_empty() {
        return (None, RuleIds::default());
    }
    // The correlation engine identifies detections by rule id and maps
    // them to names through its own rule table, so every referenced
    // detection rule is registered there too (it is never evaluated there).
    let referenced: HashSet<&str> = loaded
        .iter()
        .flat_map(|c| c.rules.iter().map(String::as_str))
        .collect();
    let hidden: HashSet<&str> = loaded
        .iter()
        .filter(|c| !c.generate)
        .flat_map(|c| c.rules.iter().map(String::as_str))
        .collect();
    let mut correlation_only = RuleIds::default();
    for rule in detections {
        let keys = || rule.id.iter().chain(rule.name.iter()).map(String::as_str);
        if keys().any(|k| referenced.contains(k)) {
            engine.add_rule(rule);
        }
        if keys().any(|k| hidden.contains(k)) {
            correlation_only.extend(rule.id.clone());
        }
    }
    (Some(engine), correlation_only)
}

/// Entries a counting correlation keeps in one group's window, at least.
const MIN_GROUP_ENTRIES: u64 = 4096;

/// Bounds a counting correlation's window per group: a window keeps every
/// entry, so a busy group's would grow with the log (and rsigma, which
/// recounted the window on each detection, took three times as long for an
/// audit log twice as long). The oldest entries go first; a cap of 16 times
/// the threshold (at least [`MIN_GROUP_ENTRIES`]) changes no `event_count`
/// verdict (a count at the cap is already past the threshold), and a
/// `value_count`'s only when the newest thousands of entries repeat fewer
/// values than the threshold. A rule's own `rsigma.max_group_entries` wins.
fn cap_group_entries(c: &mut CorrelationRule) {
    if !matches!(
        c.correlation_type,
        CorrelationType::EventCount | CorrelationType::ValueCount
    ) {
        return;
    }
    let CorrelationCondition::Threshold { predicates, .. } = &c.condition else {
        return;
    };
    let threshold = predicates.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let cap = MIN_GROUP_ENTRIES.max(threshold.saturating_mul(16));
    c.custom_attributes
        .entry("rsigma.max_group_entries".to_string())
        .or_insert_with(|| yaml_serde::Value::String(cap.to_string()));
}

fn text_of(s: Option<&str>) -> String {
    s.map(|s| s.trim().to_string()).unwrap_or_default()
}

/// A custom top-level string field of a rule (`why`, `matrix`).
fn attr_text(attrs: &HashMap<String, yaml_serde::Value>, key: &str) -> String {
    match attrs.get(key) {
        Some(yaml_serde::Value::String(s)) => s.trim().to_string(),
        _ => String::new(),
    }
}

/// A custom top-level list of strings (`next`); a single string is a list of one.
fn attr_list(attrs: &HashMap<String, yaml_serde::Value>, key: &str) -> Vec<String> {
    match attrs.get(key) {
        Some(yaml_serde::Value::Sequence(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect(),
        Some(yaml_serde::Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
        _ => Vec::new(),
    }
}

/// Who and what a record is about, from its normalized event.
fn context(record: &Record) -> Vec<(String, String)> {
    let e = &record.event;
    let mut out = Vec::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            out.push((
                k.to_string(),
                value_text(&serde_json::Value::String(v.to_string())),
            ));
        }
    };
    put("user", &e.user);
    put("impersonated_user", &e.impersonated_user);
    put("source_ip", &e.source_ips.first().cloned());
    put("host", &e.host);
    put("namespace", &e.namespace);
    put("pod", &e.pod);
    put("container", &e.container);
    put("action", &e.action);
    put("resource", &e.resource);
    put("object", &e.object_name);
    out
}

fn level_text(level: Option<rsigma_parser::Level>) -> String {
    level
        .map(|l| l.as_str().to_string())
        .unwrap_or_else(|| DEFAULT_LEVEL.to_string())
}

/// `attack.t1609` → `T1609`, `attack.t1552.007` → `T1552.007`.
pub fn techniques(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let lower = tag.trim().to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("attack.t") else {
            continue;
        };
        let valid = rest.starts_with(|c: char| c.is_ascii_digit())
            && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !rest.ends_with('.');
        let t = format!("T{rest}");
        if valid && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn value_text(v: &serde_json::Value) -> String {
    let mut s = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.len() > MAX_MATCHED_VALUE {
        let mut cut = MAX_MATCHED_VALUE;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sigma_text_is_told_from_yaml_logs() {
        for rule in builtin_sources() {
            assert!(looks_like_sigma(&rule.text), "{}", rule.origin);
        }
        let gke = "insertId: abc\nlogName: projects/p/logs/cloudaudit.googleapis.com%2Factivity\nprotoPayload:\n  methodName: io.k8s.core.v1.pods.create\n";
        assert!(!looks_like_sigma(gke));
        assert!(!looks_like_sigma("title: only a title\n"));
        assert!(looks_like_sigma(
            "---\ntitle: c\ncorrelation:\n  type: event_count\n"
        ));
    }

    use super::*;
    use crate::event::{Event as Normalized, Location};
    use serde_json::json;

    fn audit(fields: serde_json::Value, secs: i64, line: u64) -> Record {
        Record {
            format: Format::K8sAudit,
            event: Normalized {
                time_ns: Some(secs * 1_000_000_000),
                ..Default::default()
            },
            fields,
            location: Location {
                line,
                ..Default::default()
            },
        }
    }

    fn src(text: &str) -> RuleSource {
        RuleSource {
            origin: "test.yml".into(),
            text: text.into(),
        }
    }

    #[test]
    fn techniques_from_tags() {
        let tags: Vec<String> = [
            "attack.t1609",
            "attack.execution",
            "attack.T1552.007",
            "attack.t1609",
            "cve.2021-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(techniques(&tags), vec!["T1609", "T1552.007"]);
    }

    #[test]
    fn builtin_pack_loads_and_fires() {
        let (mut d, failures) = Detector::new(&builtin_sources());
        assert!(failures.is_empty(), "{failures:?}");
        assert!(d.rules().len() >= 6);
        for r in d.rules() {
            assert!(!r.techniques.is_empty(), "{} has no technique", r.id);
            assert_eq!(r.source, "builtin");
        }
        let exec = audit(
            json!({"verb": "create", "objectRef": {"resource": "pods", "subresource": "exec", "namespace": "default", "name": "web"},
                   "user": {"username": "mallory"}, "responseStatus": {"code": 101}}),
            1_700_000_000,
            4,
        );
        let f = d.observe(&exec, 1);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule_id, "8c40a968-49de-47a2-b5e7-5eb8d3ee1bcc");
        assert_eq!(f[0].techniques, vec!["T1609"]);
        assert_eq!(f[0].evidence, vec![Evidence { input: 1, line: 4 }]);
        assert!(f[0]
            .matched
            .contains(&("objectRef.subresource".to_string(), "exec".to_string())));
    }

    #[test]
    fn bad_documents_fail_alone() {
        let text = "title: Good\nid: good-1\nlogsource: {product: kubernetes, service: audit}\ndetection: {sel: {verb: get}, condition: sel}\n---\ntitle: Bad\nid: bad-1\nlogsource: {product: kubernetes, service: audit}\ndetection: {sel: {verb|nosuchmodifier: get}, condition: sel}\n---\ntitle: Bad condition\nid: bad-2\nlogsource: {product: kubernetes, service: audit}\ndetection: {sel: {verb: get}, condition: sel and missing}\n";
        let (d, failures) = Detector::new(&[src(text)]);
        let ids: Vec<&str> = failures.iter().map(|f| f.id.as_str()).collect();
        assert!(ids.contains(&"bad-1"), "{failures:?}");
        assert!(ids.contains(&"bad-2"), "{failures:?}");
        assert!(!ids.contains(&"good-1"));
        assert!(failures
            .iter()
            .all(|f| f.source == "test.yml" && !f.message.is_empty()));
        assert_eq!(d.rules().len(), 1);
    }

    #[test]
    fn counting_correlations_get_a_window_cap_above_their_threshold() {
        let correlation = |kind: &str, condition: &str, extra: &str| {
            let text = format!(
                "title: c\nid: c1\ncorrelation:\n  type: {kind}\n  rules: [r1]\n  \
                 group-by: [user]\n  timespan: 10m\n  condition:\n{condition}\n{extra}"
            );
            let collection = parse_sigma_yaml(&text).expect("a correlation");
            let mut c = collection.correlations.into_iter().next().expect("one");
            cap_group_entries(&mut c);
            c.custom_attributes
                .get("rsigma.max_group_entries")
                .and_then(|v| v.as_str().map(String::from))
        };
        let gte = |n: u64| format!("    gte: {n}");
        assert_eq!(correlation("event_count", &gte(5), ""), Some("4096".into()));
        assert_eq!(
            correlation("event_count", &gte(1000), ""),
            Some("16000".into())
        );
        let distinct = format!("{}\n    field: verb", gte(3));
        assert_eq!(
            correlation("value_count", &distinct, ""),
            Some("4096".into())
        );
        assert_eq!(
            correlation("event_count", &gte(5), "rsigma.max_group_entries: '50'"),
            Some("50".into()),
            "the rule's own cap wins"
        );
        let sum = format!("{}\n    field: bytes", gte(3));
        assert_eq!(
            correlation("value_sum", &sum, ""),
            None,
            "sums are not capped"
        );
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "---",
            ":::",
            "title: [unclosed",
            "- a\n- b",
            "title: x\ndetection: 5",
            "title: x\nlogsource: {}\ndetection: {condition: 'sel |'}",
            "correlation: {type: event_count}",
            "title: c\ncorrelation: {type: event_count, rules: [nope], timespan: 1m, condition: {gte: 1}}",
        ] {
            let (_d, failures) = Detector::new(&[src(text)]);
            assert!(!failures.is_empty(), "no failure for {text:?}");
        }
    }

    #[test]
    fn cloud_rules_are_inapplicable_not_failed() {
        let text = "title: Cloud\nid: cloud-1\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {eventName: CreateCluster}, condition: sel}\n";
        let (d, failures) = Detector::new(&[src(text)]);
        assert!(failures.is_empty());
        let n = d.inapplicable(&[Format::K8sAudit]);
        assert_eq!(n.len(), 1);
        assert!(n[0]
            .message
            .starts_with("cannot apply to any loaded log: logsource product: aws"));
        let (d, _) = Detector::new(&builtin_sources());
        assert!(d.inapplicable(&Format::ALL).is_empty());
        let not_syslog = d.inapplicable(&[Format::Syslog]).len();
        assert!(not_syslog > 0 && not_syslog < d.rules().len());
    }

    #[test]
    fn audit_rules_do_not_see_syslog() {
        let text = "title: kw\nid: kw-1\nlogsource: {product: kubernetes, service: audit}\ndetection: {keywords: [needle], condition: keywords}\n";
        let (mut d, _) = Detector::new(&[src(text)]);
        let mut r = audit(json!({"message": "a needle here"}), 1, 1);
        assert_eq!(d.observe(&r, 0).len(), 1);
        r.format = Format::Syslog;
        assert!(d.observe(&r, 0).is_empty());
    }

    #[test]
    fn sshd_rules_only_see_sshd_when_known() {
        let text = "title: ssh\nid: ssh-1\nlogsource: {product: linux, service: sshd}\ndetection: {keywords: ['error in libcrypto'], condition: keywords}\n";
        let (mut d, _) = Detector::new(&[src(text)]);
        let mut r = audit(
            json!({"program": "sshd", "message": "error in libcrypto"}),
            1,
            1,
        );
        r.format = Format::Syslog;
        assert_eq!(d.observe(&r, 0).len(), 1);
        r.fields = json!({"program": "cron", "message": "error in libcrypto"});
        assert!(d.observe(&r, 0).is_empty());
        r.fields = json!({"SYSLOG_IDENTIFIER": "sshd", "MESSAGE": "error in libcrypto"});
        r.format = Format::Journald;
        assert_eq!(d.observe(&r, 0).len(), 1);
        r.fields = json!({"MESSAGE": "error in libcrypto"});
        assert_eq!(d.observe(&r, 0).len(), 1, "unknown program is accepted");
    }
}

/// The fast path ([`prefilter`], [`verdict`], quiet matches) against rsigma
/// alone, on every rule Spoor ships or reads from `../shared/sigma` and
/// every record of the rule fixtures, the shared samples and the generated
/// incidents.
#[cfg(test)]
mod fast_path {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::ingest::InputReader;

    const ROOT: &str = env!("CARGO_MANIFEST_DIR");

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            panic!("{}: not readable", dir.display());
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    fn records() -> Vec<Record> {
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
        let mut paths = Vec::new();
        files(&Path::new(ROOT).join("tests/fixtures/rules"), &mut paths);
        files(
            &Path::new(ROOT).join("tests/fixtures/rules-noise"),
            &mut paths,
        );
        files(&Path::new(ROOT).join("../shared/data"), &mut paths);
        for path in paths {
            let bytes = std::fs::read(&path).expect("a readable file");
            inputs.push((path.display().to_string(), bytes));
        }
        for scenario in crate::generate::scenarios() {
            for file in crate::generate::generate(scenario.name, 7).expect("the scenario generates")
            {
                inputs.push((file.path, file.bytes));
            }
        }
        let mut records = Vec::new();
        for (path, bytes) in inputs {
            let mut reader = InputReader::new(&path, None);
            reader.push(&bytes, &mut |r| records.push(r));
            reader.finish(&mut |r| records.push(r));
        }
        records
    }

    fn rules() -> Vec<RuleSource> {
        let mut sources = builtin_sources();
        let mut paths = Vec::new();
        files(&Path::new(ROOT).join("../shared/sigma"), &mut paths);
        for path in paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        {
            let text = std::fs::read_to_string(&path).expect("a readable rule");
            sources.push(RuleSource {
                origin: path.display().to_string(),
                text,
            });
        }
        sources
    }

    fn ids(results: &[EvaluationResult]) -> Vec<String> {
        results
            .iter()
            .map(|r| {
                r.header
                    .rule_id
                    .clone()
                    .unwrap_or_else(|| r.header.rule_title.clone())
            })
            .collect()
    }

    #[test]
    fn agrees_with_rsigma_on_every_rule_and_record() {
        let (detector, _) = Detector::new(&rules());
        let lanes = detector.lanes();
        let records = records();
        assert!(records.len() > 5_000, "{} records", records.len());
        let (mut decided, mut matched) = (0usize, BTreeMap::<String, usize>::new());
        let mut candidates = Vec::new();
        for record in &records {
            let event = RecordEvent::with_paths(record, &lanes.paths);
            let mut expected = Vec::new();
            for lane in &lanes.lanes {
                let rules = lane.engine.rules();
                lane.prefilter.candidates(&event, &mut candidates);
                for (index, rule) in rules.iter().enumerate() {
                    let truth = evaluate_rule(rule, &event).is_some();
                    if truth {
                        *matched.entry(rule.title.clone()).or_default() += 1;
                        assert!(
                            candidates.contains(&index),
                            "{}: the prefilter left out a match of {:?} on {}",
                            record.location.line,
                            rule.title,
                            record.fields
                        );
                    }
                    if let Some(verdict) = lane.verdicts[index].of(&event) {
                        decided += 1;
                        assert_eq!(verdict, truth, "{:?} on {}", rule.title, record.fields);
                    }
                }
                let program = route::record_program(record)
                    .filter(|_| Family::NodeLog.accepts(record.format));
                if lane.route.accepts(record.format, program) {
                    expected.extend(lane.engine.evaluate(&event));
                }
            }
            let got = lanes.evaluate(record);
            assert_eq!(ids(&got), ids(&expected), "{}", record.fields);
            for (g, e) in got.iter().zip(&expected) {
                let quiet = detector
                    .correlation_only
                    .contains(g.header.rule_id.as_deref().unwrap_or_default());
                if !quiet {
                    assert_eq!(format!("{:?}", g.body), format!("{:?}", e.body));
                }
            }
        }
        // Not a vacuous agreement: many rules matched, most verdicts decided.
        assert!(
            matched.len() > 100,
            "{} rules matched: {matched:?}",
            matched.len()
        );
        assert!(decided > records.len(), "{decided} verdicts decided");
    }
}
