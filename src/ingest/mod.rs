//! Ingest: bytes of one input in, normalized records out.
//!
//! `sniff → decode → parse`: an [`InputReader`] takes the input's bytes in
//! chunks of any size, hashes them (the evidence hash is of the bytes as
//! given), decompresses gzip on the fly, splits lines, recognises the format
//! from the content of the first lines, and hands each record to the caller.
//! Nothing of the input is kept beyond the current line or document.
//!
//! Invariant: every line read is either in a record, blank, or reported
//! unparsed with a diagnostic: `lines == parsed + unparsed`.

pub mod archive;
pub(crate) mod decode;
pub mod formats;
pub mod integrity;
pub mod json_frame;
pub mod limits;
pub mod lines;
pub mod sniff;
pub mod time;

use crate::event::{Format, Location, Record};
use decode::Decoder;
use formats::container;
use formats::{Context, Note, Out, Parser, Unit};
use json_frame::{Framed, JsonFramer};
use limits::Limits;
use lines::{LineSplitter, Piece};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sniff::Sniffed;
use std::borrow::Cow;
use time::YearResolver;

/// Diagnostics kept per input; the count goes on past this.
pub const MAX_DIAGNOSTICS: usize = 1000;
/// Lines the sniffer looks at before it decides the format.
const SNIFF_LINES: usize = 32;

/// A problem with one place in one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// 1-based line, 0 when the problem is with the input as a whole.
    pub line: u64,
    pub message: String,
}

/// What reading one input produced, apart from the records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    pub path: String,
    pub sha256: String,
    pub format: Option<Format>,
    /// Bytes of the input as given (compressed, if it was).
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub unparsed: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics not kept because of [`MAX_DIAGNOSTICS`].
    pub diagnostics_dropped: u64,
    pub truncated: bool,
    /// Gaps, duplicates, order, stuck requests, audit coverage.
    #[serde(default)]
    pub integrity: integrity::Integrity,
}

/// Reads one input (a file, or one member of an archive).
pub struct InputReader {
    summary: InputSummary,
    /// `None` when the caller hashes the bytes itself ([`InputReader::unhashed`]).
    hasher: Option<Sha256>,
    decoder: Decoder,
    splitter: LineSplitter,
    /// For the overlong-line message.
    max_line: usize,
    forced: Option<Format>,
    /// Path and year source handed to the parser.
    context: Context,
    /// JSON/YAML inputs: the format is that of the first record.
    lazy_format: bool,
    /// Reads lines the input's own parser rejects, in another format.
    fallback: Option<Box<dyn Parser>>,
    /// Lines held back until the format is known.
    sniff_buffer: Vec<(String, Location)>,
    parser: Option<Box<dyn Parser>>,
    framer: Option<JsonFramer>,
    /// Highest line already counted as unparsed (units arrive in line order).
    last_unparsed: u64,
    decoded_bytes: u64,
    pending: Out,
    integrity: integrity::IntegrityTracker,
}

impl InputReader {
    /// `path` names the input in reports; container log paths also carry
    /// pod, namespace and container. `forced` overrides format detection.
    pub fn new(path: &str, forced: Option<Format>) -> Self {
        InputReader {
            summary: InputSummary {
                path: path.to_string(),
                ..Default::default()
            },
            hasher: Some(Sha256::new()),
            decoder: Decoder::new(),
            splitter: LineSplitter::new(),
            max_line: lines::MAX_LINE_BYTES,
            forced,
            context: Context {
                path: path.to_string(),
                years: YearResolver::default(),
            },
            lazy_format: false,
            fallback: None,
            sniff_buffer: Vec::new(),
            parser: None,
            framer: None,
            last_unparsed: 0,
            decoded_bytes: 0,
            pending: Out::default(),
            integrity: integrity::IntegrityTracker::default(),
        }
    }

    /// Sets where year-less timestamps (syslog, klog) get their year.
    pub fn with_years(mut self, years: YearResolver) -> Self {
        self.context.years = years;
        self
    }

    /// Replaces the default [`Limits`]; call before the first chunk.
    pub fn with_limits(mut self, limits: &Limits) -> Self {
        self.decoder = Decoder::with_limit(limits.decoded_bytes);
        self.splitter = LineSplitter::with_limit(limits.line_bytes);
        self.max_line = limits.line_bytes;
        self
    }

    /// Leaves the evidence hash to the caller, who hashes the same bytes
    /// elsewhere (the page: in another worker) and fills the summary's
    /// `sha256`, which stays empty here.
    pub fn unhashed(mut self) -> Self {
        self.hasher = None;
        self
    }

    pub fn path(&self) -> &str {
        &self.summary.path
    }

    /// Bytes of input taken so far.
    pub fn bytes_read(&self) -> u64 {
        self.summary.bytes
    }

    /// Feeds the next chunk of the input's raw bytes.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Record)) {
        self.push_units(chunk, &mut |unit| sink(unit.build()));
    }

    /// [`InputReader::push`], with records that are built later left so
    /// ([`formats::Later`]), for the thread that analyses them.
    pub fn push_units(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Unit)) {
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(chunk);
        }
        self.summary.bytes += chunk.len() as u64;
        // The decoder is moved out while it hands plain bytes to `self`.
        let mut decoder = std::mem::replace(&mut self.decoder, Decoder::new());
        let result = decoder.push(chunk, &mut |plain| self.feed_decoded(plain, sink));
        self.decoder = decoder;
        if let Err(message) = result {
            self.diagnose(0, message);
            self.summary.truncated = true;
        }
    }

    /// Ends the input and returns its summary.
    pub fn finish(self, sink: &mut dyn FnMut(Record)) -> InputSummary {
        self.finish_units(&mut |unit| sink(unit.build()))
    }

    /// [`InputReader::finish`] for [`InputReader::push_units`].
    pub fn finish_units(mut self, sink: &mut dyn FnMut(Unit)) -> InputSummary {
        let mut decoder = std::mem::replace(&mut self.decoder, Decoder::new());
        let result = decoder.finish(&mut |plain| self.feed_decoded(plain, sink));
        if let Err(message) = result {
            self.diagnose(0, message);
            self.summary.truncated = true;
        }
        // The line the input ends in without a newline, if any.
        let unterminated = self.splitter.has_tail().then(|| self.splitter.lines() + 1);
        let mut splitter = std::mem::take(&mut self.splitter);
        splitter.finish(&mut |p| self.take_piece(p, sink));
        self.splitter = splitter;
        if self.parser.is_none() {
            self.decide_format();
            self.drain_sniff_buffer(sink);
        }
        if self.framer.as_ref().is_some_and(JsonFramer::is_open) {
            self.summary.truncated = true;
            self.diagnose(0, "the input ends inside a JSON document: truncated".into());
        }
        if let Some(mut framer) = self.framer.take() {
            framer.finish(self.decoded_bytes, &mut |u| self.take_framed(u, sink));
            self.framer = Some(framer);
        }
        if let Some(fallback) = self.fallback.as_mut() {
            fallback.finish(&mut self.pending);
        }
        if let Some(parser) = self.parser.as_mut() {
            parser.finish(&mut self.pending);
            self.flush(sink);
        }
        if self.summary.format.is_none() || self.lazy_format && self.summary.events == 0 {
            self.summary.format = Some(if self.lazy_format {
                Format::Jsonl
            } else {
                Format::Text
            });
        }
        self.summary.lines = self.splitter.lines();
        if unterminated.is_some_and(|l| self.last_unparsed >= l) && !self.summary.truncated {
            self.summary.truncated = true;
            self.diagnose(
                0,
                "the last line has no newline and does not parse: truncated".into(),
            );
        }
        self.summary.integrity = std::mem::take(&mut self.integrity).finish(self.summary.truncated);
        if self.summary.bytes == 0 {
            self.diagnose(0, "the input is empty".into());
        }
        // By line (input-wide problems first), so the order does not depend
        // on where chunks happened to end.
        crate::sort::by_key(&mut self.summary.diagnostics, |d| d.line);
        if let Some(hasher) = self.hasher.take() {
            self.summary.sha256 = hex(&hasher.finalize());
        }
        self.summary
    }

    fn feed_decoded(&mut self, decoded: &[u8], sink: &mut dyn FnMut(Unit)) {
        if decoded.is_empty() {
            return;
        }
        self.decoded_bytes += decoded.len() as u64;
        // The splitter is moved out for the call so each line is handled
        // where it lies in the chunk, without a copy.
        let mut splitter = std::mem::take(&mut self.splitter);
        splitter.push(decoded, &mut |p| self.take_piece(p, sink));
        self.splitter = splitter;
    }

    fn take_piece(&mut self, piece: Piece<'_>, sink: &mut dyn FnMut(Unit)) {
        match piece {
            Piece::TooLong { number, bytes, .. } => {
                self.count_unparsed(number, 1);
                self.diagnose(
                    number,
                    format!(
                        "line is {bytes} bytes, over the {} limit: skipped",
                        decode::human_bytes(self.max_line as u64)
                    ),
                );
            }
            Piece::Line(line) => {
                let bytes = line
                    .bytes
                    .strip_prefix(b"\xEF\xBB\xBF")
                    .unwrap_or(line.bytes);
                // `from_utf8` checks a word at a time; the lossy decoder
                // goes byte by byte, so it only runs on a bad line.
                let text = match std::str::from_utf8(bytes) {
                    Ok(text) => Cow::Borrowed(text),
                    Err(_) => String::from_utf8_lossy(bytes),
                };
                let location = Location {
                    line: line.number,
                    lines: 1,
                    offset: line.offset,
                    len: line.span,
                };
                if matches!(text, Cow::Owned(_)) {
                    self.diagnose(
                        location.line,
                        "invalid UTF-8: the bad bytes are shown as U+FFFD".into(),
                    );
                }
                if self.parser.is_some() {
                    self.take_line(&text, location, sink);
                } else {
                    self.sniff_buffer.push((text.into_owned(), location));
                    if self
                        .sniff_buffer
                        .iter()
                        .filter(|(t, _)| !t.trim().is_empty())
                        .count()
                        >= SNIFF_LINES
                    {
                        self.decide_format();
                        self.drain_sniff_buffer(sink);
                    }
                }
            }
        }
    }

    fn decide_format(&mut self) {
        let parser = if let Some(format) = self.forced {
            self.summary.format = Some(format);
            formats::parser_with(Some(format), &self.context)
        } else {
            let sample: Vec<&str> = self.sniff_buffer.iter().map(|(t, _)| t.as_str()).collect();
            match sniff::sniff(&sample) {
                Sniffed::Lines(format) => {
                    self.summary.format = Some(format);
                    formats::parser_with(Some(format), &self.context)
                }
                Sniffed::Json => {
                    self.lazy_format = true;
                    formats::parser_with(None, &self.context)
                }
                Sniffed::Yaml => {
                    self.lazy_format = true;
                    Box::new(formats::yaml::YamlParser::new(&self.context))
                }
            }
        };
        if parser.framed() {
            self.framer = Some(JsonFramer::default());
        }
        self.parser = Some(parser);
    }

    fn drain_sniff_buffer(&mut self, sink: &mut dyn FnMut(Unit)) {
        for (text, location) in std::mem::take(&mut self.sniff_buffer) {
            self.take_line(&text, location, sink);
        }
    }

    fn take_line(&mut self, text: &str, location: Location, sink: &mut dyn FnMut(Unit)) {
        if let (Some(framer), Some(parser)) = (&self.framer, &mut self.parser) {
            if let Some(unit) = framer.whole_line(text, location.line, location.offset) {
                if let Some(result) =
                    parser.parse_whole(unit.text, unit.location, &mut self.pending)
                {
                    self.settle(result, unit.text, unit.location, sink);
                    return;
                }
            }
        }
        if let Some(mut framer) = self.framer.take() {
            framer.push_line(text, location.line, location.offset, &mut |u| {
                self.take_framed(u, sink)
            });
            self.framer = Some(framer);
        } else if !text.trim().is_empty() {
            self.parse_unit(text, location, sink);
        }
    }

    fn take_framed(&mut self, framed: Framed<'_>, sink: &mut dyn FnMut(Unit)) {
        match framed {
            Framed::Unit(u) => self.parse_unit(u.text, u.location, sink),
            Framed::Oversized(location) => {
                self.count_unparsed(location.line, location.lines);
                self.diagnose(
                    location.line,
                    format!(
                        "JSON document of {} lines is over the {} MiB limit: skipped",
                        location.lines,
                        json_frame::MAX_DOCUMENT_BYTES >> 20
                    ),
                );
            }
        }
    }

    fn parse_unit(&mut self, text: &str, location: Location, sink: &mut dyn FnMut(Unit)) {
        let parser = self.parser.as_mut().expect("format decided before parsing");
        let result = parser.parse(text, location, &mut self.pending);
        self.settle(result, text, location, sink);
    }

    /// Reports a unit the parser refused (or reads it as another line
    /// format), and passes on what it parsed.
    fn settle(
        &mut self,
        result: Result<(), String>,
        text: &str,
        location: Location,
        sink: &mut dyn FnMut(Unit),
    ) {
        if let Err(reason) = result {
            let framed = self.parser.as_ref().is_some_and(|p| p.framed());
            let format = self.summary.format.map(Format::name).unwrap_or("JSON");
            if !framed && self.forced.is_none() {
                // A line of another format inside a line-format input
                // (a syslog line in a klog file, a JSON line in syslog).
                if let Some(other) = self.read_as_other(text, location) {
                    self.pending.info(
                        location.line,
                        format!("not a {format} line; read as {}", other.name()),
                    );
                    self.flush(sink);
                    return;
                }
            }
            self.count_unparsed(location.line, location.lines);
            self.diagnose(location.line, format!("not a {format} record: {reason}"));
        }
        self.flush(sink);
    }

    /// Tries the line formats other than the input's own on one line.
    fn read_as_other(&mut self, text: &str, location: Location) -> Option<Format> {
        let own = self.summary.format;
        let t = text.trim_start();
        let mut years = self.context.years.clone();
        if own != Some(Format::Klog) {
            if let Some(r) = formats::klog::parse_line(t, location, &mut years, None) {
                self.pending.push(r);
                return Some(Format::Klog);
            }
        }
        if own != Some(Format::Syslog) {
            if let Some((r, true)) = formats::syslog::parse_line(t, location, &mut years) {
                self.pending.push(r);
                return Some(Format::Syslog);
            }
        }
        if t.starts_with('{')
            || container::split_cri(t).is_some()
            || formats::eks::looks_like_line(t)
        {
            let context = self.context.clone();
            let parser = self
                .fallback
                .get_or_insert_with(|| formats::parser_with(None, &context));
            let before = self.pending.units.len();
            if parser.parse(t, location, &mut self.pending).is_ok() {
                // The message names the format the record ended up in.
                self.pending.build_from(before);
                let f = match self.pending.units.get(before) {
                    Some(Unit::Built(r)) => r.format,
                    _ => Format::Jsonl,
                };
                return Some(f);
            }
        }
        None
    }

    fn flush(&mut self, sink: &mut dyn FnMut(Unit)) {
        for note in std::mem::take(&mut self.pending.notes) {
            match note {
                Note::Info { line, message } => self.diagnose(line, message),
                Note::Unparsed { location, reason } => {
                    self.count_unparsed(location.line, location.lines);
                    self.diagnose(location.line, reason);
                }
            }
        }
        for mut unit in self.pending.units.drain(..) {
            if self.lazy_format && self.summary.format.is_none() {
                // A JSON input is in the format of its first record.
                let record = unit.build();
                self.summary.format = Some(record.format);
                unit = Unit::Built(Box::new(record));
            }
            match &unit {
                Unit::Built(record) => self.integrity.observe(record),
                Unit::Later(later) => self.integrity.observe_line(later.stream, later.time_ns),
            }
            self.summary.events += 1;
            sink(unit);
        }
    }

    fn count_unparsed(&mut self, first: u64, lines: u32) {
        let last = first + lines.max(1) as u64 - 1;
        let from = first.max(self.last_unparsed + 1);
        if last >= from {
            self.summary.unparsed += last - from + 1;
            self.last_unparsed = last;
        }
    }

    fn diagnose(&mut self, line: u64, message: String) {
        if self.summary.diagnostics.len() < MAX_DIAGNOSTICS {
            self.summary.diagnostics.push(Diagnostic { line, message });
        } else {
            self.summary.diagnostics_dropped += 1;
        }
    }
}

/// Gives `sha256` to the summaries of the input at `path` that have none:
/// an input whose bytes its caller hashed ([`archive::Source::unhashed`]).
pub fn fill_digest(summaries: &mut [InputSummary], path: &str, sha256: &str) {
    for input in summaries {
        if input.path == path && input.sha256.is_empty() {
            input.sha256 = sha256.to_string();
        }
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
