//! Helpers shared by the ingest tests: run bytes through the core the way
//! the CLI and the worker do (an archive-aware `Source`), in given chunks.
#![allow(dead_code)]

use spoor::event::{Format, Record};
use spoor::ingest::archive::Source;
use spoor::ingest::time::YearResolver;
use spoor::ingest::InputSummary;
use std::path::{Path, PathBuf};

pub struct Run {
    pub records: Vec<(u32, Record)>,
    pub inputs: Vec<InputSummary>,
}

/// Reads `bytes` named `path`, cut at `cuts` (sorted byte offsets).
pub fn run_cuts(path: &str, bytes: &[u8], cuts: &[usize], forced: Option<Format>) -> Run {
    let mut src = Source::new(path, forced, YearResolver::default());
    let mut records = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let c = c.clamp(start, bytes.len());
        src.push(&bytes[start..c], &mut |r, m| records.push((m, r)));
        start = c;
    }
    let inputs = src.finish(&mut |r, m| records.push((m, r)));
    Run { records, inputs }
}

pub fn run(path: &str, bytes: &[u8]) -> Run {
    run_cuts(path, bytes, &[], None)
}

/// Everything observable about a run, as text (for equality checks).
pub fn fingerprint(r: &Run) -> String {
    let mut s = String::new();
    for i in &r.inputs {
        s += &serde_json::to_string(i).unwrap();
        s += "\n";
    }
    for (m, rec) in &r.records {
        s += &format!(
            "{m} {} {:?} {} {}\n",
            rec.format,
            rec.location,
            serde_json::to_string(&rec.event).unwrap(),
            rec.fields
        );
    }
    s
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

pub fn own_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest/own")
}

/// Files under `dir`, sorted, as paths relative to `dir`.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                walk(base, &e, out);
            } else {
                out.push(e.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// Files in shared/data that are documentation or label tables, not logs:
/// provenance/licence/readme/citation text, and loghub's parsed CSVs
/// (`*_structured.csv`, `*_templates.csv`: parsing ground truth). They are
/// still read by the scan test (as text, never unparsed) but get no golden.
pub fn is_not_a_log(rel: &Path) -> bool {
    let name = rel.file_name().unwrap().to_string_lossy();
    matches!(
        name.as_ref(),
        "PROVENANCE.md" | "LICENSE" | "README.md" | "CITATION"
    ) || name.ends_with(".csv")
}

/// A ustar header for a regular file of `size` bytes.
pub fn tar_header(name: &str, size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A ustar archive of `members` (name, bytes): each header, the bytes
/// padded to a 512-byte block, and the two zero blocks that end it.
pub fn tar<N: AsRef<str>, B: AsRef<[u8]>>(members: impl IntoIterator<Item = (N, B)>) -> Vec<u8> {
    let mut tar = Vec::new();
    for (name, bytes) in members {
        let bytes = bytes.as_ref();
        tar.extend(tar_header(name.as_ref(), bytes.len() as u64));
        tar.extend(bytes);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.extend([0u8; 1024]);
    tar
}
