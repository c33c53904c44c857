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

mod decode;
pub mod formats;
pub mod json_frame;
pub mod lines;
pub mod sniff;
pub mod time;

use crate::event::{Format, Location, Record};
use decode::Decoder;
use formats::Parser;
use json_frame::{Framed, JsonFramer};
use lines::{LineSplitter, Piece};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
}

/// Reads one input (a file, or one member of an archive).
pub struct InputReader {
    summary: InputSummary,
    hasher: Sha256,
    decoder: Decoder,
    splitter: LineSplitter,
    forced: Option<Format>,
    /// Lines held back until the format is known.
    sniff_buffer: Vec<(String, Location)>,
    parser: Option<Box<dyn Parser>>,
    framer: Option<JsonFramer>,
    /// Highest line already counted as unparsed (units arrive in line order).
    last_unparsed: u64,
    decoded_bytes: u64,
    pending: Vec<Record>,
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
            hasher: Sha256::new(),
            decoder: Decoder::new(),
            splitter: LineSplitter::new(),
            forced,
            sniff_buffer: Vec::new(),
            parser: None,
            framer: None,
            last_unparsed: 0,
            decoded_bytes: 0,
            pending: Vec::new(),
        }
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
        self.hasher.update(chunk);
        self.summary.bytes += chunk.len() as u64;
        let mut decoded = Vec::new();
        if let Err(message) = self.decoder.push(chunk, &mut decoded) {
            self.diagnose(0, message);
            self.summary.truncated = true;
        }
        self.feed_decoded(&decoded, sink);
    }

    /// Ends the input and returns its summary.
    pub fn finish(mut self, sink: &mut dyn FnMut(Record)) -> InputSummary {
        let mut decoded = Vec::new();
        if let Err(message) = self.decoder.finish(&mut decoded) {
            self.diagnose(0, message);
            self.summary.truncated = true;
        }
        self.feed_decoded(&decoded, sink);
        let mut pieces = Vec::new();
        self.splitter
            .finish(&mut |p| pieces.push(OwnedPiece::from(p)));
        for p in pieces {
            self.take_piece(p, sink);
        }
        if self.parser.is_none() {
            self.decide_format();
            self.drain_sniff_buffer(sink);
        }
        if let Some(framer) = self.framer.as_mut() {
            let units = framer.finish(self.decoded_bytes);
            for u in units {
                self.take_framed(u, sink);
            }
        }
        if let Some(parser) = self.parser.as_mut() {
            let mut diags = Vec::new();
            parser.finish(&mut self.pending, &mut diags);
            for (line, message) in diags {
                self.diagnose(line, message);
            }
            self.flush(sink);
        }
        self.summary.lines = self.splitter.lines();
        if self.summary.bytes == 0 {
            self.diagnose(0, "the input is empty".into());
        }
        self.summary.sha256 = hex(&self.hasher.finalize());
        self.summary
    }

    fn feed_decoded(&mut self, decoded: &[u8], sink: &mut dyn FnMut(Record)) {
        if decoded.is_empty() {
            return;
        }
        self.decoded_bytes += decoded.len() as u64;
        let mut pieces = Vec::new();
        self.splitter
            .push(decoded, &mut |p| pieces.push(OwnedPiece::from(p)));
        for p in pieces {
            self.take_piece(p, sink);
        }
    }

    fn take_piece(&mut self, piece: OwnedPiece, sink: &mut dyn FnMut(Record)) {
        match piece {
            OwnedPiece::TooLong { number, bytes } => {
                self.count_unparsed(number, 1);
                self.diagnose(
                    number,
                    format!(
                        "line is {bytes} bytes, over the {} MiB limit: skipped",
                        lines::MAX_LINE_BYTES >> 20
                    ),
                );
            }
            OwnedPiece::Line {
                text,
                location,
                lossy,
            } => {
                if lossy {
                    self.diagnose(
                        location.line,
                        "invalid UTF-8: the bad bytes are shown as U+FFFD".into(),
                    );
                }
                if self.parser.is_some() {
                    self.take_line(text, location, sink);
                } else {
                    self.sniff_buffer.push((text, location));
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
        let format = self.forced.unwrap_or_else(|| {
            let sample: Vec<&str> = self.sniff_buffer.iter().map(|(t, _)| t.as_str()).collect();
            sniff::detect(&sample)
        });
        self.summary.format = Some(format);
        let parser = formats::parser_for(format, &self.summary.path);
        if parser.framed() {
            self.framer = Some(JsonFramer::default());
        }
        self.parser = Some(parser);
    }

    fn drain_sniff_buffer(&mut self, sink: &mut dyn FnMut(Record)) {
        for (text, location) in std::mem::take(&mut self.sniff_buffer) {
            self.take_line(text, location, sink);
        }
    }

    fn take_line(&mut self, text: String, location: Location, sink: &mut dyn FnMut(Record)) {
        if let Some(framer) = self.framer.as_mut() {
            let units = framer.push_line(&text, location.line, location.offset, location.len);
            for u in units {
                self.take_framed(u, sink);
            }
        } else if !text.trim().is_empty() {
            self.parse_unit(&text, location, sink);
        }
    }

    fn take_framed(&mut self, framed: Framed, sink: &mut dyn FnMut(Record)) {
        match framed {
            Framed::Unit(u) => self.parse_unit(&u.text, u.location, sink),
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

    fn parse_unit(&mut self, text: &str, location: Location, sink: &mut dyn FnMut(Record)) {
        let parser = self.parser.as_mut().expect("format decided before parsing");
        if let Err(reason) = parser.parse(text, location, &mut self.pending) {
            self.count_unparsed(location.line, location.lines);
            let format = self.summary.format.map(Format::name).unwrap_or("?");
            self.diagnose(location.line, format!("not a {format} record: {reason}"));
        }
        self.flush(sink);
    }

    fn flush(&mut self, sink: &mut dyn FnMut(Record)) {
        for record in self.pending.drain(..) {
            self.summary.events += 1;
            sink(record);
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

/// A splitter piece detached from the splitter's buffer.
enum OwnedPiece {
    Line {
        text: String,
        location: Location,
        lossy: bool,
    },
    TooLong {
        number: u64,
        bytes: u64,
    },
}

impl From<Piece<'_>> for OwnedPiece {
    fn from(p: Piece<'_>) -> Self {
        match p {
            Piece::Line(l) => {
                let bytes = l.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l.bytes);
                let (text, lossy) = match std::str::from_utf8(bytes) {
                    Ok(s) => (s.to_string(), false),
                    Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
                };
                OwnedPiece::Line {
                    text,
                    lossy,
                    location: Location {
                        line: l.number,
                        lines: 1,
                        offset: l.offset,
                        len: l.span,
                    },
                }
            }
            Piece::TooLong { number, bytes, .. } => OwnedPiece::TooLong { number, bytes },
        }
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
