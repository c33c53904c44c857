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

/// The SHA-256 of `blob`'s bytes in hex, read `chunk_size` bytes at a time;
/// `None` if `stop()` turned true before the last slice (it is asked before
/// each), so that a cancelled case does not keep a core hashing gigabytes.
pub async fn sha256_hex(
    blob: &Blob,
    chunk_size: u64,
    stop: impl Fn() -> bool,
) -> Result<Option<String>, JsValue> {
    let mut hasher = Sha256::new();
    let mut stopped = false;
    read_blob_chunks(blob, chunk_size, |chunk, _| {
        stopped = stop();
        if !stopped {
            hasher.update(chunk);
        }
        !stopped
    })
    .await?;
    Ok((!stopped).then(|| crate::ingest::hex(&hasher.finalize())))
}
