//! The real Nitro attestation vectors, verified by the same table natively and in wasm.
//!
//! Natively this calls the SDK core ([`tee_rex_sdk::AttestationPolicy`]); on wasm32 it calls the
//! wasm layer's entry point ([`tee_rex_sdk::wasm::verify_attestation_at`]), which is what the
//! `verifyAttestation` export runs after reading `Date.now()`. One table, two targets: the codes
//! in wasm are the native codes.
//!
//! None of the published vectors carries an OpenPGP key, so at its own timestamp each passes every
//! Nitro check (CBOR, COSE, chain, signature, PCRs) and is then refused by tee-rex's key policy;
//! a day later the 3-hour leaf certificate has expired.
//!
//! Run: `cargo test -p tee-rex-sdk --test wasm_vectors` (native) and
//! `cargo test -p tee-rex-sdk --target wasm32-unknown-unknown --no-default-features --test
//! wasm_vectors` (Node; set `WASM_BINDGEN_USE_BROWSER=1` and `CHROMEDRIVER` for Chromium).

// Test helpers outside #[test] functions may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tee_rex_attestation::parse_attestation_doc;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

struct Vector {
    name: &'static str,
    bytes: &'static [u8],
    debug: bool,
    /// Code at the document's own timestamp.
    at_timestamp: &'static str,
    /// Code one day later.
    day_later: &'static str,
}

macro_rules! vector {
    ($file:literal, $debug:expr, $now:literal, $later:literal) => {
        Vector {
            name: $file,
            bytes: include_bytes!(concat!("../../testdata/nitro/real/", $file)),
            debug: $debug,
            at_timestamp: $now,
            day_later: $later,
        }
    };
}

fn vectors() -> Vec<Vector> {
    vec![
        vector!(
            "tkhq-qos-2022-07-06.cbor",
            false,
            "INVALID_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
        vector!(
            "cape-js-2022-09-15.cbor",
            false,
            "INVALID_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
        vector!(
            "evervault-2022-10-12-debug.cbor",
            true,
            "INVALID_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
        vector!(
            "evervault-2022-10-13.cbor",
            false,
            "MISSING_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
        vector!(
            "marlin-oyster-2024-08-07.cbor",
            false,
            "INVALID_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
        vector!(
            "blocky-nitrite-2024-09-07.cbor",
            false,
            "INVALID_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
        vector!(
            "blocky-nitrite-2024-09-07-debug.cbor",
            true,
            "INVALID_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
        vector!(
            "nitro-attest-crate-2025-01-06.cbor",
            false,
            "INVALID_PUBLIC_KEY",
            "CERT_NOT_VALID_AT_TIME"
        ),
    ]
}

/// The document's own first non-zero PCR, hex: what a caller pinning this enclave would expect.
fn own_pcr(bytes: &[u8]) -> (u8, String, u64) {
    let doc = parse_attestation_doc(bytes).expect("vector parses");
    let (index, value) = doc
        .pcrs
        .iter()
        .find(|(_, v)| v.iter().any(|&b| b != 0))
        .expect("a non-zero PCR");
    (*index, hex::encode(value), doc.timestamp.as_millis())
}

/// Verifies `bytes` expecting PCR `index` = `value`, at `now_ms`; the error code or "OK".
#[cfg(not(target_arch = "wasm32"))]
fn verify_code(bytes: &[u8], index: u8, value: &str, debug: bool, now_ms: u64) -> String {
    let pcr = tee_rex_sdk::parse_pcr_arg(&format!("{index}={value}")).expect("pcr parses");
    let policy = tee_rex_sdk::AttestationPolicy::new()
        .expected_pcrs(vec![pcr])
        .insecure_allow_debug(debug);
    match policy.verify(bytes, now_ms, None) {
        Ok(_) => "OK".to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

#[cfg(target_arch = "wasm32")]
fn verify_code(bytes: &[u8], index: u8, value: &str, debug: bool, now_ms: u64) -> String {
    let options = options(index, value, debug);
    match tee_rex_sdk::wasm::verify_attestation_at(bytes, &options, now_ms) {
        Ok(_) => "OK".to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

#[cfg(target_arch = "wasm32")]
fn options(index: u8, value: &str, debug: bool) -> tee_rex_sdk::wasm::VerifyAttestationOptions {
    use tsify::Tsify as _;
    let js = js_sys::Object::new();
    let pcrs = js_sys::Object::new();
    js_sys::Reflect::set(&pcrs, &index.to_string().into(), &value.into()).unwrap();
    js_sys::Reflect::set(&js, &"expectedPcrs".into(), &pcrs).unwrap();
    js_sys::Reflect::set(&js, &"allowDebug".into(), &debug.into()).unwrap();
    tee_rex_sdk::wasm::VerifyAttestationOptions::from_js(js).unwrap()
}

#[test]
fn real_vectors_pass_nitro_checks_at_their_time_and_expire_a_day_later() {
    for v in vectors() {
        let (index, value, ts) = own_pcr(v.bytes);
        assert_eq!(
            verify_code(v.bytes, index, &value, v.debug, ts),
            v.at_timestamp,
            "{}",
            v.name
        );
        assert_eq!(
            verify_code(v.bytes, index, &value, v.debug, ts + DAY_MS),
            v.day_later,
            "{} a day later",
            v.name
        );
    }
}

#[test]
fn real_vectors_refuse_other_pcrs_tampering_and_debug() {
    for v in vectors() {
        let (index, value, ts) = own_pcr(v.bytes);
        let other = "ab".repeat(48);
        assert_eq!(
            verify_code(v.bytes, index, &other, v.debug, ts),
            "PCR_MISMATCH",
            "{}",
            v.name
        );

        // Flip one bit of the signature, the document's last byte.
        let mut tampered = v.bytes.to_vec();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            verify_code(&tampered, index, &value, v.debug, ts),
            "SIGNATURE_INVALID",
            "{} tampered",
            v.name
        );

        if v.debug {
            assert_eq!(
                verify_code(v.bytes, index, &value, false, ts),
                "DEBUG_ENCLAVE",
                "{}",
                v.name
            );
        }
    }
}
