//! Shared by the fuzz targets: odd chunkings and the ingest invariants.
#![allow(dead_code)]

use spoor::ingest::archive::Source;
use spoor::ingest::time::YearResolver;
use spoor::ingest::InputSummary;

/// Chunk sizes from a small xorshift seeded by `seed`: 1 byte to 4 KiB,
/// so line, JSON-document, gzip-block and archive-header boundaries fall
/// anywhere.
pub fn cuts(seed: u8, len: usize) -> Vec<usize> {
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::new();
    let mut at = 0;
    while at < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        at += 1 + ((state % 4096) >> (state % 12)) as usize;
        out.push(at.min(len));
    }
    out
}

/// Reads `bytes` as one dropped file named `path`, cut at `cuts`; returns
/// the number of records and the inputs' summaries.
pub fn read(path: &str, bytes: &[u8], cuts: &[usize]) -> (usize, Vec<InputSummary>) {
    let mut source = Source::new(path, None, YearResolver::default());
    let mut records = 0usize;
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&bytes.len())) {
        source.push(&bytes[start..c], &mut |_, _| records += 1);
        start = c;
    }
    let inputs = source.finish(&mut |_, _| records += 1);
    (records, inputs)
}

/// The accounting every input must keep, whatever its bytes: no more
/// unparsed lines than lines, diagnostics point at lines that exist, and
/// every input is named after the dropped file.
pub fn check(path: &str, records: usize, inputs: &[InputSummary]) {
    let mut events = 0u64;
    for input in inputs {
        assert!(
            input.path == path || input.path.starts_with(&format!("{path}!")),
            "{} is not named after {path}",
            input.path
        );
        assert!(input.unparsed <= input.lines, "{input:?}");
        for d in &input.diagnostics {
            assert!(d.line <= input.lines + 1, "{d:?} past the end of {input:?}");
            assert!(!d.message.is_empty());
        }
        events += input.events;
    }
    assert_eq!(
        events, records as u64,
        "events counted vs records handed out"
    );
}

/// Reads `data[1..]` whole and in the chunking chosen by `data[0]`: both
/// must keep the accounting and agree on every count.
pub fn read_both_ways(path: &str, data: &[u8]) {
    let Some((&seed, bytes)) = data.split_first() else {
        return;
    };
    let (whole_records, whole) = read(path, bytes, &[]);
    check(path, whole_records, &whole);
    let (cut_records, cut) = read(path, bytes, &cuts(seed, bytes.len()));
    check(path, cut_records, &cut);
    let counts = |inputs: &[InputSummary]| -> Vec<(String, u64, u64, u64)> {
        inputs
            .iter()
            .map(|i| (i.path.clone(), i.lines, i.events, i.unparsed))
            .collect()
    };
    assert_eq!(counts(&whole), counts(&cut), "chunking changed the result");
    assert_eq!(whole_records, cut_records);
}
