//! Re-reading one record's raw text by its byte range in the decoded
//! stream of an input, from the input's bytes fed in order (a plain file can
//! be sliced directly; a gzip file is decoded from its start; an archive
//! member is found by unpacking the archive from its start).

use crate::ingest::archive::{Members, Unpacker};
use crate::ingest::decode::Inflater;

/// Longest raw record returned, in bytes (a longer one is cut, and says so).
pub const MAX_RAW: u64 = 256 << 10;

/// Collects the decoded bytes `[offset, offset + len)` from consecutive
/// chunks of an input as stored (plain or gzip).
pub struct RawExtract {
    offset: u64,
    len: u64,
    /// Decoded bytes seen so far.
    pos: u64,
    gzip: Option<Box<Inflater>>,
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
                self.gzip = Some(Box::default());
            }
        }
        match &mut self.gzip {
            None => {
                collector(&mut self.out, &mut self.pos, self.offset, self.len)(chunk);
                Ok(())
            }
            Some(dec) => {
                // Stepwise, and only up to the record: re-reading from a
                // bomb never holds more than a step's output.
                let mut keep = collector(&mut self.out, &mut self.pos, self.offset, self.len);
                dec.push(chunk, &mut keep)
                    .map_err(|e| format!("corrupt gzip data: {e}"))
            }
        }
    }

    /// Ends the input: a gzip decoder gives up what it still holds (the
    /// last record of a gzip file may be there). A stream cut short keeps
    /// what came before the cut, which [`RawExtract::done`] then judges.
    pub fn finish(&mut self) {
        if let Some(dec) = &mut self.gzip {
            let _ = dec.finish(&mut collector(
                &mut self.out,
                &mut self.pos,
                self.offset,
                self.len,
            ));
        }
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

/// Collects a record of one archive member from the archive's bytes fed in
/// order: the member (itself plain or gzip) is found by its name inside the
/// archive, the way the ingest named it (`archive!name`).
pub struct MemberExtract {
    unpacker: Unpacker,
    target: Target,
}

/// The [`Members`] side: only the named member's bytes reach the extract.
struct Target {
    name: String,
    inside: bool,
    extract: RawExtract,
    error: Option<String>,
}

impl Members for Target {
    fn open(&mut self, name: Option<&str>) {
        self.inside = name == Some(self.name.as_str());
    }

    fn data(&mut self, bytes: &[u8]) {
        if self.inside && !self.extract.done() && self.error.is_none() {
            self.error = self.extract.push(bytes).err();
        }
    }

    fn close(&mut self) {
        if std::mem::take(&mut self.inside) {
            self.extract.finish();
        }
    }

    fn problem(&mut self, _message: String, _truncated: bool) {}
}

impl MemberExtract {
    /// `name` is the member's path inside the archive; `offset` and `len`
    /// locate the record in the member's decoded stream.
    pub fn new(name: &str, offset: u64, len: u64) -> Self {
        MemberExtract {
            unpacker: Unpacker::new(),
            target: Target {
                name: name.to_string(),
                inside: false,
                extract: RawExtract::new(offset, len),
                error: None,
            },
        }
    }

    /// True once the wanted bytes are all collected.
    pub fn done(&self) -> bool {
        self.target.extract.done()
    }

    /// Feeds the next chunk of the archive as stored.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.unpacker.push(chunk, &mut self.target);
        match &self.target.error {
            Some(e) => Err(format!("member {}: {e}", self.target.name)),
            None => Ok(()),
        }
    }

    /// The record text, or why it was not found.
    pub fn text(mut self, full_len: u64) -> Result<String, String> {
        if !self.done() {
            self.unpacker.finish(&mut self.target);
        }
        if self.done() {
            Ok(self.target.extract.text(full_len))
        } else {
            Err(format!(
                "member {} of the archive no longer holds this record (was the archive changed?)",
                self.target.name
            ))
        }
    }
}

/// What decoded pieces go through: [`keep_range`] of `[offset, offset +
/// len)`, asking for no more once past it.
fn collector<'a>(
    out: &'a mut Vec<u8>,
    pos: &'a mut u64,
    offset: u64,
    len: u64,
) -> impl FnMut(&[u8]) -> bool + 'a {
    move |plain| {
        keep_range(out, pos, offset, offset + len, plain);
        *pos < offset + len
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
        z.finish();
        assert!(z.is_gzip());
        assert_eq!(z.text(len).as_bytes(), want);

        // The last record comes out only when the stream is finished.
        let (offset, len) = (text.len() as u64 - 11, 10u64);
        let mut last = RawExtract::new(offset, len);
        last.push(&gz).unwrap();
        last.finish();
        assert_eq!(last.text(len), "line three");
    }

    #[test]
    fn a_member_record_is_found_inside_a_tar_gz() {
        use crate::generate::{support_bundle, GeneratedFile};
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"zero\nfirst\nsecond line\n").unwrap();
        let files = [
            GeneratedFile {
                path: "var/log/a.log".into(),
                bytes: b"alpha\nbeta\n".to_vec(),
            },
            GeneratedFile {
                path: "var/log/b.log.gz".into(),
                bytes: enc.finish().unwrap(),
            },
        ];
        let tgz = support_bundle(&files, 0);
        for (name, offset, len, want) in [
            ("var/log/a.log", 6, 4, "beta"),
            ("var/log/b.log.gz", 11, 11, "second line"),
        ] {
            for step in [1, 7, 4096] {
                let mut m = MemberExtract::new(name, offset, len);
                for c in tgz.chunks(step) {
                    m.push(c).unwrap();
                    if m.done() {
                        break;
                    }
                }
                assert_eq!(m.text(len).unwrap(), want, "{name} in steps of {step}");
            }
        }
        let mut missing = MemberExtract::new("var/log/none.log", 0, 3);
        missing.push(&tgz).unwrap();
        assert!(missing.text(3).unwrap_err().contains("var/log/none.log"));
    }
}
