//! Every field path the loaded rules name, resolved in one walk per record.
//!
//! rsigma asks for a field by its dotted path each time a rule or its
//! candidate index needs it: some 70 lookups an audit event, each a fresh
//! walk down `serde_json` maps (B-trees, so a string comparison per key
//! passed), and most of them miss (`requestObject.spec.containers...` on a
//! lease update). Here the paths are merged into a trie when the rules load;
//! a record's fields are then walked once, only along the trie's branches,
//! and each lookup becomes one hash of the path.
//!
//! The walk keeps [`super::adapter`]'s semantics for plain dotted paths: a
//! step onto an array takes every element, the value at the end of the path
//! is taken whole. Paths with `[index]` or escapes are not in the trie and
//! take the adapter's slow path.

use std::collections::HashMap;

use ahash::RandomState;
use rsigma_eval::{CompiledDetection, CompiledRule};
use serde_json::Value;

/// The trie of the rules' plain dotted field paths.
#[derive(Default)]
pub struct FieldPaths {
    /// Path to its slot in [`Resolved`].
    slots: HashMap<Box<str>, usize, RandomState>,
    /// Node 0 is the root: the record's top-level keys.
    nodes: Vec<Node>,
}

#[derive(Default)]
struct Node {
    children: HashMap<Box<str>, usize, RandomState>,
    /// Set when a path ends here.
    slot: Option<usize>,
}

impl FieldPaths {
    /// The paths named by `rules`' detections.
    pub fn of_rules<'r>(rules: impl IntoIterator<Item = &'r CompiledRule>) -> FieldPaths {
        let mut paths = FieldPaths::from_paths([]);
        for rule in rules {
            for detection in rule.detections.values() {
                paths.add_detection(detection);
            }
        }
        paths
    }

    pub(crate) fn from_paths<'p>(paths: impl IntoIterator<Item = &'p str>) -> FieldPaths {
        let mut trie = FieldPaths {
            nodes: vec![Node::default()],
            ..FieldPaths::default()
        };
        for path in paths {
            trie.add(path);
        }
        trie
    }

    fn add_detection(&mut self, detection: &CompiledDetection) {
        match detection {
            CompiledDetection::AllOf(items) => {
                for field in items.iter().filter_map(|i| i.field.as_deref()) {
                    self.add(field);
                }
            }
            CompiledDetection::AnyOf(all) | CompiledDetection::And(all) => {
                for d in all {
                    self.add_detection(d);
                }
            }
            // Fields inside an array's body are looked up on its members,
            // not on the record.
            CompiledDetection::ArrayMatch { field, .. } => self.add(field),
            CompiledDetection::Keywords(_) | CompiledDetection::Conditional { .. } => {}
        }
    }

    fn add(&mut self, path: &str) {
        if path.contains(['[', '\\']) || self.slots.contains_key(path) {
            return;
        }
        let mut node = 0;
        for step in path.split('.') {
            node = match self.nodes[node].children.get(step) {
                Some(&next) => next,
                None => {
                    let next = self.nodes.len();
                    self.nodes.push(Node::default());
                    self.nodes[node].children.insert(step.into(), next);
                    next
                }
            };
        }
        let slot = self.slots.len();
        self.nodes[node].slot = Some(slot);
        self.slots.insert(path.into(), slot);
    }

    /// Every path's values in `fields`, a record's top-level object.
    pub fn resolve<'v>(&'v self, fields: &'v serde_json::Map<String, Value>) -> Resolved<'v> {
        let mut found = Vec::new();
        found.resize_with(self.slots.len(), || Found::None);
        self.fill(0, fields, &mut found);
        Resolved { paths: self, found }
    }

    fn fill<'v>(
        &self,
        node: usize,
        object: &'v serde_json::Map<String, Value>,
        found: &mut [Found<'v>],
    ) {
        let children = &self.nodes[node].children;
        // Walk the smaller side: a trie node has a handful of children, a
        // ConfigMap's `data` may have thousands of keys.
        if children.len() < object.len() {
            for (key, &child) in children {
                if let Some(value) = object.get(&**key) {
                    self.reach(child, value, found);
                }
            }
        } else {
            for (key, value) in object {
                if let Some(&child) = children.get(key.as_str()) {
                    self.reach(child, value, found);
                }
            }
        }
    }

    /// `value` is what the step into `node` reached.
    fn reach<'v>(&self, node: usize, value: &'v Value, found: &mut [Found<'v>]) {
        let here = &self.nodes[node];
        if let Some(slot) = here.slot {
            found[slot].push(value);
        }
        if !here.children.is_empty() {
            self.descend(node, value, found);
        }
    }

    fn descend<'v>(&self, node: usize, value: &'v Value, found: &mut [Found<'v>]) {
        match value {
            Value::Object(object) => self.fill(node, object, found),
            Value::Array(items) => {
                for item in items {
                    self.descend(node, item, found);
                }
            }
            _ => {}
        }
    }
}

/// One record's values for every path of a [`FieldPaths`].
pub struct Resolved<'v> {
    paths: &'v FieldPaths,
    found: Vec<Found<'v>>,
}

impl<'v> Resolved<'v> {
    /// `None` when the path is not in the trie; `Some(found)` otherwise,
    /// with what the path reached.
    pub fn get(&self, path: &str) -> Option<&Found<'v>> {
        self.paths.slots.get(path).map(|&slot| &self.found[slot])
    }
}

/// Values a path reached: one is by far the most common, and needs no Vec.
pub enum Found<'v> {
    None,
    One(&'v Value),
    Many(Vec<&'v Value>),
}

impl<'v> Found<'v> {
    fn push(&mut self, value: &'v Value) {
        *self = match std::mem::replace(self, Found::None) {
            Found::None => Found::One(value),
            Found::One(first) => Found::Many(vec![first, value]),
            Found::Many(mut all) => {
                all.push(value);
                Found::Many(all)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsigma_eval::compile_rule;
    use rsigma_parser::parse_sigma_yaml;

    fn paths_of(yaml: &str) -> FieldPaths {
        let collection = parse_sigma_yaml(yaml).expect("the rule parses");
        let rules: Vec<CompiledRule> = collection
            .rules
            .iter()
            .map(|r| compile_rule(r).expect("the rule compiles"))
            .collect();
        FieldPaths::of_rules(&rules)
    }

    /// Plain items, lists of maps and keywords: every field path a
    /// detection names is in the trie, and nothing else.
    #[test]
    fn collects_the_paths_rules_name() {
        let trie = paths_of(
            r#"
title: t
logsource: {product: kubernetes, service: audit}
detection:
    verb:
        verb: create
    privileged:
        - requestObject.spec.containers.securityContext.privileged: true
        - requestObject.spec.initContainers.securityContext.privileged: true
    words:
        - 'kubectl'
    indexed:
        requestObject.spec.containers[0].image: 'x'
    condition: verb and (privileged or words or indexed)
"#,
        );
        let mut named: Vec<&str> = trie.slots.keys().map(|k| &**k).collect();
        named.sort();
        assert_eq!(
            named,
            [
                "requestObject.spec.containers.securityContext.privileged",
                "requestObject.spec.initContainers.securityContext.privileged",
                "verb",
            ],
            "indexed paths stay with rsigma's walker"
        );
        // The two privileged paths share their first two steps.
        assert_eq!(trie.nodes.len(), 1 + 1 + 2 + 2 * 3);
    }

    #[test]
    fn a_step_onto_an_array_takes_every_element() {
        let trie = FieldPaths::from_paths(["a.b", "a"]);
        let fields = serde_json::json!({"a": [{"b": 1}, {"c": 2}, [{"b": 3}]]});
        let resolved = trie.resolve(fields.as_object().expect("an object"));
        match resolved.get("a.b") {
            Some(Found::Many(all)) => {
                assert_eq!(all, &[&fields["a"][0]["b"], &fields["a"][2][0]["b"]])
            }
            _ => panic!("two values"),
        }
        assert!(matches!(resolved.get("a"), Some(Found::One(v)) if v.is_array()));
        assert!(resolved.get("c").is_none(), "not a rule path");
    }
}
