//! The `prove` export over the platform's `fetch` (Node's, then Chromium's, with CORS) against a
//! real tee-rex server with dev attestation. wasm32 only.
//!
//! scripts/test-wasm.sh starts the server and passes it in at compile time:
//! `TEE_REX_WASM_TEST_SERVER` (URL), `TEE_REX_WASM_TEST_ROOT_PEM` (the dev root) and
//! `TEE_REX_WASM_TEST_PCRS` (the dev PCR JSON). Without them the tests fail, never skip.

#![cfg(target_arch = "wasm32")]
// Test helpers outside #[test] functions may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{cell::RefCell, rc::Rc};

use tee_rex_sdk::wasm::{prove, ProveOptions};
use tsify::Ts;
use wasm_bindgen::{closure::Closure, JsCast as _, JsValue};
use wasm_bindgen_test::wasm_bindgen_test as test;

const SERVER: Option<&str> = option_env!("TEE_REX_WASM_TEST_SERVER");
const ROOT_PEM: Option<&str> = option_env!("TEE_REX_WASM_TEST_ROOT_PEM");
const PCRS: Option<&str> = option_env!("TEE_REX_WASM_TEST_PCRS");

/// One well-formed proving step whose circuit is not real: the server decrypts and parses it,
/// then bb refuses it within milliseconds.
fn tiny_steps() -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        out.push(0xa0 | u8::try_from(s.len()).unwrap());
        out.extend_from_slice(s.as_bytes());
    }
    fn bin(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(&[0xc4, u8::try_from(b.len()).unwrap()]);
        out.extend_from_slice(b);
    }
    let mut out = vec![0x91, 0x84];
    text(&mut out, "functionName");
    text(&mut out, "main");
    for (key, value) in [("bytecode", [1u8, 2]), ("witness", [3, 4]), ("vk", [5, 6])] {
        text(&mut out, key);
        bin(&mut out, &value);
    }
    out
}

fn set(object: &JsValue, key: &str, value: &JsValue) {
    js_sys::Reflect::set(object, &key.into(), value).unwrap();
}

/// Options for the dev server, with `expected_pcrs` as given and phases recorded in `phases`.
fn options(
    pcrs_json: &str,
    phases: &Rc<RefCell<Vec<String>>>,
) -> (Ts<ProveOptions>, Closure<dyn FnMut(JsValue)>) {
    let server = SERVER.expect("TEE_REX_WASM_TEST_SERVER is set by scripts/test-wasm.sh");
    let root = ROOT_PEM.expect("TEE_REX_WASM_TEST_ROOT_PEM is set by scripts/test-wasm.sh");
    let attestation = js_sys::Object::new();
    set(
        &attestation,
        "expectedPcrs",
        &js_sys::JSON::parse(pcrs_json).unwrap(),
    );
    set(&attestation, "insecureTrustedRootPem", &root.into());
    let options = js_sys::Object::new();
    set(&options, "apiUrl", &server.into());
    set(&options, "attestation", &attestation);
    let sink = Rc::clone(phases);
    let on_phase = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let phase = js_sys::Reflect::get(&event, &"phase".into()).unwrap();
        sink.borrow_mut().push(phase.as_string().unwrap());
    });
    set(&options, "onPhase", on_phase.as_ref());
    (Ts::new_unchecked(options.into()), on_phase)
}

fn code_of(error: &js_sys::Error) -> String {
    js_sys::Reflect::get(error, &"code".into())
        .unwrap()
        .as_string()
        .unwrap()
}

#[test]
async fn proves_through_fetch_on_the_attested_dev_server() {
    let pcrs = PCRS.expect("TEE_REX_WASM_TEST_PCRS is set by scripts/test-wasm.sh");
    let phases = Rc::new(RefCell::new(Vec::new()));
    let (options, _keep) = options(pcrs, &phases);

    let error = prove(tiny_steps(), options).await.unwrap_err();

    // The server decrypted the steps (else DECRYPT_FAILED), parsed them (else INVALID_STEPS) and
    // ran bb on them.
    assert_eq!(code_of(&error), "PROVER_FAILED");
    assert!(error.is_instance_of::<js_sys::Error>());
    // The server's phases came with the error: bb's time as a positive number, and the phases
    // before it. Octet-stream bodies are not base64-decoded, so there is no decode phase.
    let timing = js_sys::Reflect::get(&error, &"serverTiming".into()).unwrap();
    assert!(timing.is_object(), "serverTiming: {timing:?}");
    let phase = |name: &str| js_sys::Reflect::get(&timing, &name.into()).unwrap();
    let prove_ms = phase("proveMs").as_f64().expect("proveMs is a number");
    assert!(prove_ms.is_finite() && prove_ms > 0.0, "proveMs {prove_ms}");
    for name in ["uploadMs", "decryptMs", "parseMs", "queueMs"] {
        let ms = phase(name).as_f64().expect(name);
        assert!(ms.is_finite() && ms >= 0.0, "{name} {ms}");
    }
    assert!(phase("decodeMs").is_undefined());
    assert_eq!(
        *phases.borrow(),
        [
            "fetch-attestation",
            "verify-attestation",
            "encrypt",
            "transmit",
            "proving"
        ]
    );
}

#[test]
async fn refuses_the_dev_server_under_other_pcrs() {
    let other = format!(r#"{{"0":"{}"}}"#, "ab".repeat(48));
    let phases = Rc::new(RefCell::new(Vec::new()));
    let (options, _keep) = options(&other, &phases);

    let error = prove(tiny_steps(), options).await.unwrap_err();

    assert_eq!(code_of(&error), "PCR_MISMATCH");
    assert_eq!(
        *phases.borrow(),
        ["fetch-attestation", "verify-attestation"]
    );
}

/// A kept-alive connection that the server closed while the caller's event loop was busy is
/// not a failure: Node's fetch hands the next request that dead connection, and the transport
/// sends it once more on a fresh one. (Chromium retries such a request itself.)
#[test]
async fn a_connection_the_server_closed_while_the_caller_was_busy_is_retried() {
    use tee_rex_sdk::{wasm::GlooTransport, Transport as _};

    let server = SERVER.expect("TEE_REX_WASM_TEST_SERVER is set by scripts/test-wasm.sh");
    let url = format!("{server}/health");
    let transport = GlooTransport::new();
    assert_eq!(transport.get(&url).await.unwrap().status, 200);

    // Hold the event loop past the server's 5-second keep-alive: the server closes the idle
    // connection, and the client cannot notice before its next request.
    let until = js_sys::Date::now() + 6_500.0;
    while js_sys::Date::now() < until {}

    let again = transport.get(&url).await;
    assert_eq!(again.map(|r| r.status).ok(), Some(200));
}
