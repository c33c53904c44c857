//! A finished analysis kept to answer the page's questions (the worker side
//! of [`crate::protocol::ToWorker`]), written without browser types so it
//! is tested natively. Re-reading raw records needs the input bytes, which
//! only the worker holds: it answers [`ToWorker::Raw`] itself.

use crate::analysis::Analysis;
use crate::hunt::{self, draft::DraftSource};
use crate::ingest::time::format_rfc3339;
use crate::protocol::{Answer, ToWorker};
use crate::store::query::{self, term};
use crate::store::{Field, LaneKeys, StackField, Store};
use std::rc::Rc;

/// Rows returned per request at most.
pub const MAX_ROWS: usize = 1000;
/// Evidence events listed per finding at most.
pub const MAX_EVIDENCE: usize = 50;

pub struct Session {
    analysis: Analysis,
    /// Whether the events are loaded (not for a case opened from a file).
    logs: bool,
    /// The last query and its matches, so paging costs nothing.
    cache: Option<(String, Rc<Vec<u32>>)>,
    /// The last swimlanes' values by (query, field, top), so panning and
    /// zooming only bin.
    lane_keys: Option<((String, String, usize), LaneKeys)>,
    empty: Store,
}

impl Session {
    /// `analysis` must be finished; without a store every answer is empty.
    pub fn new(analysis: Analysis) -> Self {
        Session {
            analysis,
            logs: true,
            cache: None,
            lane_keys: None,
            empty: Store::new(),
        }
    }

    /// A case opened from a saved file, without its logs: rule
    /// documentation, hunts and drafts are answered, questions about events
    /// are not. (The page holds the saved report; the tools worker renders
    /// its exports.)
    pub fn without_logs() -> Self {
        let mut analysis = Analysis::new(&crate::detect::builtin_sources());
        analysis.finish();
        Session {
            logs: false,
            ..Session::new(analysis)
        }
    }

    /// Whether the case's events are loaded (false for a saved case).
    pub fn has_logs(&self) -> bool {
        self.logs
    }

    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    pub fn store(&self) -> &Store {
        self.analysis.store().unwrap_or(&self.empty)
    }

    /// Matches of `q` in time order, from the cache when it is the last query.
    pub fn matches(&mut self, q: &str) -> Result<Rc<Vec<u32>>, query::QueryError> {
        let q = q.trim();
        if let Some((last, ids)) = &self.cache {
            if last == q {
                return Ok(ids.clone());
            }
        }
        let ids = Rc::new(self.store().run(q)?);
        self.cache = Some((q.to_string(), ids.clone()));
        Ok(ids)
    }

    pub fn answer(&mut self, request: &ToWorker) -> Answer {
        match request {
            ToWorker::Rule { rule_id } => {
                return Answer::Rule {
                    info: self.analysis.rule(rule_id).cloned().map(Box::new),
                }
            }
            ToWorker::Hunts => {
                return Answer::Hunts {
                    hunts: hunt::notebook::builtin_hunts(),
                }
            }
            ToWorker::Draft {
                title,
                format,
                fields,
                template,
            } => {
                let source = match template {
                    Some(t) => DraftSource::Pattern(t.clone()),
                    None => DraftSource::Fields(fields.clone()),
                };
                return match hunt::draft::sigma_draft(title, format, &source) {
                    Ok(text) => Answer::Draft { text },
                    Err(e) => error(&e),
                };
            }
            _ if !self.logs => return error(NO_LOGS),
            _ => {}
        }
        match request {
            ToWorker::Query { q, offset, limit } => match self.matches(q) {
                Ok(ids) => self.rows(q, &ids, *offset, *limit),
                Err(e) => bad_query(e),
            },
            ToWorker::Histogram {
                q,
                from,
                to,
                buckets,
                stack_by,
            } => match self.matches(q) {
                Ok(ids) => {
                    let (from, to) = self.range(*from, *to);
                    let store = self.store();
                    Answer::Histogram {
                        histogram: store.histogram(&ids, from, to, *buckets, *stack_by),
                        span: store.span(),
                    }
                }
                Err(e) => bad_query(e),
            },
            ToWorker::Lanes {
                q,
                field,
                top,
                from,
                to,
                buckets,
            } => {
                let Some(by) = StackField::parse(field) else {
                    return error(&format!("cannot draw lanes by `{field}`"));
                };
                match self.matches(q) {
                    Ok(ids) => {
                        let (from, to) = self.range(*from, *to);
                        let key = (q.trim().to_string(), field.clone(), *top);
                        let keys = match self.lane_keys.take() {
                            Some((k, keys)) if k == key => keys,
                            _ => self.store().lane_keys(by, &ids, *top),
                        };
                        let lanes = self.store().lanes(&keys, &ids, from, to, *buckets);
                        self.lane_keys = Some((key, keys));
                        Answer::Lanes {
                            field: field.clone(),
                            lanes,
                        }
                    }
                    Err(e) => bad_query(e),
                }
            }
            ToWorker::Stacks { q, fields, top } => match self.matches(q) {
                Ok(ids) => {
                    let store = self.store();
                    let mut out = Vec::new();
                    for name in fields {
                        let Some(f) = StackField::parse(name) else {
                            return error(&format!("cannot count by `{name}`"));
                        };
                        out.push((name.clone(), store.stack(f, &ids, (*top).min(MAX_ROWS))));
                    }
                    Answer::Stacks {
                        total: ids.len(),
                        span: store.span(),
                        fields: out,
                    }
                }
                Err(e) => bad_query(e),
            },
            ToWorker::Evidence { finding } => {
                let Some(f) = self.analysis.findings().get(*finding) else {
                    return error(&format!("no finding #{finding}"));
                };
                let store = self.store();
                let ids: Vec<u32> = f
                    .evidence
                    .iter()
                    .take(MAX_EVIDENCE)
                    .filter_map(|e| store.find(e.input, e.line))
                    .collect();
                Answer::Rows {
                    q: String::new(),
                    total: f.evidence.len(),
                    offset: 0,
                    rows: ids.iter().map(|&i| store.row(i)).collect(),
                }
            }
            ToWorker::Surrounding { finding, minutes } => {
                let Some(q) = self.surrounding_query(*finding, *minutes) else {
                    return error(
                        "this finding has no event with an identity, pod or time to look around",
                    );
                };
                match self.matches(&q) {
                    Ok(ids) => self.rows(&q, &ids, 0, MAX_ROWS),
                    Err(e) => bad_query(e),
                }
            }
            ToWorker::HuntStack { q, by, limit } => {
                let fields = match hunt::stack::parse_fields(&by.join(",")) {
                    Ok(f) => f,
                    Err(e) => return error(&e),
                };
                match self.matches(q) {
                    Ok(ids) => Answer::HuntStack {
                        stack: hunt::stack::stack(self.store(), &fields, &ids, q, *limit),
                    },
                    Err(e) => bad_query(e),
                }
            }
            ToWorker::Baseline { q, limit } => match self.matches(q) {
                Ok(ids) => Answer::Baseline {
                    baseline: hunt::baseline::baseline(self.store(), &ids, *limit),
                },
                Err(e) => bad_query(e),
            },
            ToWorker::Patterns { q, bins, limit } => match self.matches(q) {
                Ok(ids) => Answer::Patterns {
                    patterns: hunt::patterns::message_patterns(self.store(), &ids, *bins, *limit),
                },
                Err(e) => bad_query(e),
            },
            ToWorker::RunHunt { hunt } => match hunt::notebook::run_hunt(self.store(), hunt) {
                Ok(result) => Answer::HuntResult { result },
                Err(e) => error(&e),
            },
            ToWorker::Raw { .. } => error("raw records are read by the worker"),
            // Answered above.
            ToWorker::Hunts | ToWorker::Draft { .. } => error("answered without logs"),
            ToWorker::Rule { rule_id } => Answer::Rule {
                info: self.analysis.rule(rule_id).cloned().map(Box::new),
            },
        }
    }

    /// A chart's time range: `from`/`to` default to the case's span.
    fn range(&self, from: Option<i64>, to: Option<i64>) -> (i64, i64) {
        let (lo, hi) = self.store().span().map_or((0, 1), |(a, b)| (a, b + 1));
        let from = from.unwrap_or(lo);
        (from, to.unwrap_or(hi).max(from + 1))
    }

    /// `user:X` (or `pod:X`) within ± `minutes` of the finding's first evidence.
    pub fn surrounding_query(&self, finding: usize, minutes: i64) -> Option<String> {
        let f = self.analysis.findings().get(finding)?;
        let store = self.store();
        let ev = f.evidence.iter().find_map(|e| store.find(e.input, e.line));
        let time = ev.and_then(|i| store.time(i)).or(f.time_ns)?;
        let who = ev.and_then(|i| {
            [
                ("user", Field::User),
                ("pod", Field::Pod),
                ("ip", Field::SourceIp),
            ]
            .into_iter()
            .find_map(|(name, field)| {
                let v = store.value(field, i);
                (!v.is_empty()).then(|| term(name, v))
            })
        });
        let span = minutes.clamp(0, 24 * 60) * 60_000_000_000;
        let mut q = who.unwrap_or_default();
        q.push_str(&format!(
            " after:{} before:{}",
            format_rfc3339(time - span),
            format_rfc3339(time + span + 1)
        ));
        Some(q.trim().to_string())
    }

    fn rows(&self, q: &str, ids: &[u32], offset: usize, limit: usize) -> Answer {
        let store = self.store();
        let end = offset.saturating_add(limit.min(MAX_ROWS)).min(ids.len());
        let start = offset.min(end);
        Answer::Rows {
            q: q.to_string(),
            total: ids.len(),
            offset: start,
            rows: ids[start..end].iter().map(|&i| store.row(i)).collect(),
        }
    }
}

/// The answer to questions about events of a case opened from a file.
pub const NO_LOGS: &str = "The logs of this case are not loaded (it was opened from a case file, which holds the report but no raw logs): add the log files to query events.";

fn error(message: &str) -> Answer {
    Answer::Error {
        message: message.to_string(),
        column: None,
    }
}

fn bad_query(e: query::QueryError) -> Answer {
    Answer::Error {
        message: format!("Query not understood at {e}"),
        column: Some(e.column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::time::YearResolver;

    fn sample() -> Session {
        let mut a = Analysis::new(&crate::detect::builtin_sources()).with_store();
        a.set_years(YearResolver::with_year(crate::generate::YEAR));
        for f in crate::generate::generate("anonymous-to-admin", 1).unwrap() {
            a.open(&f.path, None);
            a.push(&f.bytes);
            a.close();
        }
        a.finish();
        Session::new(a)
    }

    #[test]
    fn answers_queries_histograms_evidence_and_surroundings() {
        let mut s = sample();
        let total = s.store().len();
        let Answer::Rows { total: n, rows, .. } = s.answer(&ToWorker::Query {
            q: String::new(),
            offset: 10,
            limit: 5,
        }) else {
            panic!("rows")
        };
        assert_eq!((n, rows.len()), (total, 5));
        let Answer::Error { column, message } = s.answer(&ToWorker::Query {
            q: "verb:get bogus:1".into(),
            offset: 0,
            limit: 5,
        }) else {
            panic!("error")
        };
        assert_eq!(column, Some(10));
        assert!(message.contains("bogus"), "{message}");
        let Answer::Histogram { histogram, span } = s.answer(&ToWorker::Histogram {
            q: String::new(),
            from: None,
            to: None,
            buckets: 50,
            stack_by: Default::default(),
        }) else {
            panic!("histogram")
        };
        assert!(span.is_some());
        let charted: u32 = histogram.series.iter().flat_map(|s| &s.counts).sum();
        assert_eq!(charted as u64, histogram.total);
        assert!(histogram.total > 500);
        assert!(!s.analysis().findings().is_empty());
        let Answer::Rows { rows, .. } = s.answer(&ToWorker::Evidence { finding: 0 }) else {
            panic!("evidence")
        };
        assert!(!rows.is_empty());
        let q = s.surrounding_query(0, 5).unwrap();
        assert!(q.contains("after:") && q.contains("before:"), "{q}");
        let Answer::Rows { rows, .. } = s.answer(&ToWorker::Surrounding {
            finding: 0,
            minutes: 5,
        }) else {
            panic!("surrounding")
        };
        assert!(!rows.is_empty(), "{q}");
        let Answer::Stacks { fields, .. } = s.answer(&ToWorker::Stacks {
            q: String::new(),
            fields: vec!["user".into(), "ip".into(), "format".into()],
            top: 5,
        }) else {
            panic!("stacks")
        };
        assert_eq!(fields.len(), 3);
        assert!(!fields[0].1.is_empty());
    }

    #[test]
    fn answers_lanes_for_the_selection() {
        let mut s = sample();
        let Answer::Lanes { field, lanes } = s.answer(&ToWorker::Lanes {
            q: "verb:create,delete,patch".into(),
            field: "user".into(),
            top: 6,
            from: None,
            to: None,
            buckets: 40,
        }) else {
            panic!("lanes")
        };
        assert_eq!(field, "user");
        assert!(!lanes.lanes.is_empty() && lanes.lanes.len() <= 6);
        for lane in &lanes.lanes {
            assert_eq!(lane.counts.len(), 40);
            // Over the whole span every event of the lane is in a bucket.
            assert_eq!(lane.counts.iter().sum::<u32>() as u64, lane.total);
        }
        assert!(lanes.lanes.windows(2).all(|w| w[0].total >= w[1].total));
        // Zoomed in: the same lanes (from the cache), binned over less time.
        let Answer::Lanes { lanes: zoomed, .. } = s.answer(&ToWorker::Lanes {
            q: "verb:create,delete,patch ".into(),
            field: "user".into(),
            top: 6,
            from: Some(lanes.from),
            to: Some(lanes.from + lanes.width * 10),
            buckets: 40,
        }) else {
            panic!("zoomed lanes")
        };
        for (a, b) in lanes.lanes.iter().zip(&zoomed.lanes) {
            assert_eq!((&a.name, a.total), (&b.name, b.total));
            let early: u32 = a.counts[..10].iter().sum();
            assert_eq!(b.counts.iter().sum::<u32>(), early, "{}", a.name);
        }
        for (field, q) in [("user", "bogus:1"), ("after", "")] {
            let answer = s.answer(&ToWorker::Lanes {
                q: q.into(),
                field: field.into(),
                top: 3,
                from: None,
                to: None,
                buckets: 10,
            });
            assert!(matches!(answer, Answer::Error { .. }), "{field} {q}");
        }
    }

    #[test]
    fn answers_hunting_questions() {
        let mut s = sample();
        let Answer::HuntStack { stack } = s.answer(&ToWorker::HuntStack {
            q: "user:system:anonymous".into(),
            by: vec!["ip".into()],
            limit: 5,
        }) else {
            panic!("stack")
        };
        assert!(stack.rows.iter().any(|r| r.values == ["203.0.113.7"]));
        assert!(stack.rows.windows(2).all(|w| w[0].count <= w[1].count));
        let Answer::Baseline { baseline } = s.answer(&ToWorker::Baseline {
            q: String::new(),
            limit: 5,
        }) else {
            panic!("baseline")
        };
        assert!(baseline
            .anomalies
            .iter()
            .any(|a| a.entity == "system:anonymous"));
        assert_eq!(baseline.profiles.len(), 5);
        let Answer::Patterns { patterns } = s.answer(&ToWorker::Patterns {
            q: String::new(),
            bins: 30,
            limit: 10,
        }) else {
            panic!("patterns")
        };
        assert_eq!(patterns.patterns.len(), 10);
        assert_eq!(patterns.patterns[0].bins.len(), 30);
        let Answer::Hunts { hunts } = s.answer(&ToWorker::Hunts) else {
            panic!("hunts")
        };
        let Answer::HuntResult { result } = s.answer(&ToWorker::RunHunt {
            hunt: hunts[0].clone(),
        }) else {
            panic!("run")
        };
        assert!(result.matches > 0);
        let Answer::Draft { text } = s.answer(&ToWorker::Draft {
            title: "x".into(),
            format: "k8s-audit".into(),
            fields: vec![("user".into(), "system:anonymous".into())],
            template: None,
        }) else {
            panic!("draft")
        };
        assert!(text.contains("user.username"), "{text}");
        assert!(matches!(
            s.answer(&ToWorker::HuntStack {
                q: String::new(),
                by: vec!["nope".into()],
                limit: 5
            }),
            Answer::Error { .. }
        ));
    }

    #[test]
    fn explains_rules_with_and_without_logs() {
        let mut s = sample();
        let rule_id = s.analysis().findings()[0].rule_id.clone();
        let Answer::Rule { info: Some(info) } = s.answer(&ToWorker::Rule {
            rule_id: rule_id.clone(),
        }) else {
            panic!("rule")
        };
        assert!(!info.title.is_empty());

        let mut opened = Session::without_logs();
        let Answer::Error { message, .. } = opened.answer(&ToWorker::Query {
            q: String::new(),
            offset: 0,
            limit: 5,
        }) else {
            panic!("no logs")
        };
        assert_eq!(message, NO_LOGS);
        assert!(matches!(
            opened.answer(&ToWorker::Rule { rule_id }),
            Answer::Rule { info: Some(_) }
        ));
    }
}
