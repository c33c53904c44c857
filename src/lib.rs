//! Spoor's core: everything between the bytes of a log file and a report.
//!
//! The pipeline, one module per stage:
//! ingest (sniff → decode → parse → [`event::Event`]) → detect (Sigma rules)
//! → [`analysis`] (ties the stages together per case) → [`report`].
//!
//! The library does no I/O of its own: callers push byte chunks in and get
//! plain data out, so the CLI (`src/bin/spoor.rs`) and the browser worker
//! (`src/web/`) are thin shells over the same code.

pub mod analysis;
pub mod case;
pub mod correlate;
pub mod detect;
pub mod event;
pub mod explain;
pub mod generate;
pub mod hunt;
pub mod ingest;
pub mod patterns;
pub mod protocol;
pub mod release;
pub mod report;
pub mod session;
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) mod small_blocks;
pub(crate) mod sort;
pub mod store;
pub mod tools;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The tool version written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One more `key` in `counts`. The name is copied only the first time:
/// keys (verbs, users, audit levels) repeat across millions of events.
pub(crate) fn count_key(counts: &mut impl NameCounts, key: &str) {
    match counts.count_of(key) {
        Some(n) => *n += 1,
        None => counts.first(key),
    }
}

/// Counts by name: sorted for reports, hashed while millions of events
/// are counted.
pub(crate) trait NameCounts {
    fn count_of(&mut self, key: &str) -> Option<&mut u64>;
    fn first(&mut self, key: &str);
}

impl NameCounts for std::collections::BTreeMap<String, u64> {
    fn count_of(&mut self, key: &str) -> Option<&mut u64> {
        self.get_mut(key)
    }
    fn first(&mut self, key: &str) {
        self.insert(key.to_string(), 1);
    }
}

impl<S: std::hash::BuildHasher> NameCounts for std::collections::HashMap<String, u64, S> {
    fn count_of(&mut self, key: &str) -> Option<&mut u64> {
        self.get_mut(key)
    }
    fn first(&mut self, key: &str) {
        self.insert(key.to_string(), 1);
    }
}
