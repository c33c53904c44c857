//! The explorer's query language: any text → `store::query::parse`, and
//! every query that parses runs against a small real store.
#![no_main]

use spoor::analysis::Analysis;

thread_local! {
    /// Built once per fuzzing thread (an `Analysis` is not `Sync`).
    static ANALYSIS: &'static Analysis = Box::leak(Box::new(build()));
}

fn build() -> Analysis {
    let mut a = Analysis::new(&[]).with_store();
    a.open("mixed-levels.audit.log", None);
    a.push(include_bytes!(
        "../../tests/fixtures/integrity/mixed-levels.audit.log"
    ));
    a.close();
    a.finish();
    a
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let store = ANALYSIS.with(|a| a.store().expect("built with a store"));
    match store.run(text) {
        Ok(ids) => assert!(ids.iter().all(|&i| (i as usize) < store.len())),
        Err(e) => assert!(!e.message.is_empty(), "{e:?}"),
    }
});
