//! The tools worker: generates the built-in samples, renders exports
//! (`crate::tools`) and hashes dropped files, work that needs no analysed
//! case. The page starts it on first use and keeps it; its wasm module is
//! not the analysis worker's, so an analysis of dropped files never loads
//! the generator or the export formats.
//!
//! Hashing here, beside the analysis, puts the evidence hash on the second
//! core: in the analysis worker it was a tenth of the analysis time. The
//! page hands this worker each slice it reads for the analysis worker,
//! and this worker hands it back hashed: reading the file a second time
//! here cost the analysis about 8 % (docs/performance.md, session 22).

use super::message::{is_command, post, scope, transfer_of};
use super::{SliceDigest, SliceHashes};
use crate::protocol::{FromWorker, Request, ToTools};
use crate::tools::{answer, Reply};
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

thread_local! {
    /// The files being hashed. The page's `{stop: true}` (its case was
    /// cancelled or replaced) drops them.
    static HASHING: RefCell<SliceHashes> = RefCell::new(SliceHashes::default());
    /// Where each slice's bytes are copied to be hashed.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub fn start() {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        if is_command(&data, "stop") {
            HASHING.with(|h| h.borrow_mut().clear());
            return;
        }
        if Reflect::has(&data, &"from".into()).unwrap_or(false) {
            return hash_slice(&data);
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

/// The page's `{id, index, from, slice, last}`: the slice's bytes join
/// file `id`'s digest, and the message goes back with the slice, and with
/// `sha256` after the `last` one (hex, or null if a slice came out of
/// order: the analysis worker then hashes the file itself).
fn hash_slice(data: &JsValue) {
    let field = |key: &str| Reflect::get(data, &key.into()).unwrap_or(JsValue::NULL);
    let (Some(id), Some(from)) = (field("id").as_f64(), field("from").as_f64()) else {
        return;
    };
    let slice = field("slice");
    let digest = SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        scratch.clear();
        if let Some(buffer) = slice.dyn_ref::<ArrayBuffer>() {
            let bytes = Uint8Array::new(buffer);
            scratch.resize(bytes.length() as usize, 0);
            bytes.copy_to(&mut scratch);
        }
        let last = field("last").is_truthy();
        HASHING.with(|h| h.borrow_mut().add(id, from as u64, &scratch, last))
    });
    let sha256 = match digest {
        SliceDigest::Partial => None,
        SliceDigest::Whole(hex) => Some(JsValue::from_str(&hex)),
        SliceDigest::OutOfOrder => Some(JsValue::NULL),
    };
    if let Some(sha256) = sha256 {
        let _ = Reflect::set(data, &"sha256".into(), &sha256);
    }
    let _ = scope().post_message_with_transfer(data, &transfer_of(&slice));
}
