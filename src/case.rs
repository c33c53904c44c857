//! A saved case (`spoor.case/1`): the report, the page's view state (its
//! URL fragment) and the analyst's notes — never the raw logs. The page
//! saves and opens it; `spoor case show` renders its report in any export
//! format.

use crate::hunt::notebook::Hunt;
use crate::report::{Report, SCHEMA};
use serde::{Deserialize, Serialize};

pub const CASE_SCHEMA: &str = "spoor.case/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFile {
    pub schema: String,
    pub report: Report,
    /// The page's URL fragment state (`tab=findings&sel=3…`), without `#`.
    #[serde(default)]
    pub view: String,
    /// The analyst's notes, as typed.
    #[serde(default)]
    pub notes: String,
    /// Hunts the analyst saved (query or stack with a note), rerun when
    /// the logs are loaded again. Absent in older case files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hunts: Vec<Hunt>,
}

impl CaseFile {
    pub fn new(report: Report, view: &str, notes: &str) -> CaseFile {
        CaseFile {
            schema: CASE_SCHEMA.to_string(),
            report,
            view: view.trim_start_matches('#').to_string(),
            notes: notes.to_string(),
            hunts: Vec::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("cases always serialize")
    }

    pub fn with_hunts(mut self, hunts: Vec<Hunt>) -> CaseFile {
        self.hunts = hunts;
        self
    }

    /// A case file, checked for its schema and its report's schema.
    pub fn from_json(text: &str) -> Result<CaseFile, String> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("not a Spoor case file (not JSON: {e})"))?;
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(CASE_SCHEMA) => {}
            Some(other) if other.starts_with("spoor.case/") => {
                return Err(format!(
                    "unsupported case schema {other:?} (expected {CASE_SCHEMA})"
                ))
            }
            Some(other) => {
                return Err(format!(
                    "not a Spoor case file (its schema is {other:?}, expected {CASE_SCHEMA})"
                ))
            }
            None => {
                return Err(format!(
                    "not a Spoor case file (no \"schema\": \"{CASE_SCHEMA}\")"
                ))
            }
        }
        let case: CaseFile =
            serde_json::from_value(v).map_err(|e| format!("broken case file: {e}"))?;
        if case.report.schema != SCHEMA {
            return Err(format!(
                "the case holds a report of schema {:?}; this Spoor reads {SCHEMA}",
                case.report.schema
            ));
        }
        Ok(case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analysis;
    use crate::ingest::time::YearResolver;

    pub fn sample_report() -> Report {
        let mut a = Analysis::new(&crate::detect::builtin_sources());
        a.set_years(YearResolver::with_year(crate::generate::YEAR));
        for f in crate::generate::generate("anonymous-to-admin", 1).unwrap() {
            a.open(&f.path, None);
            a.push(&f.bytes);
            a.close();
        }
        a.finish();
        Report::new(&a)
    }

    #[test]
    fn round_trips_and_checks_schemas() {
        let report = sample_report();
        let case = CaseFile::new(report.clone(), "#tab=findings&sel=2", "looked at <b>");
        let json = case.to_json();
        assert!(json.contains("\"schema\": \"spoor.case/1\""));
        let back = CaseFile::from_json(&json).unwrap();
        assert_eq!(back, case);
        assert_eq!(back.view, "tab=findings&sel=2");
        assert_eq!(back.report.findings.len(), report.findings.len());
        assert!(CaseFile::from_json("{}")
            .unwrap_err()
            .contains("not a Spoor case"));
        assert!(CaseFile::from_json("nope").is_err());
        let other = json.replace("spoor.case/1", "spoor.case/9");
        assert!(CaseFile::from_json(&other)
            .unwrap_err()
            .contains("spoor.case/9"));
        // Hunts travel with the case; a case saved before hunts existed reads.
        assert!(!json.contains("\"hunts\""));
        let hunt = crate::hunt::notebook::builtin_hunts().remove(0);
        let with = case.clone().with_hunts(vec![hunt.clone()]);
        let back = CaseFile::from_json(&with.to_json()).unwrap();
        assert_eq!(back.hunts, vec![hunt]);
        let old = json.replace("spoor.report/1", "spoor.report/0");
        assert!(CaseFile::from_json(&old)
            .unwrap_err()
            .contains("spoor.report/0"));
    }
}
