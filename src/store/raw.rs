//! Re-reading one record's raw text by its byte range in the decoded
//! stream of an input, from the input's bytes fed in order (a plain file can
//! be sliced directly; a gzip file is decoded from its start).

use crate::ingest::decode::inflate_stepwise;
use flate2::write::MultiGzDecoder;

/// Longest raw record returned, in bytes (a longer one is cut, and says so).
pub const MAX_RAW: u64 = 256 << 10;

/// Collects the decoded bytes `[offset, offset + len)` from consecutive
/// chunks of an input as stored (plain or gzip).
pub struct RawExtract {
    offset: u64,
    len: u64,
    /// Decoded bytes seen so far.
    pos: u64,
    gzip: Option<Box<MultiGzDecoder<Vec<u8>>>>,
    decided: bool,
    out: Vec<u8>,
}

impl RawExtract {
    pub fn new(offset: u64, len: u64) -> Self {
        RawExtract {
            offset,
            len: len.min(MAX_RAW),
            pos: 0,
            gzip: None,
            decided: false,
            out: Vec::new(),
        }
    }

    /// For bytes known to be plain (a slice of an uncompressed file).
    pub fn plain(offset: u64, len: u64) -> Self {
        RawExtract {
            decided: true,
            ..RawExtract::new(offset, len)
        }
    }

    /// True once the wanted bytes are all collected.
    pub fn done(&self) -> bool {
        self.out.len() as u64 >= self.len
    }

    /// Whether the input turned out to be gzip (known after the first chunk).
    pub fn is_gzip(&self) -> bool {
        self.gzip.is_some()
    }

    /// Feeds the next chunk of the input as stored.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), String> {
        if !self.decided {
            self.decided = true;
            if chunk.starts_with(&[0x1f, 0x8b]) {
                self.gzip = Some(Box::new(MultiGzDecoder::new(Vec::new())));
            }
        }
        match &mut self.gzip {
            None => {
                self.take(chunk);
                Ok(())
            }
            Some(dec) => {
                // Stepwise, and only up to the record: re-reading from a
                // bomb never holds more than a step's output.
                let (out, pos, end) = (&mut self.out, &mut self.pos, self.offset + self.len);
                let offset = self.offset;
                inflate_stepwise(dec, chunk, &mut |plain| {
                    keep_range(out, pos, offset, end, plain);
                    *pos < end
                })
                .map_err(|e| format!("corrupt gzip data: {e}"))
            }
        }
    }

    fn take(&mut self, decoded: &[u8]) {
        let end = self.offset + self.len;
        keep_range(&mut self.out, &mut self.pos, self.offset, end, decoded);
    }

    /// The record text (lossy UTF-8), noting a cut.
    pub fn text(&self, full_len: u64) -> String {
        let mut s = String::from_utf8_lossy(&self.out).into_owned();
        if full_len > MAX_RAW {
            s.push_str(&format!("\n… (cut: the record has {full_len} bytes)"));
        }
        s
    }
}

/// Appends to `out` the part of `decoded` (which starts at stream position
/// `*pos`) that falls in `[offset, end)`, and moves `*pos` past it.
fn keep_range(out: &mut Vec<u8>, pos: &mut u64, offset: u64, end: u64, decoded: &[u8]) {
    let start = *pos;
    let stop = start + decoded.len() as u64;
    *pos = stop;
    if stop <= offset || start >= end || out.len() as u64 >= end - offset {
        return;
    }
    let from = offset.max(start) - start;
    let to = end.min(stop) - start;
    out.extend_from_slice(&decoded[from as usize..to as usize]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn plain_and_gzip_give_the_same_slice() {
        let text = b"line one\nline two is here\nline three\n".repeat(50);
        let (offset, len) = (9u64 + 37 * 10, 17u64);
        let want = &text[offset as usize..(offset + len) as usize];
        let mut plain = RawExtract::new(offset, len);
        for c in text.chunks(7) {
            plain.push(c).unwrap();
        }
        assert_eq!(plain.text(len).as_bytes(), want);
        assert!(!plain.is_gzip());

        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&text).unwrap();
        let gz = enc.finish().unwrap();
        let mut z = RawExtract::new(offset, len);
        for c in gz.chunks(5) {
            z.push(c).unwrap();
            if z.done() {
                break;
            }
        }
        assert!(z.is_gzip());
        assert_eq!(z.text(len).as_bytes(), want);
    }
}
