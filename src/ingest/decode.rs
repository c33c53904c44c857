//! Decompression on the fly: gzip is recognised by its magic bytes, not by
//! the file name, and streamed so a multi-GB `.gz` never sits in memory.

use flate2::write::MultiGzDecoder;
use std::io::Write;

/// Decoded bytes allowed per input, so a gzip bomb stops with a message.
pub const MAX_DECODED_BYTES: u64 = 64 << 30;

pub enum Decoder {
    /// Not enough bytes seen yet to tell.
    Undecided(Vec<u8>),
    Plain,
    Gzip {
        inner: Box<MultiGzDecoder<Vec<u8>>>,
        produced: u64,
        failed: bool,
    },
}

impl Decoder {
    pub fn new() -> Self {
        Decoder::Undecided(Vec::new())
    }

    /// Decodes `chunk`, appending the plain bytes to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        if let Decoder::Undecided(head) = self {
            head.extend_from_slice(chunk);
            if head.len() < 2 {
                return Ok(());
            }
            let head = std::mem::take(head);
            *self = if head.starts_with(&[0x1f, 0x8b]) {
                Decoder::Gzip {
                    inner: Box::new(MultiGzDecoder::new(Vec::new())),
                    produced: 0,
                    failed: false,
                }
            } else {
                Decoder::Plain
            };
            return self.push(&head, out);
        }
        match self {
            Decoder::Plain => {
                out.extend_from_slice(chunk);
                Ok(())
            }
            Decoder::Gzip {
                inner,
                produced,
                failed,
            } => {
                if *failed {
                    return Ok(());
                }
                let result = inner.write_all(chunk);
                let decoded = std::mem::take(inner.get_mut());
                *produced += decoded.len() as u64;
                if *produced > MAX_DECODED_BYTES {
                    *failed = true;
                    return Err(format!(
                        "gzip expands past {} GiB: stopped reading (possible decompression bomb)",
                        MAX_DECODED_BYTES >> 30
                    ));
                }
                out.extend_from_slice(&decoded);
                result.map_err(|e| {
                    *failed = true;
                    format!("corrupt gzip data after {produced} decoded bytes: {e}")
                })
            }
            Decoder::Undecided(_) => unreachable!("decided above"),
        }
    }

    /// Ends the stream; a gzip stream cut short is an error.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Decoder::Undecided(head) => {
                out.append(head);
                Ok(())
            }
            Decoder::Plain => Ok(()),
            Decoder::Gzip {
                inner,
                produced,
                failed,
            } => {
                if *failed {
                    return Ok(());
                }
                let result = inner.try_finish();
                *produced += inner.get_ref().len() as u64;
                out.append(inner.get_mut());
                result.map_err(|_| {
                    format!("gzip stream is truncated: it ends after {produced} decoded bytes")
                })
            }
        }
    }
}
