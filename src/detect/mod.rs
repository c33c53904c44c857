//! Detection: Sigma rules (built-in pack, user files) run over records.
//!
//! INTERFACE (owned by the Sigma work; the analysis module relies on these names).

use crate::event::Record;
use serde::{Deserialize, Serialize};

/// Where rule text came from: `builtin` or the path it was read from.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub origin: String,
    pub text: String,
}

/// A rule that did not load or cannot apply, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleFailure {
    pub source: String,
    pub id: String,
    pub message: String,
}

/// What `rules list` prints about one loaded rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub level: String,
    pub source: String,
    pub techniques: Vec<String>,
}

/// One piece of evidence behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Index of the input in the analysis.
    pub input: u32,
    pub line: u64,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub level: String,
    pub techniques: Vec<String>,
    pub time_ns: Option<i64>,
    pub evidence: Vec<Evidence>,
    /// Field → matched value, for "why this fired".
    pub matched: Vec<(String, String)>,
}

pub struct Detector;

impl Detector {
    pub fn new(_sources: &[RuleSource]) -> (Detector, Vec<RuleFailure>) {
        (Detector, Vec::new())
    }
    pub fn rules(&self) -> Vec<RuleInfo> {
        Vec::new()
    }
    pub fn observe(&mut self, _record: &Record, _input: u32) -> Vec<Finding> {
        Vec::new()
    }
    pub fn finish(&mut self) -> Vec<Finding> {
        Vec::new()
    }
}

pub fn builtin_sources() -> Vec<RuleSource> {
    Vec::new()
}
