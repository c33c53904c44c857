//! Small DOM helpers. Log text only ever enters the page through
//! `set_text_content`, never as HTML.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement};

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
