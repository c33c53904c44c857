//! Sigma correlations over the detections of records in order: rsigma
//! 0.23's `CorrelationEngine`, rebuilt from rsigma's own parts (the
//! compiled correlation, group keys, window states, the window rules), with
//! what the engine did per detection made cheaper:
//!
//! - a `value_count` window keeps its distinct values counted as entries
//!   come and go, where rsigma hashed the whole window (thousands of
//!   entries in a busy group: `cap_group_entries`) into a new set on every
//!   detection, the largest cost of a scan's correlation;
//! - a window's evidence is kept as the records' places, not as JSON
//!   objects with an id built for each detection and read back;
//! - a detection finds the correlations that reference its rule with one
//!   hash lookup, where rsigma searched its rule table.
//!
//! Everything else (windows sliding, tumbling or session; suppression;
//! reset on match; correlations of correlations; the state cap) follows
//! rsigma's code step by step, and the results are rsigma's
//! `EvaluationResult`s. `tests::same_results_as_rsigma` feeds both engines
//! the same streams and compares every result.

use std::collections::{HashMap, HashSet, VecDeque};

use foldhash::fast::RandomState;
use rsigma_eval::correlation::{
    apply_window_open, compile_correlation, CompiledCorrelation, WindowDecision,
};
use rsigma_eval::{
    CorrelationAction, CorrelationBody, CorrelationEventMode, EvaluationResult, Event, EventRef,
    EventValue, GroupKey, ResultBody, RuleHeader, WindowState,
};
use rsigma_parser::{CorrelationRule, CorrelationType, SigmaRule, WindowMode};

use super::Evidence;

/// Parent hops followed after a correlation fires (rsigma's limit).
const MAX_CHAIN_DEPTH: usize = 10;
/// Groups with window state kept at most before the stalest go (rsigma's
/// default).
const MAX_STATE_ENTRIES: usize = 100_000;

/// Engine-wide settings; rsigma lets rules set the defaults through their
/// `rsigma.*` attributes, the first rule that names one winning.
#[derive(Debug, Clone, Copy)]
struct Defaults {
    suppress: Option<u64>,
    action: CorrelationAction,
    event_mode: CorrelationEventMode,
    max_events: usize,
}

/// The correlation rules of a detector and the state of their windows.
pub struct Correlations {
    rules: Vec<CompiledCorrelation>,
    /// Correlations by every id and name they reference.
    by_ref: HashMap<String, Vec<usize>, RandomState>,
    /// A detection rule's id → its name and the correlations that
    /// reference it by either (sorted, once each).
    by_rule: HashMap<String, (Option<String>, Vec<usize>), RandomState>,
    defaults: Defaults,
    state: HashMap<(usize, GroupKey), Window, RandomState>,
    last_alert: HashMap<(usize, GroupKey), i64, RandomState>,
    evidence: HashMap<(usize, GroupKey), Places, RandomState>,
}

impl Correlations {
    /// No rules; evidence kept as `event_mode` with at most `max_events`
    /// records per window.
    pub fn new(event_mode: CorrelationEventMode, max_events: usize) -> Self {
        Correlations {
            rules: Vec::new(),
            by_ref: HashMap::default(),
            by_rule: HashMap::default(),
            defaults: Defaults {
                suppress: None,
                action: CorrelationAction::Alert,
                event_mode,
                max_events,
            },
            state: HashMap::default(),
            last_alert: HashMap::default(),
            evidence: HashMap::default(),
        }
    }

    /// Adds a correlation rule (what it references may come later).
    pub fn add_correlation(&mut self, rule: &CorrelationRule) -> rsigma_eval::Result<()> {
        self.take_defaults(&rule.custom_attributes);
        let compiled = compile_correlation(rule)?;
        let idx = self.rules.len();
        for r in &compiled.rule_refs {
            self.by_ref.entry(r.clone()).or_default().push(idx);
        }
        self.rules.push(compiled);
        self.index_rules();
        Ok(())
    }

    /// Registers a detection rule that correlations reference; it is not
    /// evaluated here (its matches come with [`Correlations::process`]).
    pub fn add_rule(&mut self, rule: &SigmaRule) {
        self.take_defaults(&rule.custom_attributes);
        if let Some(id) = &rule.id {
            // rsigma takes the first rule registered with an id.
            self.by_rule
                .entry(id.clone())
                .or_insert_with(|| (rule.name.clone(), Vec::new()));
        }
        self.index_rules();
    }

    /// `rsigma.suppress` and `rsigma.action` of a rule become the engine's
    /// defaults unless an earlier rule set them.
    fn take_defaults(&mut self, attrs: &HashMap<String, yaml_serde::Value>) {
        if let Some(val) = attrs.get("rsigma.suppress").and_then(|v| v.as_str()) {
            if self.defaults.suppress.is_none() {
                if let Ok(ts) = rsigma_parser::Timespan::parse(val) {
                    self.defaults.suppress = Some(ts.seconds);
                }
            }
        }
        if let Some(val) = attrs.get("rsigma.action").and_then(|v| v.as_str()) {
            if self.defaults.action == CorrelationAction::Alert {
                if let Ok(a) = val.parse::<CorrelationAction>() {
                    self.defaults.action = a;
                }
            }
        }
    }

    /// Recomputes each registered rule's correlations (rules and
    /// correlations may be added in any order; there are few of either).
    fn index_rules(&mut self) {
        let by_ref = &self.by_ref;
        for (id, (name, targets)) in self.by_rule.iter_mut() {
            targets.clear();
            for key in std::iter::once(id).chain(name.iter()) {
                targets.extend(by_ref.get(key).into_iter().flatten());
            }
            targets.sort_unstable();
            targets.dedup();
        }
    }

    /// The detections of one record at `ts` (seconds), followed by the
    /// correlations they complete. Records must come in order, as to
    /// rsigma's `process_with_detections`.
    pub fn process(
        &mut self,
        event: &impl Event,
        place: Evidence,
        detections: Vec<EvaluationResult>,
        ts: i64,
    ) -> Vec<EvaluationResult> {
        let ts = ts.clamp(0, i64::MAX / 2);
        if self.state.len() >= MAX_STATE_ENTRIES {
            self.evict_all(ts);
        }
        let mut fired = Vec::new();
        // Taken out while the windows change, so that a detection borrows
        // its rule's entry instead of copying it.
        let by_rule = std::mem::take(&mut self.by_rule);
        for det in &detections {
            let Some(match_id) = det.header.rule_id.as_deref() else {
                continue;
            };
            let unregistered;
            let (name, targets) = match by_rule.get(match_id) {
                Some((name, targets)) => (name.as_deref(), targets.as_slice()),
                None => {
                    unregistered = self.by_ref.get(match_id).cloned().unwrap_or_default();
                    (None, unregistered.as_slice())
                }
            };
            let both;
            let refs: &[&str] = match name {
                Some(name) => {
                    both = [match_id, name];
                    &both
                }
                None => std::slice::from_ref(&match_id),
            };
            for &idx in targets {
                self.update(idx, event, &place, ts, refs, &mut fired);
            }
        }
        self.by_rule = by_rule;
        let chained = self.chain(&fired, ts);
        let mut out = detections;
        out.extend(fired);
        out.extend(chained);
        out
    }

    /// One correlation takes one detection: rsigma's `update_correlation`.
    fn update(
        &mut self,
        idx: usize,
        event: &impl Event,
        place: &Evidence,
        ts: i64,
        refs: &[&str],
        out: &mut Vec<EvaluationResult>,
    ) {
        let corr = &self.rules[idx];
        let rule_ref = refs
            .iter()
            .copied()
            .find(|identity| corr.rule_refs.iter().any(|r| r == identity))
            .unwrap_or("");
        let key = (idx, GroupKey::extract(event, &corr.group_by, refs));
        let state = match self.state.get_mut(&key) {
            Some(state) => state,
            None => self
                .state
                .entry(key.clone())
                .or_insert_with(|| Window::new(corr.correlation_type)),
        };
        let decision = state.open(ts, corr.timespan_secs, corr.window_mode, corr.gap_secs);
        if decision == WindowDecision::Discard {
            return;
        }
        match corr.correlation_type {
            CorrelationType::EventCount => state.push_event_count(ts),
            CorrelationType::ValueCount => {
                if let Some(value) = corr
                    .condition
                    .field
                    .as_deref()
                    .and_then(|fields| value_count_key(event, fields))
                {
                    state.push_value(ts, value);
                }
            }
            CorrelationType::Temporal | CorrelationType::TemporalOrdered => {
                state.push_temporal(ts, rule_ref)
            }
            CorrelationType::ValueSum
            | CorrelationType::ValueAvg
            | CorrelationType::ValuePercentile
            | CorrelationType::ValueMedian => {
                if let Some(n) = corr
                    .condition
                    .field
                    .as_ref()
                    .and_then(|fields| fields.first())
                    .and_then(|field| event.get_field(field))
                    .and_then(|v| v.as_f64())
                {
                    state.push_numeric(ts, n);
                }
            }
        }
        if let Some(cap) = corr.max_group_entries {
            state.truncate_oldest(cap, corr.window_mode == WindowMode::Session);
        }
        let mode = corr.event_mode.unwrap_or(self.defaults.event_mode);
        if mode != CorrelationEventMode::None {
            let max = corr.max_events.unwrap_or(self.defaults.max_events);
            let places = match self.evidence.get_mut(&key) {
                Some(places) => places,
                None => self.evidence.entry(key.clone()).or_default(),
            };
            if corr.window_mode == WindowMode::Sliding {
                places.evict(ts - corr.timespan_secs as i64);
            } else if decision == WindowDecision::Reset {
                places.clear();
            }
            places.push(ts, place.clone(), max);
        }
        let Some(value) = state.check(corr) else {
            return;
        };
        if self.suppressed(idx, &key, ts) {
            return;
        }
        let corr = &self.rules[idx];
        let places = self.evidence.get(&key);
        let (events, event_refs) = match mode {
            CorrelationEventMode::Full => {
                (Some(places.map(Places::events).unwrap_or_default()), None)
            }
            CorrelationEventMode::Refs => {
                (None, Some(places.map(Places::refs).unwrap_or_default()))
            }
            CorrelationEventMode::None => (None, None),
        };
        out.push(result(corr, &key.1, value, events, event_refs));
        self.last_alert.insert(key.clone(), ts);
        if corr.action.unwrap_or(self.defaults.action) == CorrelationAction::Reset {
            if let Some(state) = self.state.get_mut(&key) {
                state.clear();
            }
            if let Some(places) = self.evidence.get_mut(&key) {
                places.clear();
            }
        }
    }

    fn suppressed(&self, idx: usize, key: &(usize, GroupKey), ts: i64) -> bool {
        let suppress = self.rules[idx].suppress_secs.or(self.defaults.suppress);
        match (suppress, self.last_alert.get(key)) {
            (Some(s), Some(&last)) => ts - last < s as i64,
            _ => false,
        }
    }

    /// Correlations of correlations: rsigma's `chain_correlations`.
    fn chain(&mut self, fired: &[EvaluationResult], ts: i64) -> Vec<EvaluationResult> {
        let mut out = Vec::new();
        let mut pending: Vec<EvaluationResult> = fired.to_vec();
        let mut depth = 0;
        while !pending.is_empty() && depth < MAX_CHAIN_DEPTH {
            depth += 1;
            let mut work: Vec<Hop> = Vec::new();
            let mut seen: HashSet<(usize, String)> = HashSet::new();
            for result in &pending {
                let ResultBody::Correlation(body) = &result.body else {
                    continue;
                };
                for key in self.chain_keys(result) {
                    for &idx in self.by_ref.get(&key).into_iter().flatten() {
                        if seen.insert((idx, key.clone())) {
                            work.push((idx, &body.group_key, key.clone()));
                        }
                    }
                }
            }
            let mut next = Vec::new();
            for (idx, pairs, fired_ref) in work {
                let corr = &self.rules[idx];
                let key = (idx, GroupKey::from_pairs(pairs, &corr.group_by));
                let state = self
                    .state
                    .entry(key.clone())
                    .or_insert_with(|| Window::new(corr.correlation_type));
                if state.open(ts, corr.timespan_secs, corr.window_mode, corr.gap_secs)
                    == WindowDecision::Discard
                {
                    continue;
                }
                match corr.correlation_type {
                    CorrelationType::Temporal | CorrelationType::TemporalOrdered => {
                        state.push_temporal(ts, &fired_ref)
                    }
                    // rsigma counts a child's firing as an event; a window
                    // of another kind takes nothing from it.
                    _ => state.push_event_count(ts),
                }
                if let Some(cap) = corr.max_group_entries {
                    state.truncate_oldest(cap, corr.window_mode == WindowMode::Session);
                }
                let Some(value) = state.check(corr) else {
                    continue;
                };
                if self.suppressed(idx, &key, ts) {
                    continue;
                }
                let corr = &self.rules[idx];
                let result = result(corr, &key.1, value, None, None);
                next.push(result.clone());
                out.push(result);
                self.last_alert.insert(key.clone(), ts);
                if corr.action.unwrap_or(self.defaults.action) == CorrelationAction::Reset {
                    if let Some(state) = self.state.get_mut(&key) {
                        state.clear();
                    }
                }
            }
            pending = next;
        }
        out
    }

    /// The id and name a fired correlation is referenced by.
    fn chain_keys(&self, result: &EvaluationResult) -> Vec<String> {
        let Some(id) = result.header.rule_id.as_deref() else {
            return Vec::new();
        };
        let mut keys = vec![id.to_string()];
        if let Some(name) = self
            .rules
            .iter()
            .find(|c| c.id.as_deref() == Some(id))
            .and_then(|c| c.name.as_deref())
        {
            if name != id {
                keys.push(name.to_string());
            }
        }
        keys
    }

    /// Drops what has left its window, then the stalest groups while more
    /// than [`MAX_STATE_ENTRIES`] remain: rsigma's `evict_all`.
    fn evict_all(&mut self, now: i64) {
        let rules = &self.rules;
        self.state.retain(|&(idx, _), state| {
            let corr = &rules[idx];
            let timespan = corr.timespan_secs as i64;
            match corr.window_mode {
                WindowMode::Sliding => state.evict(now - timespan),
                mode => {
                    let staleness = if mode == WindowMode::Session {
                        corr.gap_secs.map_or(timespan, |g| g as i64)
                    } else {
                        timespan
                    };
                    if state.latest().is_some_and(|last| now - last > staleness) {
                        state.clear();
                    }
                }
            }
            !state.is_empty()
        });
        let state = &self.state;
        self.evidence.retain(|key, places| {
            let corr = &rules[key.0];
            match corr.window_mode {
                WindowMode::Sliding => places.evict(now - corr.timespan_secs as i64),
                _ if !state.contains_key(key) => return false,
                _ => {}
            }
            !places.is_empty()
        });
        if self.state.len() >= MAX_STATE_ENTRIES {
            let excess = self.state.len() - MAX_STATE_ENTRIES * 9 / 10;
            let mut by_staleness: Vec<((usize, GroupKey), i64)> = self
                .state
                .iter()
                .map(|(k, v)| (k.clone(), v.latest().unwrap_or(i64::MIN)))
                .collect();
            by_staleness.sort_unstable_by_key(|&(_, ts)| ts);
            for (key, _) in by_staleness.into_iter().take(excess) {
                self.state.remove(&key);
                self.last_alert.remove(&key);
                self.evidence.remove(&key);
            }
        }
        let defaults = self.defaults;
        self.last_alert.retain(|key, &mut at| {
            let suppress = rules[key.0]
                .suppress_secs
                .or(defaults.suppress)
                .unwrap_or(0);
            now - at < suppress as i64
        });
    }
}

/// A parent to update after a correlation fired: its index, the child's
/// group and the id or name it references the child by.
type Hop<'a> = (usize, &'a [(String, String)], String);

/// A correlation's result, as rsigma builds it.
fn result(
    corr: &CompiledCorrelation,
    group: &GroupKey,
    value: f64,
    events: Option<Vec<serde_json::Value>>,
    event_refs: Option<Vec<EventRef>>,
) -> EvaluationResult {
    EvaluationResult {
        header: RuleHeader {
            rule_title: corr.title.clone(),
            rule_id: corr.id.clone(),
            level: corr.level,
            tags: corr.tags.clone(),
            custom_attributes: corr.custom_attributes.clone(),
            enrichments: None,
        },
        body: ResultBody::Correlation(CorrelationBody {
            correlation_type: corr.correlation_type,
            group_key: group.to_pairs(&corr.group_by),
            aggregated_value: value,
            timespan_secs: corr.timespan_secs,
            events,
            event_refs,
        }),
    }
}

/// The distinct-value key of a `value_count`: the fields' values as text,
/// joined by U+001F; none when a field is missing or not a scalar.
fn value_count_key(event: &impl Event, fields: &[String]) -> Option<String> {
    fn text(v: &EventValue) -> Option<String> {
        match v {
            EventValue::Str(s) => Some(s.to_string()),
            EventValue::Int(n) => Some(n.to_string()),
            EventValue::Float(f) => Some(f.to_string()),
            EventValue::Bool(b) => Some(b.to_string()),
            EventValue::Null => Some("null".to_string()),
            _ => None,
        }
    }
    if let [field] = fields {
        return text(&event.get_field(field)?);
    }
    let parts: Option<Vec<String>> = fields
        .iter()
        .map(|f| event.get_field(f).as_ref().and_then(text))
        .collect();
    Some(parts?.join("\u{1f}"))
}

/// One group's window: rsigma's state, or for `value_count` a window that
/// keeps its distinct values counted.
enum Window {
    Sigma(WindowState),
    Values(Values),
}

impl Window {
    fn new(kind: CorrelationType) -> Self {
        match kind {
            CorrelationType::ValueCount => Window::Values(Values::default()),
            kind => Window::Sigma(WindowState::new_for(kind)),
        }
    }

    /// rsigma's `apply_window_open` (the same code for its own states).
    fn open(
        &mut self,
        ts: i64,
        timespan: u64,
        mode: WindowMode,
        gap: Option<u64>,
    ) -> WindowDecision {
        let values = match self {
            Window::Sigma(state) => return apply_window_open(state, ts, timespan, mode, gap),
            Window::Values(values) => values,
        };
        let timespan = timespan as i64;
        match mode {
            WindowMode::Sliding => {
                values.evict(ts - timespan);
                WindowDecision::Extend
            }
            WindowMode::Tumbling => {
                if timespan <= 0 {
                    return WindowDecision::Extend;
                }
                let bucket = |t: i64| t - t.rem_euclid(timespan);
                match values.latest() {
                    Some(last) if bucket(ts) > bucket(last) => {
                        values.clear();
                        WindowDecision::Reset
                    }
                    Some(last) if bucket(ts) < bucket(last) => WindowDecision::Discard,
                    _ => WindowDecision::Extend,
                }
            }
            WindowMode::Session => {
                let gap = gap.map_or(timespan, |g| g as i64);
                let reset = match (values.earliest(), values.latest()) {
                    (Some(start), Some(last)) => {
                        ts - last > gap || (timespan > 0 && ts - start > timespan)
                    }
                    _ => false,
                };
                if reset {
                    values.clear();
                    WindowDecision::Reset
                } else {
                    WindowDecision::Extend
                }
            }
        }
    }

    fn push_event_count(&mut self, ts: i64) {
        if let Window::Sigma(s) = self {
            s.push_event_count(ts);
        }
    }

    fn push_temporal(&mut self, ts: i64, rule_ref: &str) {
        if let Window::Sigma(s) = self {
            s.push_temporal(ts, rule_ref);
        }
    }

    fn push_numeric(&mut self, ts: i64, n: f64) {
        if let Window::Sigma(s) = self {
            s.push_numeric(ts, n);
        }
    }

    fn push_value(&mut self, ts: i64, value: String) {
        if let Window::Values(v) = self {
            v.push(ts, value);
        }
    }

    fn truncate_oldest(&mut self, cap: usize, keep_front: bool) {
        match self {
            Window::Sigma(s) => s.truncate_oldest(cap, keep_front),
            Window::Values(v) => v.truncate_oldest(cap, keep_front),
        }
    }

    fn evict(&mut self, cutoff: i64) {
        match self {
            Window::Sigma(s) => s.evict(cutoff),
            Window::Values(v) => v.evict(cutoff),
        }
    }

    fn clear(&mut self) {
        match self {
            Window::Sigma(s) => s.clear(),
            Window::Values(v) => v.clear(),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Window::Sigma(s) => s.is_empty(),
            Window::Values(v) => v.entries.is_empty(),
        }
    }

    fn latest(&self) -> Option<i64> {
        match self {
            Window::Sigma(s) => s.latest_timestamp(),
            Window::Values(v) => v.latest(),
        }
    }

    /// The aggregated value when the condition holds.
    fn check(&self, corr: &CompiledCorrelation) -> Option<f64> {
        match self {
            Window::Sigma(s) => s.check_condition(
                &corr.condition,
                corr.correlation_type,
                &corr.rule_refs,
                corr.extended_expr.as_ref(),
            ),
            Window::Values(v) => {
                let distinct = v.counts.len() as f64;
                corr.condition.check(distinct).then_some(distinct)
            }
        }
    }
}

/// A `value_count` window: its entries in arrival order and how many of
/// them hold each value.
#[derive(Default)]
struct Values {
    entries: VecDeque<(i64, Box<str>)>,
    counts: HashMap<Box<str>, u32, RandomState>,
}

impl Values {
    fn push(&mut self, ts: i64, value: String) {
        let value = value.into_boxed_str();
        match self.counts.get_mut(&value) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(value.clone(), 1);
            }
        }
        self.entries.push_back((ts, value));
    }

    fn forget(&mut self, value: &str) {
        if let Some(n) = self.counts.get_mut(value) {
            *n -= 1;
            if *n == 0 {
                self.counts.remove(value);
            }
        }
    }

    fn evict(&mut self, cutoff: i64) {
        while self.entries.front().is_some_and(|(t, _)| *t < cutoff) {
            if let Some((_, v)) = self.entries.pop_front() {
                self.forget(&v);
            }
        }
    }

    /// Keeps the newest `cap` entries (and the oldest, for a session
    /// window, whose span it anchors), as rsigma's `truncate_oldest`.
    fn truncate_oldest(&mut self, cap: usize, keep_front: bool) {
        let cap = cap.max(1);
        if self.entries.len() <= cap {
            return;
        }
        let anchor = if keep_front {
            self.entries.pop_front()
        } else {
            None
        };
        let keep = cap - usize::from(anchor.is_some());
        while self.entries.len() > keep {
            if let Some((_, v)) = self.entries.pop_front() {
                self.forget(&v);
            }
        }
        if let Some(anchor) = anchor {
            self.entries.push_front(anchor);
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.counts.clear();
    }

    fn latest(&self) -> Option<i64> {
        self.entries.back().map(|(t, _)| *t)
    }

    fn earliest(&self) -> Option<i64> {
        self.entries.front().map(|(t, _)| *t)
    }
}

/// The records a window's evidence points at, newest last, at most the
/// correlation's `max_events`.
#[derive(Default)]
struct Places {
    entries: VecDeque<(i64, Evidence)>,
}

impl Places {
    fn push(&mut self, ts: i64, place: Evidence, max: usize) {
        if self.entries.len() >= max {
            self.entries.pop_front();
        }
        self.entries.push_back((ts, place));
    }

    fn evict(&mut self, cutoff: i64) {
        while self.entries.front().is_some_and(|(t, _)| *t < cutoff) {
            self.entries.pop_front();
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id rsigma would have kept: the record's event reference.
    fn ids(&self) -> impl Iterator<Item = (i64, String)> + '_ {
        self.entries
            .iter()
            .map(|(t, p)| (*t, super::adapter::event_ref(p.input, p.line)))
    }

    fn refs(&self) -> Vec<EventRef> {
        self.ids()
            .map(|(timestamp, id)| EventRef {
                timestamp,
                id: Some(id),
            })
            .collect()
    }

    fn events(&self) -> Vec<serde_json::Value> {
        self.ids()
            .map(|(_, id)| serde_json::json!({ "id": id }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsigma_eval::{CorrelationConfig, CorrelationEngine, Engine, JsonEvent};
    use rsigma_parser::parse_sigma_yaml;
    use serde_json::{json, Value};

    /// Detection rules on the synthetic events' `kind`.
    const DETECTIONS: &str = r#"
title: A
id: rule-a
name: rule_a
logsource: {product: test}
detection: {sel: {kind: a}, condition: sel}
---
title: B
id: rule-b
name: rule_b
logsource: {product: test}
detection: {sel: {kind: b}, condition: sel}
---
title: C
id: rule-c
logsource: {product: test}
detection: {sel: {kind: c}, condition: sel}
"#;

    /// Correlations of every type and window, without engine-wide defaults.
    const PLAIN: &str = r#"
title: burst
id: c-count
name: c_count
correlation: {type: event_count, rules: [rule_a], group-by: [user], timespan: 60s, condition: {gte: 3}}
---
title: chained
id: c-chain
correlation: {type: event_count, rules: [c_count], group-by: [user], timespan: 5m, condition: {gte: 2}}
---
title: values
id: c-values
rsigma.max_group_entries: '6'
correlation: {type: value_count, rules: [rule_a, rule_b], group-by: [user], timespan: 90s, condition: {field: value, gte: 3}}
---
title: values in range
id: c-range
rsigma.correlation_event_mode: full
correlation: {type: value_count, rules: [rule_b], timespan: 40s, condition: {field: [value, user], gte: 2, lte: 5}}
---
title: tumbling values
id: c-tumbling
rsigma.max_group_entries: '4'
correlation: {type: value_count, rules: [rule_a], group-by: [user], timespan: 30s, window: tumbling, condition: {field: value, gte: 2}}
---
title: session values
id: c-session
rsigma.max_group_entries: '3'
rsigma.correlation_event_mode: none
correlation: {type: value_count, rules: [rule-c], group-by: [user], timespan: 100s, window: session, gap: 40s, condition: {field: value, gte: 2}}
---
title: both
id: c-temporal
correlation: {type: temporal, rules: [rule_a, rule_b], group-by: [user], timespan: 45s, condition: {gte: 2}}
---
title: in order
id: c-ordered
correlation: {type: temporal_ordered, rules: [rule_a, rule_b, rule-c], group-by: [user], timespan: 80s}
---
title: sum
id: c-sum
correlation: {type: value_sum, rules: [rule_b], group-by: [user], timespan: 60s, condition: {field: n, gte: 20}}
---
title: average
id: c-avg
correlation: {type: value_avg, rules: [rule-c], timespan: 60s, window: tumbling, condition: {field: n, gt: 5}}
---
title: percentile
id: c-pct
correlation: {type: value_percentile, rules: [rule_a], timespan: 60s, condition: {field: n, percentile: 90, gte: 8}}
---
title: median
id: c-median
correlation: {type: value_median, rules: [rule_a, rule_b], group-by: [user], timespan: 60s, condition: {field: n, lte: 3}}
"#;

    /// The same kinds with suppression and reset, which rsigma also takes
    /// as defaults for the correlations that set neither.
    const DEFAULTS: &str = r#"
title: values suppressed
id: d-values
rsigma.suppress: 20s
correlation: {type: value_count, rules: [rule_a], group-by: [user], timespan: 60s, condition: {field: value, gte: 2}}
---
title: reset
id: d-reset
rsigma.action: reset
correlation: {type: value_count, rules: [rule_b], group-by: [user], timespan: 60s, condition: {field: value, gte: 2}}
---
title: count
id: d-count
name: d_count
correlation: {type: event_count, rules: [rule_a, rule-c], group-by: [user], timespan: 30s, condition: {gte: 2}}
---
title: chained
id: d-chain
rsigma.suppress: 0s
correlation: {type: value_count, rules: [d_count], group-by: [user], timespan: 5m, condition: {field: user, gte: 1}}
"#;

    /// A synthetic event that, as a record's does, shows correlation
    /// windows only its reference.
    struct Synthetic<'a>(JsonEvent<'a>);

    impl Event for Synthetic<'_> {
        fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
            self.0.get_field(path)
        }
        fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
            self.0.any_string_value(pred)
        }
        fn all_string_values(&self) -> Vec<std::borrow::Cow<'_, str>> {
            self.0.all_string_values()
        }
        fn to_json(&self) -> Value {
            json!({ "id": self.0.get_field("id").and_then(|v| v.as_str().map(String::from)) })
        }
    }

    /// Events of a few users in (mostly) rising time, some late.
    fn events(seed: u64, n: usize) -> Vec<(Value, i64)> {
        let mut state = seed;
        let mut next = move |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let mut ts = 1_000;
        (0..n)
            .map(|i| {
                ts += next(6) as i64;
                let at = if next(10) == 0 {
                    ts - next(40) as i64
                } else {
                    ts
                };
                let kind = ["a", "b", "c", "x"][next(4) as usize];
                let mut e = json!({
                    "id": format!("0:{i}"),
                    "kind": kind,
                    "user": format!("u{}", next(3)),
                    "n": next(12),
                });
                if next(8) != 0 {
                    e["value"] = json!(format!("v{}", next(7)));
                }
                (e, at)
            })
            .collect()
    }

    fn same_results(correlations: &str) {
        let detections = parse_sigma_yaml(DETECTIONS).unwrap();
        let correlations = parse_sigma_yaml(correlations).unwrap();
        let mut engine = Engine::new();
        engine.add_collection(&detections).unwrap();
        let config = CorrelationConfig {
            correlation_event_mode: CorrelationEventMode::Refs,
            max_correlation_events: 4,
            ..CorrelationConfig::default()
        };
        let mut theirs = CorrelationEngine::new(config);
        let mut ours = Correlations::new(CorrelationEventMode::Refs, 4);
        for c in &correlations.correlations {
            theirs.add_correlation(c).unwrap();
            ours.add_correlation(c).unwrap();
        }
        for r in &detections.rules {
            theirs.add_rule(r).unwrap();
            ours.add_rule(r);
        }
        let mut fired = 0;
        for seed in [1, 7, 42] {
            for (line, (value, ts)) in events(seed, 4000).iter().enumerate() {
                let event = Synthetic(JsonEvent::borrow(value));
                let found = engine.evaluate(&event);
                let want = theirs.process_with_detections(&event, found.clone(), *ts);
                let place = Evidence {
                    input: 0,
                    line: line as u64,
                };
                let got = ours.process(&event, place, found, *ts);
                let as_json = |r: &[EvaluationResult]| serde_json::to_value(r).unwrap();
                assert_eq!(as_json(&got), as_json(&want), "seed {seed}, event {line}");
                fired += got.iter().filter(|r| r.is_correlation()).count();
            }
        }
        assert!(fired > 100, "the streams must fire correlations: {fired}");
    }

    #[test]
    fn same_results_as_rsigma() {
        same_results(PLAIN);
        same_results(DEFAULTS);
    }
}
