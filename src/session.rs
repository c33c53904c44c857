//! A finished analysis kept to answer the page's questions (the worker side
//! of [`crate::protocol::ToWorker`]), written without browser types so it
//! is tested natively. Re-reading raw records needs the input bytes, which
//! only the worker holds: it answers [`ToWorker::Raw`] itself.

use crate::analysis::Analysis;
use crate::ingest::time::format_rfc3339;
use crate::protocol::{Answer, ToWorker};
use crate::store::query::{self, term};
use crate::store::{Field, StackField, Store};
use std::rc::Rc;

/// Rows returned per request at most.
pub const MAX_ROWS: usize = 1000;
/// Evidence events listed per finding at most.
pub const MAX_EVIDENCE: usize = 50;

pub struct Session {
    analysis: Analysis,
    /// The last query and its matches, so paging costs nothing.
    cache: Option<(String, Rc<Vec<u32>>)>,
    empty: Store,
}

impl Session {
    /// `analysis` must be finished; without a store every answer is empty.
    pub fn new(analysis: Analysis) -> Self {
        Session {
            analysis,
            cache: None,
            empty: Store::new(),
        }
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
                    let store = self.store();
                    let span = store.span();
                    let (lo, hi) = span.map_or((0, 1), |(a, b)| (a, b + 1));
                    let from = from.unwrap_or(lo);
                    let to = to.unwrap_or(hi).max(from + 1);
                    Answer::Histogram {
                        histogram: store.histogram(&ids, from, to, *buckets, *stack_by),
                        span,
                    }
                }
                Err(e) => bad_query(e),
            },
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
            ToWorker::Raw { .. } => error("raw records are read by the worker"),
        }
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
}
