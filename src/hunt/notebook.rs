//! The hypothesis notebook: a hunt is a query and an optional stack with
//! the hunter's note. Hunts are saved with the case (`spoor.case/1`,
//! field `hunts`) and rerun on whatever logs are loaded; a few built-in
//! hunts from the Kubernetes literature ship as data (`rules/hunts.yml`).

use super::stack::{parse_fields, stack, Stack};
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// The built-in hunts, as shipped.
pub const BUILTIN_HUNTS: &str = include_str!("../../rules/hunts.yml");

/// Rows of a hunt's stack.
pub const HUNT_ROWS: usize = 50;

/// One hypothesis to test against the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunt {
    pub id: String,
    pub title: String,
    /// Store query language; empty means every event.
    #[serde(default)]
    pub query: String,
    /// Fields to stack the matches by (empty: just count them).
    #[serde(default)]
    pub stack: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

#[derive(Deserialize)]
struct HuntFile {
    hunts: Vec<Hunt>,
}

/// The built-in hunts.
pub fn builtin_hunts() -> Vec<Hunt> {
    parse_hunts(BUILTIN_HUNTS).expect("the built-in hunts parse (tested)")
}

/// A `hunts:` YAML list.
pub fn parse_hunts(text: &str) -> Result<Vec<Hunt>, String> {
    let file: HuntFile = yaml_serde::from_str(text).map_err(|e| format!("hunts: {e}"))?;
    Ok(file.hunts)
}

/// What a hunt found: its matches and, if it stacks, the rarest rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuntResult {
    pub id: String,
    pub title: String,
    pub query: String,
    pub matches: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<Stack>,
}

/// Runs one hunt over the store.
pub fn run_hunt(store: &Store, hunt: &Hunt) -> Result<HuntResult, String> {
    let ids = store
        .run(&hunt.query)
        .map_err(|e| format!("hunt {}: query not understood at {e}", hunt.id))?;
    let stack = if hunt.stack.is_empty() {
        None
    } else {
        let fields =
            parse_fields(&hunt.stack.join(",")).map_err(|e| format!("hunt {}: {e}", hunt.id))?;
        Some(stack(store, &fields, &ids, &hunt.query, HUNT_ROWS))
    };
    Ok(HuntResult {
        id: hunt.id.clone(),
        title: hunt.title.clone(),
        query: hunt.query.clone(),
        matches: ids.len(),
        stack,
    })
}

impl HuntResult {
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "== {} ({})\nquery: {}\n{} matching events\n",
            self.title,
            self.id,
            if self.query.is_empty() {
                "(all)"
            } else {
                &self.query
            },
            self.matches
        );
        if let Some(s) = &self.stack {
            out += &s.render_text();
        }
        out
    }
}
