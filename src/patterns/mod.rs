//! Log patterns: templates mined from raw log lines in one streaming pass.
//!
//! The miner is Drain (He et al., ICWS 2017) with three changes from its
//! successors:
//!
//! 1. **Finding the message.** Each raw line loses its header (timestamp,
//!    host, level, pid, program tag) by generic token typing
//!    ([`header`]), and a JSON line gives its message field.
//! 2. **Masking.** Obvious variables (numbers, IPs, times, hex ids, paths
//!    with digits, numbered host names) become `<*>` inside their tokens
//!    before clustering ([`mask`]), so `rhost=1.2.3.4` is `rhost=<*>`.
//! 3. **Late resolution of few-valued slots.** Drain merges messages that
//!    differ in a word (`cupsd startup succeeded` / `cupsd shutdown
//!    succeeded`, `user=root` / `user=guest`) as soon as they are similar
//!    enough. Here every slot remembers its first few distinct tokens, each
//!    line is filed under its cluster *and* the values it had in the slots
//!    (a "group", one `u32` per line), and only at [`PatternMiner::finish`]
//!    is each slot judged over the whole input. Tokens are compared by
//!    *shape*: a masked token such as `rhost=<*>` stands for all the tokens
//!    it fits (`rhost=example.com`), so a slot's shapes are its distinct
//!    tokens less those that fit a masked one. A slot with at most
//!    [`PatternConfig::enum_values`] shapes, each seen twice on average, is
//!    an enumeration: its shapes stay in the templates (`tty=:0 ruser=
//!    rhost=` apart from `rhost=<*>`, `by LOGIN(uid=<*>)` apart from `by
//!    (uid=<*>)`). A slot with more is a variable. Groups that end up with
//!    the same template text are one pattern.
//!
//! Clustering itself is Drain's: lines are routed by token count and their
//! first [`PatternConfig::prefix_tokens`] tokens (a `key=value` token goes
//! to its `key=` branch; a token with a digit or a mask to the `<*>` branch,
//! as does any token once a node has [`PatternConfig::max_children`]
//! children), and join the most similar
//! cluster of their leaf when the share of equal tokens reaches
//! [`PatternConfig::similarity`]; otherwise they start a cluster. Joining
//! generalizes the differing positions, keeping a common prefix and suffix
//! up to punctuation (`[<*>]`, `user=<*>`).
//!
//! Memory is per cluster and per group, plus one `u32` per line; lines are
//! never stored. The module does no I/O ([`scan`] streams byte chunks).

pub mod header;
pub mod mask;
pub mod scan;

use mask::WILDCARD;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The miner's settings. The defaults are global, not fitted to any log:
/// each is justified where it is declared.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternConfig {
    /// Share of positions that must agree for a line to join a cluster.
    /// 0.5: at least as many tokens agree as differ. Masking already turns
    /// most variables into equal `<*>` tokens, so the remaining differences
    /// are mostly words, and half is Drain's usual middle ground (its papers
    /// use 0.4–0.7).
    pub similarity: f64,
    /// Leading tokens that route a line in the parse tree: 2, Drain's
    /// "depth 4" tree (root, length, two token levels). Never all of a
    /// line's tokens, so a two-token message still compares with its
    /// siblings.
    pub prefix_tokens: usize,
    /// Children per tree node before new tokens share the `<*>` branch
    /// (Drain's default, 100): bounds the tree when a leading token is an
    /// unmasked variable such as a user name.
    pub max_children: usize,
    /// Distinct shapes a generalized slot may have and still count as an
    /// enumeration that belongs in the template: 3, the size of the usual
    /// small vocabularies (`start|stop|restart`, `success|failure|unknown`,
    /// `user=root|guest|test`). Variables — users, hosts, ids, paths — show
    /// a long tail and exceed it quickly.
    pub enum_values: usize,
    /// Distinct tokens remembered per slot (tokens that fit a remembered
    /// masked token are not new): 8, room for the enumeration's shapes and
    /// for words seen before the masked shape they fit. Past it the slot is
    /// a variable.
    pub tracked_values: usize,
    /// Tokens kept per message; the rest become one trailing `<*>`.
    pub max_tokens: usize,
    /// Clusters per parse-tree leaf (1000): a line is compared with every
    /// cluster of its leaf, so this bounds the work per line. Once a leaf is
    /// full, lines that match none of its clusters join its last one. Real
    /// logs have far fewer templates per length and leading tokens.
    pub max_leaf_clusters: usize,
    /// Groups per cluster before the cluster stops splitting by slot values
    /// (all its slots then count as variables): bounds memory.
    pub max_groups_per_cluster: usize,
}

impl Default for PatternConfig {
    fn default() -> Self {
        PatternConfig {
            similarity: 0.5,
            prefix_tokens: 2,
            max_children: 100,
            enum_values: 3,
            tracked_values: 8,
            max_tokens: 256,
            max_leaf_clusters: 1000,
            max_groups_per_cluster: 256,
        }
    }
}

/// One mined template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    /// Ids are dense, in order of the patterns' first line.
    pub id: u32,
    pub template: String,
    pub count: u64,
}

/// What [`PatternMiner::finish`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patterns {
    pub patterns: Vec<Pattern>,
    /// The pattern id of every line added, in order.
    pub line_pattern: Vec<u32>,
}

/// Value index in a group key for a slot that has too many values.
const MANY: u8 = u8::MAX;

/// One position of a cluster's template.
#[derive(Debug)]
struct Slot {
    /// The template token: a literal, or `prefix<*>suffix` once generalized.
    text: String,
    /// Byte lengths of the kept prefix and suffix of a generalized token.
    pre: usize,
    suf: usize,
    generalized: bool,
    /// The first distinct tokens seen here (at most `tracked_values`).
    values: Vec<Box<str>>,
    /// Set once more than `tracked_values` distinct tokens were seen.
    many: bool,
}

impl Slot {
    fn new(token: &str) -> Slot {
        Slot {
            text: token.to_string(),
            pre: 0,
            suf: 0,
            generalized: false,
            values: vec![token.into()],
            many: false,
        }
    }

    /// Whether `token` agrees with this position. A bare generalized `<*>`
    /// never does (as in Drain: similarity counts only the constant
    /// positions), while `user=<*>` does for any `user=…`.
    fn agrees(&self, token: &str) -> bool {
        if !self.generalized {
            return self.text == token;
        }
        if self.pre == 0 && self.suf == 0 {
            return false;
        }
        token.len() >= self.pre + self.suf
            && token
                .as_bytes()
                .starts_with(&self.text.as_bytes()[..self.pre])
            && token
                .as_bytes()
                .ends_with(&self.text.as_bytes()[self.text.len() - self.suf..])
    }

    /// Widens the template token so that it also covers `token`.
    fn generalize(&mut self, token: &str) {
        if self.generalized && self.pre == 0 && self.suf == 0 {
            return;
        }
        let (pre, suf) = if self.generalized {
            (
                &self.text[..self.pre],
                &self.text[self.text.len() - self.suf..],
            )
        } else {
            (self.text.as_str(), self.text.as_str())
        };
        let p = common_prefix(pre, token);
        let mut s = common_suffix(suf, token);
        // Prefix and suffix must not overlap in the token or the old literal.
        let room = if self.generalized {
            token.len()
        } else {
            token.len().min(self.text.len())
        };
        if p + s > room {
            s = 0;
        }
        let text = format!("{}{WILDCARD}{}", &token[..p], &token[token.len() - s..]);
        self.text = text;
        self.pre = p;
        self.suf = s;
        self.generalized = true;
    }

    /// The index of `token` among the kept values, or [`MANY`].
    fn value_index(&mut self, token: &str, limit: usize) -> u8 {
        if self.many {
            return MANY;
        }
        if let Some(i) = self.values.iter().position(|v| &**v == token) {
            return i as u8;
        }
        if let Some(i) = self.values.iter().position(|v| fits(v, token)) {
            return i as u8;
        }
        if self.values.len() < limit {
            self.values.push(token.into());
            (self.values.len() - 1) as u8
        } else {
            self.many = true;
            self.values = Vec::new();
            MANY
        }
    }
}

/// Whether `line` is an instance of `template` (a mined pattern): it cuts
/// and masks the line as the miner does, and each template token must
/// equal the line's token or stand for it (`<*>` any run of characters).
/// This is how the page finds a pattern's lines (`pattern:"…"` queries).
pub fn matches_template(template: &str, line: &str) -> bool {
    let mut tokens = Vec::new();
    mask::tokenize(
        &header::message(line),
        PatternConfig::default().max_tokens,
        &mut tokens,
    );
    let wanted: Vec<&str> = template.split_whitespace().collect();
    wanted.len() == tokens.len()
        && wanted
            .iter()
            .zip(&tokens)
            .all(|(w, t)| *w == t.as_str() || fits(w, t))
}

/// The tree branch of a leading token: `key=` for a `key=value` token (the
/// value may vary), `<*>` for a token with a digit or a mask (Drain's rule),
/// else the token itself.
fn route_key(token: &str) -> &str {
    if let Some(eq) = token.find('=') {
        if eq > 0 {
            return &token[..=eq];
        }
    }
    if token.contains(WILDCARD) || token.bytes().any(|b| b.is_ascii_digit()) {
        WILDCARD
    } else {
        token
    }
}

/// Whether `token` is an instance of the masked token `pattern`: each `<*>`
/// stands for any run of characters, the empty one included (as in loghub's
/// templates, where `(<*>)` covers `()`). Equal tokens do not count.
fn fits(pattern: &str, token: &str) -> bool {
    if !pattern.contains(WILDCARD) || pattern == token {
        return false;
    }
    let parts: Vec<&str> = pattern.split(WILDCARD).collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if token.len() < first.len() + last.len() || !token.starts_with(first) || !token.ends_with(last)
    {
        return false;
    }
    let mut rest = &token[first.len()..token.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        let Some(at) = rest.find(part) else {
            return false;
        };
        rest = &rest[at + part.len()..];
    }
    true
}

/// Is `c` a place where a kept prefix may end or a kept suffix begin?
/// Punctuation, but not the characters of a `<*>` already in the token.
fn is_cut_char(c: u8) -> bool {
    c.is_ascii_punctuation() && !matches!(c, b'<' | b'*' | b'>')
}

/// Length of the common prefix of `a` and `b`, cut back to just after a
/// punctuation character so a word is never split.
fn common_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let bytes = b.as_bytes();
    let mut cut = n;
    while cut > 0 && !is_cut_char(bytes[cut - 1]) {
        cut -= 1;
    }
    if b[..cut].contains(WILDCARD) {
        return 0;
    }
    cut
}

/// Length of the common suffix, cut back to start at punctuation.
fn common_suffix(a: &str, b: &str) -> usize {
    let n = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let bytes = b.as_bytes();
    let mut cut = n;
    while cut > 0 && !is_cut_char(bytes[bytes.len() - cut]) {
        cut -= 1;
    }
    if b[b.len() - cut..].contains(WILDCARD) {
        return 0;
    }
    cut
}

#[derive(Debug)]
struct Cluster {
    slots: Vec<Slot>,
    lines: u64,
    /// Group id by the value indices of the line's tokens.
    groups: HashMap<Box<[u8]>, u32>,
}

impl Cluster {
    /// Share of positions where `tokens` agrees with the template.
    fn similarity(&self, tokens: &[String]) -> f64 {
        if tokens.is_empty() {
            return 1.0;
        }
        let same = self
            .slots
            .iter()
            .zip(tokens)
            .filter(|(s, t)| s.agrees(t))
            .count();
        same as f64 / tokens.len() as f64
    }
}

#[derive(Debug, Default)]
struct Node {
    children: HashMap<Box<str>, Node>,
    clusters: Vec<u32>,
}

/// A group: lines of one cluster with the same values in its few-valued slots.
#[derive(Debug)]
struct Group {
    cluster: u32,
    key: Box<[u8]>,
    lines: u64,
}

/// The streaming miner. Feed lines with [`add`](Self::add), then
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct PatternMiner {
    config: PatternConfig,
    /// The parse tree, first level by token count.
    roots: HashMap<usize, Node>,
    clusters: Vec<Cluster>,
    groups: Vec<Group>,
    line_group: Vec<u32>,
    tokens: Vec<String>,
    key: Vec<u8>,
}

impl Default for PatternMiner {
    fn default() -> Self {
        PatternMiner::new(PatternConfig::default())
    }
}

impl PatternMiner {
    pub fn new(config: PatternConfig) -> Self {
        let mut config = config;
        // Value indices are bytes, and MANY is reserved.
        config.tracked_values = config.tracked_values.clamp(1, MANY as usize - 1);
        PatternMiner {
            config,
            roots: HashMap::new(),
            clusters: Vec::new(),
            groups: Vec::new(),
            line_group: Vec::new(),
            tokens: Vec::new(),
            key: Vec::new(),
        }
    }

    /// Lines added so far.
    pub fn lines(&self) -> usize {
        self.line_group.len()
    }

    /// Adds one raw line (header and all). Returns the line's group id:
    /// stable, but provisional — [`finish`](Self::finish) maps groups to
    /// patterns, as templates keep evolving while lines arrive.
    pub fn add(&mut self, line: &str) -> u32 {
        let message = header::message(line);
        let mut tokens = std::mem::take(&mut self.tokens);
        mask::tokenize(&message, self.config.max_tokens, &mut tokens);
        let cluster = self.cluster_for(&tokens);
        let group = self.group_for(cluster, &tokens);
        self.tokens = tokens;
        self.line_group.push(group);
        group
    }

    /// Finds or creates the cluster for `tokens` and updates its template.
    fn cluster_for(&mut self, tokens: &[String]) -> u32 {
        let config = &self.config;
        let mut node = self.roots.entry(tokens.len()).or_default();
        let depth = config.prefix_tokens.min(tokens.len().saturating_sub(1));
        for token in &tokens[..depth] {
            let mut key = route_key(token);
            if !node.children.contains_key(key) {
                if node.children.len() >= config.max_children {
                    key = WILDCARD;
                }
                // Allocate the branch name only when the branch is new.
                if !node.children.contains_key(key) {
                    node.children.insert(key.into(), Node::default());
                }
            }
            node = node.children.get_mut(key).expect("branch exists");
        }
        let mut best: Option<(f64, u64, u32)> = None;
        for &id in &node.clusters {
            let c = &self.clusters[id as usize];
            let sim = c.similarity(tokens);
            if best.is_none_or(|(s, n, _)| sim > s || (sim == s && c.lines > n)) {
                best = Some((sim, c.lines, id));
            }
        }
        // A full leaf sends what matches nothing to its last cluster, which
        // then takes anything: linear time whatever the input.
        let full = node.clusters.len() >= config.max_leaf_clusters;
        let best = match (best, node.clusters.last()) {
            (Some((sim, _, _)), Some(&last)) if full && sim < config.similarity => {
                Some((1.0, 0, last))
            }
            _ => best,
        };
        match best {
            Some((sim, _, id)) if sim >= config.similarity => {
                let c = &mut self.clusters[id as usize];
                for (slot, token) in c.slots.iter_mut().zip(tokens) {
                    if !slot.agrees(token) {
                        slot.generalize(token);
                    }
                }
                c.lines += 1;
                id
            }
            _ => {
                let id = self.clusters.len() as u32;
                node.clusters.push(id);
                self.clusters.push(Cluster {
                    slots: tokens.iter().map(|t| Slot::new(t)).collect(),
                    lines: 1,
                    groups: HashMap::new(),
                });
                id
            }
        }
    }

    /// Files the line under its cluster and the values of its slots.
    fn group_for(&mut self, cluster: u32, tokens: &[String]) -> u32 {
        let limit = self.config.tracked_values;
        let c = &mut self.clusters[cluster as usize];
        self.key.clear();
        for (slot, token) in c.slots.iter_mut().zip(tokens) {
            self.key.push(slot.value_index(token, limit));
        }
        if let Some(&g) = c.groups.get(self.key.as_slice()) {
            self.groups[g as usize].lines += 1;
            return g;
        }
        if c.groups.len() >= self.config.max_groups_per_cluster {
            // Too many combinations: stop telling values apart here.
            for slot in c.slots.iter_mut().filter(|s| s.generalized) {
                slot.many = true;
                slot.values = Vec::new();
            }
            self.key.clear();
            self.key
                .extend(c.slots.iter().map(|s| if s.many { MANY } else { 0 }));
            if let Some(&g) = c.groups.get(self.key.as_slice()) {
                self.groups[g as usize].lines += 1;
                return g;
            }
        }
        let g = self.groups.len() as u32;
        let key: Box<[u8]> = self.key.as_slice().into();
        c.groups.insert(key.clone(), g);
        self.groups.push(Group {
            cluster,
            key,
            lines: 1,
        });
        g
    }

    /// The template token of each value of a generalized slot: its shape
    /// when the slot is an enumeration of shapes, else `None` (a variable).
    fn slot_shapes(&self, slot: &Slot, lines: u64) -> Option<Vec<usize>> {
        if slot.many {
            return None;
        }
        // Each value's shape: the first masked value it fits, or itself.
        let shape: Vec<usize> = (0..slot.values.len())
            .map(|j| {
                (0..slot.values.len())
                    .find(|&m| m != j && fits(&slot.values[m], &slot.values[j]))
                    .unwrap_or(j)
            })
            .collect();
        let mut distinct = shape.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let n = distinct.len();
        let enumeration = n >= 2 && n <= self.config.enum_values && lines >= 2 * n as u64;
        let single_masked = n == 1 && slot.values[distinct[0]].contains(WILDCARD);
        (enumeration || single_masked).then_some(shape)
    }

    /// Final template of every group.
    fn group_templates(&self) -> Vec<String> {
        let shapes: Vec<Vec<Option<Vec<usize>>>> = self
            .clusters
            .iter()
            .map(|c| {
                c.slots
                    .iter()
                    .map(|s| {
                        if s.generalized {
                            self.slot_shapes(s, c.lines)
                        } else {
                            None
                        }
                    })
                    .collect()
            })
            .collect();
        self.groups
            .iter()
            .map(|group| {
                let c = &self.clusters[group.cluster as usize];
                let mut out = String::new();
                for (i, slot) in c.slots.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let shaped = shapes[group.cluster as usize][i]
                        .as_ref()
                        .and_then(|shape| shape.get(group.key[i] as usize))
                        .map(|&v| &*slot.values[v]);
                    out.push_str(shaped.unwrap_or(&slot.text));
                }
                out
            })
            .collect()
    }

    /// Resolves every line's final pattern.
    pub fn finish(self) -> Patterns {
        let mut by_template: HashMap<String, u32> = HashMap::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut group_pattern = Vec::with_capacity(self.groups.len());
        // Groups are numbered by first line, so patterns are too.
        let templates = self.group_templates();
        for (group, template) in self.groups.iter().zip(templates) {
            let id = *by_template.entry(template.clone()).or_insert_with(|| {
                patterns.push(Pattern {
                    id: patterns.len() as u32,
                    template,
                    count: 0,
                });
                patterns.len() as u32 - 1
            });
            patterns[id as usize].count += group.lines;
            group_pattern.push(id);
        }
        let line_pattern = self
            .line_group
            .iter()
            .map(|&g| group_pattern[g as usize])
            .collect();
        Patterns {
            patterns,
            line_pattern,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_matches_its_lines_token_by_token() {
        let t = "Failed password for <*> from <*> port <*> ssh2";
        let line = "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for root from 5.36.59.76 port 42393 ssh2";
        assert!(matches_template(t, line));
        // One `<*>` is one token: the longer "invalid user" line is another pattern.
        let near = "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 5.36.59.76 port 42393 ssh2";
        assert!(!matches_template(t, near));
        assert!(matches_template(
            "session opened for user=<*>",
            "session opened for user=bob"
        ));
        assert!(!matches_template(
            "session opened for user=<*>",
            "session closed for user=bob"
        ));
    }

    fn mine(lines: &[&str]) -> Patterns {
        let mut m = PatternMiner::default();
        for l in lines {
            m.add(l);
        }
        m.finish()
    }

    fn template_of(p: &Patterns, line: usize) -> &str {
        &p.patterns[p.line_pattern[line] as usize].template
    }

    #[test]
    fn drain_generalizes_variables() {
        let p = mine(&[
            "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 1.2.3.4 port 22 ssh2",
            "Dec 10 06:55:47 LabSZ sshd[24201]: Failed password for admin from 5.6.7.8 port 23 ssh2",
            "Dec 10 06:55:48 LabSZ sshd[24202]: Failed password for oracle from 5.6.7.8 port 24 ssh2",
            "Dec 10 06:55:49 LabSZ sshd[24203]: Failed password for guest from 5.6.7.8 port 25 ssh2",
            "Dec 10 06:55:50 LabSZ sshd[24204]: Failed password for test from 5.6.7.8 port 26 ssh2",
        ]);
        assert_eq!(p.patterns.len(), 1);
        assert_eq!(
            p.patterns[0].template,
            "Failed password for <*> from <*> port <*> ssh2"
        );
        assert_eq!(p.patterns[0].count, 5);
        assert_eq!(p.line_pattern, [0; 5]);
    }

    #[test]
    fn few_valued_words_stay_apart() {
        let mut lines = Vec::new();
        for _ in 0..3 {
            lines.push("Jun 14 15:16:01 combo cupsd: cupsd startup succeeded");
            lines.push("Jun 14 15:16:02 combo cupsd: cupsd shutdown succeeded");
        }
        let p = mine(&lines);
        assert_eq!(p.patterns.len(), 2);
        assert_eq!(template_of(&p, 0), "cupsd startup succeeded");
        assert_eq!(template_of(&p, 1), "cupsd shutdown succeeded");
    }

    #[test]
    fn generalized_tokens_keep_their_punctuation() {
        let p = mine(&[
            "auth failure; ruser= rhost=host-a.example.com user=alice",
            "auth failure; ruser= rhost=other.example.org user=bob",
            "auth failure; ruser= rhost=third.example.net user=carol",
            "auth failure; ruser= rhost=fourth.example.de user=dave",
        ]);
        assert_eq!(p.patterns.len(), 1);
        assert_eq!(
            p.patterns[0].template,
            "auth failure; ruser= rhost=<*> user=<*>"
        );
    }

    #[test]
    fn masked_shapes_cover_their_instances_and_empty_values() {
        let mut lines = Vec::new();
        for name in [
            "4.3.2.1.example.net",
            "",
            "example.com",
            "host8.x.org",
            "",
            "x.org",
        ] {
            lines.push(format!("connection from 1.2.3.4 ({name}) at 10:00"));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let p = mine(&refs);
        assert_eq!(p.patterns.len(), 1, "{:?}", p.patterns);
    }

    #[test]
    fn a_full_leaf_stays_bounded() {
        let mut m = PatternMiner::new(PatternConfig {
            max_leaf_clusters: 10,
            ..PatternConfig::default()
        });
        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
        for i in 0..500 {
            let a = words[i % 6];
            let b = words[(i / 6) % 6];
            let c = words[(i / 36) % 6];
            m.add(&format!("same start {a}{b} {b}{c} {c}{a} {a}{c}"));
        }
        assert!(m.clusters.len() <= 10);
        let p = m.finish();
        assert_eq!(p.line_pattern.len(), 500);
    }

    #[test]
    fn every_line_gets_a_pattern() {
        let p = mine(&["", "   ", "a", "a b", "x"]);
        assert_eq!(p.line_pattern.len(), 5);
        let total: u64 = p.patterns.iter().map(|p| p.count).sum();
        assert_eq!(total, 5);
        for (i, pat) in p.patterns.iter().enumerate() {
            assert_eq!(pat.id as usize, i);
        }
    }
}
