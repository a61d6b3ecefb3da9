//! The `prove` export: the SDK's proving client over `fetch`, with JS options and callbacks.

use std::{cell::RefCell, collections::HashMap};

use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::{Client, ClientConfig, Clock, Phase, PhaseEvent, ProvingMode};

use super::{convert, error, options::AttestationOptions, time, GlooTransport};

/// Options of `prove`.
///
/// Local proving (and falling back to it) happens in the JS layer, with bb.js: this core proves
/// only on a server.
#[derive(Tsify, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProveOptions {
    /// The server, `http://` or `https://`.
    pub api_url: String,
    /// `"tee"` (default): the server must prove by attestation that it is the expected enclave.
    /// `"remote"`: an unattested server is accepted only with `allowUnattested`.
    #[tsify(optional, type = "ProvingMode")]
    pub proving_mode: Option<JsProvingMode>,
    /// What the server's attestation must satisfy. Required in `"tee"` mode.
    #[tsify(optional)]
    pub attestation: Option<AttestationOptions>,
    /// Accept an unattested server in `"remote"` mode (default false).
    #[tsify(optional)]
    pub allow_unattested: Option<bool>,
    /// Called as each phase begins.
    #[tsify(optional, type = "(event: PhaseEvent) => void")]
    #[serde(default, deserialize_with = "convert::de_opt_js")]
    pub on_phase: Option<js_sys::Function>,
    /// Aborts the requests when it fires.
    #[tsify(optional, type = "AbortSignal")]
    #[serde(default, deserialize_with = "convert::de_opt_js")]
    pub signal: Option<web_sys::AbortSignal>,
    /// Aborts each request after this many milliseconds.
    #[tsify(optional)]
    pub timeout_ms: Option<u32>,
}

/// Where `prove` proves.
#[derive(Clone, Copy, Debug, Tsify, Deserialize)]
#[tsify(rename = "ProvingMode")]
#[serde(rename_all = "lowercase")]
pub enum JsProvingMode {
    /// An attested enclave.
    Tee,
    /// Any server; an unattested one only with `allowUnattested`.
    Remote,
}

/// What `prove` resolves to.
#[derive(Tsify, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProveResult {
    /// The proof: a 4-byte big-endian field count, then 32-byte fields
    /// (`ChonkProofWithPublicInputs.fromBuffer` reads it).
    #[tsify(type = "Uint8Array")]
    #[serde(serialize_with = "convert::bytes")]
    pub proof: Vec<u8>,
    /// Proving time measured by the server, when it said.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prove_duration_ms: Option<u64>,
    /// Where the request spent its time on the server, when it said (its `Server-Timing`
    /// header; absent also when that header was malformed).
    #[tsify(optional, type = "ServerTiming")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_timing: Option<JsServerTiming>,
    /// The server's request id, when it said.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// False only for an unattested server the caller allowed in `"remote"` mode.
    pub attested: bool,
}

/// The server's phases of one `POST /prove` (its `Server-Timing`), in milliseconds with
/// decimals; a phase the server did not report is absent. On `prove`'s result, and on its
/// errors as `serverTiming` when the server's error answer carried them.
#[derive(Clone, Copy, Default, Tsify, Serialize)]
#[tsify(rename = "ServerTiming")]
#[serde(rename_all = "camelCase")]
pub struct JsServerTiming {
    /// Receiving the request body.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_ms: Option<f64>,
    /// Unwrapping a JSON body's base64 (JSON bodies only: `prove` sends octet-stream).
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode_ms: Option<f64>,
    /// Decrypting the steps.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypt_ms: Option<f64>,
    /// Validating the steps.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_ms: Option<f64>,
    /// Waiting for a proving slot.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_ms: Option<f64>,
    /// bb's own run time.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prove_ms: Option<f64>,
}

/// The event passed to `onPhase`.
#[derive(Tsify, Serialize)]
#[tsify(rename = "PhaseEvent")]
#[serde(rename_all = "camelCase")]
pub struct JsPhaseEvent {
    /// The phase that begins.
    #[tsify(
        type = "\"fetch-attestation\" | \"verify-attestation\" | \"encrypt\" | \"transmit\" | \
                \"proving\" | \"proved\" | \"receive\""
    )]
    pub phase: &'static str,
    /// Unix milliseconds (JS `Date.now()`) when it began.
    pub at_ms: u64,
    /// For `"proved"`: proving time measured by the server.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// Proves `steps` (the msgpack bytes of `serializePrivateExecutionSteps`) on a server: fresh
/// nonce, attestation fetched and verified (in `"tee"` mode), steps encrypted to the key inside
/// the verified document, sent, proof returned.
///
/// # Errors
/// A `TeeRexError` whose `code` is the SDK's: `INVALID_STEPS` (nothing sent), `INVALID_OPTIONS`,
/// `MISSING_EXPECTED_PCRS`, `UNATTESTED_SERVER`, the verifier's codes, the server's codes (e.g.
/// `PROOF_SELF_CHECK_FAILED`), `TRANSPORT_FAILED`, `HTTP_ERROR`, `INVALID_RESPONSE`. A server
/// error whose answer carried `Server-Timing` (bb's failures, `QUEUE_FULL`) also has
/// `serverTiming`.
#[wasm_bindgen(js_name = prove)]
pub async fn prove(
    steps: Vec<u8>,
    options: tsify::Ts<ProveOptions>,
) -> Result<tsify::Ts<ProveResult>, js_sys::Error> {
    let raw = options.js_value();
    super::check_keys(&raw, PROVE_OPTION_KEYS)?;
    if let Ok(attestation) = js_sys::Reflect::get(&raw, &JsValue::from_str("attestation")) {
        super::check_keys(&attestation, super::ATTESTATION_OPTION_KEYS)?;
    }
    let options = options.to_rust().map_err(|e| super::invalid_options(&e))?;
    // Fail before any request when the clock is unusable.
    time::now_ms()?;

    let mode = match options.proving_mode.unwrap_or(JsProvingMode::Tee) {
        JsProvingMode::Tee => ProvingMode::Tee,
        JsProvingMode::Remote => ProvingMode::Remote,
    };
    let policy = match (&options.attestation, mode) {
        (Some(attestation), _) => {
            convert::attestation_policy(attestation).map_err(|e| e.to_js())?
        }
        (None, ProvingMode::Tee) => return Err(crate::Error::MissingExpectedPcrs.to_js()),
        // Remote without expectations: an attested server is still verified against the AWS
        // root, and the client refuses TEE-only shortcuts.
        (None, _) => crate::AttestationPolicy::new(),
    };
    let config = ClientConfig::new(&options.api_url, policy)
        .map_err(|e| e.to_js())?
        .mode(mode)
        .allow_unattested(options.allow_unattested.unwrap_or(false));

    // A client per distinct configuration keeps its verified keys across calls (each for at
    // most the maximum age). It is taken out for the call, so concurrent calls never share one.
    let key = cache_key(&options, mode);
    let (mut client, transport) = CLIENTS
        .with(|clients| clients.borrow_mut().remove(&key))
        .unwrap_or_else(|| {
            let transport = GlooTransport::new();
            (Client::new(transport.clone(), JsClock, config), transport)
        });
    transport.set_timeout_ms(options.timeout_ms);
    transport.set_signal(options.signal);

    let on_phase = options.on_phase;
    let mut report = |event: PhaseEvent| {
        if let Some(callback) = &on_phase {
            if let Ok(value) = phase_event(event).into_ts() {
                // A throwing callback must not break the proof: its exception is dropped.
                let _ = callback.call1(&JsValue::UNDEFINED, &value.into());
            }
        }
    };
    let result = client.prove(&steps, &mut report).await;

    transport.set_signal(None);
    CLIENTS.with(|clients| {
        let mut clients = clients.borrow_mut();
        if clients.len() >= MAX_CACHED_CLIENTS {
            clients.clear();
        }
        clients.insert(key, (client, transport));
    });
    let outcome = result.map_err(|e| prove_error(&e))?;

    ProveResult {
        proof: outcome.proof,
        prove_duration_ms: outcome.prove_duration_ms,
        server_timing: outcome.server_timing.as_ref().map(convert::server_timing),
        request_id: outcome.request_id,
        attested: outcome.attested,
    }
    .into_ts()
    .map_err(|_| error::coded_error("INTERNAL", "cannot build the result"))
}

/// Most distinct configurations whose clients (and verified keys) are kept between calls.
const MAX_CACHED_CLIENTS: usize = 16;

/// A kept client and the handle to its transport's per-call settings.
type CachedClient = (Client<GlooTransport, JsClock>, GlooTransport);

thread_local! {
    static CLIENTS: RefCell<HashMap<String, CachedClient>> = RefCell::new(HashMap::new());
}

/// JS `Date.now()`. A failure after the check at the start of `prove` reads as time 0, which
/// every freshness and validity check refuses.
#[derive(Clone, Copy, Debug)]
struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> u64 {
        time::now_ms().unwrap_or(0)
    }
}

/// Everything that decides trust, so a cached key is only reused under the same policy.
fn cache_key(options: &ProveOptions, mode: ProvingMode) -> String {
    let attestation = options.attestation.as_ref().map(|a| {
        (
            &a.expected_pcrs,
            a.max_age_ms,
            a.allow_debug,
            &a.insecure_trusted_root_pem,
        )
    });
    format!(
        "{:?}",
        (
            options.api_url.trim_end_matches('/'),
            mode,
            options.allow_unattested,
            attestation
        )
    )
}

/// The keys of [`ProveOptions`].
const PROVE_OPTION_KEYS: &[&str] = &[
    "apiUrl",
    "provingMode",
    "attestation",
    "allowUnattested",
    "onPhase",
    "signal",
    "timeoutMs",
];

/// The JS error of a failed proof, with the server's phases as `serverTiming` when it sent them.
fn prove_error(error: &crate::Error) -> js_sys::Error {
    let js = error.to_js();
    if let Some(timing) = error.server_timing() {
        if let Ok(value) = convert::server_timing(timing).into_ts() {
            // Setting a property on a fresh Error cannot fail; if it did, the code still stands.
            let _ = js_sys::Reflect::set(&js, &JsValue::from_str("serverTiming"), &value.into());
        }
    }
    js
}

fn phase_event(event: PhaseEvent) -> JsPhaseEvent {
    let (phase, duration_ms) = match event.phase {
        Phase::FetchAttestation => ("fetch-attestation", None),
        Phase::VerifyAttestation => ("verify-attestation", None),
        Phase::Encrypt => ("encrypt", None),
        Phase::Transmit => ("transmit", None),
        Phase::Proving => ("proving", None),
        Phase::Proved { duration_ms } => ("proved", Some(duration_ms)),
        Phase::Receive => ("receive", None),
    };
    JsPhaseEvent {
        phase,
        at_ms: event.at_ms,
        duration_ms,
    }
}

impl std::fmt::Debug for ProveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProveOptions")
            .field("api_url", &self.api_url)
            .field("proving_mode", &self.proving_mode)
            .field("attestation", &self.attestation)
            .field("allow_unattested", &self.allow_unattested)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ProveResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProveResult")
            .field("proof_len", &self.proof.len())
            .field("prove_duration_ms", &self.prove_duration_ms)
            .field("server_timing", &self.server_timing)
            .field("request_id", &self.request_id)
            .field("attested", &self.attested)
            .finish()
    }
}

impl std::fmt::Debug for JsServerTiming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsServerTiming")
            .field("upload_ms", &self.upload_ms)
            .field("decode_ms", &self.decode_ms)
            .field("decrypt_ms", &self.decrypt_ms)
            .field("parse_ms", &self.parse_ms)
            .field("queue_ms", &self.queue_ms)
            .field("prove_ms", &self.prove_ms)
            .finish()
    }
}

impl std::fmt::Debug for JsPhaseEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsPhaseEvent")
            .field("phase", &self.phase)
            .field("at_ms", &self.at_ms)
            .finish()
    }
}
