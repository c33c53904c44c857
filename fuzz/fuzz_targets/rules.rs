//! Rule files from the internet: Sigma YAML text → the rule loader
//! (parser, condition parser, field mapping, compiler, correlations), then
//! every rule that loaded evaluates a few real events.
#![no_main]

use spoor::detect::{Detector, RuleSource};
use spoor::event::Record;
use spoor::ingest::InputReader;
use std::sync::OnceLock;

/// A few real records of the formats rules route on.
fn records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let mut out = Vec::new();
        for (path, bytes) in [
            (
                "audit.jsonl",
                &include_bytes!("../../tests/fixtures/rules/k8s_role_write/positive.jsonl")[..],
            ),
            (
                "falco.jsonl",
                &include_bytes!("../../tests/fixtures/rules/falco_critical/positive.jsonl")[..],
            ),
            (
                "auth.log",
                &include_bytes!("../../tests/fixtures/rules/node_sudo_failed/positive.log")[..],
            ),
        ] {
            let mut reader = InputReader::new(path, None);
            reader.push(bytes, &mut |r| out.push(r));
            reader.finish(&mut |r| out.push(r));
        }
        out
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let source = RuleSource {
        origin: "fuzz.yml".into(),
        text,
    };
    let (mut detector, failures) = Detector::new(std::slice::from_ref(&source));
    for f in &failures {
        assert!(!f.message.is_empty(), "{f:?}");
        assert_eq!(f.source, "fuzz.yml");
    }
    for record in records() {
        detector.observe(record, 0);
    }
    detector.finish();
});
