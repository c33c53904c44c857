//! Frames JSON documents that span lines: pretty-printed objects, a
//! top-level array of records (one unit per element), or JSON lines.
//!
//! It only tracks nesting and strings, so it costs one pass over the bytes;
//! the parser then reads each framed document on its own. Text outside any
//! document comes out as its own unit, which the parser reports.

use crate::event::Location;

/// A framed piece of input: a complete JSON value or stray text. The text
/// borrows the line when the unit lies within it (a JSON line: no copy),
/// else the framer's buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit<'a> {
    pub text: &'a str,
    pub location: Location,
}

/// Largest document kept while framing; a bigger one is reported.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
pub struct JsonFramer {
    doc: String,
    start: Location,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Inside a top-level `[`: its elements are framed one by one.
    in_array: bool,
    oversized: bool,
}

/// What framing yields: a unit to parse, or lines to report as too large.
#[derive(Debug, PartialEq)]
pub enum Framed<'a> {
    Unit(Unit<'a>),
    Oversized(Location),
}

impl JsonFramer {
    /// The line as the unit framing would make of it, if the line is one
    /// whole JSON object: between documents, `{…}` with only spaces or tabs
    /// around it. Whether it is whole only a parse can tell; a parser that
    /// reads it as one value saves framing's pass over the bytes (a JSON
    /// line, the common case), one that cannot hands the line to
    /// [`JsonFramer::push_line`].
    pub fn whole_line<'a>(&self, line: &'a str, number: u64, offset: u64) -> Option<Unit<'a>> {
        if self.depth > 0 || self.in_array {
            return None;
        }
        let text = line.trim_start_matches([' ', '\t']);
        let start = line.len() - text.len();
        let text = text.trim_end_matches([' ', '\t']);
        (text.starts_with('{') && text.ends_with('}')).then(|| Unit {
            text,
            location: Location {
                line: number,
                lines: 1,
                offset: offset + start as u64,
                len: text.len() as u64,
            },
        })
    }

    /// Feeds one line (without its terminator); `emit` gets each unit it
    /// completes.
    pub fn push_line(
        &mut self,
        line: &str,
        number: u64,
        offset: u64,
        emit: &mut dyn FnMut(Framed<'_>),
    ) {
        let mut piece_start: Option<usize> = None;
        if self.depth > 0 {
            piece_start = Some(0);
            self.start.lines += 1;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if self.depth == 0 {
                match b {
                    b' ' | b'\t' => {}
                    b',' if self.in_array => {}
                    b']' if self.in_array => self.in_array = false,
                    b'[' if !self.in_array && self.doc.is_empty() => self.in_array = true,
                    b'{' | b'[' => {
                        self.depth = 1;
                        self.start = Location {
                            line: number,
                            lines: 1,
                            offset: offset + i as u64,
                            len: 0,
                        };
                        piece_start = Some(i);
                    }
                    _ => {
                        // Stray text: the rest of the line is one unit the
                        // parser will report.
                        emit(Framed::Unit(Unit {
                            text: &line[i..],
                            location: Location {
                                line: number,
                                lines: 1,
                                offset: offset + i as u64,
                                len: (bytes.len() - i) as u64,
                            },
                        }));
                        self.in_array = false;
                        return;
                    }
                }
                i += 1;
                continue;
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                // Strings are most of an audit line: jump to their end.
                match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    Some(k) => {
                        i += k;
                        if bytes[i] == b'"' {
                            self.in_string = false;
                        } else {
                            self.escaped = true;
                        }
                    }
                    None => i = bytes.len(),
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            let s = piece_start.take().unwrap_or(0);
                            let end = offset + i as u64 + 1;
                            if self.start.lines == 1 && !self.oversized {
                                // The whole document is on this line.
                                emit(Framed::Unit(Unit {
                                    text: &line[s..=i],
                                    location: self.located(end),
                                }));
                            } else {
                                self.append(&line[s..=i]);
                                self.take(end, emit);
                            }
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        if let Some(s) = piece_start {
            self.append(&line[s..]);
            self.append("\n");
        }
    }

    /// Ends the stream: an unfinished document is returned as stray text.
    /// True inside a document that has not ended yet.
    pub fn is_open(&self) -> bool {
        self.depth > 0
    }

    pub fn finish(&mut self, end_offset: u64, emit: &mut dyn FnMut(Framed<'_>)) {
        if self.depth == 0 {
            return;
        }
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        self.take(end_offset, emit);
    }

    fn append(&mut self, s: &str) {
        if self.doc.len() + s.len() > MAX_DOCUMENT_BYTES {
            self.oversized = true;
            self.doc.clear();
        } else if !self.oversized {
            self.doc.push_str(s);
        }
    }

    /// The started document's location, ending before byte `end`.
    fn located(&self, end: u64) -> Location {
        let mut location = self.start;
        location.len = end.saturating_sub(location.offset);
        location
    }

    fn take(&mut self, end: u64, emit: &mut dyn FnMut(Framed<'_>)) {
        let location = self.located(end);
        if std::mem::take(&mut self.oversized) {
            emit(Framed::Oversized(location));
        } else {
            emit(Framed::Unit(Unit {
                text: &self.doc,
                location,
            }));
        }
        self.doc.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Vec<(String, u64, u32)> {
        let mut f = JsonFramer::default();
        let mut out = Vec::new();
        let mut offset = 0;
        let mut emit = |u: Framed<'_>| {
            out.push(match u {
                Framed::Unit(u) => (u.text.to_string(), u.location.line, u.location.lines),
                Framed::Oversized(l) => ("OVERSIZED".into(), l.line, l.lines),
            })
        };
        for (n, line) in text.split('\n').enumerate() {
            f.push_line(line, n as u64 + 1, offset, &mut emit);
            offset += line.len() as u64 + 1;
        }
        f.finish(offset, &mut emit);
        out
    }

    #[test]
    fn json_lines_are_one_unit_each() {
        let got = frame("{\"a\":1}\n{\"b\":\"}\"}\n");
        assert_eq!(
            got,
            [("{\"a\":1}".into(), 1, 1), ("{\"b\":\"}\"}".into(), 2, 1)]
        );
    }

    #[test]
    fn pretty_documents_and_arrays_are_split_by_element() {
        let got = frame("[\n  {\n    \"a\": [1,2]\n  },\n  {\"b\": 2}\n]\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, 2);
        assert_eq!(got[0].2, 3);
        assert_eq!(got[1], ("{\"b\": 2}".into(), 5, 1));
    }

    #[test]
    fn stray_text_and_unfinished_documents_are_units() {
        let got = frame("hello\n{\"a\":\n");
        assert_eq!(got[0], ("hello".into(), 1, 1));
        assert_eq!(got[1].1, 2);
    }
}
