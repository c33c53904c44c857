//! Reads a dropped file in chunks, so a multi-GB file never has to fit in
//! memory: from a browser `Blob`, or as slices the page reads and sends.

use js_sys::{ArrayBuffer, Promise, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// Bytes read from a Blob at a time (analysis, hashing, re-reading records).
pub const CHUNK: u64 = 4 << 20;

/// Calls `each(chunk, bytes_done)` for consecutive slices of `blob`, until
/// the end or until `each` returns false.
pub async fn read_blob_chunks(
    blob: &Blob,
    chunk_size: u64,
    each: impl FnMut(&[u8], u64) -> bool,
) -> Result<(), JsValue> {
    let read = |from: u64, to: u64| -> Result<Promise, JsValue> {
        Ok(blob
            .slice_with_f64_and_f64(from as f64, to as f64)?
            .array_buffer())
    };
    read_chunks(blob.size() as u64, chunk_size, read, each).await
}

/// Calls `each(chunk, bytes_done)` for consecutive slices of `total` bytes,
/// until the end or until `each` returns false. `read(from, to)` asks for
/// the bytes in `from..to`: a promise of an `ArrayBuffer`.
///
/// The next slice is asked for before `each` works on the current one: it is
/// read meanwhile, off this thread. Waiting for each read in turn left the
/// worker idle a tenth of an analysis (bench/browser-profile.mjs).
pub async fn read_chunks(
    total: u64,
    chunk_size: u64,
    read: impl Fn(u64, u64) -> Result<Promise, JsValue>,
    mut each: impl FnMut(&[u8], u64) -> bool,
) -> Result<(), JsValue> {
    let step = chunk_size.max(1);
    let ask = |from: u64| -> Result<(Promise, u64), JsValue> {
        let to = (from + step).min(total);
        Ok((read(from, to)?, to))
    };
    let mut next = if total > 0 { Some(ask(0)?) } else { None };
    let mut buf = Vec::new();
    while let Some((pending, end)) = next.take() {
        let array = JsFuture::from(pending).await?;
        if !array.is_instance_of::<ArrayBuffer>() {
            return Err(JsValue::from_str(
                "the browser could not read the file; drop it again",
            ));
        }
        if end < total {
            next = Some(ask(end)?);
        }
        let bytes = Uint8Array::new(&array);
        buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut buf);
        if !each(&buf, end) {
            break;
        }
    }
    Ok(())
}

/// The SHA-256 of `blob`'s bytes in hex, read `chunk_size` bytes at a time.
pub async fn sha256_hex(blob: &Blob, chunk_size: u64) -> Result<String, JsValue> {
    let mut hasher = Sha256::new();
    read_blob_chunks(blob, chunk_size, |chunk, _| {
        hasher.update(chunk);
        true
    })
    .await?;
    Ok(crate::ingest::hex(&hasher.finalize()))
}

/// Files hashed from the slices the page reads for the analysis worker
/// (the tools worker's part of the evidence hash), by the page's request id.
#[derive(Default)]
pub struct SliceHashes {
    files: Vec<SliceHash>,
}

/// One file's digest so far.
struct SliceHash {
    id: f64,
    hasher: Sha256,
    /// Where the next slice must start.
    next: u64,
    /// A slice was missed or came twice.
    out_of_order: bool,
}

/// What [`SliceHashes::add`] knows of a file after a slice.
#[derive(Debug, PartialEq)]
pub enum SliceDigest {
    /// More slices to come.
    Partial,
    /// The SHA-256 of the whole file, in hex.
    Whole(String),
    /// No digest: a slice was missed or came twice.
    OutOfOrder,
}

impl SliceHashes {
    /// Adds the bytes of file `id` at `from`; its digest after the `last` slice.
    pub fn add(&mut self, id: f64, from: u64, bytes: &[u8], last: bool) -> SliceDigest {
        let at = match self.files.iter().position(|f| f.id == id) {
            Some(at) => at,
            None => {
                self.files.push(SliceHash {
                    id,
                    hasher: Sha256::new(),
                    next: 0,
                    out_of_order: false,
                });
                self.files.len() - 1
            }
        };
        let file = &mut self.files[at];
        file.out_of_order |= from != file.next;
        file.next = from + bytes.len() as u64;
        file.hasher.update(bytes);
        if !last {
            return SliceDigest::Partial;
        }
        let file = self.files.remove(at);
        match file.out_of_order {
            true => SliceDigest::OutOfOrder,
            false => SliceDigest::Whole(crate::ingest::hex(&file.hasher.finalize())),
        }
    }

    /// Forgets every file: their case was cancelled or replaced.
    pub fn clear(&mut self) {
        self.files.clear();
    }
}
