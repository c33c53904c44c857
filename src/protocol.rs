//! Messages between the page and its analysis worker, as JSON text.
//!
//! Files themselves travel as browser `File` objects beside these messages;
//! everything else is plain data defined here, so both ends (and native
//! tests) agree on one definition.

use crate::report::Report;
use serde::{Deserialize, Serialize};

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker has loaded and waits for files.
    Ready,
    /// Progress through the inputs.
    Progress {
        input: usize,
        path: String,
        done: u64,
        total: u64,
    },
    /// Every input is analysed.
    Done { report: Box<Report> },
    /// Something stopped the analysis.
    Failed { message: String },
}

impl FromWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("worker messages always serialize")
    }

    pub fn from_json(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| format!("bad worker message: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let m = FromWorker::Progress {
            input: 1,
            path: "a.log".into(),
            done: 10,
            total: 20,
        };
        let json = m.to_json();
        assert!(json.contains("\"type\":\"progress\""));
        assert_eq!(FromWorker::from_json(&json).unwrap(), m);
        assert!(FromWorker::from_json("{\"type\":\"nope\"}").is_err());
    }
}
