//! Integration tests of the SDK's public API (native only).

#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions may unwrap too.
#![allow(clippy::unwrap_used, clippy::panic, clippy::cast_possible_truncation)]

mod sdk {
    mod client;
    mod fake;
    mod native;
    mod policy;
}
