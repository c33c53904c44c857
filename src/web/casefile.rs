//! Exports and case files: every `ExportFormat` rendered by the tools
//! worker (sent the page's report) and downloaded through a `blob:` URL; a
//! case saved as `spoor.case/1` (report, view state, notes — no raw logs)
//! and opened again without its logs.

use super::app::{self, ask_tools, encode, parse_fragment, replace_hash, set_status, with};
use super::dom::{attr, by_id, child, clear, on, show};
use crate::case::CaseFile;
use crate::protocol::{Answer, ToTools};
use crate::report::ExportFormat;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, HtmlElement, HtmlInputElement};

pub fn start() {
    let buttons = by_id("export-buttons");
    for f in ExportFormat::ALL {
        let b = child(&buttons, "button", "", f.name());
        attr(&b, "type", "button");
        attr(&b, "data-format", f.name());
        attr(&b, "data-testid", &format!("export-{}", f.name()));
        attr(
            &b,
            "title",
            &format!("Download the report as {}", f.extension()),
        );
    }
    on(&buttons, "click", |e| {
        let Some(b) = super::dom::target_closest(&e, "button[data-format]") else {
            return;
        };
        let format = b.get_attribute("data-format").unwrap_or_default();
        let note = Some(notes()).filter(|n| !n.trim().is_empty());
        let Some(report) = app::report() else {
            return set_export_status("There is no report to export yet.");
        };
        set_export_status(&format!("Preparing the {format} export…"));
        ask_tools(
            &format!("export:{format}"),
            ToTools::Export {
                format,
                note,
                report: Box::new((*report).clone()),
            },
        );
    });
    on(&by_id("case-save"), "click", |_| save_case());
    on(&by_id("case-input"), "change", |e| {
        let Some(input) = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        let file = input.files().and_then(|l| l.get(0));
        input.set_value("");
        if let Some(file) = file {
            open_case(file);
        }
    });
}

/// The analyst's note (HTML export, case file), as typed.
pub fn notes() -> String {
    Reflect::get(&by_id("case-notes"), &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn set_notes(text: &str) {
    let _ = Reflect::set(
        &by_id("case-notes"),
        &"value".into(),
        &JsValue::from_str(text),
    );
}

fn set_export_status(text: &str) {
    by_id("export-status").set_text_content(Some(text));
}

/// A case is shown: the tools appear; a case from a file says what it lacks.
pub fn case_loaded() {
    show(&by_id("case-tools"), true);
    set_export_status("");
    let logs = with(|s| s.logs);
    let notice = by_id("case-notice");
    clear(&notice);
    show(&notice, !logs);
    if !logs {
        child(
            &notice,
            "p",
            "",
            "Opened from a case file: the findings, incidents, counts and view are those saved. \
             The raw logs are not in a case file, so the timeline, the event explorer, evidence \
             events and raw records cannot be queried — add the log files to query them.",
        );
    }
}

pub fn case_closed() {
    show(&by_id("case-tools"), false);
    show(&by_id("case-notice"), false);
}

pub fn on_answer(answer: Answer) {
    match answer {
        Answer::Export {
            format,
            file_name,
            media_type,
            text,
        } => match download(&file_name, &media_type, &text) {
            Ok(()) => set_export_status(&format!("Exported {format}: {file_name}")),
            Err(e) => set_export_status(&format!("Cannot download the {format} export: {e}")),
        },
        Answer::Error { message, .. } => set_export_status(&format!("Export failed: {message}")),
        _ => {}
    }
}

/// Offers `text` as a file: a `blob:` URL on a transient `<a download>`.
pub fn download(file_name: &str, media_type: &str, text: &str) -> Result<(), String> {
    let parts = Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(media_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let a = super::dom::el("a", "", "");
    attr(&a, "href", &url);
    attr(&a, "download", file_name);
    attr(&a, "hidden", "");
    let body = super::dom::document().body().ok_or("no body")?;
    let _ = body.append_child(&a);
    a.unchecked_ref::<HtmlElement>().click();
    a.remove();
    // The previous download has started by now: its URL can go.
    if let Some(old) = with(|s| s.download_url.replace(url)) {
        let _ = web_sys::Url::revoke_object_url(&old);
    }
    Ok(())
}

fn view_state() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
        .trim_start_matches('#')
        .to_string()
}

fn save_case() {
    let Some(report) = app::report() else { return };
    let case = CaseFile::new((*report).clone(), &view_state(), &notes())
        .with_hunts(super::hunt::saved_hunts());
    match download("spoor-case.json", "application/json", &case.to_json()) {
        Ok(()) => set_export_status(
            "Saved the case: spoor-case.json (report, view, notes and hunts; no raw logs).",
        ),
        Err(e) => set_export_status(&format!("Cannot save the case: {e}")),
    }
}

fn open_case(file: File) {
    wasm_bindgen_futures::spawn_local(async move {
        let name = file.name();
        let text = match JsFuture::from(file.text()).await {
            Ok(t) => t.as_string().unwrap_or_default(),
            Err(e) => {
                set_status(&format!("Cannot read {name}: {e:?}"));
                return;
            }
        };
        let case = match CaseFile::from_json(&text) {
            Ok(c) => c,
            Err(e) => {
                set_status(&format!("Cannot open {name}: {e}"));
                return;
            }
        };
        let mut view = parse_fragment(&case.view);
        let sample = view
            .iter()
            .find(|(k, _)| k == "sample")
            .map(|(_, v)| v.clone());
        // Opening the case must not re-open the sample on reload.
        view.retain(|(k, _)| k != "sample");
        with(|s| {
            s.files.clear();
            s.sample = sample.filter(|v| !v.is_empty());
            s.logs = false;
        });
        set_notes(&case.notes);
        super::hunt::restore_hunts(case.hunts.clone());
        replace_hash(&encode(&view));
        app::open_report(case.report);
    });
}
