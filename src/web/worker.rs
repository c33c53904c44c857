//! The analysis worker: takes dropped files from the page, streams them
//! through the core in chunks and posts progress and the report back. After
//! the analysis it keeps the case (analysis, event store and the `File`s)
//! and answers the page's [`Request`]s: queries, histograms, raw records.
//!
//! Cancelling is the page terminating this worker, so nothing here needs to
//! poll for it.

use super::blob::{read_chunks, CHUNK};
use super::message::{is_command, number, post, scope};
use super::sha256_hex;
use crate::analysis::Analysis;
use crate::detect;
use crate::ingest::time::YearResolver;
use crate::protocol::{Answer, FromWorker, Request, ToWorker};
use crate::report::Report;
use crate::session::Session;
use crate::store::raw::{MemberExtract, RawExtract};
use js_sys::{Array, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, MessageEvent};

/// Where an analysed input's bytes can be read again.
#[derive(Clone)]
enum Origin {
    File(File),
    Bytes(Rc<Vec<u8>>),
    /// A member of an archive: re-read by unpacking the archive.
    Member {
        archive: Box<Origin>,
        name: String,
    },
}

struct Case {
    session: Session,
    origins: Vec<Origin>,
}

thread_local! {
    static CASE: RefCell<Option<Case>> = const { RefCell::new(None) };
    /// What the page sent and nothing has asked for yet.
    static ARRIVED: RefCell<Vec<(Awaited, JsValue)>> = const { RefCell::new(Vec::new()) };
    /// What the analysis waits for, with the resolver of its promise.
    static AWAITED: RefCell<Vec<(Awaited, js_sys::Function)>> = const { RefCell::new(Vec::new()) };
    /// An analysis with the built-in pack loaded before the page sent a
    /// case (`{warm}`): loading the pack is most of a small case's time.
    static WARM: RefCell<Option<Analysis>> = const { RefCell::new(None) };
}

/// Loads the built-in pack into [`WARM`], once.
fn warm_up() {
    if WARM.with(|warm| warm.borrow().is_none()) {
        let analysis = analysis_with(Vec::new());
        WARM.with(|warm| *warm.borrow_mut() = Some(analysis));
    }
}

/// A fresh analysis with the built-in pack and the `extra` rules: the warm
/// one when there are none.
fn analysis_with(extra: Vec<detect::RuleSource>) -> Analysis {
    if extra.is_empty() {
        if let Some(warm) = WARM.with(|warm| warm.borrow_mut().take()) {
            return warm;
        }
    }
    let mut rules = detect::builtin_sources();
    rules.extend(extra);
    Analysis::new(&rules).with_store()
}

/// What the page sends this worker during an analysis.
#[derive(Clone, Copy, PartialEq)]
enum Awaited {
    /// The tools worker's digest of file `index` of the analysis message's
    /// `files` (via the page): hex, or null when it could not hash the file.
    Digest(usize),
    /// That file's bytes from `from`, as the page read them: an
    /// `ArrayBuffer`, or null when it could not.
    Slice { index: usize, from: u64 },
}

impl Awaited {
    /// `{index, sha256}` or `{index, from, slice}`.
    fn of_message(data: &JsValue) -> Option<(Awaited, JsValue)> {
        let index = number(data, "index")? as usize;
        let field = |key: &str| Reflect::get(data, &key.into()).unwrap_or(JsValue::NULL);
        if Reflect::has(data, &"sha256".into()).unwrap_or(false) {
            return Some((Awaited::Digest(index), field("sha256")));
        }
        let from = number(data, "from")?;
        Some((Awaited::Slice { index, from }, field("slice")))
    }
}

/// Hands `value` to the analysis if it waits for it, or keeps it until it
/// asks.
fn arrived(what: Awaited, value: JsValue) {
    let waiting = AWAITED.with(|a| {
        let mut a = a.borrow_mut();
        let at = a.iter().position(|(want, _)| *want == what)?;
        Some(a.remove(at).1)
    });
    match waiting {
        Some(resolve) => {
            let _ = resolve.call1(&JsValue::NULL, &value);
        }
        None => ARRIVED.with(|d| d.borrow_mut().push((what, value))),
    }
}

/// A promise of what the page sends as `what`.
fn awaiting(what: Awaited) -> js_sys::Promise {
    let arrived = ARRIVED.with(|d| {
        let mut d = d.borrow_mut();
        let at = d.iter().position(|(have, _)| *have == what)?;
        Some(d.remove(at).1)
    });
    match arrived {
        Some(value) => js_sys::Promise::resolve(&value),
        None => js_sys::Promise::new(&mut |resolve, _| {
            AWAITED.with(|a| a.borrow_mut().push((what, resolve)));
        }),
    }
}

/// The digest the tools worker computed for file `index`; `None` when it
/// could not.
async fn digest_from_tools(index: usize) -> Option<String> {
    JsFuture::from(awaiting(Awaited::Digest(index)))
        .await
        .ok()?
        .as_string()
}

/// Calls `each(chunk, bytes_done)` on consecutive slices of file `index`
/// (`total` bytes) of the analysis message's `files`, as the page reads
/// them.
///
/// Reading the `File` here cost this worker a tenth of its time: taking in
/// a slice's bytes runs on the thread that asked for them. The page's
/// thread is idle during an analysis, and hands each slice over without a
/// copy.
async fn read_from_page(
    index: usize,
    total: u64,
    each: impl FnMut(&[u8], u64) -> bool,
) -> Result<(), JsValue> {
    let read = |from: u64, to: u64| {
        let promise = awaiting(Awaited::Slice { index, from });
        post(&FromWorker::Read { index, from, to });
        Ok(promise)
    };
    read_chunks(total, CHUNK, read, each).await
}

/// The size of this worker's wasm memory in bytes (it never shrinks).
fn wasm_memory() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * 65536
}

/// Tells the page how far input `input` is read, and the memory size.
fn progress(input: usize, path: &str, done: u64, total: u64) {
    post(&FromWorker::Progress {
        input,
        path: path.to_string(),
        done,
        total,
        wasm_memory: wasm_memory(),
    });
}

pub fn start() {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        if let Some((what, value)) = Awaited::of_message(&data) {
            return arrived(what, value);
        }
        if is_command(&data, "warm") {
            return warm_up();
        }
        if is_command(&data, "digest") {
            return post(&FromWorker::Ready {
                wasm_sha256: super::about::own_wasm_digest(),
            });
        }
        if let Some(text) = data.as_string() {
            match Request::from_json(&text) {
                Ok(request) => answer(request),
                Err(message) => post(&FromWorker::Failed { message }),
            }
            return;
        }
        if is_command(&data, "case") {
            // A case opened from a file: the page shows its saved report;
            // this worker answers what needs no logs. Set at once, so the
            // page's next requests find it.
            CASE.with(|c| {
                *c.borrow_mut() = Some(Case {
                    session: Session::without_logs(),
                    origins: Vec::new(),
                })
            });
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            match analyse(&data).await {
                Ok(report) => post(&FromWorker::Done {
                    report: Box::new(report),
                    wasm_memory: wasm_memory(),
                }),
                Err(e) => post(&FromWorker::Failed {
                    message: e.as_string().unwrap_or_else(|| format!("{e:?}")),
                }),
            }
        });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
}

fn reply(id: u64, tag: String, answer: Answer) {
    post(&FromWorker::Answer { id, tag, answer });
}

fn answer(request: Request) {
    let Request { id, tag, body } = request;
    if let ToWorker::Raw { input, offset, len } = body {
        let (origin, logs) = CASE.with(|c| {
            let c = c.borrow();
            let c = c.as_ref();
            (
                c.and_then(|c| c.origins.get(input as usize).cloned()),
                c.is_none_or(|c| c.session.has_logs()),
            )
        });
        wasm_bindgen_futures::spawn_local(async move {
            let answer = match origin {
                None if !logs => Answer::Error {
                    message: crate::session::NO_LOGS.to_string(),
                    column: None,
                },
                None => Answer::Error {
                    message: format!("no input #{input} in this case"),
                    column: None,
                },
                Some(origin) => match raw(&origin, offset, len).await {
                    Ok((text, note)) => Answer::Raw {
                        input,
                        offset,
                        text,
                        note,
                    },
                    Err(message) => Answer::Error {
                        message,
                        column: None,
                    },
                },
            };
            reply(id, tag, answer);
        });
        return;
    }
    let answer = CASE.with(|c| match c.borrow_mut().as_mut() {
        Some(case) => case.session.answer(&body),
        None => Answer::Error {
            message: "the analysis is still running".into(),
            column: None,
        },
    });
    reply(id, tag, answer);
}

async fn bytes_of(blob: &Blob, from: u64, to: u64) -> Result<Vec<u8>, String> {
    let slice = blob
        .slice_with_f64_and_f64(from as f64, to as f64)
        .map_err(|e| format!("cannot slice the file: {e:?}"))?;
    let array = JsFuture::from(slice.array_buffer())
        .await
        .map_err(|e| format!("cannot read the file again (was it moved or changed?): {e:?}"))?;
    Ok(Uint8Array::new(&array).to_vec())
}

/// Feeds `file` from its start to `push` in [`CHUNK`] slices until `push`
/// says it has what it needs (or the file ends); the bytes read.
async fn read_until(
    file: &File,
    push: &mut dyn FnMut(&[u8]) -> Result<bool, String>,
) -> Result<u64, String> {
    let total = file.size() as u64;
    let mut at = 0u64;
    while at < total {
        let end = (at + CHUNK).min(total);
        let done = push(&bytes_of(file, at, end).await?)?;
        at = end;
        if done {
            break;
        }
    }
    Ok(at)
}

/// The raw text of `[offset, offset+len)` in the decoded input.
async fn raw(origin: &Origin, offset: u64, len: u64) -> Result<(String, Option<String>), String> {
    match origin {
        Origin::Member { archive, name } => {
            let mut member = MemberExtract::new(name, offset, len);
            let read = match &**archive {
                Origin::Bytes(bytes) => {
                    member.push(bytes)?;
                    bytes.len() as u64
                }
                Origin::File(file) => {
                    read_until(file, &mut |chunk| {
                        member.push(chunk)?;
                        Ok(member.done())
                    })
                    .await?
                }
                Origin::Member { .. } => return Err("nested archives are not re-read".into()),
            };
            Ok((
                member.text(len)?,
                Some(format!(
                    "archive member {name}: unpacked {read} bytes of the archive from its start to reach this record"
                )),
            ))
        }
        Origin::Bytes(bytes) => {
            let mut extract = RawExtract::new(offset, len);
            extract.push(bytes)?;
            extract.finish();
            Ok((extract.text(len), None))
        }
        Origin::File(file) => {
            let head = bytes_of(file, 0, 2).await?;
            if !head.starts_with(&[0x1f, 0x8b]) {
                let end = offset + len.min(crate::store::raw::MAX_RAW);
                let bytes = bytes_of(file, offset, end).await?;
                let mut plain = RawExtract::plain(0, len);
                plain.push(&bytes)?;
                return Ok((plain.text(len), None));
            }
            let mut extract = RawExtract::new(offset, len);
            let at = read_until(file, &mut |chunk| {
                extract.push(chunk)?;
                Ok(extract.done())
            })
            .await?;
            extract.finish();
            if !extract.done() {
                return Err("the record lies past the end of the decoded file".into());
            }
            Ok((
                extract.text(len),
                Some(format!(
                    "gzip input: decoded {} of {} compressed bytes from the start to reach this record",
                    at,
                    file.size() as u64
                )),
            ))
        }
    }
}

/// The message is `{files: File[]}`, or `{sample: "scenario name",
/// generated: [{path, bytes}]}` with the sample's files as the tools worker
/// generated them (`crate::tools`).
async fn analyse(data: &JsValue) -> Result<Report, JsValue> {
    CASE.with(|c| c.borrow_mut().take());
    let mut origins = Vec::new();
    if Reflect::get(data, &"sample".into())?.is_string() {
        let files = generated_files(data)?;
        // Rules written in the page (a hunt's Sigma draft) join the pack.
        let mut rules = Vec::new();
        if let Ok(extra) = Reflect::get(data, &"rules".into())?.dyn_into::<Array>() {
            for (k, text) in extra.iter().filter_map(|t| t.as_string()).enumerate() {
                rules.push(detect::RuleSource {
                    origin: format!("page-rule-{}.yml", k + 1),
                    text,
                });
            }
        }
        let mut analysis = analysis_with(rules);
        analysis.set_years(YearResolver::with_year(crate::generate::YEAR));
        for (index, (path, bytes)) in files.into_iter().enumerate() {
            let total = bytes.len() as u64;
            progress(index, &path, total, total);
            let before = analysis.inputs().len();
            analysis.open(&path, None);
            analysis.push(&bytes);
            analysis.close();
            let bytes = Rc::new(bytes);
            note_origins(&analysis, before, &path, &mut origins, || {
                Origin::Bytes(bytes.clone())
            });
        }
        analysis.finish();
        return Ok(finish(analysis, origins));
    }
    let files: Array = Reflect::get(data, &"files".into())?.dyn_into()?;
    // The tools worker hashes the files, by their index in `files`.
    let hashed = Reflect::get(data, &"hashed".into())?.is_truthy();
    // Sigma rule files dropped with the logs join the built-in pack.
    let mut rules = Vec::new();
    let mut logs = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let file: File = file.dyn_into()?;
        match rule_file(&file).await? {
            Some(rule) => rules.push(rule),
            None => logs.push((index, file)),
        }
    }
    let mut analysis = analysis_with(rules);
    for (input, (index, file)) in logs.into_iter().enumerate() {
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
        let before = analysis.inputs().len();
        if hashed {
            analysis.open_unhashed(&path, None);
        } else {
            analysis.open(&path, None);
        }
        progress(input, &path, 0, total);
        read_from_page(index, total, |chunk, done| {
            analysis.push(chunk);
            progress(input, &path, done, total);
            true
        })
        .await?;
        if hashed {
            let digest = match digest_from_tools(index).await {
                Some(digest) => digest,
                // The tools worker could not: read the file again here.
                None => sha256_hex(&file, CHUNK).await?,
            };
            analysis.close_hashed(&digest);
        } else {
            analysis.close();
        }
        note_origins(&analysis, before, &path, &mut origins, || {
            Origin::File(file.clone())
        });
    }
    analysis.finish();
    Ok(finish(analysis, origins))
}

/// The `generated` files of a sample message, as (path, bytes).
fn generated_files(data: &JsValue) -> Result<Vec<(String, Vec<u8>)>, JsValue> {
    let files: Array = Reflect::get(data, &"generated".into())?.dyn_into()?;
    files
        .iter()
        .map(|file| {
            let path = Reflect::get(&file, &"path".into())?
                .as_string()
                .unwrap_or_default();
            let bytes: Uint8Array = Reflect::get(&file, &"bytes".into())?.dyn_into()?;
            Ok((path, bytes.to_vec()))
        })
        .collect()
}

/// The text of a dropped `.yml`/`.yaml` file when it is a Sigma rule (not,
/// say, a YAML log export).
async fn rule_file(file: &File) -> Result<Option<detect::RuleSource>, JsValue> {
    let name = file.name().to_ascii_lowercase();
    if !(name.ends_with(".yml") || name.ends_with(".yaml")) || file.size() > MAX_RULE_FILE {
        return Ok(None);
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(detect::looks_like_sigma(&text).then(|| detect::RuleSource {
        origin: file.name(),
        text,
    }))
}

/// Larger YAML files are read as logs, never as rules.
const MAX_RULE_FILE: f64 = 1024.0 * 1024.0;

/// Records where the inputs `before..` of the analysis (one file, or the
/// members of an archive) can be re-read.
fn note_origins(
    analysis: &Analysis,
    before: usize,
    path: &str,
    origins: &mut Vec<Origin>,
    whole: impl Fn() -> Origin,
) {
    let inputs = &analysis.inputs()[before.min(analysis.inputs().len())..];
    for input in inputs {
        // A member is named `archive!name` (see `ingest::archive`).
        origins.push(match input.path.strip_prefix(&format!("{path}!")) {
            Some(name) => Origin::Member {
                archive: Box::new(whole()),
                name: name.to_string(),
            },
            None => whole(),
        });
    }
}

fn finish(analysis: Analysis, origins: Vec<Origin>) -> Report {
    let report = Report::new(&analysis);
    CASE.with(|c| {
        *c.borrow_mut() = Some(Case {
            session: Session::new(analysis),
            origins,
        })
    });
    report
}
