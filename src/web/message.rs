//! What the page and its workers share about messages: a worker's global
//! scope, posting a [`FromWorker`] from it, reading a number out of a
//! plain-object message (`{id, …}`, `{index, …}`), the one-word commands
//! (`{warm: true}`, `{stop: true}`, …), and the transfer list of a message
//! carrying a slice.

use crate::protocol::FromWorker;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::DedicatedWorkerGlobalScope;

/// The global scope of the worker this code runs in.
pub fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts `message` to the page, as JSON text.
pub fn post(message: &FromWorker) {
    let _ = scope().post_message(&JsValue::from_str(&message.to_json()));
}

/// `data[key]` as a whole number, if it is a number.
pub fn number(data: &JsValue, key: &str) -> Option<u64> {
    js_sys::Reflect::get(data, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .map(|v| v as u64)
}

/// `{key: true}`: a one-word command to a worker (`warm`, `case`, `digest`,
/// `stop`).
pub fn command(key: &str) -> js_sys::Object {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &key.into(), &JsValue::TRUE);
    message
}

/// Whether `data` is the command `key` ([`command`]).
pub fn is_command(data: &JsValue, key: &str) -> bool {
    js_sys::Reflect::get(data, &key.into()).is_ok_and(|v| v.is_truthy())
}

/// The transfer list for a message carrying `slice`: the `ArrayBuffer`
/// moved, not copied, or nothing when it is null (a slice not read).
pub fn transfer_of(slice: &JsValue) -> js_sys::Array {
    match slice.is_null() {
        true => js_sys::Array::new(),
        false => js_sys::Array::of1(slice),
    }
}
