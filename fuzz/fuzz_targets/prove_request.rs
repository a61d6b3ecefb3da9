//! Fuzz what `POST /prove` does with a body before bb runs: the JSON/base64/raw envelope, the
//! OpenPGP parse and decryption with a fixed test key, and the steps parser. No input may panic.
//!
//! The first input byte picks the framing (even: `application/json`, odd:
//! `application/octet-stream`); the rest is the body.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tee_rex_protocol::steps::parse_steps;
use tee_rex_server::{decode_prove_body, BodyKind, ServerKey};

/// The throw-away key the seeds are encrypted to (`seeds/make-seeds.mjs`).
static KEY: LazyLock<ServerKey> = LazyLock::new(|| {
    ServerKey::insecure_from_armored_secret(include_str!("../seeds/test-key.asc"))
        .expect("the committed fuzzing key parses")
});

/// Plaintext cap, as the server derives it from a 64 KiB body limit.
const MAX_PLAINTEXT: u64 = 4 * 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = if selector % 2 == 0 {
        BodyKind::Json
    } else {
        BodyKind::Binary
    };
    let Ok(message) = decode_prove_body(kind, body) else {
        return;
    };
    let Ok(plaintext) = KEY.decrypt(&message, MAX_PLAINTEXT) else {
        return;
    };
    assert!(plaintext.len() as u64 <= MAX_PLAINTEXT);
    let _ = parse_steps(&plaintext);
});
