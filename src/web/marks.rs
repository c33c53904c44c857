//! What the timeline marks beside the event counts — findings (triangles),
//! incidents (bars from first to last seen) and gaps in logging (shaded
//! spans) — taken from the report once per case, and what lies under the
//! pointer (for the tooltip and for clicks). Titles are log-derived text:
//! they reach the page only as text content.

use crate::ingest::time::parse_rfc3339;
use crate::report::Report;

pub struct FindingMark {
    pub time: i64,
    pub level: String,
    /// Index into the report's findings.
    pub index: usize,
    pub title: String,
}

pub struct IncidentMark {
    pub from: i64,
    pub to: i64,
    pub level: String,
    /// Index into the report's incidents.
    pub index: usize,
    pub id: String,
    pub findings: usize,
}

pub struct GapMark {
    pub from: i64,
    pub to: i64,
    pub input: String,
    pub seconds: u64,
}

#[derive(Default)]
pub struct Marks {
    pub findings: Vec<FindingMark>,
    pub incidents: Vec<IncidentMark>,
    pub gaps: Vec<GapMark>,
}

/// What a click on the marker band picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Finding(usize),
    Incident(usize),
}

impl Marks {
    pub fn new(report: &Report) -> Self {
        let findings = report
            .findings
            .iter()
            .enumerate()
            .filter_map(|(index, f)| {
                Some(FindingMark {
                    time: parse_rfc3339(f.time.as_deref()?)?,
                    level: f.level.clone(),
                    index,
                    title: f.title.clone(),
                })
            })
            .collect();
        let incidents = report
            .incidents
            .iter()
            .enumerate()
            .filter_map(|(index, inc)| {
                let from = parse_rfc3339(inc.first_seen.as_deref()?)?;
                let to = inc
                    .last_seen
                    .as_deref()
                    .and_then(parse_rfc3339)
                    .unwrap_or(from);
                Some(IncidentMark {
                    from,
                    to: to.max(from),
                    level: inc.level.clone(),
                    index,
                    id: inc.id.clone(),
                    findings: inc.findings.len(),
                })
            })
            .collect();
        let gaps = report
            .inputs
            .iter()
            .flat_map(|i| i.integrity.gaps.iter().map(move |g| (i, g)))
            .filter_map(|(i, g)| {
                Some(GapMark {
                    from: parse_rfc3339(&g.from)?,
                    to: parse_rfc3339(&g.to)?,
                    input: i.path.clone(),
                    seconds: g.seconds,
                })
            })
            .collect();
        Marks {
            findings,
            incidents,
            gaps,
        }
    }

    /// Findings whose time is within `[t0, t1]`.
    pub fn findings_in(&self, t0: i64, t1: i64) -> impl Iterator<Item = &FindingMark> {
        self.findings
            .iter()
            .filter(move |f| f.time >= t0 && f.time <= t1)
    }

    /// Incidents whose span meets `[t0, t1]`.
    pub fn incidents_in(&self, t0: i64, t1: i64) -> impl Iterator<Item = &IncidentMark> {
        self.incidents
            .iter()
            .filter(move |i| i.from <= t1 && i.to >= t0)
    }

    /// Gaps whose span meets `[t0, t1]`.
    pub fn gaps_in(&self, t0: i64, t1: i64) -> impl Iterator<Item = &GapMark> {
        self.gaps.iter().filter(move |g| g.from <= t1 && g.to >= t0)
    }

    /// Findings within `[t0, t1]`, the nearest to its middle first.
    fn findings_near(&self, t0: i64, t1: i64) -> Vec<&FindingMark> {
        let t = t0 / 2 + t1 / 2;
        let mut near: Vec<&FindingMark> = self.findings_in(t0, t1).collect();
        crate::sort::by_key(&mut near, |f| (f.time - t).abs());
        near
    }

    /// The finding (upper row) or incident (lower row) under the pointer:
    /// the finding nearest to the middle of `[t0, t1]`, the shortest incident.
    pub fn pick(&self, incident_row: bool, t0: i64, t1: i64) -> Option<Pick> {
        if incident_row {
            self.incidents_in(t0, t1)
                .min_by_key(|i| (i.to - i.from, i.index))
                .map(|i| Pick::Incident(i.index))
        } else {
            self.findings_near(t0, t1)
                .first()
                .map(|f| Pick::Finding(f.index))
        }
    }

    /// Lines for the tooltip over `[t0, t1]`: findings (the one a click
    /// picks first), incidents, gaps.
    pub fn describe(&self, t0: i64, t1: i64) -> Vec<String> {
        const MAX_FINDINGS: usize = 6;
        let mut lines = Vec::new();
        let findings = self.findings_near(t0, t1);
        for f in findings.iter().take(MAX_FINDINGS) {
            lines.push(format!("▼ #{} {} ({})", f.index, f.title, f.level));
        }
        if findings.len() > MAX_FINDINGS {
            lines.push(format!(
                "… and {} more findings",
                findings.len() - MAX_FINDINGS
            ));
        }
        for i in self.incidents_in(t0, t1) {
            lines.push(format!(
                "▬ incident {} ({}, {} findings)",
                i.id, i.level, i.findings
            ));
        }
        for g in self.gaps_in(t0, t1) {
            lines.push(format!(
                "gap: no events from {} for {}",
                g.input,
                super::dom::duration(g.seconds)
            ));
        }
        lines
    }
}
