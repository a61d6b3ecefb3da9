//! The JavaScript API: wasm-bindgen exports over the SDK core.
//!
//! This layer only converts: JS objects to the core's types and back, SDK errors to JS `Error`s
//! named `TeeRexError` with a stable `code`, and it reads the clock (JS `Date.now()`), which the
//! core never does. Every decision about trust stays in the core.

mod convert;
mod error;
mod options;
mod prove;
mod time;
mod transport;

use std::collections::BTreeMap;

use pgp::{ser::Serialize as _, types::KeyDetails as _};
use tsify::{Ts, Tsify as _};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

pub use options::{AttestationOptions, ProverInfo, VerifiedAttestation, VerifyAttestationOptions};
pub use prove::{prove, JsPhaseEvent, JsProvingMode, JsServerTiming, ProveOptions, ProveResult};
pub use transport::GlooTransport;

use crate::{Error, TeeRexAttestation};

/// Verifies an attestation document (COSE_Sign1 bytes) at the current time (JS `Date.now()`)
/// against `options`, then applies tee-rex's key policy: the document must carry a binary OpenPGP
/// public key able to encrypt.
///
/// # Errors
/// A `TeeRexError` whose `code` is the verifier's (`SIGNATURE_INVALID`, `PCR_MISMATCH`, `STALE`,
/// ...) or the key policy's (`MISSING_PUBLIC_KEY`, `INVALID_PUBLIC_KEY`); `INVALID_OPTIONS` when
/// `options` does not have the declared shape; `MISSING_EXPECTED_PCRS` without PCRs.
#[wasm_bindgen(js_name = verifyAttestation)]
pub fn verify_attestation_js(
    document: &[u8],
    options: Ts<VerifyAttestationOptions>,
) -> Result<Ts<VerifiedAttestation>, js_sys::Error> {
    check_keys(&options.js_value(), VERIFY_OPTION_KEYS)?;
    let options = options.to_rust().map_err(|e| invalid_options(&e))?;
    let now_ms = time::now_ms()?;
    let verified = verify_attestation_at(document, &options, now_ms).map_err(|e| e.to_js())?;
    verified
        .into_ts()
        .map_err(|_| error::coded_error("INTERNAL", "cannot build the result"))
}

/// What [`verify_attestation_js`] does, at a caller-chosen time: the tests' entry point.
///
/// # Errors
/// As [`verify_attestation_js`].
pub fn verify_attestation_at(
    document: &[u8],
    options: &VerifyAttestationOptions,
    now_ms: u64,
) -> Result<VerifiedAttestation, Error> {
    let policy = convert::attestation_policy(&options.attestation())?;
    let verified = policy.verify(document, now_ms, options.expected_nonce.as_deref())?;
    Ok(describe(&verified))
}

/// Encrypts `bytes` to `publicKey`, a binary OpenPGP public key (as `verifyAttestation` returns
/// it), into a binary OpenPGP message (PKESK v6 + SEIPDv2, AES-256-GCM, 256 KiB chunks).
///
/// Each chunk is sealed by the platform's WebCrypto (`crypto.subtle`) where it exists, else by
/// the SDK's own AES-GCM. Resolves to the message's bytes. The copy of `bytes` in wasm memory is
/// zeroized before the Promise settles.
///
/// # Errors
/// Rejects with a `TeeRexError` with code `INVALID_PUBLIC_KEY` when the key does not parse, is
/// armored, or cannot encrypt; `ENCRYPTION_FAILED` when encryption fails.
#[wasm_bindgen(js_name = encrypt, unchecked_return_type = "Uint8Array")]
pub async fn encrypt_js(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "Uint8Array")] public_key: Vec<u8>,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: Vec<u8>,
) -> Result<JsValue, js_sys::Error> {
    let bytes = Zeroizing::new(bytes);
    let message = encrypt_async(&public_key, &bytes)
        .await
        .map_err(|e| e.to_js())?;
    Ok(js_sys::Uint8Array::from(&message[..]).into())
}

/// What [`encrypt_js`] does, returning the SDK error: WebCrypto where the platform has it.
///
/// # Errors
/// As [`encrypt_js`].
pub async fn encrypt_async(public_key: &[u8], bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let key = crate::parse_public_key(public_key)?;
    crate::encrypt::encrypt_webcrypto(&key, bytes).await
}

/// [`encrypt_async`] with the SDK's own AES-GCM only, as on a page without WebCrypto.
///
/// # Errors
/// As [`encrypt_js`].
pub fn encrypt_software(public_key: &[u8], bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let key = crate::parse_public_key(public_key)?;
    crate::encrypt(&key, bytes)
}

impl Error {
    /// This error as a JS `Error` with `name` `TeeRexError` and the stable `code`.
    pub fn to_js(&self) -> js_sys::Error {
        error::to_js_error(self)
    }
}

fn describe(verified: &TeeRexAttestation) -> VerifiedAttestation {
    let key = verified.public_key();
    let doc = verified.attestation();
    VerifiedAttestation {
        // Writing an already-parsed key into a Vec cannot fail; an empty key would be refused
        // by `encrypt` rather than used.
        public_key: key.to_bytes().unwrap_or_default(),
        public_key_fingerprint: hex::encode(key.fingerprint().as_bytes()),
        module_id: doc.module_id().to_owned(),
        timestamp_ms: doc.timestamp().as_millis(),
        certificate_not_before_ms: doc.leaf_not_before().as_millis(),
        certificate_not_after_ms: doc.leaf_not_after().as_millis(),
        nonce: doc.nonce().map(hex::encode),
        pcrs: doc
            .pcrs()
            .iter()
            .map(|(i, v)| (i.to_string(), hex::encode(v)))
            .collect::<BTreeMap<_, _>>(),
        prover: verified.prover().map(|p| ProverInfo {
            bb_version: p.bb_version.clone(),
            bb_sha256: hex::encode(p.bb_sha256),
            crs_insecure: p.crs_insecure,
        }),
    }
}

/// The keys of [`AttestationOptions`].
const ATTESTATION_OPTION_KEYS: &[&str] = &[
    "expectedPcrs",
    "maxAgeMs",
    "allowDebug",
    "insecureTrustedRootPem",
];

/// The keys of [`VerifyAttestationOptions`].
const VERIFY_OPTION_KEYS: &[&str] = &[
    "expectedPcrs",
    "maxAgeMs",
    "allowDebug",
    "insecureTrustedRootPem",
    "expectedNonce",
];

/// Refuses an options object with a key the export does not know.
fn check_keys(value: &JsValue, known: &[&str]) -> Result<(), js_sys::Error> {
    match convert::unknown_key(value, known) {
        Some(key) => Err(invalid_options(&format!("unknown option {key:?}"))),
        None => Ok(()),
    }
}

fn invalid_options(e: &impl std::fmt::Display) -> js_sys::Error {
    error::coded_error("INVALID_OPTIONS", &format!("invalid options: {e}"))
}
