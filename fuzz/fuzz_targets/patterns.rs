//! The log-pattern miner: any bytes, cut oddly, as one input; every line
//! gets a pattern that exists.
#![no_main]

#[path = "common.rs"]
mod common;

use spoor::patterns::scan::PatternScan;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&seed, bytes)) = data.split_first() else {
        return;
    };
    let mut scan = PatternScan::default();
    scan.open("fuzz.log");
    let mut start = 0;
    for c in common::cuts(seed, bytes.len()) {
        scan.push(&bytes[start..c]);
        start = c;
    }
    let report = scan.finish();
    let patterns = report.patterns.patterns.len() as u32;
    report.for_each_line(|_, _, id| assert!(id < patterns, "pattern {id} of {patterns}"));
    let _ = report.to_json();
    let _ = report.render_text();
});
