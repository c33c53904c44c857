//! Splits a stream of byte chunks into lines, whatever the chunk boundaries.
//!
//! Chunks come from a file reader or a browser Blob and may end anywhere:
//! inside a UTF-8 character, between `\r` and `\n`. The splitter carries
//! the unfinished tail over to the next chunk, so output never depends on
//! where the chunks were cut.

/// Longest line kept; longer lines are skipped and reported, so one
/// hostile line cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// One complete line, without its terminator (`\n` or `\r\n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    pub bytes: &'a [u8],
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's first byte in the stream.
    pub offset: u64,
    /// Bytes including the terminator.
    pub span: u64,
}

/// What the splitter hands out: a line, or a line that was too long.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Line(Line<'a>),
    TooLong {
        number: u64,
        offset: u64,
        bytes: u64,
    },
}

#[derive(Default)]
pub struct LineSplitter {
    tail: Vec<u8>,
    /// Set while skipping the rest of an overlong line.
    overlong: Option<(u64, u64)>,
    next_number: u64,
    next_offset: u64,
    max_line: usize,
}

impl LineSplitter {
    pub fn new() -> Self {
        Self::with_limit(MAX_LINE_BYTES)
    }

    pub fn with_limit(max_line: usize) -> Self {
        LineSplitter {
            next_number: 1,
            max_line,
            ..Default::default()
        }
    }

    /// Feeds a chunk; calls `emit` for every line it completes.
    pub fn push(&mut self, mut chunk: &[u8], emit: &mut dyn FnMut(Piece<'_>)) {
        while !chunk.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    let (head, rest) = (&chunk[..i], &chunk[i + 1..]);
                    chunk = rest;
                    if let Some((number, offset)) = self.overlong.take() {
                        let bytes = self.next_offset + i as u64 + 1 - offset;
                        self.advance_to(offset + bytes);
                        emit(Piece::TooLong {
                            number,
                            offset,
                            bytes,
                        });
                        continue;
                    }
                    if self.tail.len() + head.len() > self.max_line {
                        let (number, offset) = (self.next_number, self.next_offset);
                        let bytes = (self.tail.len() + head.len() + 1) as u64;
                        self.tail.clear();
                        self.advance_to(offset + bytes);
                        emit(Piece::TooLong {
                            number,
                            offset,
                            bytes,
                        });
                        continue;
                    }
                    if self.tail.is_empty() {
                        self.emit_line(head, emit);
                    } else {
                        let mut line = std::mem::take(&mut self.tail);
                        line.extend_from_slice(head);
                        self.emit_line(&line, emit);
                        line.clear();
                        self.tail = line;
                    }
                }
                None => {
                    if self.overlong.is_none() {
                        if self.tail.len() + chunk.len() > self.max_line {
                            let pending = self.tail.len() as u64;
                            self.overlong = Some((self.next_number, self.next_offset));
                            self.next_offset += pending;
                            self.tail.clear();
                        } else {
                            self.tail.extend_from_slice(chunk);
                            return;
                        }
                    }
                    self.next_offset += chunk.len() as u64;
                    return;
                }
            }
        }
    }

    /// Flushes a last line that had no terminator.
    pub fn finish(&mut self, emit: &mut dyn FnMut(Piece<'_>)) {
        if let Some((number, offset)) = self.overlong.take() {
            let bytes = self.next_offset - offset;
            self.next_number += 1;
            emit(Piece::TooLong {
                number,
                offset,
                bytes,
            });
        } else if !self.tail.is_empty() {
            let line = std::mem::take(&mut self.tail);
            let (number, offset) = (self.next_number, self.next_offset);
            let bytes = strip_cr(&line);
            emit(Piece::Line(Line {
                bytes,
                number,
                offset,
                span: line.len() as u64,
            }));
            self.next_number += 1;
            self.next_offset += line.len() as u64;
        }
    }

    /// True when bytes after the last newline wait for [`Self::finish`].
    pub fn has_tail(&self) -> bool {
        !self.tail.is_empty()
    }

    /// Lines handed out so far, overlong ones included.
    pub fn lines(&self) -> u64 {
        self.next_number - 1
    }

    fn emit_line(&mut self, line: &[u8], emit: &mut dyn FnMut(Piece<'_>)) {
        let (number, offset) = (self.next_number, self.next_offset);
        let span = line.len() as u64 + 1;
        self.next_number += 1;
        self.next_offset += span;
        emit(Piece::Line(Line {
            bytes: strip_cr(line),
            number,
            offset,
            span,
        }));
    }

    fn advance_to(&mut self, offset: u64) {
        self.next_number += 1;
        self.next_offset = offset;
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], limit: usize) -> Vec<String> {
        let mut s = LineSplitter::with_limit(limit);
        let mut out = Vec::new();
        let mut emit = |p: Piece<'_>| {
            out.push(match p {
                Piece::Line(l) => format!(
                    "{}@{}+{}:{}",
                    l.number,
                    l.offset,
                    l.span,
                    String::from_utf8_lossy(l.bytes)
                ),
                Piece::TooLong {
                    number,
                    offset,
                    bytes,
                } => format!("{number}@{offset}+{bytes}:TOO LONG"),
            })
        };
        for c in chunks {
            s.push(c, &mut emit);
        }
        s.finish(&mut emit);
        out
    }

    #[test]
    fn chunk_boundaries_do_not_change_output() {
        let text = "a\r\nbé\n\nlast".as_bytes();
        let whole = split(&[text], 100);
        assert_eq!(whole, ["1@0+3:a", "2@3+4:bé", "3@7+1:", "4@8+4:last"]);
        for cut in 0..text.len() {
            for cut2 in cut..text.len() {
                let got = split(&[&text[..cut], &text[cut..cut2], &text[cut2..]], 100);
                assert_eq!(got, whole, "cut at {cut},{cut2}");
            }
        }
    }

    #[test]
    fn overlong_lines_are_reported_not_kept() {
        let text = b"ok\n0123456789abc\nfine\n0123456789";
        let want = [
            "1@0+3:ok",
            "2@3+14:TOO LONG",
            "3@17+5:fine",
            "4@22+10:TOO LONG",
        ];
        assert_eq!(split(&[text], 8), want);
        for cut in 0..text.len() {
            assert_eq!(split(&[&text[..cut], &text[cut..]], 8), want, "cut {cut}");
        }
    }
}
