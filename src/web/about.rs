//! The About box: the release manifest the build embedded in the page
//! (`#release-manifest`, an inert JSON block) and a check that the wasm
//! modules running are the ones it lists (`crate::release`).
//!
//! The build leaves each module's bytes in the global `spoorWasmBytes` of
//! its scope: the page hashes its own here, each worker (analysis, tools)
//! hashes its own and reports the digest in `FromWorker::Ready`. The bytes
//! are dropped once hashed.

use super::dom::{attr, by_id, child, clear, document, on, row, show};
use crate::protocol::FromWorker;
use crate::release::{sha256_hex, Check, Manifest};
use js_sys::{Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

const APP_MODULE: &str = "app_bg.wasm";
const WORKER_MODULE: &str = "worker_bg.wasm";
const TOOLS_MODULE: &str = "tools_bg.wasm";

thread_local! {
    static MANIFEST: RefCell<Option<Manifest>> = const { RefCell::new(None) };
}

/// The bytes of this scope's wasm module, taken from the global the build
/// left them in (absent when not built by `scripts/build-web.mjs`).
fn take_own_wasm() -> Option<Vec<u8>> {
    let global = js_sys::global();
    let key = "spoorWasmBytes".into();
    let bytes = Reflect::get(&global, &key)
        .ok()?
        .dyn_into::<Uint8Array>()
        .ok()?;
    let _ = Reflect::delete_property(global.unchecked_ref::<js_sys::Object>(), &key);
    Some(bytes.to_vec())
}

/// The SHA-256 of this scope's wasm module, if the build left its bytes.
pub fn own_wasm_digest() -> Option<String> {
    take_own_wasm().map(|bytes| sha256_hex(&bytes))
}

/// Reads the embedded manifest, fills the dialog and checks the page's
/// own module; wires the header button.
pub fn init() {
    on(&by_id("about-button"), "click", |_| toggle(None));
    on(&by_id("about-close"), "click", |_| toggle(Some(false)));
    let text = document()
        .get_element_by_id("release-manifest")
        .and_then(|e| e.text_content())
        .unwrap_or_default();
    let manifest = match Manifest::from_json(&text) {
        Ok(m) => m,
        Err(message) => {
            by_id("about-version").set_text_content(Some(&message));
            return;
        }
    };
    by_id("about-version")
        .set_text_content(Some(&format!("{} {}", manifest.name, manifest.version)));
    by_id("about-built").set_text_content(Some(&manifest.built));
    let files = by_id("about-files");
    clear(&files);
    for (name, a) in &manifest.artifacts {
        let tr = row(&files, &[name, &a.bytes.to_string(), &a.sha256]);
        attr(&tr, "data-file", name);
    }
    show(
        &by_id("about-files-section"),
        !manifest.artifacts.is_empty(),
    );
    let modules = by_id("about-wasm");
    clear(&modules);
    for (name, digest) in &manifest.wasm {
        let tr = row(&modules, &[name, digest]);
        attr(&tr, "data-module", name);
        let cell = child(&tr, "td", "", "checking…");
        attr(&cell, "data-testid", "about-check");
    }
    let own = take_own_wasm().map(|bytes| manifest.check(APP_MODULE, &bytes));
    MANIFEST.with(|m| *m.borrow_mut() = Some(manifest));
    show_check(APP_MODULE, own);
}

/// The analysis worker reported the digest of its module (`None`: not
/// available).
pub fn worker_digest(digest: Option<String>) {
    module_digest(WORKER_MODULE, digest);
}

/// The tools worker reported the digest of its module.
pub fn tools_digest(digest: Option<String>) {
    module_digest(TOOLS_MODULE, digest);
}

fn module_digest(module: &str, digest: Option<String>) {
    let check = MANIFEST.with(|m| {
        let m = m.borrow();
        let m = m.as_ref()?;
        digest.map(|d| m.check_digest(module, &d))
    });
    show_check(module, check);
}

fn show_check(module: &str, check: Option<Check>) {
    let selector = format!("#about-wasm tr[data-module=\"{module}\"] [data-testid=about-check]");
    let Some(cell) = document().query_selector(&selector).ok().flatten() else {
        return;
    };
    let (state, text) = match check {
        Some(Check::Verified) => ("verified", "verified".to_string()),
        Some(Check::Mismatch { actual }) => ("mismatch", format!("mismatch: running {actual}")),
        Some(Check::Unlisted) => ("unlisted", "not in the manifest".to_string()),
        None => ("unavailable", "not available in this build".to_string()),
    };
    cell.set_text_content(Some(&text));
    attr(&cell, "data-state", state);
}

/// Whether `module`'s check has no result yet.
fn pending(module: &str) -> bool {
    document()
        .query_selector(&format!(
            "#about-wasm tr[data-module=\"{module}\"] [data-testid=about-check]:not([data-state])"
        ))
        .ok()
        .flatten()
        .is_some()
}

/// An analysis worker reports its module's digest only when asked: a
/// worker is started just to report it, then ended. The tools worker is
/// kept once started and reports when it starts, so it is simply started.
fn check_worker_modules() {
    if pending(TOOLS_MODULE) && super::app::tools().is_err() {
        show_check(TOOLS_MODULE, None);
    }
    if !pending(WORKER_MODULE) {
        return;
    }
    let Ok(worker) = super::app::new_worker("worker") else {
        return show_check(WORKER_MODULE, None);
    };
    let handle = worker.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let text = e.data().as_string().unwrap_or_default();
        if let Ok(FromWorker::Ready { wasm_sha256 }) = FromWorker::from_json(&text) {
            worker_digest(wasm_sha256);
        }
        handle.terminate();
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = worker.post_message(&super::message::command("digest"));
}

/// Opens, closes (`Some(false)`, also on Esc) or toggles the dialog.
pub fn toggle(open: Option<bool>) {
    let about = by_id("about");
    let open = open.unwrap_or(about.hidden());
    show(&about, open);
    if open {
        check_worker_modules();
        let _ = by_id("about-close").focus();
    } else if document()
        .active_element()
        .is_some_and(|e| e.id() == "about-close")
    {
        let _ = by_id("about-button").focus();
    }
}
