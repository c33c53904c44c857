//! The page: case intake (drop, pick, sample), progress with cancel, and
//! the results the worker sends back.

use super::dom::{by_id, clear, document, el, row, show};
use crate::protocol::FromWorker;
use crate::report::Report;
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, Event, File, HtmlInputElement, MessageEvent, Worker};

/// Every file of the current case, so later drops add to it.
struct State {
    worker: Option<Worker>,
    files: Vec<File>,
}

thread_local! {
    static STATE: RefCell<State> = const { RefCell::new(State { worker: None, files: Vec::new() }) };
}

pub fn start() {
    on(&by_id("file-input"), "change", |e| take_input_files(&e));
    on(&by_id("folder-input"), "change", |e| take_input_files(&e));
    let zone = by_id("intake");
    on(&zone, "dragover", |e| {
        e.prevent_default();
        by_id("intake").class_list().add_1("over").ok();
    });
    on(&zone, "dragleave", |_| {
        by_id("intake").class_list().remove_1("over").ok();
    });
    on(&zone, "drop", |e| {
        e.prevent_default();
        by_id("intake").class_list().remove_1("over").ok();
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
    on(&by_id("clear-button"), "click", |_| {
        STATE.with(|s| s.borrow_mut().files.clear());
        cancel();
        show(&by_id("results"), false);
        set_status("");
    });
}

fn on(target: &web_sys::EventTarget, name: &str, f: impl FnMut(Event) + 'static) {
    let closure = Closure::<dyn FnMut(Event)>::new(f);
    let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    closure.forget();
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

fn add_files(files: Vec<File>) {
    if files.is_empty() {
        return;
    }
    let all = STATE.with(|s| {
        let mut s = s.borrow_mut();
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

/// Starts a fresh worker on `message`, ending any analysis under way.
fn run(message: &JsValue) {
    cancel_worker();
    if let Some(done) = document()
        .query_selector("[data-testid=analysis-done]")
        .ok()
        .flatten()
    {
        done.remove();
    }
    let worker = match new_worker() {
        Ok(w) => w,
        Err(e) => {
            set_status(&format!("cannot start the analysis worker: {e:?}"));
            return;
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
    let _ = worker.post_message(message);
    show(&by_id("progress"), true);
    set_progress(0.0, "starting…");
    STATE.with(|s| s.borrow_mut().worker = Some(worker));
}

/// The worker script: inline in the single-file build (started from a
/// `blob:` URL), a sibling file otherwise.
fn new_worker() -> Result<Worker, JsValue> {
    if let Some(source) = document().get_element_by_id("worker-source") {
        let parts = Array::of1(&JsValue::from_str(
            &source.text_content().unwrap_or_default(),
        ));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        return Worker::new(&url);
    }
    Worker::new("./worker.js")
}

fn cancel_worker() -> bool {
    STATE.with(|s| match s.borrow_mut().worker.take() {
        Some(w) => {
            w.terminate();
            true
        }
        None => false,
    })
}

fn cancel() {
    if cancel_worker() {
        set_status("Analysis cancelled.");
    }
    show(&by_id("progress"), false);
}

fn handle(message: FromWorker) {
    match message {
        FromWorker::Ready => {}
        FromWorker::Progress {
            input,
            path,
            done,
            total,
        } => {
            let fraction = if total == 0 {
                1.0
            } else {
                done as f64 / total as f64
            };
            let files = STATE.with(|s| s.borrow().files.len());
            set_progress(
                fraction,
                &format!(
                    "input {} of {files}: {path} — {} of {}",
                    input + 1,
                    human_bytes(done),
                    human_bytes(total)
                ),
            );
        }
        FromWorker::Done { report } => {
            STATE.with(|s| s.borrow_mut().worker = None);
            show(&by_id("progress"), false);
            render(&report);
        }
        FromWorker::Failed { message } => {
            show(&by_id("progress"), false);
            set_status(&format!("Analysis failed: {message}"));
        }
    }
}

fn set_progress(fraction: f64, text: &str) {
    let bar: web_sys::HtmlProgressElement = by_id("progress-bar").unchecked_into();
    bar.set_value(fraction);
    by_id("progress-text").set_text_content(Some(text));
}

fn set_status(text: &str) {
    by_id("status").set_text_content(Some(text));
}

fn render(report: &Report) {
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
                &i.lines.to_string(),
                &i.events.to_string(),
                &i.unparsed.to_string(),
                &i.sha256,
            ],
        );
        tr.set_attribute("data-testid", "input-row").ok();
        for d in i.diagnostics.iter().take(20) {
            let diag = row(&inputs, &[&format!("{}:{}: {}", i.path, d.line, d.message)]);
            diag.set_class_name("diagnostic");
            if let Some(cell) = diag.first_element_child() {
                cell.set_attribute("colspan", "7").ok();
            }
        }
    }

    let findings = by_id("findings-body");
    clear(&findings);
    for f in &report.findings {
        let at = f
            .evidence
            .first()
            .map(|e| format!("{}:{}", e.path, e.line))
            .unwrap_or_default();
        let tr = row(
            &findings,
            &[
                &f.level,
                f.time.as_deref().unwrap_or("–"),
                &f.title,
                &f.techniques.join(" "),
                &at,
            ],
        );
        tr.set_class_name(&format!("level-{}", f.level));
    }

    fill_counts("actions-body", &report.summary.actions);
    fill_counts("users-body", &report.summary.users);
    show(&by_id("results"), true);
    set_status(&format!(
        "Analysed {} input(s): {events} events, {} findings.",
        report.inputs.len(),
        report.findings.len()
    ));
    let done = el("span", "done-marker", "analysis done");
    done.set_attribute("data-testid", "analysis-done").ok();
    let _ = by_id("status").append_child(&done);
}

/// Fills a two-column table with the largest counts first.
fn fill_counts(id: &str, counts: &std::collections::BTreeMap<String, u64>) {
    let body = by_id(id);
    clear(&body);
    let mut sorted: Vec<_> = counts.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, n) in sorted.into_iter().take(50) {
        row(&body, &[name, &n.to_string()]);
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
