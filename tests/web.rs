//! Browser-side tests, run in headless Chromium by wasm-bindgen-test:
//! chunked reading of a Blob and the worker's message protocol.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Uint8Array};
use spoor::analysis::Analysis;
use spoor::protocol::FromWorker;
use spoor::report::Report;
use spoor::web::{read_blob_chunks, read_chunks, sha256_hex, SliceDigest, SliceHashes};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_browser);

const DEMO: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/audit2rbac-demo/demo.v1.log"
));
const DEMO_SHA256: &str = "ac15e3b4fc4b35b6799b17ed711bd629f33f70104370a5a7ef4197c2fc0cf1c3";

fn blob(bytes: &[u8]) -> Blob {
    let array = Uint8Array::from(bytes);
    Blob::new_with_u8_array_sequence(&Array::of1(&array)).unwrap()
}

#[wasm_bindgen_test]
async fn blob_chunks_concatenate_to_the_whole_file() {
    for (bytes, chunk) in [
        (&DEMO[..200], 1u64),
        (DEMO, 997),
        (DEMO, 4096),
        (DEMO, 1 << 20),
    ] {
        let b = blob(bytes);
        let mut got = Vec::new();
        let mut last_done = 0;
        read_blob_chunks(&b, chunk, |c, done| {
            assert!(c.len() as u64 <= chunk);
            got.extend_from_slice(c);
            last_done = done;
            true
        })
        .await
        .unwrap();
        assert_eq!(got, bytes, "chunk size {chunk}");
        assert_eq!(last_done, bytes.len() as u64);
    }
}

#[wasm_bindgen_test]
async fn reading_stops_when_asked() {
    let mut seen = Vec::new();
    read_blob_chunks(&blob(DEMO), 100, |c, done| {
        seen.push((c.len(), done));
        seen.len() < 2
    })
    .await
    .unwrap();
    assert_eq!(seen, [(100, 100), (100, 200)]);
}

/// A slice that does not come back as bytes (the page could not read the
/// file it feeds the worker) stops the reading with a message, after the
/// slices before it.
#[wasm_bindgen_test]
async fn a_slice_that_is_not_bytes_is_an_error() {
    let read = |from: u64, to: u64| {
        let slice: JsValue = if from < 200 {
            Uint8Array::from(&DEMO[from as usize..to as usize])
                .buffer()
                .into()
        } else {
            JsValue::NULL
        };
        Ok(js_sys::Promise::resolve(&slice))
    };
    let mut seen = Vec::new();
    let failed = read_chunks(1000, 100, read, |c, done| {
        seen.push((c.to_vec(), done));
        true
    })
    .await
    .unwrap_err();
    assert!(failed.as_string().unwrap().contains("could not read"));
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1], (DEMO[100..200].to_vec(), 200));
}

#[wasm_bindgen_test]
async fn a_blob_is_hashed_whole() {
    let whole = sha256_hex(&blob(DEMO), 333).await.unwrap();
    assert_eq!(whole, DEMO_SHA256);
}

/// The tools worker's digests from the page's slices: two files at once,
/// an empty one, and a file with a slice missed, which gets no digest.
#[wasm_bindgen_test]
fn slices_hash_to_the_whole_files_digest_and_only_in_order() {
    let mut hashes = SliceHashes::default();
    let slices: Vec<(usize, &[u8])> = DEMO
        .chunks(333)
        .enumerate()
        .map(|(i, c)| (i * 333, c))
        .collect();
    let last = slices.len() - 1;
    for (n, (from, bytes)) in slices.iter().enumerate() {
        let done = n == last;
        let (a, b) = (
            hashes.add(1.0, *from as u64, bytes, done),
            hashes.add(2.0, *from as u64, bytes, done),
        );
        if done {
            assert_eq!(a, SliceDigest::Whole(DEMO_SHA256.into()));
            assert_eq!(b, SliceDigest::Whole(DEMO_SHA256.into()));
        } else {
            assert_eq!((a, b), (SliceDigest::Partial, SliceDigest::Partial));
        }
    }
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(
        hashes.add(3.0, 0, b"", true),
        SliceDigest::Whole(empty.into())
    );
    for (n, (from, bytes)) in slices.iter().enumerate().filter(|(n, _)| *n != 1) {
        let got = hashes.add(4.0, *from as u64, bytes, n == last);
        let want = if n == last {
            SliceDigest::OutOfOrder
        } else {
            SliceDigest::Partial
        };
        assert_eq!(got, want);
    }
}

#[wasm_bindgen_test]
async fn an_audit_log_read_in_chunks_gives_the_same_report_as_whole() {
    let mut chunked = Analysis::new(&[]);
    chunked.open("demo.v1.log", None);
    read_blob_chunks(&blob(DEMO), 333, |c, _| {
        chunked.push(c);
        true
    })
    .await
    .unwrap();
    chunked.finish();
    let report = Report::new(&chunked);
    assert_eq!(report.inputs[0].events, 37);
    assert_eq!(report.inputs[0].unparsed, 0);
    assert_eq!(report.inputs[0].sha256, DEMO_SHA256);
}

#[wasm_bindgen_test]
fn worker_messages_survive_postmessage_as_strings() {
    let message = FromWorker::Progress {
        input: 0,
        path: "<img src=x onerror=alert(1)>.log".into(),
        done: 5,
        total: 9,
        wasm_memory: 17 << 16,
    };
    let js = JsValue::from_str(&message.to_json());
    let back = FromWorker::from_json(&js.as_string().unwrap()).unwrap();
    assert_eq!(back, message);
}
