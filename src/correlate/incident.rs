//! Incidents: findings joined by shared entities within a time gap, scored
//! and told in time order.

use super::{clock, tactic, Correlator, Entity, Fact, CODE_RULES, GAP_NS};
use crate::detect::Finding;
use crate::ingest::time::format_rfc3339;
use crate::report::{EvidenceRef, Incident, StoryLine};
use std::collections::{BTreeSet, HashMap};

/// Most entities listed per incident.
const MAX_INCIDENT_ENTITIES: usize = 40;
/// Most evidence references per story line.
const MAX_LINE_EVIDENCE: usize = 16;

fn level_rank(level: &str) -> u8 {
    match level {
        "informational" => 0,
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "critical" => 4,
        _ => 2,
    }
}

const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

fn level_weight(rank: u8) -> u32 {
    [1, 3, 6, 10, 15][rank.min(4) as usize]
}

struct Dsu(Vec<usize>);

impl Dsu {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        // The smaller index (earlier finding) stays the root: deterministic.
        if a < b {
            self.0[b] = a;
        } else if b < a {
            self.0[a] = b;
        }
    }
}

/// Whether a group of findings makes an incident: two different rules, at
/// least one of them medium or worse, resting on at least two records; or
/// one critical finding. A lone rule firing (however often) is a finding,
/// not an incident, and so is a lone record however many rules describe
/// it; low findings alone (routine administration worth a line among the
/// findings, like sudo or a Falco notice) do not make one either.
fn qualifies(findings: &[&Finding]) -> bool {
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    let records: BTreeSet<(u32, u64)> = findings
        .iter()
        .flat_map(|f| f.evidence.iter().map(|e| (e.input, e.line)))
        .collect();
    let worst = findings
        .iter()
        .map(|f| level_rank(&f.level))
        .max()
        .unwrap_or(0);
    (rules.len() >= 2 && records.len() >= 2 && worst >= 2) || worst >= 4
}

/// Whether a finding takes part in incidents. Informational findings record
/// activity (a change by a person not yet in the allow-list, a login, a
/// listing): they neither link findings nor join an incident.
fn takes_part(f: &Finding) -> bool {
    level_rank(&f.level) >= 1
}

/// Whether a finding rests on several records (a Sigma or code
/// correlation): it marks a point in a run of actions rather than a kind
/// of action, so it does not break a run of like actions in the story.
fn summarises(f: &Finding) -> bool {
    f.evidence.len() > 1
}

/// The incidents of a finished analysis. `findings` is the analysis's final
/// (sorted) list, `paths` its inputs' paths by index.
pub fn build_incidents(c: &Correlator, findings: &[Finding], paths: &[String]) -> Vec<Incident> {
    let path = |i: u32| paths.get(i as usize).cloned().unwrap_or_default();
    // Time order, then place (path, line), then rule: independent of the
    // order inputs were read in.
    let mut order: Vec<usize> = (0..findings.len())
        .filter(|&i| takes_part(&findings[i]))
        .collect();
    let sort_key = |i: &usize| {
        let f = &findings[*i];
        let at = f.evidence.first().map(|e| (path(e.input), e.line));
        (f.time_ns.unwrap_or(i64::MAX), at, f.rule_id.clone())
    };
    order.sort_by_cached_key(sort_key);

    let facts: Vec<Option<&Fact>> = findings.iter().map(|f| c.fact(f)).collect();
    let links: Vec<Vec<Entity>> = facts
        .iter()
        .map(|f| f.map(|f| c.expand(&f.entities)).unwrap_or_default())
        .collect();

    let mut dsu = Dsu((0..findings.len()).collect());
    let mut last: HashMap<&Entity, (usize, i64)> = HashMap::new();
    for &i in &order {
        let Some(t) = findings[i].time_ns else {
            continue;
        };
        for e in &links[i] {
            if let Some(&(j, tj)) = last.get(e) {
                if t - tj <= GAP_NS {
                    dsu.union(i, j);
                }
            }
            last.insert(e, (i, t));
        }
    }

    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for &i in &order {
        let root = dsu.find(i);
        let g = *group_of.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }

    let mut incidents: Vec<Incident> = Vec::new();
    for members in groups {
        let fs: Vec<&Finding> = members.iter().map(|&i| &findings[i]).collect();
        if !qualifies(&fs) {
            continue;
        }
        incidents.push(incident(c, findings, &members, &facts, &links, &path));
    }
    // `groups` is already in first-seen order; number them.
    for (n, inc) in incidents.iter_mut().enumerate() {
        inc.id = format!("INC-{:03}", n + 1);
    }
    incidents
}

fn incident(
    _c: &Correlator,
    findings: &[Finding],
    members: &[usize],
    facts: &[Option<&Fact>],
    links: &[Vec<Entity>],
    path: &dyn Fn(u32) -> String,
) -> Incident {
    // Severity: the worst level of each distinct rule.
    let mut per_rule: HashMap<&str, u8> = HashMap::new();
    let mut tactics: BTreeSet<String> = BTreeSet::new();
    let mut entities: Vec<Entity> = Vec::new();
    for &i in members {
        let f = &findings[i];
        let r = per_rule.entry(f.rule_id.as_str()).or_default();
        *r = (*r).max(level_rank(&f.level));
        for t in &f.techniques {
            if let Some(tac) = tactic(t) {
                tactics.insert(tac.to_string());
            }
        }
        if let Some(fact) = facts[i] {
            tactics.extend(fact.tactics.iter().cloned());
        }
        for e in &links[i] {
            if !entities.contains(e) {
                entities.push(e.clone());
            }
        }
    }
    crate::sort::by(&mut entities, |a, b| {
        a.rank().cmp(&b.rank()).then_with(|| a.cmp(b))
    });
    let breadth = entities.len();
    entities.truncate(MAX_INCIDENT_ENTITIES);
    let max_rank = per_rule.values().copied().max().unwrap_or(0);
    let severity: u32 = per_rule.values().map(|r| level_weight(*r)).sum();
    let score =
        severity.min(50) + (tactics.len() as u32 * 6).min(30) + (breadth as u32 * 2).min(20);
    let mut rank = max_rank;
    if tactics.len() >= 3 && rank < 3 {
        rank = 3;
    }

    let times: Vec<i64> = members
        .iter()
        .filter_map(|&i| findings[i].time_ns)
        .collect();
    let story = story(findings, members, facts, path);
    Incident {
        id: String::new(),
        score: score.min(100),
        level: LEVELS[rank as usize].to_string(),
        findings: {
            let mut m = members.to_vec();
            m.sort_unstable();
            m
        },
        narrative: story.iter().map(|l| l.text.clone()).collect(),
        first_seen: times.iter().min().copied().map(format_rfc3339),
        last_seen: times.iter().max().copied().map(format_rfc3339),
        entities,
        tactics: tactics.into_iter().collect(),
        story,
    }
}

/// One sentence per record (the findings that fired on the same line are
/// told together), consecutive sentences of the same actor doing the same
/// kind of thing folded into one.
fn story(
    findings: &[Finding],
    members: &[usize],
    facts: &[Option<&Fact>],
    path: &dyn Fn(u32) -> String,
) -> Vec<StoryLine> {
    struct Line {
        time: Option<i64>,
        key: (String, Option<String>, Option<String>, Vec<String>),
        text: String,
        titles: Vec<String>,
        findings: Vec<usize>,
        evidence: Vec<EvidenceRef>,
        more: usize,
        until: Option<i64>,
    }
    // Group by the record the findings fired on.
    type Place = Option<(u32, u64)>;
    let mut by_record: Vec<(Place, Vec<usize>)> = Vec::new();
    for &i in members {
        let at = facts[i].map(|f| (f.at.input, f.at.line));
        match by_record.iter_mut().find(|(a, _)| a.is_some() && *a == at) {
            Some((_, v)) => v.push(i),
            None => by_record.push((at, vec![i])),
        }
    }
    let mut lines: Vec<Line> = Vec::new();
    for (_, group) in by_record {
        // A code correlation writes its own sentence about the record (what
        // it joined it to): it tells the record best.
        let first = group
            .iter()
            .copied()
            .find(|&i| CODE_RULES.iter().any(|r| r.id == findings[i].rule_id))
            .unwrap_or(group[0]);
        let f = &findings[first];
        let fact = facts[first];
        let mut titles: Vec<String> = Vec::new();
        // Titles of the findings about this record alone: with the action,
        // what decides whether consecutive records fold into one sentence.
        let mut own_titles: Vec<String> = Vec::new();
        let mut evidence: Vec<EvidenceRef> = Vec::new();
        for &i in &group {
            if !titles.contains(&findings[i].title) {
                titles.push(findings[i].title.clone());
            }
            if !summarises(&findings[i]) && !own_titles.contains(&findings[i].title) {
                own_titles.push(findings[i].title.clone());
            }
            for e in &findings[i].evidence {
                let r = EvidenceRef {
                    path: path(e.input),
                    line: e.line,
                };
                if !evidence.contains(&r) && evidence.len() < MAX_LINE_EVIDENCE {
                    evidence.push(r);
                }
            }
        }
        let (actor, ip, what, class) = match fact {
            Some(fact) => (
                fact.action.actor.clone(),
                fact.action.ip.clone(),
                fact.action.text.clone(),
                fact.action.class.clone(),
            ),
            None => (None, None, f.title.to_lowercase(), f.rule_id.clone()),
        };
        if own_titles.is_empty() {
            own_titles = titles.clone();
        }
        crate::sort::ascending(&mut own_titles);
        let key = (class, actor.clone(), ip.clone(), own_titles);
        if let Some(prev) = lines.last_mut() {
            if prev.key == key {
                prev.more += 1;
                prev.until = f.time_ns;
                prev.findings.extend(group.iter().copied());
                for t in titles {
                    if !prev.titles.contains(&t) {
                        prev.titles.push(t);
                    }
                }
                for r in evidence {
                    if !prev.evidence.contains(&r) && prev.evidence.len() < MAX_LINE_EVIDENCE {
                        prev.evidence.push(r);
                    }
                }
                continue;
            }
        }
        let mut text = String::new();
        if let Some(t) = f.time_ns {
            text.push_str(&clock(t));
            text.push_str(" — ");
        }
        match (&actor, &ip) {
            (Some(a), Some(ip)) => text.push_str(&format!("{a}, from {ip}, {what}")),
            (Some(a), None) => text.push_str(&format!("{a} {what}")),
            (None, _) => {
                let mut w = what.clone();
                if let Some(c) = w.get(..1) {
                    let upper = c.to_uppercase();
                    w.replace_range(..1, &upper);
                }
                text.push_str(&w);
            }
        }
        lines.push(Line {
            time: f.time_ns,
            key,
            text,
            titles,
            findings: group,
            evidence,
            more: 0,
            until: None,
        });
    }
    lines
        .into_iter()
        .map(|l| {
            let mut text = l.text;
            if l.more > 0 {
                let until = l
                    .until
                    .map(|t| format!(" until {}", clock(t)))
                    .unwrap_or_default();
                text.push_str(&format!(", and {} more like it{until}", l.more));
            }
            text.push_str(&format!(" [{}]", l.titles.join("; ")));
            let mut idx = l.findings.clone();
            idx.sort_unstable();
            StoryLine {
                time: l.time.map(format_rfc3339),
                text,
                finding: l.findings[0],
                findings: idx,
                evidence: l.evidence,
            }
        })
        .collect()
}
