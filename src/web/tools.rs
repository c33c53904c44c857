//! The tools worker: generates the built-in samples, renders exports
//! (`crate::tools`) and hashes dropped files, work that needs no analysed
//! case. The page starts it on first use and keeps it; its wasm module is
//! not the analysis worker's, so an analysis of dropped files never loads
//! the generator or the export formats.
//!
//! Hashing here, beside the analysis, puts the evidence hash on the second
//! core: in the analysis worker it was a tenth of the analysis time.

use super::blob::CHUNK;
use super::message::{post, scope};
use crate::protocol::{FromWorker, Request, ToTools};
use crate::tools::{answer, Reply};
use js_sys::{Array, Object, Reflect, Uint8Array};
use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent};

thread_local! {
    /// Bumped by the page's `{stop: true}` (its case was cancelled or
    /// replaced): hashes begun before it end at their next slice.
    static HASHING_ROUND: Cell<u32> = const { Cell::new(0) };
}

pub fn start() {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        if Reflect::get(&data, &"stop".into()).is_ok_and(|v| v.is_truthy()) {
            HASHING_ROUND.set(HASHING_ROUND.get().wrapping_add(1));
            return;
        }
        if let Ok(file) = Reflect::get(&data, &"hash".into()).and_then(|f| f.dyn_into::<Blob>()) {
            let id = Reflect::get(&data, &"id".into()).unwrap_or(JsValue::NULL);
            wasm_bindgen_futures::spawn_local(post_hash(id, file));
            return;
        }
        let text = data.as_string().unwrap_or_default();
        match Request::<ToTools>::from_json(&text) {
            Ok(Request { id, tag, body }) => match answer(body) {
                Reply::Answer(answer) => post(&FromWorker::Answer { id, tag, answer }),
                Reply::Sample(files) => post_files(id, files),
            },
            Err(message) => post(&FromWorker::Failed { message }),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready {
        wasm_sha256: super::about::own_wasm_digest(),
    });
}

/// `{id, files: [{path, bytes}]}`, the bytes' buffers moved, not copied.
fn post_files(id: u64, files: Vec<crate::generate::GeneratedFile>) {
    let list = Array::new();
    let buffers = Array::new();
    for file in files {
        let bytes = Uint8Array::from(file.bytes.as_slice());
        buffers.push(&bytes.buffer());
        let entry = Object::new();
        let _ = Reflect::set(&entry, &"path".into(), &JsValue::from_str(&file.path));
        let _ = Reflect::set(&entry, &"bytes".into(), &bytes);
        list.push(&entry);
    }
    let message = Object::new();
    let _ = Reflect::set(&message, &"id".into(), &JsValue::from_f64(id as f64));
    let _ = Reflect::set(&message, &"files".into(), &list);
    let _ = scope().post_message_with_transfer(&message, &buffers);
}

/// `{id, sha256}`: the SHA-256 of `file` in hex, or null if it could not be
/// read (the analysis worker then hashes it itself); nothing if the page
/// stopped it.
async fn post_hash(id: JsValue, file: Blob) {
    let round = HASHING_ROUND.get();
    let sha256 = match super::sha256_hex(&file, CHUNK, || HASHING_ROUND.get() != round).await {
        Ok(Some(hex)) => JsValue::from_str(&hex),
        Ok(None) => return,
        Err(_) => JsValue::NULL,
    };
    let message = Object::new();
    let _ = Reflect::set(&message, &"id".into(), &id);
    let _ = Reflect::set(&message, &"sha256".into(), &sha256);
    let _ = scope().post_message(&message);
}
