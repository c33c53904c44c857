//! The analysis worker: takes dropped files from the page, streams them
//! through the core in chunks and posts progress and the report back.
//!
//! Cancelling is the page terminating this worker, so nothing here needs to
//! poll for it.

use super::read_blob_chunks;
use crate::analysis::Analysis;
use crate::detect;
use crate::ingest::time::YearResolver;
use crate::protocol::FromWorker;
use crate::report::Report;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

/// Bytes read from a Blob at a time.
const CHUNK: u64 = 4 << 20;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(message: &FromWorker) {
    let _ = scope().post_message(&JsValue::from_str(&message.to_json()));
}

pub fn start() {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        wasm_bindgen_futures::spawn_local(async move {
            match analyse(&data).await {
                Ok(report) => post(&FromWorker::Done {
                    report: Box::new(report),
                }),
                Err(e) => post(&FromWorker::Failed {
                    message: e.as_string().unwrap_or_else(|| format!("{e:?}")),
                }),
            }
        });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready);
}

/// The seed of the built-in samples: the same sample everywhere.
const SAMPLE_SEED: u64 = 1;

/// The message is `{files: File[]}` or `{sample: "scenario name"}`.
async fn analyse(data: &JsValue) -> Result<Report, JsValue> {
    let mut analysis = Analysis::new(&detect::builtin_sources());
    if let Some(name) = Reflect::get(data, &"sample".into())?.as_string() {
        let files = crate::generate::generate(&name, SAMPLE_SEED)?;
        analysis.set_years(YearResolver::with_year(crate::generate::YEAR));
        for (index, file) in files.iter().enumerate() {
            let total = file.bytes.len() as u64;
            post(&FromWorker::Progress {
                input: index,
                path: file.path.clone(),
                done: total,
                total,
            });
            analysis.open(&file.path, None);
            analysis.push(&file.bytes);
            analysis.close();
        }
        analysis.finish();
        return Ok(Report::new(&analysis));
    }
    let files: Array = Reflect::get(data, &"files".into())?.dyn_into()?;
    for (index, file) in files.iter().enumerate() {
        let file: File = file.dyn_into()?;
        // Set when the file came from a folder pick; web-sys lacks a getter.
        let relative = Reflect::get(&file, &"webkitRelativePath".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let path = if relative.is_empty() {
            file.name()
        } else {
            relative
        };
        let total = file.size() as u64;
        // The file's modification time dates year-less timestamps.
        analysis.set_years(YearResolver::with_reference(
            (file.last_modified() * 1e6) as i64,
        ));
        analysis.open(&path, None);
        post(&FromWorker::Progress {
            input: index,
            path: path.clone(),
            done: 0,
            total,
        });
        read_blob_chunks(&file, CHUNK, |chunk, done| {
            analysis.push(chunk);
            post(&FromWorker::Progress {
                input: index,
                path: path.clone(),
                done,
                total,
            });
        })
        .await?;
        analysis.close();
    }
    analysis.finish();
    Ok(Report::new(&analysis))
}
