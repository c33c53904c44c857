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
//! rsigma hands `get_field` the very `String` its compiled rule holds, so the
//! trie also keeps each rule string's address: most lookups are then found
//! by address, without hashing or comparing the path (hashing was 5 % of the
//! page's analysis, where string hashing is dearer than natively).
//!
//! The walk keeps [`super::adapter`]'s semantics for plain dotted paths: a
//! step onto an array takes every element, the value at the end of the path
//! is taken whole. Paths with `[index]` or escapes are not in the trie and
//! take the adapter's slow path.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use rsigma_eval::CompiledDetection;
use serde_json::Value;

/// The trie of the rules' plain dotted field paths.
///
/// Built by [`FieldPaths::of_detections`], it must not outlive those
/// detections nor see them changed: it knows their field strings by address.
#[derive(Default)]
pub struct FieldPaths {
    /// Path to its slot in [`Resolved`].
    slots: HashMap<Box<str>, usize, RandomState>,
    /// The rules' own field strings by address, to the same slots.
    addresses: Addresses,
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
    /// The paths named by `detections` (the rules' own, and any copies the
    /// detector evaluates). They must outlive the trie, unchanged (see
    /// [`Addresses`]).
    pub fn of_detections<'r>(
        detections: impl IntoIterator<Item = &'r CompiledDetection>,
    ) -> FieldPaths {
        let mut paths = FieldPaths::from_paths([]);
        let mut named = Vec::new();
        for detection in detections {
            paths.add_detection(detection, &mut named);
        }
        paths.addresses = Addresses::new(
            named
                .into_iter()
                .filter_map(|field| Some((field, *paths.slots.get(field)?))),
        );
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

    /// Adds the detection's paths; `named` gets each field string as the
    /// rule holds it.
    fn add_detection<'r>(&mut self, detection: &'r CompiledDetection, named: &mut Vec<&'r str>) {
        match detection {
            CompiledDetection::AllOf(items) => {
                for field in items.iter().filter_map(|i| i.field.as_deref()) {
                    self.add(field);
                    named.push(field);
                }
            }
            CompiledDetection::AnyOf(all) | CompiledDetection::And(all) => {
                for d in all {
                    self.add_detection(d, named);
                }
            }
            // Fields inside an array's body are looked up on its members,
            // not on the record.
            CompiledDetection::ArrayMatch { field, .. } => {
                self.add(field);
                named.push(field);
            }
            CompiledDetection::Keywords(_) | CompiledDetection::Conditional { .. } => {}
        }
    }

    /// The slot of a path in the trie.
    pub fn slot(&self, path: &str) -> Option<usize> {
        self.slots.get(path).copied()
    }

    fn add(&mut self, path: &str) {
        if !is_plain(path) || self.slots.contains_key(path) {
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
        // The top-level key too: the prefilter asks whether it is there.
        if let Some((top, _)) = path.split_once('.') {
            self.add(top);
        }
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

/// Whether `path` names object keys only: no `[index]` and no escapes,
/// which only rsigma's own walker reads.
pub(super) fn is_plain(path: &str) -> bool {
    !path.contains(['[', '\\'])
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
        let slot = match self.paths.addresses.get(path) {
            Some(slot) => slot,
            None => *self.paths.slots.get(path)?,
        };
        Some(&self.found[slot])
    }

    /// What the path in `slot` ([`FieldPaths::slot`]) reached.
    pub fn at(&self, slot: usize) -> &Found<'v> {
        &self.found[slot]
    }
}

/// Field strings by address and length: an open-addressing table with a
/// multiplicative hash of the address.
///
/// Sound because the strings are the compiled rules' own, alive and
/// unchanged while the trie is used: no other live text starts at the
/// same address, so a `&str` with the same address and length is the same
/// text.
#[derive(Default)]
struct Addresses {
    /// `(address, length, slot)`; length `usize::MAX` marks a free entry.
    entries: Vec<(usize, usize, usize)>,
    /// log2 of `entries.len()`.
    bits: u32,
}

impl Addresses {
    const FREE: usize = usize::MAX;

    fn new<'r>(fields: impl Iterator<Item = (&'r str, usize)>) -> Addresses {
        let fields: Vec<(&str, usize)> = fields.collect();
        // At most half full, so probes stay short.
        let bits = (fields.len() * 2)
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        let mut table = Addresses {
            entries: vec![(0, Self::FREE, 0); 1 << bits],
            bits,
        };
        for (field, slot) in fields {
            let (address, len) = (field.as_ptr() as usize, field.len());
            let mut i = table.home(address);
            loop {
                let entry = &mut table.entries[i];
                if entry.1 == Self::FREE {
                    *entry = (address, len, slot);
                    break;
                }
                if (entry.0, entry.1) == (address, len) {
                    break;
                }
                i = (i + 1) & (table.entries.len() - 1);
            }
        }
        table
    }

    fn home(&self, address: usize) -> usize {
        let spread = (address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (spread >> (64 - self.bits.max(1))) as usize & (self.entries.len() - 1)
    }

    fn get(&self, field: &str) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let (address, len) = (field.as_ptr() as usize, field.len());
        let mut i = self.home(address);
        loop {
            let (a, l, slot) = self.entries[i];
            if l == Self::FREE {
                return None;
            }
            if (a, l) == (address, len) {
                return Some(slot);
            }
            i = (i + 1) & (self.entries.len() - 1);
        }
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
pub(super) mod tests {
    use super::*;
    use rsigma_eval::{compile_rule, CompiledRule};
    use rsigma_parser::parse_sigma_yaml;

    /// Every rule of `yaml`, compiled.
    pub(in crate::detect) fn compiled(yaml: &str) -> Vec<CompiledRule> {
        let collection = parse_sigma_yaml(yaml).expect("the rule parses");
        collection
            .rules
            .iter()
            .map(|r| compile_rule(r).expect("the rule compiles"))
            .collect()
    }

    /// The trie alone: its addresses are not looked up once the rules are gone.
    fn paths_of(yaml: &str) -> FieldPaths {
        let rules = compiled(yaml);
        FieldPaths::of_detections(rules.iter().flat_map(|r| r.detections.values()))
    }

    /// A rule's own field string is found by its address; the same path in
    /// another string by its text, to the same values.
    #[test]
    fn rule_strings_are_found_by_address() {
        let rules = compiled(
            r#"
title: t
logsource: {product: kubernetes, service: audit}
detection:
    a:
        verb: create
        objectRef.resource: pods
    b:
        objectRef.resource: secrets
    condition: a or b
"#,
        );
        let trie = FieldPaths::of_detections(rules[0].detections.values());
        let own: Vec<&str> = rules[0]
            .detections
            .values()
            .flat_map(|d| match d {
                CompiledDetection::AllOf(items) => items.iter().filter_map(|i| i.field.as_deref()),
                _ => panic!("plain selections"),
            })
            .collect();
        assert_eq!(own.len(), 3);
        for field in &own {
            assert_eq!(trie.addresses.get(field), trie.slots.get(*field).copied());
            let copy = field.to_string();
            assert_eq!(trie.addresses.get(&copy), None, "{copy}: another string");
        }
        let fields = serde_json::json!({"verb": "create", "objectRef": {"resource": "pods"}});
        let resolved = trie.resolve(fields.as_object().expect("an object"));
        for field in &own {
            let copy = field.to_string();
            let (Some(a), Some(b)) = (resolved.get(field), resolved.get(&copy)) else {
                panic!("{field}: in the trie");
            };
            assert!(matches!((a, b), (Found::One(x), Found::One(y)) if std::ptr::eq(*x, *y)));
        }
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
                "requestObject",
                "requestObject.spec.containers.securityContext.privileged",
                "requestObject.spec.initContainers.securityContext.privileged",
                "verb",
            ],
            "indexed paths stay with rsigma's walker; top-level keys join"
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
