//! One case: inputs read one after another through ingest and detection,
//! with the counts every view and report needs.
//!
//! The caller (CLI or worker) owns the I/O: it opens an input, pushes its
//! bytes in chunks and closes it. Nothing here waits or reads files.

use crate::correlate::Correlator;
use crate::detect::{Detector, Finding, Lanes, RuleFailure, RuleInfo, RuleSource};
use crate::event::{Format, Record};
use crate::ingest::archive::Source;
use crate::ingest::formats::Unit;
use crate::ingest::time::YearResolver;
use crate::ingest::InputSummary;
use crate::report::{Filter, RuleDoc};
use crate::store::Store;
use rsigma_eval::EvaluationResult;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;

/// Counts over all events of a case, for the overview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub events: u64,
    /// Events per action (an audit verb, an sshd action, ...).
    pub actions: BTreeMap<String, u64>,
    /// Events per acting identity.
    pub users: BTreeMap<String, u64>,
    /// Events per source format.
    pub formats: BTreeMap<String, u64>,
}

/// The [`Summary`] while events are counted: hashed, where the summary's
/// sorted maps compared long names that share their start (service
/// accounts) several times an event.
#[derive(Default)]
struct Tally {
    events: u64,
    actions: HashMap<String, u64, foldhash::fast::RandomState>,
    users: HashMap<String, u64, foldhash::fast::RandomState>,
    formats: HashMap<Format, u64, foldhash::fast::RandomState>,
}

impl Tally {
    fn count(&mut self, record: &Record) {
        self.events += 1;
        let e = &record.event;
        if let Some(a) = &e.action {
            crate::count_key(&mut self.actions, a);
        }
        if let Some(u) = &e.user {
            crate::count_key(&mut self.users, u);
        }
        *self.formats.entry(record.format).or_default() += 1;
    }

    fn summary(&self) -> Summary {
        let sorted = |counts: &HashMap<String, u64, foldhash::fast::RandomState>| {
            counts.iter().map(|(k, n)| (k.clone(), *n)).collect()
        };
        Summary {
            events: self.events,
            actions: sorted(&self.actions),
            users: sorted(&self.users),
            formats: self
                .formats
                .iter()
                .map(|(f, n)| (f.name().to_string(), *n))
                .collect(),
        }
    }
}

/// What a reading thread hands to the analysis, in input order (see
/// [`Analysis::take_read`]): records of the input being read, then the
/// input's summaries when it closes.
pub enum Read {
    Records(Arc<Batch>),
    Closed(Vec<InputSummary>),
}

/// Records read in a row (tens to a few hundred), each with the ordinal of
/// its archive member (0 for a plain input), and their rule matches. Any
/// thread holding the batch can take its records ([`Batch::evaluate`]):
/// building those read as [`Unit::Later`] and running the rules are most
/// of the work and need no order, so the reading thread and the analysing
/// thread share them record by record, and the analysis then takes the
/// records and their matches in order.
pub struct Batch {
    items: Vec<Item>,
    /// The next item no thread has claimed yet.
    next: AtomicUsize,
}

/// One record of a [`Batch`].
struct Item {
    member: u32,
    /// For the message when building or evaluating the record panicked.
    line: u64,
    /// As read; taken by the thread that claims the item.
    unit: Mutex<Option<Unit>>,
    /// Set once by the thread that claimed the item; `None` if that
    /// panicked.
    done: OnceLock<Option<Done>>,
}

/// An item built and evaluated.
struct Done {
    /// Behind a mutex so the thread that built it can free it (see
    /// [`Analysis::take_read`]).
    record: Mutex<Option<Record>>,
    /// Behind a mutex so the analysis can take them out instead of cloning
    /// them (most records match a correlation-only rule).
    matches: Mutex<Vec<EvaluationResult>>,
    /// The thread that built a record read as [`Unit::Later`].
    built_by: Option<ThreadId>,
}

impl Batch {
    pub fn new(units: Vec<(Unit, u32)>) -> Self {
        let items = units
            .into_iter()
            .map(|(unit, member)| Item {
                member,
                line: unit.location().line,
                unit: Mutex::new(Some(unit)),
                done: OnceLock::new(),
            })
            .collect();
        Batch {
            items,
            next: AtomicUsize::new(0),
        }
    }

    /// Whether every item is claimed by a thread taking it.
    pub fn claimed(&self) -> bool {
        self.next.load(Ordering::Relaxed) >= self.items.len()
    }

    /// Builds and evaluates unclaimed records until every item is claimed.
    pub fn evaluate(&self, lanes: &Lanes) {
        let me = std::thread::current().id();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = self.items.get(i) else {
                return;
            };
            let unit = item.unit.lock().unwrap_or_else(|e| e.into_inner()).take();
            // A panic must still fill the slot, or the analysing thread
            // would wait for it forever; it panics in its turn instead.
            let done = panic::catch_unwind(AssertUnwindSafe(|| {
                let unit = unit?;
                // A record read built was allocated by the reading thread.
                let built_by = matches!(unit, Unit::Later(_)).then_some(me);
                let record = unit.build();
                let matches = lanes.evaluate(&record);
                Some(Done {
                    record: Mutex::new(Some(record)),
                    matches: Mutex::new(matches),
                    built_by,
                })
            }));
            let _ = item.done.set(done.ok().flatten());
        }
    }
}

pub struct Analysis {
    detector: Detector,
    rule_failures: Vec<RuleFailure>,
    inputs: Vec<InputSummary>,
    findings: Vec<Finding>,
    tally: Tally,
    correlation: Correlator,
    current: Option<Source>,
    /// Year source for the next inputs opened (syslog/klog timestamps).
    years: YearResolver,
    /// What the rules say about themselves (description, references, ...).
    rule_docs: Vec<RuleDoc>,
    filter: Filter,
    /// Events left out by the filter's time window.
    skipped_events: u64,
    /// Every event, for the page's views (off unless asked for).
    store: Option<Store>,
}

impl Analysis {
    /// Loads the rules; rules that fail are kept for the report.
    pub fn new(rules: &[RuleSource]) -> Self {
        Analysis::with_allow(rules, &[])
    }

    /// Loads the rules and allow-lists (see `detect::allow`); failures of
    /// either are kept for the report.
    pub fn with_allow(rules: &[RuleSource], allow: &[RuleSource]) -> Self {
        let (detector, rule_failures) = Detector::new_with_allow(rules, allow);
        Analysis {
            detector,
            rule_failures,
            inputs: Vec::new(),
            findings: Vec::new(),
            tally: Tally::default(),
            correlation: Correlator::new(),
            current: None,
            years: YearResolver::default(),
            rule_docs: crate::report::rule_docs(rules),
            filter: Filter::default(),
            skipped_events: 0,
            store: None,
        }
    }

    /// Keeps every event in a columnar [`Store`] for querying after the analysis.
    pub fn with_store(mut self) -> Self {
        self.store = Some(Store::new());
        self
    }

    /// Like [`Analysis::with_store`], keeping at most `max_events` events.
    pub fn with_store_limit(mut self, max_events: usize) -> Self {
        self.store = Some(Store::with_max_events(max_events));
        self
    }

    /// What to leave out: events outside the filter's time window never
    /// reach detection or the summary; the report drops findings outside
    /// it or below its level. Set before the first input.
    pub fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
    }

    /// Where year-less timestamps of the inputs opened from now on get their
    /// year (a `--year`, or the file's modification time as reference).
    pub fn set_years(&mut self, years: YearResolver) {
        self.years = years;
    }

    /// Starts the next input; an unfinished one is closed first. An
    /// archive (.tar, .tar.gz, .zip, told by its bytes) becomes one input per
    /// member, named `path!member`.
    pub fn open(&mut self, path: &str, forced: Option<Format>) {
        self.close();
        self.current = Some(Source::new(path, forced, self.years.clone()));
    }

    /// Like [`Analysis::open`], for a caller that hashes the input's bytes
    /// itself (the page does, in another worker, so that hashing runs on
    /// another core) and hands the digest to [`Analysis::close_hashed`].
    pub fn open_unhashed(&mut self, path: &str, forced: Option<Format>) {
        self.open(path, forced);
        self.current = self.current.take().map(Source::unhashed);
    }

    /// Ends an input opened with [`Analysis::open_unhashed`]; `sha256` is
    /// the digest of its bytes as given. Archive members keep their own.
    pub fn close_hashed(&mut self, sha256: &str) {
        let Some(path) = self.current.as_ref().map(|s| s.path().to_string()) else {
            return;
        };
        let first = self.inputs.len();
        self.close();
        crate::ingest::fill_digest(&mut self.inputs[first..], &path, sha256);
    }

    /// Feeds the next chunk of the open input.
    pub fn push(&mut self, chunk: &[u8]) {
        let Some(mut reader) = self.current.take() else {
            return;
        };
        let base = self.inputs.len() as u32;
        reader.push(chunk, &mut |r, member| self.take(&r, base + member));
        self.current = Some(reader);
    }

    /// Ends the open input.
    pub fn close(&mut self) {
        let Some(reader) = self.current.take() else {
            return;
        };
        let base = self.inputs.len() as u32;
        let summaries = reader.finish(&mut |r, member| self.take(&r, base + member));
        self.inputs.extend(summaries);
    }

    /// Ends the case: closes the open input and flushes pending detections.
    pub fn finish(&mut self) {
        self.close();
        let late = self.detector.finish();
        self.findings.extend(late);
        self.findings.extend(self.correlation.finish());
        // By time, then by where (path, not input index, so the order the
        // inputs were given in does not matter), then by rule.
        let inputs = &self.inputs;
        let key = |f: &Finding| {
            let at = f.evidence.first().map(|e| {
                let path = inputs.get(e.input as usize).map(|s| s.path.clone());
                (path, e.line)
            });
            (f.time_ns, at, f.rule_id.clone())
        };
        self.findings.sort_by_cached_key(key);
        if let Some(store) = &mut self.store {
            store.seal();
        }
    }

    /// The single-event rules, for [`Batch::evaluate`] on other threads.
    pub fn lanes(&self) -> Arc<Lanes> {
        self.detector.lanes()
    }

    /// Takes what another thread read with its own [`Source`], so parsing
    /// and the rules run on two cores. This thread evaluates the batch's
    /// records that no other thread has claimed, waits for the rest, and
    /// takes them in order: the same reads in the same order give the same
    /// analysis as [`Analysis::open`]/`push`/`close`. The records stay the
    /// caller's: it can hand them back to the reading thread to be freed
    /// there, where they were allocated.
    pub fn take_read(&mut self, read: &Read) {
        let base = self.inputs.len() as u32;
        match read {
            Read::Records(batch) => {
                batch.evaluate(&self.lanes());
                let me = std::thread::current().id();
                for item in &batch.items {
                    let failed = || panic!("reading or the rules failed on line {}", item.line);
                    let Some(done) = item.done.wait() else {
                        failed()
                    };
                    let mut record = done.record.lock().unwrap_or_else(|e| e.into_inner());
                    let Some(r) = record.as_ref() else { failed() };
                    let matches = std::mem::take(
                        &mut *done.matches.lock().unwrap_or_else(|e| e.into_inner()),
                    );
                    self.take_matched(r, base + item.member, matches);
                    // Freed by the thread that built it, while it is in
                    // this core's cache; the others go back with the batch.
                    if done.built_by == Some(me) {
                        *record = None;
                    }
                }
            }
            Read::Closed(summaries) => self.inputs.extend(summaries.iter().cloned()),
        }
    }

    fn take(&mut self, record: &Record, input: u32) {
        if !self.admit(record, input) {
            return;
        }
        let found = self.detector.observe(record, input);
        self.keep_findings(record, input, found);
    }

    /// [`Analysis::take`] with the record's rule matches already evaluated.
    fn take_matched(&mut self, record: &Record, input: u32, matches: Vec<EvaluationResult>) {
        if !self.admit(record, input) {
            return;
        }
        let found = self.detector.conclude(record, input, matches);
        self.keep_findings(record, input, found);
    }

    /// Counts, correlates and stores a record the filter admits.
    fn admit(&mut self, record: &Record, input: u32) -> bool {
        if !self.filter.admits_time(record.event.time_ns) {
            self.skipped_events += 1;
            return false;
        }
        self.tally.count(record);
        self.correlation.observe(record, input);
        if let Some(store) = &mut self.store {
            store.push(record, input);
        }
        true
    }

    fn keep_findings(&mut self, record: &Record, input: u32, found: Vec<Finding>) {
        for f in &found {
            self.correlation.finding(f, record, input);
        }
        self.findings.extend(found);
    }

    pub fn inputs(&self) -> &[InputSummary] {
        &self.inputs
    }
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }
    pub fn summary(&self) -> Summary {
        self.tally.summary()
    }
    /// Entities and incidents (see [`crate::correlate`]).
    pub fn correlation(&self) -> &Correlator {
        &self.correlation
    }
    pub fn rules(&self) -> Vec<RuleInfo> {
        self.detector.rules()
    }
    /// The loaded rule with this id, to explain a finding.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.detector.rule(id)
    }
    pub fn rule_failures(&self) -> &[RuleFailure] {
        &self.rule_failures
    }
    pub fn rule_docs(&self) -> &[RuleDoc] {
        &self.rule_docs
    }
    pub fn filter(&self) -> Filter {
        self.filter
    }
    pub fn skipped_events(&self) -> u64 {
        self.skipped_events
    }
    /// Loaded rules that cannot fire on any format read (an input's, or a
    /// record's: CoreDNS lines inside a CRI log are `coredns` records).
    pub fn inapplicable_rules(&self) -> Vec<RuleFailure> {
        let mut seen: Vec<Format> = self.inputs.iter().filter_map(|i| i.format).collect();
        seen.extend(self.tally.formats.keys());
        crate::sort::by_key(&mut seen, |f| f.name());
        seen.dedup();
        self.detector.inapplicable(&seen)
    }

    /// The log families a loaded rule reads.
    pub fn rule_families(&self, id: &str) -> Vec<crate::detect::Family> {
        self.detector.families_of(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{support_bundle, GeneratedFile};
    use crate::ingest::hex;
    use sha2::{Digest, Sha256};

    /// `bytes` read as one input, hashed here or (`digest`) elsewhere.
    fn inputs(path: &str, bytes: &[u8], digest: Option<&str>) -> Vec<InputSummary> {
        let mut analysis = Analysis::new(&[]);
        match digest {
            None => analysis.open(path, None),
            Some(_) => analysis.open_unhashed(path, None),
        }
        analysis.push(bytes);
        match digest {
            None => analysis.close(),
            Some(digest) => analysis.close_hashed(digest),
        }
        analysis.inputs().to_vec()
    }

    #[test]
    fn an_input_hashed_elsewhere_takes_the_callers_digest() {
        let log = b"Mar 14 00:05:47 node-1 sshd[42]: Accepted publickey for ops from 10.0.0.7 port 50022 ssh2\n";
        let own = inputs("auth.log", log, None);
        let given = inputs("auth.log", log, Some("0123abcd"));
        assert_eq!(own[0].sha256, hex(&Sha256::digest(log)));
        assert_eq!(given[0].sha256, "0123abcd");
        let unhashed = |s: &InputSummary| InputSummary {
            sha256: String::new(),
            ..s.clone()
        };
        assert_eq!(unhashed(&own[0]), unhashed(&given[0]));
        assert_eq!(own[0].events, 1);

        // An archive's members are hashed here all the same.
        let files = [GeneratedFile {
            path: "var/log/auth.log".into(),
            bytes: log.to_vec(),
        }];
        let bundle = support_bundle(&files, 0);
        let own = inputs("bundle.tar.gz", &bundle, None);
        assert_eq!(own, inputs("bundle.tar.gz", &bundle, Some("0123abcd")));
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].sha256, hex(&Sha256::digest(log)));
    }
}
