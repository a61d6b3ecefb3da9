//! SDK errors as JavaScript `Error`s that carry the SDK's stable `code`.
//!
//! `wasm_bindgen::JsError` cannot carry extra properties, so the exports reject with a
//! `js_sys::Error` built here instead: an ordinary `Error` (so `instanceof Error` holds) whose
//! `name` is `TeeRexError`, whose `message` is the SDK's Display text and whose `code` is
//! [`crate::Error::code`].

use wasm_bindgen::JsValue;

/// `Error.name` of every error the SDK throws.
pub(crate) const ERROR_NAME: &str = "TeeRexError";

/// Converts an SDK error into a JS `Error` with `name`, `message` and `code`.
pub(crate) fn to_js_error(error: &crate::Error) -> js_sys::Error {
    coded_error(error.code(), &error.to_string())
}

/// A JS `Error` with `code` set, for failures found in the binding layer itself.
pub(crate) fn coded_error(code: &str, message: &str) -> js_sys::Error {
    let error = js_sys::Error::new(message);
    error.set_name(ERROR_NAME);
    // Setting a property on a fresh, unfrozen Error object cannot fail; if it ever did, the
    // caller still gets the Error with its message.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error
}
