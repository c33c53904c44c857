//! Small DOM helpers. Log text only ever enters the page through
//! `set_text_content` (text nodes) or attribute values, never as HTML.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, Document, Element, Event, EventTarget, HtmlCanvasElement,
    HtmlElement, HtmlInputElement, HtmlSelectElement,
};

pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("the page has a document")
}

/// The element with `id`; the page's HTML defines every id the code uses.
pub fn by_id(id: &str) -> HtmlElement {
    document()
        .get_element_by_id(id)
        .unwrap_or_else(|| panic!("index.html lacks #{id}"))
        .unchecked_into()
}

/// A new element with a class and text content.
pub fn el(tag: &str, class: &str, text: &str) -> Element {
    let e = document()
        .create_element(tag)
        .expect("tag names are literals");
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    e
}

/// A new element appended to `parent`.
pub fn child(parent: &Element, tag: &str, class: &str, text: &str) -> Element {
    let e = el(tag, class, text);
    let _ = parent.append_child(&e);
    e
}

/// Appends a text node (log text goes in as text, never parsed).
pub fn text(parent: &Element, text: &str) {
    let _ = parent.append_child(&document().create_text_node(text));
}

pub fn attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

/// Appends a table row of text cells to `tbody`.
pub fn row(tbody: &Element, cells: &[&str]) -> Element {
    let tr = el("tr", "", "");
    for c in cells {
        let _ = tr.append_child(&el("td", "", c));
    }
    let _ = tbody.append_child(&tr);
    tr
}

pub fn clear(e: &Element) {
    e.set_text_content(None);
}

pub fn show(e: &HtmlElement, visible: bool) {
    e.set_hidden(!visible);
}

pub fn on(target: &EventTarget, name: &str, f: impl FnMut(Event) + 'static) {
    let closure = Closure::<dyn FnMut(Event)>::new(f);
    let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    closure.forget();
}

pub fn input_value(id: &str) -> String {
    by_id(id).unchecked_into::<HtmlInputElement>().value()
}

pub fn set_input_value(id: &str, v: &str) {
    by_id(id).unchecked_into::<HtmlInputElement>().set_value(v);
}

pub fn select_value(id: &str) -> String {
    by_id(id).unchecked_into::<HtmlSelectElement>().value()
}

pub fn set_select_value(id: &str, v: &str) {
    by_id(id).unchecked_into::<HtmlSelectElement>().set_value(v);
}

/// The nearest element matching `selector` from an event's target up.
pub fn target_closest(e: &Event, selector: &str) -> Option<Element> {
    e.target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

/// `text` with every occurrence of the `needles` wrapped in `<mark>`, built
/// from text nodes only.
pub fn highlighted(parent: &Element, text: &str, needles: &[&str]) {
    let needles: Vec<&str> = needles.iter().copied().filter(|n| n.len() >= 2).collect();
    let mut at = 0;
    while at < text.len() {
        let next = needles
            .iter()
            .filter_map(|n| text[at..].find(n).map(|p| (at + p, n.len())))
            .min_by_key(|&(p, len)| (p, usize::MAX - len));
        match next {
            Some((p, len)) => {
                self::text(parent, &text[at..p]);
                child(parent, "mark", "", &text[p..p + len]);
                at = p + len;
            }
            None => {
                self::text(parent, &text[at..]);
                break;
            }
        }
    }
}

pub fn human_bytes(n: u64) -> String {
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

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 1020 → "17 min", 3725 → "1 h 2 min", 45 → "45 s".
pub fn duration(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3599 if seconds.is_multiple_of(60) => format!("{} min", seconds / 60),
        60..=3599 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
    }
}

/// Sizes `c`'s backing store to its box at the device pixel ratio and
/// returns its 2D context scaled to CSS pixels, with the box's width and
/// height (None when the canvas has no 2D context).
pub fn fit_canvas(c: &HtmlCanvasElement) -> Option<(CanvasRenderingContext2d, f64, f64)> {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (cw, ch) = (
        c.client_width().max(1) as f64,
        c.client_height().max(1) as f64,
    );
    let (pw, ph) = ((cw * dpr) as u32, (ch * dpr) as u32);
    if c.width() != pw || c.height() != ph {
        c.set_width(pw);
        c.set_height(ph);
    }
    let ctx = c
        .get_context("2d")
        .ok()
        .flatten()?
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()?;
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    Some((ctx, cw, ch))
}
