//! The page: case intake (drop, pick, sample), progress with cancel, and
//! the analyst's workspace over the finished case — overview, timeline,
//! findings, event explorer, ATT&CK matrix, entity view — fed by the
//! worker's answers (`protocol::Request` / `FromWorker::Answer`).
//!
//! State lives in one thread-local [`State`]; views are modules that read
//! it and render with web-sys. Shareable state (tab, user-typed query,
//! selected finding, finding filters, theme) lives in the URL fragment.

use super::dom::{
    by_id, child, clear, document, el, human_bytes, input_value, on, row, select_value,
    set_input_value, show, target_closest, thousands,
};
use super::message::{command, number, transfer_of};
use super::{about, casefile, explorer, findings, hunt, lanes, learn, perf, timeline, views};
use crate::protocol::{Answer, FromWorker, Request, ToTools, ToWorker};
use crate::report::Report;
use crate::store::query::without_time;
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, DragEvent, Event, File, HtmlElement, HtmlInputElement, KeyboardEvent, MessageEvent,
    Worker,
};

pub const TABS: [&str; 8] = [
    "case", "overview", "timeline", "findings", "explorer", "attack", "entity", "hunt",
];

/// Progress of one input while it is read.
pub struct Progress {
    pub path: String,
    pub done: u64,
    pub total: u64,
    pub started_ms: f64,
    pub now_ms: f64,
}

#[derive(Default)]
pub struct State {
    pub worker: Option<Worker>,
    /// An analysis worker started ahead, when files are about to come (a
    /// drag over the page, a click on a file picker, the pointer on the
    /// sample button), with the built-in pack loading; the next analysis
    /// takes it ([`warm_worker`]).
    pub spare: Option<Worker>,
    /// The tools worker (samples, exports), once started.
    pub tools: Option<Worker>,
    /// A sample's message for the analysis worker, waiting for the files of
    /// the tools worker's request with this id.
    pub sample_request: Option<(u64, JsValue)>,
    /// The running analysis's files being hashed by the tools worker:
    /// (request id, the file's index in the analysis message's `files`).
    pub hashes: Vec<(u64, usize)>,
    /// Slices read for the analysis worker that the tools worker is
    /// hashing on their way: (file index, from, to).
    pub with_tools: Vec<(usize, u64, u64)>,
    /// The running analysis's `files`, which the page reads for the
    /// analysis worker ([`read_for_worker`]).
    pub reading: Option<Array>,
    pub files: Vec<File>,
    pub report: Option<Rc<Report>>,
    /// The worker holds a finished case and answers requests.
    pub ready: bool,
    pub next_id: u64,
    pub tab: String,
    /// The explorer's query (as typed, or built by clicks).
    pub q: String,
    /// The query holds values taken from the logs (click-to-filter): it is
    /// then left out of the URL.
    pub q_from_log: bool,
    pub progress: Vec<Progress>,
    pub explorer: explorer::Explorer,
    pub timeline: timeline::Timeline,
    pub findings: findings::Findings,
    pub theme: String,
    /// The built-in sample shown (for the walkthrough).
    pub sample: Option<String>,
    /// The case's events are loaded (false for a case opened from a file).
    pub logs: bool,
    /// The `blob:` URL of the last download, revoked at the next one.
    pub download_url: Option<String>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State { tab: "case".into(), logs: true, ..State::default() });
}

/// Runs `f` on the page state. Never call DOM code that fires events
/// synchronously (focus, click) inside it.
pub fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

pub fn report() -> Option<Rc<Report>> {
    with(|s| s.report.clone())
}

/// Sends a request to the worker; the answer comes back with this id and tag.
pub fn ask(tag: &str, body: ToWorker) -> u64 {
    let (worker, id) = with(|s| {
        s.next_id += 1;
        (s.worker.clone(), s.next_id)
    });
    if let Some(w) = worker {
        send(&w, id, tag, body);
    }
    id
}

/// Sends a request to the tools worker, starting it if need be; its answer
/// is routed by `tag` like the analysis worker's. `None` (and the status
/// says why) when the worker cannot start.
pub fn ask_tools(tag: &str, body: ToTools) -> Option<u64> {
    let worker = match tools() {
        Ok(w) => w,
        Err(e) => {
            set_status(&format!("cannot start the tools worker: {e:?}"));
            return None;
        }
    };
    let id = with(|s| {
        s.next_id += 1;
        s.next_id
    });
    send(&worker, id, tag, body);
    Some(id)
}

fn send<B: serde::Serialize + serde::de::DeserializeOwned>(
    worker: &Worker,
    id: u64,
    tag: &str,
    body: B,
) {
    let request = Request {
        id,
        tag: tag.to_string(),
        body,
    };
    let _ = worker.post_message(&JsValue::from_str(&request.to_json()));
}

pub fn start() {
    on(&by_id("file-input"), "change", |e| take_input_files(&e));
    on(&by_id("folder-input"), "change", |e| take_input_files(&e));
    on(&by_id("file-input"), "click", |_| warm_worker());
    on(&by_id("folder-input"), "click", |_| warm_worker());
    let body: web_sys::EventTarget = document().body().expect("a body").into();
    on(&body, "dragenter", |_| warm_worker());
    on(&body, "dragover", |e| {
        e.prevent_default();
        let _ = document().body().map(|b| b.class_list().add_1("over"));
    });
    on(&body, "dragleave", |_| {
        let _ = document().body().map(|b| b.class_list().remove_1("over"));
    });
    on(&body, "drop", |e| {
        e.prevent_default();
        let _ = document().body().map(|b| b.class_list().remove_1("over"));
        let Some(list) = e
            .dyn_ref::<DragEvent>()
            .and_then(|d| d.data_transfer())
            .and_then(|t| t.files())
        else {
            return;
        };
        add_files((0..list.length()).filter_map(|i| list.get(i)).collect());
    });
    on(&by_id("cancel-button"), "click", |_| cancel());
    let select = by_id("sample-select");
    for scenario in crate::generate::scenarios() {
        let option = el("option", "", scenario.title);
        option.set_attribute("value", scenario.name).ok();
        let _ = select.append_child(&option);
    }
    // The pointer on its way, or the focus: a sample is about to be asked for.
    on(&by_id("sample-button"), "pointerenter", |_| warm_worker());
    on(&by_id("sample-button"), "focus", |_| warm_worker());
    on(&by_id("sample-button"), "click", |_| {
        let name = select_value("sample-select");
        set_hash_param("sample", Some(&name));
        open_sample(&name);
    });
    on(&by_id("clear-button"), "click", |_| {
        with(|s| {
            s.files.clear();
            s.report = None;
            s.ready = false;
            s.sample = None;
        });
        cancel();
        casefile::case_closed();
        show(&by_id("walkthrough"), false);
        show(&by_id("results"), false);
        let _ = document()
            .body()
            .map(|b| b.class_list().remove_1("has-case"));
        set_status("");
        enable_tabs(false);
        replace_hash("");
        set_tab("case");
    });
    for tab in TABS {
        on(&by_id(&format!("tab-{tab}")), "click", move |_| {
            set_tab(tab)
        });
    }
    on(&by_id("theme-button"), "click", |_| toggle_theme());
    on(&by_id("help-button"), "click", |_| toggle_help(None));
    on(&by_id("help-close"), "click", |_| toggle_help(Some(false)));
    about::init();
    by_id("help-fields").set_text_content(Some(&format!(
        "Fields: {}. Prefix - to negate; * is a wildcard; a,b matches either.",
        crate::store::query::FIELDS_HELP
    )));
    on(&document().into(), "keydown", on_key);
    on(&by_id("query-run"), "click", |_| {
        set_query(&input_value("query-input"), false)
    });
    on(&by_id("query-clear"), "click", |_| set_query("", false));
    on(&by_id("query-input"), "keydown", |e| {
        if let Some(k) = e.dyn_ref::<KeyboardEvent>() {
            if k.key() == "Enter" {
                set_query(&input_value("query-input"), false);
            }
        }
    });
    explorer::start();
    timeline::start();
    findings::start();
    views::start();
    casefile::start();
    learn::start();
    hunt::start();
    enable_tabs(false);
    let hash = read_hash();
    if let Some(theme) = param(&hash, "theme") {
        apply_theme(&theme);
    }
    set_tab("case");
    if let Some(name) = param(&hash, "sample") {
        open_sample(&name);
    }
}

fn take_input_files(e: &Event) {
    let Some(input) = e
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(list) = input.files() else { return };
    add_files((0..list.length()).filter_map(|i| list.get(i)).collect());
    input.set_value("");
}

pub fn add_files(files: Vec<File>) {
    if files.is_empty() {
        return;
    }
    let all = with(|s| {
        s.sample = None;
        s.logs = true;
        s.files.extend(files);
        s.files.clone()
    });
    let array = Array::new();
    for f in &all {
        array.push(f);
    }
    let message = Object::new();
    let _ = Reflect::set(&message, &"files".into(), &array);
    run(&message);
}

/// Analyses a built-in sample incident (generated by the tools worker).
fn open_sample(name: &str) {
    with(|s| {
        s.files.clear();
        s.sample = Some(name.to_string());
        s.logs = true;
    });
    let message = Object::new();
    let _ = Reflect::set(&message, &"sample".into(), &JsValue::from_str(name));
    run(&message);
}

/// Starts a fresh worker on `message`, ending any analysis under way. A
/// sample's message (`{sample}`) waits for the tools worker to generate
/// its files.
pub fn run(message: &JsValue) {
    let Some(worker) = start_worker() else { return };
    perf::start("spoor:analysis");
    show(&by_id("progress"), true);
    set_progress(0.0, "starting…");
    clear(&by_id("progress-body"));
    with(|s| s.progress.clear());
    set_status("Analysing…");
    let sample = Reflect::get(message, &"sample".into())
        .ok()
        .and_then(|v| v.as_string());
    let Some(name) = sample else {
        let hashed = hash_in_tools(message);
        let _ = Reflect::set(message, &"hashed".into(), &JsValue::from_bool(hashed));
        with(|s| {
            s.reading = Reflect::get(message, &"files".into())
                .ok()
                .and_then(|f| f.dyn_into().ok())
        });
        let _ = worker.post_message(message);
        return;
    };
    match ask_tools("sample", ToTools::Sample { name }) {
        Some(id) => with(|s| s.sample_request = Some((id, message.clone()))),
        None => {
            cancel_worker();
            show(&by_id("progress"), false);
        }
    }
}

/// Has the tools worker hash each of the message's `files` from the
/// slices the page reads for the analysis worker ([`read_for_worker`]), so
/// that hashing runs on another core than the analysis and each file is
/// read once; [`file_hashed`] hands each digest to the analysis worker.
/// False when the tools worker cannot start: the analysis worker then
/// hashes.
fn hash_in_tools(message: &JsValue) -> bool {
    let Ok(files) = Reflect::get(message, &"files".into()).and_then(|f| f.dyn_into::<Array>())
    else {
        return false;
    };
    let Ok(tools) = tools() else {
        return false;
    };
    for (index, file) in files.iter().enumerate() {
        let id = with(|s| {
            s.next_id += 1;
            s.hashes.push((s.next_id, index));
            s.next_id
        });
        // No slice of an empty file is read: its digest is asked for alone.
        let empty = file.dyn_ref::<Blob>().is_some_and(|b| b.size() == 0.0);
        if empty {
            let _ = tools.post_message(&slice_message(Some(id), index, 0, true, &JsValue::NULL));
        }
    }
    true
}

/// `{index, from, slice}` for the analysis worker, or with `id` and `last`
/// for the tools worker to hash on its way there.
fn slice_message(id: Option<u64>, index: usize, from: u64, last: bool, slice: &JsValue) -> Object {
    let message = Object::new();
    if let Some(id) = id {
        let _ = Reflect::set(&message, &"id".into(), &JsValue::from_f64(id as f64));
        let _ = Reflect::set(&message, &"last".into(), &JsValue::from_bool(last));
    }
    let _ = Reflect::set(&message, &"index".into(), &JsValue::from_f64(index as f64));
    let _ = Reflect::set(&message, &"from".into(), &JsValue::from_f64(from as f64));
    let _ = Reflect::set(&message, &"slice".into(), slice);
    message
}

/// The tools worker's `{id, index, from, slice}`, hashed: the slice goes on
/// to the analysis worker if the request is the running analysis's, and
/// with the file's last slice comes its digest.
fn slice_hashed(data: &JsValue) {
    let id = number(data, "id");
    let index = number(data, "index").unwrap_or(u64::MAX) as usize;
    let from = number(data, "from").unwrap_or(u64::MAX);
    let slice = Reflect::get(data, &"slice".into()).unwrap_or(JsValue::NULL);
    let worker = with(|s| {
        s.with_tools.retain(|&(i, f, _)| (i, f) != (index, from));
        s.hashes
            .iter()
            .any(|(want, _)| Some(*want) == id)
            .then(|| s.worker.clone())?
    });
    if let (Some(worker), false) = (worker, slice.is_null()) {
        let message = slice_message(None, index, from, false, &slice);
        let _ = worker.post_message_with_transfer(&message, &Array::of1(&slice));
    }
    if Reflect::has(data, &"sha256".into()).unwrap_or(false) {
        file_hashed(data);
    }
}

/// The `sha256` of request `id` (null: the tools worker could not hash
/// the file), passed on to the analysis worker as `{index, sha256}` if the
/// request is the running analysis's.
fn file_hashed(data: &JsValue) {
    let id = number(data, "id");
    let sha256 = Reflect::get(data, &"sha256".into()).unwrap_or(JsValue::NULL);
    let wanted = with(|s| {
        let at = s.hashes.iter().position(|(want, _)| Some(*want) == id)?;
        let (_, index) = s.hashes.remove(at);
        Some((s.worker.clone()?, index))
    });
    if let Some((worker, index)) = wanted {
        post_hash(&worker, index, &sha256);
    }
}

/// `{index, sha256}` to the analysis worker.
fn post_hash(worker: &Worker, index: usize, sha256: &JsValue) {
    let message = Object::new();
    let _ = Reflect::set(&message, &"index".into(), &JsValue::from_f64(index as f64));
    let _ = Reflect::set(&message, &"sha256".into(), sha256);
    let _ = worker.post_message(&message);
}

/// Reads bytes `from..to` of the running analysis's file `index` and
/// hands them to the analysis worker as `{index, from, slice}`, the
/// `ArrayBuffer` transferred (`slice: null` if the file cannot be read).
/// A file the tools worker hashes goes there first and on from there
/// ([`slice_hashed`]): read once, not once for each worker.
/// A worker cancelled meanwhile gets nothing: posting to it does nothing.
fn read_for_worker(index: usize, from: u64, to: u64) {
    let Some((worker, file)) = with(|s| {
        let file = s
            .reading
            .as_ref()?
            .get(index as u32)
            .dyn_into::<Blob>()
            .ok()?;
        Some((s.worker.clone()?, file))
    }) else {
        return;
    };
    let last = to as f64 >= file.size();
    let read = file.slice_with_f64_and_f64(from as f64, to as f64);
    wasm_bindgen_futures::spawn_local(async move {
        let slice = match read {
            Ok(blob) => JsFuture::from(blob.array_buffer())
                .await
                .unwrap_or(JsValue::NULL),
            Err(_) => JsValue::NULL,
        };
        let hashing = if slice.is_null() {
            None
        } else {
            with(|s| {
                let (id, _) = s.hashes.iter().find(|(_, i)| *i == index)?;
                let tools = s.tools.clone()?;
                s.with_tools.push((index, from, to));
                Some((*id, tools))
            })
        };
        let (to_worker, id) = match &hashing {
            Some((id, tools)) => (tools, Some(*id)),
            None => (&worker, None),
        };
        let message = slice_message(id, index, from, last, &slice);
        let _ = to_worker.post_message_with_transfer(&message, &transfer_of(&slice));
    });
}

/// Shows a report saved in a case file. A fresh worker without logs
/// answers what needs none (rule documentation, hunts, drafts).
pub fn open_report(report: Report) {
    let Some(worker) = start_worker() else { return };
    let _ = worker.post_message(&command("case"));
    with(|s| s.ready = true);
    show(&by_id("progress"), false);
    render(Rc::new(report));
}

/// A fresh analysis worker in place of any running one, wired to
/// [`handle`]; `None` (and the status says why) when it cannot start.
fn start_worker() -> Option<Worker> {
    cancel_worker();
    if let Some(done) = document()
        .query_selector("[data-testid=analysis-done]")
        .ok()
        .flatten()
    {
        done.remove();
    }
    let spare = with(|s| s.spare.take());
    let worker = match spare.map_or_else(|| new_worker("worker"), Ok) {
        Ok(w) => w,
        Err(e) => {
            set_status(&format!("cannot start the analysis worker: {e:?}"));
            return None;
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let text = e.data().as_string().unwrap_or_default();
        match FromWorker::from_json(&text) {
            Ok(m) => handle(m),
            Err(err) => set_status(&err),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(Event)>::new(|_e: Event| {
        set_status("the analysis worker stopped with an error");
        show(&by_id("progress"), false);
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    with(|s| {
        s.worker = Some(worker.clone());
        s.ready = false;
    });
    Some(worker)
}

/// Starts the next analysis worker now, if there is none waiting, and the
/// tools worker, which will hash the files or generate the sample: files are
/// about to come, and starting the workers and loading the built-in pack take
/// ~0.3 s, most of a small case's time. Nothing else changes: the running
/// analysis or the case shown stay as they are.
fn warm_worker() {
    if with(|s| s.spare.is_some()) {
        return;
    }
    let _ = tools();
    let Ok(worker) = new_worker("worker") else {
        return;
    };
    // It posts nothing before an analysis; if it fails, the next analysis
    // starts a fresh worker.
    let on_error = Closure::<dyn FnMut(Event)>::new(|_e: Event| {
        if let Some(w) = with(|s| s.spare.take()) {
            w.terminate();
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    let _ = worker.post_message(&command("warm"));
    with(|s| s.spare = Some(worker));
}

/// The tools worker, started on first use and kept: its answers go to
/// [`handle`] like the analysis worker's, a sample's files to the analysis
/// worker waiting for them.
pub(super) fn tools() -> Result<Worker, JsValue> {
    if let Some(w) = with(|s| s.tools.clone()) {
        return Ok(w);
    }
    let worker = new_worker("tools")?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let data = e.data();
        let Some(text) = data.as_string() else {
            if Reflect::has(&data, &"from".into()).unwrap_or(false) {
                return slice_hashed(&data);
            }
            return sample_generated(&data);
        };
        match FromWorker::from_json(&text) {
            Ok(FromWorker::Ready { wasm_sha256 }) => about::tools_digest(wasm_sha256),
            Ok(m) => handle(m),
            Err(err) => set_status(&err),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(Event)>::new(|_e: Event| {
        // The next request starts a fresh one; a sample waiting for it ends.
        if let Some(w) = with(|s| s.tools.take()) {
            w.terminate();
        }
        if with(|s| s.sample_request.is_some()) {
            cancel_worker();
            show(&by_id("progress"), false);
        }
        // Files it was hashing: the analysis worker hashes them itself, and
        // the slices it held are read again for it.
        let (worker, pending, slices) = with(|s| {
            let pending = std::mem::take(&mut s.hashes);
            (s.worker.clone(), pending, std::mem::take(&mut s.with_tools))
        });
        if let Some(worker) = worker {
            for (_, index) in pending {
                post_hash(&worker, index, &JsValue::NULL);
            }
        }
        for (index, from, to) in slices {
            read_for_worker(index, from, to);
        }
        set_status("the tools worker stopped with an error");
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    with(|s| s.tools = Some(worker.clone()));
    Ok(worker)
}

/// The tools worker's `{id, files}`: handed to the analysis worker as the
/// sample's `generated` files, if that sample is still the one wanted.
fn sample_generated(data: &JsValue) {
    let id = number(data, "id");
    let wanted = with(|s| match s.sample_request.take() {
        Some((want, message)) if Some(want) == id => s.worker.clone().map(|w| (w, message)),
        other => {
            s.sample_request = other;
            None
        }
    });
    let Some((worker, message)) = wanted else {
        return;
    };
    let files = Reflect::get(data, &"files".into()).unwrap_or(JsValue::UNDEFINED);
    let _ = Reflect::set(&message, &"generated".into(), &files);
    let _ = worker.post_message(&message);
}

/// The tools worker could not generate the sample of request `id`.
fn sample_failed(id: u64, answer: Answer) {
    let wanted = with(|s| {
        let wanted = s
            .sample_request
            .as_ref()
            .is_some_and(|(want, _)| *want == id);
        if wanted {
            s.sample_request = None;
        }
        wanted
    });
    if wanted {
        cancel_worker();
        show(&by_id("progress"), false);
        let message = answer_error(&answer).unwrap_or_default();
        set_status(&format!("Analysis failed: {message}"));
    }
}

/// A worker script (`worker` or `tools`): inline in the single-file build
/// (`#NAME-source`, started from a `blob:` URL), a sibling file otherwise.
pub(super) fn new_worker(name: &str) -> Result<Worker, JsValue> {
    if let Some(source) = document().get_element_by_id(&format!("{name}-source")) {
        let parts = Array::of1(&JsValue::from_str(
            &source.text_content().unwrap_or_default(),
        ));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        return Worker::new(&url);
    }
    Worker::new(&format!("./{name}.js"))
}

fn cancel_worker() -> bool {
    with(|s| {
        s.ready = false;
        s.sample_request = None;
        s.reading = None;
        s.with_tools.clear();
        if !s.hashes.is_empty() {
            // The tools worker is still hashing this case's files.
            if let Some(tools) = &s.tools {
                let _ = tools.post_message(&command("stop"));
            }
            s.hashes.clear();
        }
        match s.worker.take() {
            Some(w) => {
                w.terminate();
                true
            }
            None => false,
        }
    })
}

fn cancel() {
    let running = with(|s| !s.ready && s.worker.is_some());
    if running && cancel_worker() {
        set_status("Analysis cancelled.");
    }
    show(&by_id("progress"), false);
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn handle(message: FromWorker) {
    match message {
        FromWorker::Ready { wasm_sha256 } => about::worker_digest(wasm_sha256),
        FromWorker::Progress {
            input,
            path,
            done,
            total,
            ..
        } => on_progress(input, path, done, total),
        FromWorker::Read { index, from, to } => read_for_worker(index, from, to),
        FromWorker::Done { report, .. } => {
            perf::end("spoor:analysis");
            with(|s| s.ready = true);
            show(&by_id("progress"), false);
            render(Rc::new(*report));
        }
        FromWorker::Failed { message } => {
            show(&by_id("progress"), false);
            set_status(&format!("Analysis failed: {message}"));
        }
        FromWorker::Answer { id, tag, answer } => {
            let kind = tag.split(':').next().unwrap_or("");
            match kind {
                "explorer" | "xraw" => explorer::on_answer(id, &tag, answer),
                "timeline" => timeline::on_answer(id, answer),
                "lanes" => lanes::on_answer(id, answer),
                "evidence" | "raw" | "surround" | "rule" => findings::on_answer(&tag, answer),
                "export" => casefile::on_answer(answer),
                "sample" => sample_failed(id, answer),
                "overview" | "entity-rows" | "entity-stacks" => views::on_answer(&tag, answer),
                "hunt" => hunt::on_answer(&tag, answer),
                _ => {}
            }
        }
    }
}

fn on_progress(input: usize, path: String, done: u64, total: u64) {
    let now = now_ms();
    let rows = with(|s| {
        while s.progress.len() <= input {
            s.progress.push(Progress {
                path: String::new(),
                done: 0,
                total: 0,
                started_ms: now,
                now_ms: now,
            });
        }
        let p = &mut s.progress[input];
        if p.path != path {
            p.path = path.clone();
            p.started_ms = now;
        }
        p.done = done;
        p.total = total;
        p.now_ms = now;
        s.progress
            .iter()
            .map(|p| {
                let secs = ((p.now_ms - p.started_ms) / 1000.0).max(0.001);
                let rate = p.done as f64 / secs;
                let left = if p.done >= p.total {
                    "done".to_string()
                } else if p.done == 0 || rate <= 0.0 {
                    "–".to_string()
                } else {
                    format!("{:.0} s", (p.total - p.done) as f64 / rate)
                };
                [
                    p.path.clone(),
                    format!("{} of {}", human_bytes(p.done), human_bytes(p.total)),
                    if p.done == 0 {
                        "–".to_string()
                    } else {
                        format!("{}/s", human_bytes(rate as u64))
                    },
                    left,
                ]
            })
            .collect::<Vec<_>>()
    });
    let fraction = if total == 0 {
        1.0
    } else {
        done as f64 / total as f64
    };
    set_progress(
        fraction,
        &format!(
            "input {}: {path} — {} of {}",
            input + 1,
            human_bytes(done),
            human_bytes(total)
        ),
    );
    let body = by_id("progress-body");
    clear(&body);
    for r in rows {
        let tr = row(&body, &[&r[0], &r[1], &r[2], &r[3]]);
        tr.set_attribute("data-testid", "progress-row").ok();
    }
}

fn set_progress(fraction: f64, text: &str) {
    let bar: web_sys::HtmlProgressElement = by_id("progress-bar").unchecked_into();
    bar.set_value(fraction);
    by_id("progress-text").set_text_content(Some(text));
}

pub fn set_status(text: &str) {
    by_id("status").set_text_content(Some(text));
}

fn enable_tabs(on: bool) {
    for tab in TABS.iter().skip(1) {
        let b = by_id(&format!("tab-{tab}"));
        if on {
            let _ = b.remove_attribute("disabled");
        } else {
            let _ = b.set_attribute("disabled", "");
        }
    }
}

/// Shows one view.
pub fn set_tab(tab: &str) {
    let tab = if TABS.contains(&tab) { tab } else { "overview" };
    let ready = with(|s| s.report.is_some());
    let tab = if ready { tab } else { "case" };
    with(|s| s.tab = tab.to_string());
    for t in TABS {
        let b = by_id(&format!("tab-{t}"));
        b.set_attribute("aria-selected", if t == tab { "true" } else { "false" })
            .ok();
        b.set_tab_index(if t == tab { 0 } else { -1 });
        show(&by_id(&format!("panel-{t}")), t == tab);
    }
    show(&by_id("query-bar"), matches!(tab, "timeline" | "explorer"));
    match tab {
        "timeline" => timeline::shown(),
        "explorer" => explorer::render(),
        "hunt" => hunt::shown(),
        _ => {}
    }
    write_hash();
}

/// Sets the explorer query and re-runs every view that depends on it.
pub fn set_query(q: &str, from_log: bool) {
    let q = q.trim().to_string();
    let changed = with(|s| {
        let changed = s.q != q;
        s.q_from_log = if changed {
            from_log
        } else {
            s.q_from_log || from_log
        };
        s.q = q.clone();
        changed
    });
    set_input_value("query-input", &q);
    explorer::reset();
    if changed {
        timeline::query_changed(&without_time(&q));
    }
    write_hash();
}

/// Shows (or clears) the error of a query.
pub fn query_error(message: Option<&str>) {
    by_id("query-error").set_text_content(message);
    let input = by_id("query-input");
    if message.is_some() {
        input.class_list().add_1("bad").ok();
        input.set_attribute("aria-invalid", "true").ok();
    } else {
        input.class_list().remove_1("bad").ok();
        input.remove_attribute("aria-invalid").ok();
    }
}

/// A row of the inputs table spanning all its columns (log text goes in
/// as text only, through `row`).
fn note_row(body: &web_sys::Element, text: &str, class: &str) {
    let tr = row(body, &[text]);
    tr.set_class_name(class);
    if let Some(cell) = tr.first_element_child() {
        cell.set_attribute("colspan", "7").ok();
    }
}

fn render(report: Rc<Report>) {
    let events: u64 = report.inputs.iter().map(|i| i.events).sum();
    by_id("events-count").set_text_content(Some(&events.to_string()));
    by_id("findings-count").set_text_content(Some(&report.findings.len().to_string()));
    by_id("incidents-count").set_text_content(Some(&report.incidents.len().to_string()));

    let inputs = by_id("inputs-body");
    clear(&inputs);
    for i in &report.inputs {
        let tr = row(
            &inputs,
            &[
                &i.path,
                &i.format,
                &human_bytes(i.bytes),
                &thousands(i.lines),
                &thousands(i.events),
                &thousands(i.unparsed),
                &i.sha256,
            ],
        );
        tr.set_attribute("data-testid", "input-row").ok();
        let shown = i.diagnostics.len().min(20);
        for d in i.diagnostics.iter().take(shown) {
            note_row(
                &inputs,
                &format!("{}:{}: {}", i.path, d.line, d.message),
                "diagnostic",
            );
        }
        let more = (i.diagnostics.len() - shown) as u64 + i.diagnostics_dropped;
        if more > 0 {
            note_row(
                &inputs,
                &format!("… and {more} more unparsed lines"),
                "diagnostic",
            );
        }
    }
    // Integrity across inputs: clocks that disagree, rules that could not fire.
    for k in &report.integrity.clock_skew {
        let text = format!(
            "clock skew: {} is {:+.3} s from {} ({} exec(s); {})",
            k.other,
            k.offset_ms as f64 / 1000.0,
            k.reference,
            k.samples,
            k.basis
        );
        note_row(&inputs, &text, "integrity-note");
    }
    for n in &report.integrity.rule_coverage {
        let text = format!("rule coverage: {}: {}", n.message, n.rules.join(", "));
        note_row(&inputs, &text, "integrity-note");
    }
    with(|s| s.report = Some(report.clone()));
    fill_counts("actions-body", &report.summary.actions);
    fill_counts("users-body", &report.summary.users);
    show(&by_id("results"), true);
    let _ = document().body().map(|b| b.class_list().add_1("has-case"));
    enable_tabs(true);
    timeline::reset(&report);
    findings::case_loaded(&report);
    views::case_loaded(&report);
    hunt::case_loaded();
    set_status(&format!(
        "Analysed {} input(s): {events} events, {} findings.",
        report.inputs.len(),
        report.findings.len()
    ));
    // The URL's state (tab, query, selection) applies to the new case.
    let hash = read_hash();
    let q = param(&hash, "q").unwrap_or_default();
    with(|s| {
        s.q = q.clone();
        s.q_from_log = false;
    });
    set_input_value("query-input", &q);
    findings::apply_url(&hash);
    explorer::reset();
    timeline::query_changed(&without_time(&q));
    set_tab(&param(&hash, "tab").unwrap_or_else(|| "overview".into()));
    casefile::case_loaded();
    learn::case_loaded();
    let done = el("span", "done-marker", "analysis done");
    done.set_attribute("data-testid", "analysis-done").ok();
    let _ = by_id("status").append_child(&done);
}

/// Fills a two-column table with the largest counts first.
fn fill_counts(id: &str, counts: &std::collections::BTreeMap<String, u64>) {
    let body = by_id(id);
    clear(&body);
    let mut sorted: Vec<_> = counts.iter().collect();
    crate::sort::by(&mut sorted, |a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, n) in sorted.into_iter().take(50) {
        row(&body, &[name, &n.to_string()]);
    }
}

// ---- URL fragment -------------------------------------------------------

pub fn read_hash() -> Vec<(String, String)> {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    parse_fragment(&hash)
}

/// `a=1&b=x%20y` (with or without `#`) as decoded pairs.
pub fn parse_fragment(hash: &str) -> Vec<(String, String)> {
    hash.trim_start_matches('#')
        .split('&')
        .filter(|kv| !kv.is_empty())
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = js_sys::decode_uri_component(v).ok()?.as_string()?;
            Some((k.to_string(), v))
        })
        .collect()
}

pub fn param(hash: &[(String, String)], key: &str) -> Option<String> {
    hash.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

pub fn replace_hash(fragment: &str) {
    let Some(w) = web_sys::window() else { return };
    let url = if fragment.is_empty() {
        w.location().pathname().unwrap_or_default() + &w.location().search().unwrap_or_default()
    } else {
        format!("#{fragment}")
    };
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

fn set_hash_param(key: &str, value: Option<&str>) {
    let mut hash = read_hash();
    hash.retain(|(k, _)| k != key);
    if let Some(v) = value {
        hash.insert(0, (key.to_string(), v.to_string()));
    }
    replace_hash(&encode(&hash));
}

pub fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Writes the shareable state into the URL fragment. Only ids, names of
/// views and what the analyst typed go there — never log content.
pub fn write_hash() {
    let ready = with(|s| s.report.is_some());
    if !ready {
        return;
    }
    let old = read_hash();
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(sample) = param(&old, "sample") {
        pairs.push(("sample".into(), sample));
    }
    let (tab, q, from_log, theme) =
        with(|s| (s.tab.clone(), s.q.clone(), s.q_from_log, s.theme.clone()));
    pairs.push(("tab".into(), tab));
    if !from_log {
        pairs.push(("q".into(), q));
    }
    pairs.extend(findings::url_state());
    pairs.push(("theme".into(), theme));
    replace_hash(&encode(&pairs));
}

// ---- theme, help, keys --------------------------------------------------

fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

fn apply_theme(theme: &str) {
    let root = document().document_element().expect("html");
    match theme {
        "dark" | "light" => root.set_attribute("data-theme", theme).ok(),
        _ => root.remove_attribute("data-theme").ok(),
    };
    with(|s| s.theme = theme.to_string());
    timeline::draw();
}

fn toggle_theme() {
    let current = with(|s| s.theme.clone());
    let dark = match current.as_str() {
        "dark" => true,
        "light" => false,
        _ => prefers_dark(),
    };
    apply_theme(if dark { "light" } else { "dark" });
    write_hash();
}

pub fn toggle_help(open: Option<bool>) {
    let help = by_id("help");
    let open = open.unwrap_or(help.hidden());
    show(&help, open);
    if open {
        let _ = by_id("help-close").focus();
    }
}

fn on_key(e: Event) {
    let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
        return;
    };
    if k.ctrl_key() || k.meta_key() || k.alt_key() {
        return;
    }
    let key = k.key();
    let in_field = target_closest(&e, "input, select, textarea").is_some();
    if key == "Escape" {
        toggle_help(Some(false));
        about::toggle(Some(false));
        if in_field {
            if let Some(el) = document().active_element() {
                let _ = el.unchecked_into::<HtmlElement>().blur();
            }
        }
        return;
    }
    if in_field {
        return;
    }
    let tab = with(|s| s.tab.clone());
    match key.as_str() {
        "?" => toggle_help(None),
        "/" => {
            e.prevent_default();
            let field = match tab.as_str() {
                "findings" => "f-text",
                "entity" => "entity-value",
                "timeline" | "explorer" => "query-input",
                _ => {
                    set_tab("explorer");
                    "query-input"
                }
            };
            let _ = by_id(field).focus();
        }
        "j" | "k" => {
            let step = if key == "j" { 1 } else { -1 };
            match tab.as_str() {
                "findings" => findings::step(step),
                "explorer" => explorer::step(step),
                _ => {}
            }
        }
        d if d.len() == 1 && ("1"..="8").contains(&d) => {
            let i: usize = d.parse().unwrap_or(1);
            set_tab(TABS[i - 1]);
        }
        _ => {}
    }
}

/// A clickable count table: `(value, n)` rows that call `pick(value)`.
pub fn count_rows(body: &web_sys::Element, rows: &[(String, u64)], kind: &str) {
    clear(body);
    if rows.is_empty() {
        row(body, &["–", ""]);
    }
    for (v, n) in rows {
        let tr = el("tr", "", "");
        let td = child(&tr, "td", "", "");
        let span = child(&td, "span", "linkish", v);
        span.set_attribute("data-entity-kind", kind).ok();
        span.set_attribute("tabindex", "0").ok();
        span.set_attribute("role", "link").ok();
        child(&tr, "td", "", &thousands(*n));
        let _ = body.append_child(&tr);
    }
}

pub fn answer_error(answer: &Answer) -> Option<String> {
    match answer {
        Answer::Error { message, .. } => Some(message.clone()),
        _ => None,
    }
}
