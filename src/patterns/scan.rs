//! Patterns of whole inputs: the bytes of each input arrive in chunks of any
//! size, are un-gzipped and split into lines exactly as the ingest does
//! (same [`Decoder`], same [`LineSplitter`]), and every non-empty line goes
//! to one [`PatternMiner`] shared by all inputs, so pattern ids are global.
//!
//! Per line only the miner's `u32` is kept; line numbers are rebuilt from
//! each input's line count and its (usually few) blank lines.

use super::{PatternConfig, PatternMiner, Patterns};
use crate::ingest::archive::{Members, Unpacker};
use crate::ingest::decode::Decoder;
use crate::ingest::lines::{LineSplitter, Piece, MAX_LINE_BYTES};
use std::borrow::Cow;
use std::fmt::Write as _;

/// What the miner sees for a line too long to keep.
pub const OVERLONG_LINE: &str = "(line over the length limit)";

/// One input of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanInput {
    pub path: String,
    /// Lines in the input, blank ones included.
    pub lines: u64,
    /// Problems with the input (corrupt gzip, overlong lines).
    pub diagnostics: Vec<String>,
    /// Index of the input's first mined line in `Patterns::line_pattern`.
    first: usize,
    /// Numbers of the blank lines, ascending: they get no pattern.
    blank: Vec<u64>,
}

struct Open {
    decoder: Decoder,
    splitter: LineSplitter,
    input: ScanInput,
}

/// Mines the patterns of several inputs, pushed one after another.
pub struct PatternScan {
    miner: PatternMiner,
    inputs: Vec<ScanInput>,
    open: Option<Open>,
    /// The input opened with [`PatternScan::open_source`] and its unpacker.
    source: Option<(String, Unpacker)>,
    /// Problems with archives themselves (corrupt, truncated, limits).
    problems: Vec<String>,
}

/// The [`Members`] of a source go to the scan as inputs of their own.
struct MemberFeed<'a> {
    scan: &'a mut PatternScan,
    path: &'a str,
}

impl Members for MemberFeed<'_> {
    fn open(&mut self, name: Option<&str>) {
        match name {
            Some(name) => self.scan.open(&format!("{}!{name}", self.path)),
            None => self.scan.open(self.path),
        }
    }

    fn data(&mut self, bytes: &[u8]) {
        self.scan.push(bytes);
    }

    fn close(&mut self) {
        self.scan.close();
    }

    fn problem(&mut self, message: String, _truncated: bool) {
        self.scan.problems.push(format!("{}: {message}", self.path));
    }
}

impl Default for PatternScan {
    fn default() -> Self {
        PatternScan::new(PatternConfig::default())
    }
}

impl PatternScan {
    pub fn new(config: PatternConfig) -> Self {
        PatternScan {
            miner: PatternMiner::new(config),
            inputs: Vec::new(),
            open: None,
            source: None,
            problems: Vec::new(),
        }
    }

    /// Starts an input that may be an archive (.tar, .tar.gz, .zip, read
    /// by the ingest's [`Unpacker`]): each member is mined as an input of
    /// its own, named `archive.tgz!inner/path.log`.
    pub fn open_source(&mut self, path: &str) {
        self.close_source();
        self.source = Some((path.to_string(), Unpacker::new()));
    }

    /// Feeds the next raw bytes of the input opened by `open_source`.
    pub fn push_source(&mut self, chunk: &[u8]) {
        self.with_source(|unpacker, feed| unpacker.push(chunk, feed));
    }

    /// Ends the input opened by `open_source`.
    pub fn close_source(&mut self) {
        self.with_source(|unpacker, feed| unpacker.finish(feed));
        self.source = None;
    }

    fn with_source(&mut self, f: impl FnOnce(&mut Unpacker, &mut MemberFeed<'_>)) {
        let Some((path, mut unpacker)) = self.source.take() else {
            return;
        };
        f(
            &mut unpacker,
            &mut MemberFeed {
                scan: self,
                path: &path,
            },
        );
        self.source = Some((path, unpacker));
    }

    /// Starts the next input; an unfinished one is closed first.
    pub fn open(&mut self, path: &str) {
        self.close();
        self.open = Some(Open {
            decoder: Decoder::new(),
            splitter: LineSplitter::new(),
            input: ScanInput {
                path: path.to_string(),
                first: self.miner.lines(),
                ..Default::default()
            },
        });
    }

    /// Feeds the next chunk of the open input's raw bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let (miner, input, splitter) = (&mut self.miner, &mut open.input, &mut open.splitter);
        let result = open.decoder.push(chunk, &mut |plain| {
            splitter.push(plain, &mut |piece| take(miner, input, piece))
        });
        if let Err(message) = result {
            open.input.diagnostics.push(message);
        }
    }

    /// Ends the open input.
    pub fn close(&mut self) {
        let Some(mut open) = self.open.take() else {
            return;
        };
        let (miner, input, splitter) = (&mut self.miner, &mut open.input, &mut open.splitter);
        let result = open
            .decoder
            .finish(&mut |plain| splitter.push(plain, &mut |piece| take(miner, input, piece)));
        if let Err(message) = result {
            input.diagnostics.push(message);
        }
        open.splitter.finish(&mut |piece| take(miner, input, piece));
        open.input.lines = open.splitter.lines();
        self.inputs.push(open.input);
    }

    /// Closes the open input and resolves every line's pattern.
    pub fn finish(mut self) -> PatternReport {
        self.close_source();
        self.close();
        PatternReport {
            patterns: self.miner.finish(),
            inputs: self.inputs,
            problems: self.problems,
        }
    }
}

fn take(miner: &mut PatternMiner, input: &mut ScanInput, piece: Piece<'_>) {
    match piece {
        Piece::Line(line) => {
            let bytes = line
                .bytes
                .strip_prefix(b"\xEF\xBB\xBF")
                .unwrap_or(line.bytes);
            let text = match std::str::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(bytes),
            };
            if text.trim().is_empty() {
                input.blank.push(line.number);
            } else {
                miner.add(&text);
            }
        }
        Piece::TooLong { number, bytes, .. } => {
            miner.add(OVERLONG_LINE);
            input.diagnostics.push(format!(
                "line {number} is {bytes} bytes, over the {} MiB limit: not read",
                MAX_LINE_BYTES >> 20
            ));
        }
    }
}

/// The patterns of a scan and where each line went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternReport {
    pub patterns: Patterns,
    pub inputs: Vec<ScanInput>,
    /// Problems with archives themselves, each naming its archive.
    pub problems: Vec<String>,
}

impl PatternReport {
    /// Calls `f(path, line number, pattern id)` for every non-empty line,
    /// input by input, in line order.
    pub fn for_each_line(&self, mut f: impl FnMut(&str, u64, u32)) {
        self.each_line(|input, line, pattern| f(&self.inputs[input].path, line, pattern));
    }

    fn each_line(&self, mut f: impl FnMut(usize, u64, u32)) {
        for (i, input) in self.inputs.iter().enumerate() {
            let mut index = input.first;
            let mut blank = input.blank.iter().peekable();
            for number in 1..=input.lines {
                if blank.next_if_eq(&&number).is_some() {
                    continue;
                }
                f(i, number, self.patterns.line_pattern[index]);
                index += 1;
            }
        }
    }

    /// The contract's JSON: `{"patterns": [{"id", "template", "count"}],
    /// "lines": [{"path", "line", "pattern"}]}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"patterns\": [");
        for (i, p) in self.patterns.patterns.iter().enumerate() {
            out += if i == 0 { "\n  " } else { ",\n  " };
            out += &serde_json::to_string(p).expect("patterns serialize");
        }
        out += "\n],\n\"lines\": [";
        let paths: Vec<String> = self
            .inputs
            .iter()
            .map(|i| serde_json::to_string(&i.path).expect("strings serialize"))
            .collect();
        let mut first = true;
        self.each_line(|input, line, pattern| {
            out += if first { "\n  " } else { ",\n  " };
            first = false;
            let _ = write!(
                out,
                "{{\"path\": {}, \"line\": {line}, \"pattern\": {pattern}}}",
                paths[input]
            );
        });
        out += "\n]}\n";
        out
    }

    /// One pattern per line, rarest first: count, id, template.
    pub fn render_text(&self) -> String {
        let mut order: Vec<_> = self.patterns.patterns.iter().collect();
        crate::sort::by_key(&mut order, |p| (p.count, p.id));
        let mut out = format!("{:>8} {:>6}  template\n", "count", "id");
        for p in order {
            let _ = writeln!(out, "{:>8} {:>6}  {}", p.count, p.id, p.template);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(inputs: &[(&str, &[u8])], chunk: usize) -> PatternReport {
        let mut s = PatternScan::default();
        for (path, bytes) in inputs {
            s.open(path);
            for c in bytes.chunks(chunk.max(1)) {
                s.push(c);
            }
        }
        s.finish()
    }

    #[test]
    fn lines_keep_their_numbers_and_blank_lines_get_none() {
        let a = b"Jun 1 10:00:00 h sshd[1]: Accepted password for alice\n\n  \nJun 1 10:00:01 h sshd[2]: Accepted password for bob\n";
        let b = b"other thing\r\nother thing";
        let report = scan(&[("a.log", a), ("b.log", b)], 7);
        let mut seen = Vec::new();
        report.for_each_line(|p, l, id| seen.push((p.to_string(), l, id)));
        let want_lines: Vec<_> = seen.iter().map(|(p, l, _)| (p.as_str(), *l)).collect();
        assert_eq!(
            want_lines,
            [("a.log", 1), ("a.log", 4), ("b.log", 1), ("b.log", 2)]
        );
        assert_eq!(seen[0].2, seen[1].2);
        assert_eq!(seen[2].2, seen[3].2);
        assert_ne!(seen[0].2, seen[2].2);
        let whole = scan(&[("a.log", a), ("b.log", b)], 1 << 20);
        assert_eq!(whole, report);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["lines"].as_array().unwrap().len(), 4);
        assert_eq!(json["lines"][3]["path"], "b.log");
        assert_eq!(json["patterns"][1]["template"], "other thing");
    }

    #[test]
    fn gzip_is_read_like_the_ingest_reads_it() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let plain = b"x 1\nx 2\n";
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(plain).unwrap();
        let gz = enc.finish().unwrap();
        let report = scan(&[("x.log.gz", &gz)], 5);
        assert_eq!(report.patterns.patterns.len(), 1);
        assert_eq!(report.patterns.patterns[0].template, "x <*>");
        assert_eq!(report.patterns.patterns[0].count, 2);
        assert!(report.inputs[0].diagnostics.is_empty());
    }
}
