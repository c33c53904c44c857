//! Any bytes as a dropped log file: gzip, archives, sniffing, every parser.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::read_both_ways("fuzz.log", data);
});
