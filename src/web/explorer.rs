//! The event explorer: a virtual-scrolled table over every event matching
//! the query. Only the rows in view are in the DOM; pages of rows come from
//! the worker on demand. Clicking a value filters by it; clicking a time
//! shows the raw record.

use super::app::{self, ask, query_error, with};
use super::dom::{attr, by_id, child, clear, on, show, target_closest, thousands};
use crate::protocol::{Answer, ToWorker};
use crate::store::query::term;
use crate::store::Row;
use std::collections::{HashMap, HashSet};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement};

/// Row height in CSS pixels (fixed by the stylesheet).
const ROW_H: f64 = 24.0;
/// Rows per page requested from the worker.
const PAGE: usize = 200;
/// Tallest scroll area browsers handle well; taller lists scroll by fraction.
const MAX_SCROLL_PX: f64 = 15_000_000.0;

/// Columns: (row field, header, query field for click-to-filter).
pub const COLUMNS: [(&str, &str, &str); 14] = [
    ("time", "Time", ""),
    ("format", "Source", "format"),
    ("user", "Identity", "user"),
    ("action", "Action", "verb"),
    ("namespace", "Namespace", "ns"),
    ("pod", "Pod", "pod"),
    ("resource", "Resource", "resource"),
    ("subresource", "Sub", "sub"),
    ("name", "Name", "name"),
    ("status", "Code", "code"),
    ("source_ip", "Source IP", "ip"),
    ("user_agent", "User agent", "ua"),
    ("host", "Node", "host"),
    ("message", "Message", ""),
];

const DEFAULT_COLUMNS: [&str; 10] = [
    "time",
    "format",
    "user",
    "action",
    "namespace",
    "resource",
    "name",
    "status",
    "source_ip",
    "message",
];

pub struct Explorer {
    generation: u64,
    total: usize,
    known: bool,
    pages: HashMap<usize, Vec<Row>>,
    pending: HashSet<usize>,
    pub columns: Vec<&'static str>,
    /// Position (in the result list) of the selected row.
    selected: Option<usize>,
}

impl Default for Explorer {
    fn default() -> Self {
        Explorer {
            generation: 0,
            total: 0,
            known: false,
            pages: HashMap::new(),
            pending: HashSet::new(),
            columns: DEFAULT_COLUMNS.to_vec(),
            selected: None,
        }
    }
}

pub fn start() {
    let choice = by_id("columns-choice");
    for (field, header, _) in COLUMNS {
        let label = child(&choice, "label", "", "");
        let input = child(&label, "input", "", "");
        attr(&input, "type", "checkbox");
        attr(&input, "value", field);
        attr(&input, "data-testid", &format!("column-{field}"));
        if DEFAULT_COLUMNS.contains(&field) {
            attr(&input, "checked", "");
        }
        super::dom::text(&label, &format!(" {header}"));
    }
    on(&choice, "change", |_| {
        let inputs = by_id("columns-choice")
            .query_selector_all("input")
            .expect("selector");
        let mut columns = Vec::new();
        for i in 0..inputs.length() {
            let Some(input) = inputs
                .get(i)
                .and_then(|n| n.dyn_into::<HtmlInputElement>().ok())
            else {
                continue;
            };
            if input.checked() {
                if let Some((f, _, _)) = COLUMNS.iter().find(|c| c.0 == input.value()) {
                    columns.push(*f);
                }
            }
        }
        with(|s| s.explorer.columns = columns);
        render();
    });
    on(&by_id("explorer-viewport"), "scroll", |_| render());
    on(&by_id("explorer-body"), "click", |e| {
        let Some(td) = target_closest(&e, "td[data-col]") else {
            return;
        };
        let pos: usize = td
            .get_attribute("data-pos")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let col = td.get_attribute("data-col").unwrap_or_default();
        let value = td.text_content().unwrap_or_default();
        let field = COLUMNS
            .iter()
            .find(|c| c.0 == col)
            .map(|c| c.2)
            .unwrap_or("");
        if field.is_empty() || value.is_empty() {
            select(pos);
            return;
        }
        let q = with(|s| s.q.clone());
        let add = term(field, &value);
        let q = if q.is_empty() {
            add
        } else {
            format!("{q} {add}")
        };
        app::set_query(&q, true);
    });
    window_resize();
}

fn window_resize() {
    if let Some(w) = web_sys::window() {
        on(&w.into(), "resize", |_| {
            if with(|s| s.tab == "explorer") {
                render();
            }
            super::timeline::draw();
        });
    }
}

/// A new query: forget the pages and fetch the first.
pub fn reset() {
    let generation = with(|s| {
        let e = &mut s.explorer;
        e.generation += 1;
        e.pages.clear();
        e.pending.clear();
        e.known = false;
        e.selected = None;
        e.generation
    });
    by_id("explorer-viewport").set_scroll_top(0);
    show(&by_id("explorer-raw"), false);
    by_id("explorer-total").set_text_content(Some("counting…"));
    super::perf::start("spoor:query");
    request(generation, 0);
}

fn request(generation: u64, page: usize) {
    let ready = with(|s| s.ready);
    if !ready {
        return;
    }
    let q = with(|s| {
        s.explorer.pending.insert(page);
        s.q.clone()
    });
    ask(
        &format!("explorer:{generation}:{page}"),
        ToWorker::Query {
            q,
            offset: page * PAGE,
            limit: PAGE,
        },
    );
}

pub fn on_answer(_id: u64, tag: &str, answer: Answer) {
    if tag.starts_with("xraw:") {
        if let Answer::Raw { text, note, .. } = &answer {
            let pane = by_id("explorer-raw");
            if let Some(pre) = pane.query_selector("pre").ok().flatten() {
                pre.set_text_content(Some(text));
                super::learn::explain_after(&pre, text);
            }
            if let Some(n) = note {
                child(&pane, "p", "muted", n);
            }
        } else if let Some(m) = app::answer_error(&answer) {
            let pane = by_id("explorer-raw");
            if let Some(pre) = pane.query_selector("pre").ok().flatten() {
                pre.set_text_content(Some(&m));
            }
        }
        return;
    }
    let mut parts = tag.split(':').skip(1);
    let generation: u64 = parts.next().and_then(|g| g.parse().ok()).unwrap_or(0);
    let page: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    if with(|s| s.explorer.generation) != generation {
        return;
    }
    match answer {
        Answer::Rows { total, rows, .. } => {
            query_error(None);
            with(|s| {
                let e = &mut s.explorer;
                e.pending.remove(&page);
                e.total = total;
                e.known = true;
                e.pages.insert(page, rows);
            });
            let t = by_id("explorer-total");
            t.set_text_content(Some(&format!(
                "{} event{}",
                thousands(total as u64),
                if total == 1 { "" } else { "s" }
            )));
            attr(&t, "data-total", &total.to_string());
            render();
            if page == 0 {
                super::perf::end("spoor:query");
            }
        }
        Answer::Error { message, .. } => {
            with(|s| {
                s.explorer.pending.remove(&page);
                s.explorer.total = 0;
                s.explorer.known = true;
            });
            query_error(Some(&message));
            let t = by_id("explorer-total");
            t.set_text_content(Some("query error"));
            attr(&t, "data-total", "");
            render();
        }
        _ => {}
    }
}

/// Scroll geometry: (first visible position, rows that fit).
fn geometry(total: usize) -> (usize, usize, f64) {
    let vp = by_id("explorer-viewport");
    let height = (vp.client_height() as f64 - ROW_H).max(ROW_H);
    let visible = (height / ROW_H).ceil() as usize + 1;
    let full = total as f64 * ROW_H + ROW_H;
    let spacer = full.min(MAX_SCROLL_PX);
    let top = vp.scroll_top() as f64;
    let first = if total <= visible {
        0
    } else if full <= MAX_SCROLL_PX {
        (top / ROW_H) as usize
    } else {
        let frac = top / (spacer - vp.client_height() as f64).max(1.0);
        ((total - visible) as f64 * frac.clamp(0.0, 1.0)).round() as usize
    };
    (first.min(total.saturating_sub(1)), visible, spacer)
}

/// Draws the rows in view (and asks for missing pages).
pub fn render() {
    if with(|s| s.tab != "explorer") {
        return;
    }
    let (total, known, columns, generation) = with(|s| {
        (
            s.explorer.total,
            s.explorer.known,
            s.explorer.columns.clone(),
            s.explorer.generation,
        )
    });
    let head = by_id("explorer-head");
    clear(&head);
    let tr = child(&head, "tr", "", "");
    for c in &columns {
        let header = COLUMNS.iter().find(|x| x.0 == *c).map_or("", |x| x.1);
        let th = child(&tr, "th", &format!("col-{c}"), header);
        attr(&th, "scope", "col");
    }
    let (first, visible, spacer) = geometry(total);
    let sp: HtmlElement = by_id("explorer-spacer");
    let _ = sp.style().set_property("height", &format!("{spacer}px"));
    let table: HtmlElement = by_id("explorer-table");
    let top = by_id("explorer-viewport").scroll_top();
    let _ = table
        .style()
        .set_property("transform", &format!("translateY({top}px)"));
    let body = by_id("explorer-body");
    clear(&body);
    if !known {
        return;
    }
    let last = (first + visible).min(total);
    let mut missing = Vec::new();
    let selected = with(|s| s.explorer.selected);
    for pos in first..last {
        let page = pos / PAGE;
        let row = with(|s| {
            s.explorer
                .pages
                .get(&page)
                .and_then(|p| p.get(pos % PAGE).cloned())
        });
        let tr = child(&body, "tr", "", "");
        if selected == Some(pos) {
            tr.set_class_name("selected");
        }
        attr(&tr, "data-testid", "event-row");
        match row {
            Some(r) => {
                for c in &columns {
                    let td = child(&tr, "td", &format!("col-{c}"), r.get(c));
                    attr(&td, "data-col", c);
                    attr(&td, "data-pos", &pos.to_string());
                    attr(&td, "title", r.get(c));
                }
            }
            None => {
                let td = child(&tr, "td", "pending", "…");
                attr(&td, "colspan", &columns.len().to_string());
                if !missing.contains(&page) {
                    missing.push(page);
                }
            }
        }
    }
    for page in missing {
        if !with(|s| s.explorer.pending.contains(&page)) {
            request(generation, page);
        }
    }
    if total == 0 {
        let tr = child(&body, "tr", "", "");
        let td = child(&tr, "td", "muted", "No event matches.");
        attr(&td, "colspan", &columns.len().max(1).to_string());
    }
}

/// Selects the row at `pos` and shows its raw record.
fn select(pos: usize) {
    let row = with(|s| {
        s.explorer.selected = Some(pos);
        s.explorer
            .pages
            .get(&(pos / PAGE))
            .and_then(|p| p.get(pos % PAGE).cloned())
    });
    render();
    let Some(r) = row else { return };
    let pane = by_id("explorer-raw");
    clear(&pane);
    show(&pane, true);
    let path = app::report()
        .and_then(|rep| rep.inputs.get(r.input as usize).map(|i| i.path.clone()))
        .unwrap_or_default();
    child(
        &pane,
        "div",
        "evidence-head",
        &format!("{path}:{} · {}", r.line, r.time),
    );
    let pre = child(&pane, "pre", "raw", "loading…");
    attr(&pre, "data-testid", "explorer-raw-text");
    ask(
        &format!("xraw:{pos}"),
        ToWorker::Raw {
            input: r.input,
            offset: r.offset,
            len: r.len as u64,
        },
    );
}

/// `j` / `k`: the next / previous event.
pub fn step(delta: i64) {
    let (sel, total) = with(|s| (s.explorer.selected, s.explorer.total));
    if total == 0 {
        return;
    }
    let pos = match sel {
        None => 0,
        Some(p) => (p as i64 + delta).clamp(0, total as i64 - 1) as usize,
    };
    let vp = by_id("explorer-viewport");
    let (first, visible, _) = geometry(total);
    if pos < first || pos + 1 >= first + visible {
        let full = total as f64 * ROW_H + ROW_H;
        if full <= MAX_SCROLL_PX {
            vp.set_scroll_top(((pos as f64 - (visible as f64 / 2.0)).max(0.0) * ROW_H) as i32);
        }
    }
    select(pos);
}
