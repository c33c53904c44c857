//! Archive readers (tar, pax/GNU names, zip, zip64, members inside): the
//! corpus holds only archives, so mutations stay near their headers.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::read_both_ways("fuzz.tar", data);
});
