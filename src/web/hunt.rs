//! The Hunt view: stacks (rarest first, field chooser), first seen and
//! baselines, message patterns with sparklines, the hypothesis notebook
//! (built-in and saved hunts, rerun on the loaded logs, saved with the
//! case) and Sigma drafts that run with the pack. Every row opens its
//! events in the explorer; log text enters the DOM only as text.

use super::app::{self, answer_error, ask, set_query, set_tab, with};
use super::dom::{attr, by_id, child, clear, el, on, thousands};
use crate::hunt::baseline::Baseline;
use crate::hunt::notebook::{Hunt, HuntResult};
use crate::hunt::patterns::MessagePatterns;
use crate::hunt::stack::Stack;
use crate::protocol::{Answer, ToWorker};
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use web_sys::{Element, File};

/// Fields offered by the stack chooser: (query name, label).
const STACK_FIELDS: [(&str, &str); 12] = [
    ("user", "identity"),
    ("verb", "verb"),
    ("resource", "resource"),
    ("sub", "subresource"),
    ("ns", "namespace"),
    ("name", "object name"),
    ("pod", "pod"),
    ("ip", "source IP"),
    ("ua", "user agent"),
    ("host", "node"),
    ("code", "status code"),
    ("format", "source format"),
];
/// Rows asked for per stack, anomalies and patterns.
const ROWS: usize = 100;
/// Sparkline bins per pattern.
const SPARK_BINS: usize = 40;

#[derive(Default)]
struct HuntState {
    builtin: Vec<Hunt>,
    /// Hunts the analyst saved (exported with the case).
    saved: Vec<Hunt>,
    /// The last stack shown, for "Save as hunt" and drafts.
    stack: Option<Stack>,
    /// The case changed since the view was filled.
    stale: bool,
}

thread_local! {
    static HUNT: RefCell<HuntState> = RefCell::new(HuntState::default());
}

fn hunt_state<R>(f: impl FnOnce(&mut HuntState) -> R) -> R {
    HUNT.with(|h| f(&mut h.borrow_mut()))
}

pub fn start() {
    for (k, id) in ["hunt-by-1", "hunt-by-2", "hunt-by-3"].iter().enumerate() {
        let select = by_id(id);
        if k > 0 {
            option(&select, "", "—");
        }
        for (name, label) in STACK_FIELDS {
            option(&select, name, label);
        }
    }
    on(&by_id("hunt-stack-run"), "click", |_| run_stack());
    on(&by_id("hunt-query"), "keydown", |e| {
        if Reflect::get(&e, &"key".into())
            .ok()
            .and_then(|k| k.as_string())
            .as_deref()
            == Some("Enter")
        {
            run_stack();
        }
    });
    on(&by_id("hunt-save"), "click", |_| save_stack_as_hunt());
    on(&by_id("hunt-draft-run"), "click", |_| run_draft());
}

fn option(select: &Element, value: &str, label: &str) {
    let o = child(select, "option", "", label);
    attr(&o, "value", value);
}

fn value_of(id: &str) -> String {
    Reflect::get(&by_id(id), &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn set_value(id: &str, text: &str) {
    let _ = Reflect::set(&by_id(id), &"value".into(), &JsValue::from_str(text));
}

fn status(text: &str) {
    by_id("hunt-status").set_text_content(Some(text));
}

/// A new case: its hunting results are filled when the view is next shown.
pub fn case_loaded() {
    hunt_state(|h| h.stale = true);
    if with(|s| s.tab == "hunt") {
        shown();
    }
}

/// The view is shown: fill it for the current case once.
pub fn shown() {
    if !hunt_state(|h| std::mem::replace(&mut h.stale, false)) {
        return;
    }
    ask("hunt:list", ToWorker::Hunts);
    run_stack();
    ask(
        "hunt:seen",
        ToWorker::Baseline {
            q: String::new(),
            limit: 0,
        },
    );
    ask(
        "hunt:patterns",
        ToWorker::Patterns {
            q: String::new(),
            bins: SPARK_BINS,
            limit: ROWS,
        },
    );
}

fn chosen_fields() -> Vec<String> {
    ["hunt-by-1", "hunt-by-2", "hunt-by-3"]
        .iter()
        .map(|id| value_of(id))
        .filter(|v| !v.is_empty())
        .collect()
}

fn run_stack() {
    by_id("hunt-stack-summary").set_text_content(Some("Counting…"));
    ask(
        "hunt:stack",
        ToWorker::HuntStack {
            q: value_of("hunt-query"),
            by: chosen_fields(),
            limit: ROWS,
        },
    );
}

pub fn on_answer(tag: &str, answer: Answer) {
    if let Some(message) = answer_error(&answer) {
        status(&message);
        return;
    }
    match answer {
        Answer::Hunts { hunts } => {
            hunt_state(|h| h.builtin = hunts);
            render_hunts();
        }
        Answer::HuntStack { stack } => show_stack(stack, None),
        Answer::HuntResult { result } if tag == "hunt:run" => show_hunt_result(result),
        Answer::Baseline { baseline } => show_baseline(&baseline),
        Answer::Patterns { patterns } => show_patterns(&patterns),
        Answer::Draft { text } => {
            set_value("hunt-draft", &text);
            status("Draft ready: edit it, then run it with the rule pack.");
        }
        _ => {}
    }
}

/// Opens the events of a result in the explorer.
fn link_to_events(parent: &Element, label: &str, query: &str) {
    let a = child(parent, "span", "linkish", label);
    attr(&a, "role", "link");
    attr(&a, "tabindex", "0");
    attr(&a, "data-testid", "hunt-events");
    attr(&a, "title", query);
    let q = query.to_string();
    on(&a, "click", move |_| {
        set_query(&q, true);
        set_tab("explorer");
    });
}

/// A button that asks the worker for a Sigma draft.
fn draft_button(parent: &Element, request: ToWorker) {
    let b = child(parent, "button", "", "Draft");
    attr(&b, "type", "button");
    attr(&b, "data-testid", "hunt-draft-button");
    on(&b, "click", move |_| {
        ask("hunt:draft", request.clone());
    });
}

fn show_stack(stack: Stack, hunt: Option<&HuntResult>) {
    let head = by_id("hunt-stack-head");
    clear(&head);
    let tr = child(&head, "tr", "", "");
    child(&tr, "th", "", "Events");
    child(&tr, "th", "", "First seen");
    for f in &stack.fields {
        child(&tr, "th", "", f);
    }
    child(&tr, "th", "", "");
    let summary = match hunt {
        Some(r) => format!(
            "Hunt “{}”: {} matching events. ",
            r.title,
            thousands(r.matches as u64)
        ),
        None => String::new(),
    } + &format!(
        "{} events, {} distinct {}, rarest first ({} without a value).",
        thousands(stack.events as u64),
        thousands(stack.distinct as u64),
        stack.fields.join(" × "),
        thousands(stack.without_value as u64)
    );
    by_id("hunt-stack-summary").set_text_content(Some(&summary));
    let body = by_id("hunt-stack-body");
    clear(&body);
    if hunt.is_none() {
        let _ = body.remove_attribute("data-hunt");
        let _ = body.remove_attribute("data-matches");
    }
    for r in &stack.rows {
        let tr = child(&body, "tr", "", "");
        attr(&tr, "data-testid", "hunt-stack-row");
        let count = child(&tr, "td", "", "");
        link_to_events(&count, &thousands(r.count), &r.query);
        child(&tr, "td", "", &r.first);
        for v in &r.values {
            let td = child(&tr, "td", "", v);
            attr(&td, "data-testid", "hunt-stack-value");
        }
        let td = child(&tr, "td", "", "");
        draft_button(
            &td,
            ToWorker::Draft {
                title: format!("rare {}", stack.fields.join(" × ")),
                format: r.format.clone(),
                fields: stack.fields.iter().cloned().zip(r.values.clone()).collect(),
                template: None,
            },
        );
    }
    hunt_state(|h| h.stack = Some(stack));
}

fn show_hunt_result(result: HuntResult) {
    status(&format!(
        "Ran “{}”: {} matching events.",
        result.title,
        thousands(result.matches as u64)
    ));
    let body = by_id("hunt-stack-body");
    attr(&body, "data-hunt", &result.id);
    attr(&body, "data-matches", &result.matches.to_string());
    match result.stack.clone() {
        Some(s) => show_stack(s, Some(&result)),
        None => {
            clear(&body);
            by_id("hunt-stack-summary").set_text_content(Some(&format!(
                "Hunt “{}”: {} matching events.",
                result.title,
                thousands(result.matches as u64)
            )));
            let tr = child(&body, "tr", "", "");
            let td = child(&tr, "td", "", "");
            link_to_events(&td, "Open the matching events", &result.query);
        }
    }
}

fn render_hunts() {
    let (builtin, saved) = hunt_state(|h| (h.builtin.clone(), h.saved.clone()));
    let body = by_id("hunt-list");
    clear(&body);
    for (hunt, own) in builtin
        .iter()
        .map(|h| (h, false))
        .chain(saved.iter().map(|h| (h, true)))
    {
        let tr = child(&body, "tr", "", "");
        attr(
            &tr,
            "data-testid",
            if own { "hunt-saved" } else { "hunt-builtin" },
        );
        attr(&tr, "data-hunt", &hunt.id);
        child(&tr, "td", "", &hunt.title);
        child(&tr, "td", "", &hunt.query);
        child(&tr, "td", "", &hunt.stack.join(" × "));
        child(&tr, "td", "", &hunt.note);
        let td = child(&tr, "td", "", "");
        let b = child(&td, "button", "", "Run");
        attr(&b, "type", "button");
        attr(&b, "data-testid", "hunt-run");
        let h = hunt.clone();
        on(&b, "click", move |_| {
            ask("hunt:run", ToWorker::RunHunt { hunt: h.clone() });
        });
    }
}

/// Saves the stack on screen, with the note, as a hunt of this case.
fn save_stack_as_hunt() {
    let Some(stack) = hunt_state(|h| h.stack.clone()) else {
        status("Stack something first.");
        return;
    };
    let note = value_of("hunt-note");
    let query = value_of("hunt-query");
    let n = hunt_state(|h| h.saved.len()) + 1;
    let hunt = Hunt {
        id: format!("saved-{n}"),
        title: if note.trim().is_empty() {
            format!("Stack of {}", stack.fields.join(" × "))
        } else {
            note.trim().chars().take(80).collect()
        },
        query,
        stack: stack.fields.clone(),
        note,
        references: Vec::new(),
    };
    hunt_state(|h| h.saved.push(hunt));
    render_hunts();
    status("Saved as a hunt: it is written into the case file when you save the case.");
}

/// The hunts to write into a saved case.
pub fn saved_hunts() -> Vec<Hunt> {
    hunt_state(|h| h.saved.clone())
}

/// Hunts read from an opened case file.
pub fn restore_hunts(hunts: Vec<Hunt>) {
    hunt_state(|h| h.saved = hunts);
    render_hunts();
}

fn show_baseline(b: &Baseline) {
    let body = by_id("hunt-seen-body");
    clear(&body);
    if b.anomalies.is_empty() {
        child(
            &child(&body, "tr", "", ""),
            "td",
            "muted",
            "Nothing breaks a baseline in these logs.",
        );
    }
    for a in &b.anomalies {
        let tr = child(&body, "tr", "", "");
        attr(&tr, "data-testid", "hunt-seen-row");
        attr(&tr, "data-kind", &format!("{:?}", a.kind));
        child(&tr, "td", "", &a.time);
        child(&tr, "td", "", a.kind.title());
        let who = child(&tr, "td", "", &a.entity);
        attr(&who, "data-testid", "hunt-seen-entity");
        child(&tr, "td", "", &a.value);
        let n = child(&tr, "td", "", "");
        link_to_events(&n, &thousands(a.count), &a.query);
        child(&tr, "td", "", &a.detail);
        let td = child(&tr, "td", "", "");
        draft_button(
            &td,
            ToWorker::Draft {
                title: format!("{}: {}", a.kind.title(), a.entity),
                format: a.format.clone(),
                fields: a.fields.clone(),
                template: None,
            },
        );
    }
}

fn show_patterns(p: &MessagePatterns) {
    by_id("hunt-patterns-summary").set_text_content(Some(&format!(
        "{} messages in {} patterns, rarest first{}.",
        thousands(p.messages),
        thousands(p.distinct as u64),
        if p.patterns.len() < p.distinct {
            format!(" (the {} rarest shown)", p.patterns.len())
        } else {
            String::new()
        }
    )));
    let body = by_id("hunt-patterns-body");
    clear(&body);
    for pattern in &p.patterns {
        let tr = child(&body, "tr", "", "");
        attr(&tr, "data-testid", "hunt-pattern-row");
        let n = child(&tr, "td", "", "");
        link_to_events(&n, &thousands(pattern.count), &pattern.query);
        sparkline(&child(&tr, "td", "", ""), &pattern.bins);
        let t = child(&tr, "td", "", &pattern.template);
        attr(&t, "data-testid", "hunt-pattern-template");
        let td = child(&tr, "td", "", "");
        draft_button(
            &td,
            ToWorker::Draft {
                title: format!(
                    "pattern {}",
                    pattern.template.chars().take(60).collect::<String>()
                ),
                format: pattern.format.clone(),
                fields: Vec::new(),
                template: Some(pattern.template.clone()),
            },
        );
    }
}

/// Inline bars, one per bin, heights relative to the busiest bin.
fn sparkline(parent: &Element, bins: &[u32]) {
    let max = bins.iter().copied().max().unwrap_or(0).max(1);
    let spark = child(parent, "span", "spark", "");
    attr(&spark, "aria-label", "events over time");
    for &b in bins {
        let bar = el("span", "", "");
        if let Some(h) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&bar) {
            let _ = h
                .style()
                .set_property("height", &format!("{}%", (b as u64 * 100 / max as u64)));
        }
        let _ = spark.append_child(&bar);
    }
}

/// Runs the analysis again with the draft rule beside the pack: the
/// sample is generated again, dropped files are read again.
fn run_draft() {
    let text = value_of("hunt-draft");
    if !crate::detect::looks_like_sigma(&text) {
        status("The draft needs a title: and a detection: to run as a Sigma rule.");
        return;
    }
    match with(|s| s.sample.clone()) {
        Some(name) => {
            let message = Object::new();
            let _ = Reflect::set(&message, &"sample".into(), &JsValue::from_str(&name));
            let _ = Reflect::set(
                &message,
                &"rules".into(),
                &Array::of1(&JsValue::from_str(&text)),
            );
            app::run(&message);
        }
        None => match File::new_with_str_sequence(
            &Array::of1(&JsValue::from_str(&text)),
            "hunt-draft.yml",
        ) {
            Ok(file) => app::add_files(vec![file]),
            Err(e) => status(&format!("Cannot make a rule file: {e:?}")),
        },
    }
    status("Running the analysis with the draft rule…");
}
