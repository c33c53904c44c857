//! Whether a rule matches an event, decided the way rsigma decides it but
//! with the condition's names resolved once, at load.
//!
//! rsigma looks each name of a condition up in the rule's map of detections
//! at every evaluation (a SipHash of the name, then a string comparison):
//! with a dozen candidate rules an audit event, and their `not filter_*`
//! lists, that was a tenth of a scan. A [`Verdict`] holds the rule's
//! detections in a list and its condition over their positions.
//!
//! Detections and items are matched with rsigma's own matchers and field
//! lookup, so a verdict is rsigma's verdict. What is not mirrored here
//! (array quantifiers and their element conditions) is "unknown", and the
//! caller asks rsigma.

use rsigma_eval::{CompiledDetection, CompiledDetectionItem, CompiledMatcher, CompiledRule, Event};
use rsigma_parser::{ConditionExpr, Quantifier};

/// One rule, ready to be decided.
pub struct Verdict {
    detections: Vec<CompiledDetection>,
    /// The rule's conditions, any of which makes a match.
    conditions: Vec<Node>,
}

enum Node {
    /// A named detection, by position; `None` for a name the rule lacks
    /// (false, as in rsigma).
    Detection(Option<usize>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// `N of pattern`: at least `need` of the detections match.
    AtLeast {
        need: u64,
        of: Vec<usize>,
    },
    /// `all of pattern`.
    All(Vec<usize>),
}

impl Verdict {
    pub fn new(rule: &CompiledRule) -> Verdict {
        let mut names: Vec<&String> = rule.detections.keys().collect();
        crate::sort::ascending(&mut names);
        let detections = names.iter().map(|n| rule.detections[*n].clone()).collect();
        let conditions = rule.conditions.iter().map(|c| node(c, &names)).collect();
        Verdict {
            detections,
            conditions,
        }
    }

    /// The copies of the rule's detections it matches with.
    pub fn detections(&self) -> &[CompiledDetection] {
        &self.detections
    }

    /// `Some(matched)`, or `None` when the rule uses what is not mirrored.
    pub fn of(&self, event: &impl Event) -> Option<bool> {
        any(self.conditions.iter().map(|c| self.node(c, event)))
    }

    fn node(&self, node: &Node, event: &impl Event) -> Option<bool> {
        match node {
            Node::Detection(None) => Some(false),
            Node::Detection(Some(at)) => detection(&self.detections[*at], event),
            Node::And(all) => every(all.iter().map(|n| self.node(n, event))),
            Node::Or(all) => any(all.iter().map(|n| self.node(n, event))),
            Node::Not(inner) => self.node(inner, event).map(|v| !v),
            Node::All(of) => every(of.iter().map(|&at| detection(&self.detections[at], event))),
            Node::AtLeast { need, of } => {
                let (mut yes, mut unknown) = (0u64, 0u64);
                for &at in of {
                    match detection(&self.detections[at], event) {
                        Some(true) => yes += 1,
                        Some(false) => {}
                        None => unknown += 1,
                    }
                    if yes >= *need {
                        return Some(true);
                    }
                }
                (yes + unknown < *need).then_some(false)
            }
        }
    }
}

fn node(expr: &ConditionExpr, names: &[&String]) -> Node {
    match expr {
        ConditionExpr::Identifier(name) => Node::Detection(names.iter().position(|n| *n == name)),
        ConditionExpr::And(all) => Node::And(all.iter().map(|e| node(e, names)).collect()),
        ConditionExpr::Or(all) => Node::Or(all.iter().map(|e| node(e, names)).collect()),
        ConditionExpr::Not(inner) => Node::Not(Box::new(node(inner, names))),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let of = (0..names.len())
                .filter(|&at| pattern.matches_detection_name(names[at]))
                .collect();
            match quantifier {
                Quantifier::All => Node::All(of),
                Quantifier::Any => Node::AtLeast { need: 1, of },
                // `0 of` holds vacuously in rsigma.
                Quantifier::Count(0) => Node::And(Vec::new()),
                Quantifier::Count(n) => Node::AtLeast { need: *n, of },
            }
        }
    }
}

/// rsigma's `eval_detection`, with array scopes left unknown.
fn detection(detection: &CompiledDetection, event: &impl Event) -> Option<bool> {
    match detection {
        CompiledDetection::AllOf(items) => Some(items.iter().all(|i| item(i, event))),
        CompiledDetection::AnyOf(all) => any(all.iter().map(|d| self::detection(d, event))),
        CompiledDetection::And(all) => every(all.iter().map(|d| self::detection(d, event))),
        CompiledDetection::Keywords(matcher) => Some(matcher.matches_keyword(event)),
        CompiledDetection::ArrayMatch { .. } | CompiledDetection::Conditional { .. } => None,
    }
}

/// rsigma's `eval_detection_item` (without its optional bloom filter).
fn item(item: &CompiledDetectionItem, event: &impl Event) -> bool {
    if let Some(expect) = item.exists {
        return match &item.field {
            Some(field) => event.get_field(field).is_some_and(|v| !v.is_null()) == expect,
            None => !expect,
        };
    }
    match &item.field {
        Some(field) => match event.get_field(field) {
            Some(value) => item.matcher.matches(&value, event),
            None => matches!(item.matcher, CompiledMatcher::Null),
        },
        None => item.matcher.matches_keyword(event),
    }
}

/// Three-valued `or`: true if any is, unknown if any is and none is true.
fn any(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in values {
        match v {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(false)
}

/// Three-valued `and`: `not any(not ...)`.
fn every(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    any(values.map(|v| v.map(|b| !b))).map(|b| !b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsigma_eval::{compile_rule, evaluate_rule, JsonEvent};
    use rsigma_parser::parse_sigma_yaml;
    use serde_json::json;

    /// Each construct on events that make it true and false: the verdict,
    /// when it has one, is rsigma's; `unknown` names the rules it leaves
    /// to rsigma.
    #[test]
    fn verdicts_are_rsigmas() {
        let rules = r#"
title: exists on a null value
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        objectRef.name|exists: true
    condition: selection
---
title: absent fields and null
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        objectRef.namespace: null
    condition: selection
---
title: one of two
logsource: {product: kubernetes, service: audit}
detection:
    sel_get:
        verb: get
    sel_secrets:
        objectRef.resource: secrets
    condition: 1 of sel_*
---
title: all of two
logsource: {product: kubernetes, service: audit}
detection:
    sel_get:
        verb: get
    sel_secrets:
        objectRef.resource: secrets
    condition: all of sel_*
---
title: two of three
logsource: {product: kubernetes, service: audit}
detection:
    sel_a:
        verb: get
    sel_b:
        objectRef.resource: secrets
    sel_c:
        user.username: mallory
    condition: 2 of sel_*
---
title: keywords
logsource: {product: kubernetes, service: audit}
detection:
    keywords:
        - mallory
    watch:
        verb: watch
    condition: keywords or watch
---
title: not, and an alternative list
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        - verb: get
        - verb: list
    filter:
        user.username|startswith: 'system:'
    condition: selection and not filter
---
title: array scope
sigma-version: 3
logsource: {product: kubernetes, service: audit}
detection:
    selection:
        subjects[any]:
            kind: User
    condition: selection
"#;
        let events = [
            json!({"verb": "get", "objectRef": {"resource": "secrets", "name": null},
                   "user": {"username": "mallory"}, "subjects": [{"kind": "User"}]}),
            json!({"verb": "list", "objectRef": {"resource": "pods", "name": "x"},
                   "user": {"username": "system:kube-scheduler"}, "subjects": [{"kind": "Group"}]}),
            json!({"verb": "list", "objectRef": {"resource": "secrets", "namespace": "default"},
                   "user": {"username": "bob"}}),
            json!({"verb": "watch", "objectRef": {"namespace": null}}),
        ];
        let collection = parse_sigma_yaml(rules).expect("the rules parse");
        let mut unknown = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for rule in &collection.rules {
            let compiled = compile_rule(rule).expect("the rule compiles");
            let verdict = Verdict::new(&compiled);
            for fields in &events {
                let event = JsonEvent::borrow(fields);
                let truth = evaluate_rule(&compiled, &event).is_some();
                seen.insert((compiled.title.clone(), truth));
                match verdict.of(&event) {
                    Some(v) => assert_eq!(v, truth, "{:?} on {fields}", compiled.title),
                    None => unknown.push(compiled.title.clone()),
                }
            }
        }
        unknown.dedup();
        assert_eq!(unknown, ["array scope"]);
        // Every rule both matched and missed somewhere.
        for rule in &collection.rules {
            for truth in [true, false] {
                assert!(
                    seen.contains(&(rule.title.clone(), truth)),
                    "{} {truth}",
                    rule.title
                );
            }
        }
    }
}
