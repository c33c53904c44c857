//! Reads a browser `Blob` (a dropped `File`) in chunks, so a multi-GB file
//! never has to fit in memory.

use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// Calls `each(chunk, bytes_done)` for consecutive slices of `blob`.
pub async fn read_blob_chunks(
    blob: &Blob,
    chunk_size: u64,
    mut each: impl FnMut(&[u8], u64),
) -> Result<(), JsValue> {
    let total = blob.size() as u64;
    let mut offset = 0u64;
    let mut buf = Vec::new();
    while offset < total {
        let end = (offset + chunk_size.max(1)).min(total);
        let slice = blob.slice_with_f64_and_f64(offset as f64, end as f64)?;
        let array = JsFuture::from(slice.array_buffer()).await?;
        let bytes = Uint8Array::new(&array);
        buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut buf);
        offset = end;
        each(&buf, offset);
    }
    Ok(())
}
