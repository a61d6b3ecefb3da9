//! The proving flow: attest, encrypt, send, receive.
//!
//! ```text
//! nonce (32 random bytes) -> GET {api}/attestation?nonce=<hex> -> verify (document only)
//!   -> encrypt to the key inside the document -> POST {api}/prove (octet-stream)
//!   -> {"proof": "<base64>"}
//! ```
//!
//! The `publicKey` field beside the document is never used. A verified key is cached per server
//! for at most the policy's maximum age (counted from the document's timestamp) and dropped when
//! the server answers `DECRYPT_FAILED`, after which the flow attests again and retries once.
//! Time comes from the caller's [`Clock`]; the client reads no clock itself.

use std::collections::HashMap;

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use pgp::composed::SignedPublicKey;
use rand::RngCore;
use tee_rex_protocol::{
    api::{AttestationResponse, ProveResponse},
    steps::parse_steps,
    HEADER_PROVE_DURATION_MS, HEADER_REQUEST_ID,
};

use crate::{
    encrypt::{encrypt_for_platform, parse_armored_public_key},
    AttestationPolicy, Error, HttpResponse, ServerTiming, Transport, HEADER_SERVER_TIMING,
};

/// Length of the nonce sent with every attestation request.
pub const NONCE_LEN: usize = 32;

/// The server code that drops a cached key.
const DECRYPT_FAILED: &str = "DECRYPT_FAILED";

/// Where proofs are made and what the client demands of the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProvingMode {
    /// The server must prove by attestation that it is an enclave running the expected code.
    #[default]
    Tee,
    /// A remote server; an unattested one is accepted only with `allow_unattested`. A server that
    /// sends a document still has it verified.
    Remote,
}

/// A step of the flow, reported through the caller's callback as it begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Requesting the attestation document.
    FetchAttestation,
    /// Verifying it.
    VerifyAttestation,
    /// Encrypting the proving steps.
    Encrypt,
    /// Uploading the encrypted steps (until proving starts: includes queueing and decryption).
    Transmit,
    /// The server proving. Reported once the response arrives, at the time proving began by the
    /// server's own measure (`x-prove-duration-ms`, else `prove` in `Server-Timing`).
    Proving,
    /// The server finished proving after `duration_ms`.
    Proved {
        /// Proving time measured by the server.
        duration_ms: u64,
    },
    /// Decoding the response.
    Receive,
}

/// A [`Phase`] and the caller's clock reading when it began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseEvent {
    /// The phase.
    pub phase: Phase,
    /// Unix milliseconds from the caller's clock.
    pub at_ms: u64,
}

/// The caller's clock: unix milliseconds. The SDK never reads a clock itself.
pub trait Clock {
    /// The current time in unix milliseconds.
    fn now_ms(&self) -> u64;
}

impl<F: Fn() -> u64> Clock for F {
    fn now_ms(&self) -> u64 {
        self()
    }
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    api_url: String,
    mode: ProvingMode,
    allow_unattested: bool,
    policy: AttestationPolicy,
}

impl ClientConfig {
    /// Settings for the server at `api_url` (`http://` or `https://`), in [`ProvingMode::Tee`].
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for another scheme.
    pub fn new(api_url: &str, policy: AttestationPolicy) -> Result<Self, Error> {
        Ok(Self {
            api_url: normalize_url(api_url)?,
            mode: ProvingMode::Tee,
            allow_unattested: false,
            policy,
        })
    }

    /// Chooses the proving mode.
    pub fn mode(mut self, mode: ProvingMode) -> Self {
        self.mode = mode;
        self
    }

    /// Accepts an unattested server; effective only in [`ProvingMode::Remote`].
    pub fn allow_unattested(mut self, allow: bool) -> Self {
        self.allow_unattested = allow;
        self
    }

    /// Points the client at another server (each server keeps its own cached key).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for a scheme other than `http` or `https`.
    pub fn set_api_url(&mut self, api_url: &str) -> Result<(), Error> {
        self.api_url = normalize_url(api_url)?;
        Ok(())
    }
}

/// A proof and what the server said about it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProveOutcome {
    /// The proof: 4-byte big-endian field count, then 32-byte fields.
    pub proof: Vec<u8>,
    /// Proving time measured by the server, when it said (`x-prove-duration-ms`, else `prove`
    /// in `Server-Timing` rounded to the millisecond).
    pub prove_duration_ms: Option<u64>,
    /// Where the request spent its time on the server, when it said (`Server-Timing`; `None`
    /// also when that header was malformed).
    pub server_timing: Option<ServerTiming>,
    /// The server's request id, when it said.
    pub request_id: Option<String>,
    /// Whether the key came from a verified attestation document (false only for an unattested
    /// server the caller allowed).
    pub attested: bool,
}

/// The tee-rex client, generic over its transport and clock.
pub struct Client<T, C> {
    transport: T,
    clock: C,
    config: ClientConfig,
    cache: HashMap<String, CachedKey>,
}

struct CachedKey {
    key: SignedPublicKey,
    expires_at_ms: u64,
}

struct ServerKey {
    key: SignedPublicKey,
    attested: bool,
    cached: bool,
}

impl<T: Transport, C: Clock> Client<T, C> {
    /// A client with an empty key cache.
    pub fn new(transport: T, clock: C, config: ClientConfig) -> Self {
        Self {
            transport,
            clock,
            config,
            cache: HashMap::new(),
        }
    }

    /// The settings, for changing mode or server between proofs.
    pub fn config_mut(&mut self) -> &mut ClientConfig {
        &mut self.config
    }

    /// Proves `steps` (msgpack proving steps) on the configured server.
    ///
    /// # Errors
    /// [`Error::InvalidSteps`] before anything is sent; [`Error::MissingExpectedPcrs`] in TEE mode
    /// without PCRs; attestation and key-policy errors; [`Error::Unattested`]; [`Error::Server`]
    /// with the server's code; [`Error::Transport`], [`Error::Http`], [`Error::InvalidResponse`].
    pub async fn prove<F>(&mut self, steps: &[u8], on_phase: &mut F) -> Result<ProveOutcome, Error>
    where
        F: FnMut(PhaseEvent),
    {
        parse_steps(steps)?;
        if self.config.mode == ProvingMode::Tee && !self.config.policy.has_expected_pcrs() {
            return Err(Error::MissingExpectedPcrs);
        }

        let server = self.server_key(on_phase).await?;
        match self.send(&server, steps, on_phase).await {
            // The enclave restarted with a new key since we verified it: attest again, once.
            Err(e) if server.cached && e.code() == DECRYPT_FAILED => {
                self.cache.remove(&self.config.api_url);
                let fresh = self.server_key(on_phase).await?;
                self.send(&fresh, steps, on_phase).await
            }
            result => result,
        }
    }

    async fn server_key<F: FnMut(PhaseEvent)>(
        &mut self,
        on_phase: &mut F,
    ) -> Result<ServerKey, Error> {
        let now = self.clock.now_ms();
        if let Some(cached) = self.cache.get(&self.config.api_url) {
            if now <= cached.expires_at_ms {
                return Ok(ServerKey {
                    key: cached.key.clone(),
                    attested: true,
                    cached: true,
                });
            }
        }
        self.cache.remove(&self.config.api_url);

        self.emit(on_phase, Phase::FetchAttestation);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let url = format!(
            "{}/attestation?nonce={}",
            self.config.api_url,
            hex::encode(nonce)
        );
        let response = self.transport.get(&url).await.map_err(Error::Transport)?;
        if response.status != 200 {
            return Err(server_error(&response));
        }
        let body: AttestationResponse =
            serde_json::from_slice(&response.body).map_err(|_| Error::InvalidResponse {
                what: "attestation body",
            })?;

        let document = match body {
            // The `publicKey` beside the document is deliberately ignored.
            AttestationResponse::Nitro {
                attestation_document,
                ..
            } => attestation_document,
            AttestationResponse::Standard { public_key } => {
                if self.config.mode != ProvingMode::Remote || !self.config.allow_unattested {
                    return Err(Error::Unattested);
                }
                let key = parse_armored_public_key(&public_key)?;
                return Ok(ServerKey {
                    key,
                    attested: false,
                    cached: false,
                });
            }
        };

        self.emit(on_phase, Phase::VerifyAttestation);
        let document = BASE64
            .decode(document.as_bytes())
            .map_err(|_| Error::InvalidResponse {
                what: "attestationDocument is not base64",
            })?;
        let verified = self
            .config
            .policy
            .verify(&document, self.clock.now_ms(), Some(&nonce))?;

        let max_age_ms =
            u64::try_from(self.config.policy.max_age_value().as_millis()).unwrap_or(u64::MAX);
        let key = verified.public_key().clone();
        self.cache.insert(
            self.config.api_url.clone(),
            CachedKey {
                key: key.clone(),
                expires_at_ms: verified.timestamp_ms().saturating_add(max_age_ms),
            },
        );
        Ok(ServerKey {
            key,
            attested: true,
            cached: false,
        })
    }

    async fn send<F: FnMut(PhaseEvent)>(
        &self,
        server: &ServerKey,
        steps: &[u8],
        on_phase: &mut F,
    ) -> Result<ProveOutcome, Error> {
        self.emit(on_phase, Phase::Encrypt);
        // WebCrypto AES-GCM in wasm, software natively.
        let message = encrypt_for_platform(&server.key, steps).await?;

        let sent_at = self.emit(on_phase, Phase::Transmit);
        let url = format!("{}/prove", self.config.api_url);
        let response = self
            .transport
            .post(&url, "application/octet-stream", message)
            .await
            .map_err(Error::Transport)?;
        let arrived_at = self.clock.now_ms();

        // The server reports how long bb worked, also when bb failed: attribute that time to
        // proving rather than to the upload.
        let server_timing = server_timing(&response);
        let prove_duration_ms = response
            .header(HEADER_PROVE_DURATION_MS)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .or_else(|| server_timing.and_then(|t| t.prove).map(rounded_ms));
        if let Some(duration_ms) = prove_duration_ms {
            on_phase(PhaseEvent {
                phase: Phase::Proving,
                at_ms: arrived_at.saturating_sub(duration_ms).max(sent_at),
            });
        }
        if response.status != 200 {
            return Err(server_error(&response));
        }
        if let Some(duration_ms) = prove_duration_ms {
            on_phase(PhaseEvent {
                phase: Phase::Proved { duration_ms },
                at_ms: arrived_at,
            });
        }

        self.emit(on_phase, Phase::Receive);
        let body: ProveResponse = serde_json::from_slice(&response.body)
            .map_err(|_| Error::InvalidResponse { what: "prove body" })?;
        let proof = BASE64
            .decode(body.proof.as_bytes())
            .map_err(|_| Error::InvalidResponse {
                what: "proof is not base64",
            })?;
        check_proof_layout(&proof)?;

        Ok(ProveOutcome {
            proof,
            prove_duration_ms,
            server_timing,
            request_id: response.header(HEADER_REQUEST_ID).map(str::to_owned),
            attested: server.attested,
        })
    }

    fn emit<F: FnMut(PhaseEvent)>(&self, on_phase: &mut F, phase: Phase) -> u64 {
        let at_ms = self.clock.now_ms();
        on_phase(PhaseEvent { phase, at_ms });
        at_ms
    }
}

impl<T, C> std::fmt::Debug for Client<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("cached_servers", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ProveOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProveOutcome")
            .field("proof_len", &self.proof.len())
            .field("prove_duration_ms", &self.prove_duration_ms)
            .field("server_timing", &self.server_timing)
            .field("request_id", &self.request_id)
            .field("attested", &self.attested)
            .finish()
    }
}

/// The error body `{"error":{"code","message"},"requestId"}`, with the code kept as text so
/// codes newer than this SDK still surface.
#[derive(serde::Deserialize)]
struct WireError {
    error: WireErrorDetail,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct WireErrorDetail {
    code: String,
    message: String,
}

fn server_error(response: &HttpResponse) -> Error {
    match serde_json::from_slice::<WireError>(&response.body) {
        Ok(body) if !body.error.code.is_empty() => Error::Server {
            code: body.error.code,
            message: body.error.message,
            request_id: body
                .request_id
                .or_else(|| response.header(HEADER_REQUEST_ID).map(str::to_owned))
                .unwrap_or_default(),
            status: response.status,
            server_timing: server_timing(response).map(Box::new),
        },
        _ => Error::Http {
            status: response.status,
        },
    }
}

/// The answer's `Server-Timing`, every field line of it joined as HTTP combines repeated fields
/// (so a metric an intermediary added beside the server's is still seen).
fn server_timing(response: &HttpResponse) -> Option<ServerTiming> {
    let values: Vec<&str> = response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(HEADER_SERVER_TIMING))
        .map(|(_, value)| value.as_str())
        .collect();
    if values.is_empty() {
        return None;
    }
    ServerTiming::parse(&values.join(", "))
}

/// A duration in whole milliseconds, rounded to the nearest.
fn rounded_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_micros().saturating_add(500) / 1000).unwrap_or(u64::MAX)
}

/// A proof is a 4-byte big-endian field count followed by that many 32-byte fields.
fn check_proof_layout(proof: &[u8]) -> Result<(), Error> {
    let bad = || Error::InvalidResponse {
        what: "proof layout (count, 32-byte fields)",
    };
    let (count, fields) = proof.split_first_chunk::<4>().ok_or_else(bad)?;
    let count = u64::from(u32::from_be_bytes(*count));
    if count == 0 || count.checked_mul(32) != u64::try_from(fields.len()).ok() {
        return Err(bad());
    }
    Ok(())
}

fn normalize_url(api_url: &str) -> Result<String, Error> {
    let trimmed = api_url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or(Error::InvalidUrl)?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(Error::InvalidUrl);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_layout_is_checked() {
        let mut proof = 2u32.to_be_bytes().to_vec();
        proof.extend([0u8; 64]);
        assert!(check_proof_layout(&proof).is_ok());
        for bad in [&proof[..3], &proof[..67], &[0, 0, 0, 0][..], &[0xff; 8][..]] {
            assert!(check_proof_layout(bad).is_err(), "{bad:?}");
        }
        let mut long = proof.clone();
        long.push(0);
        assert!(check_proof_layout(&long).is_err());
    }

    #[test]
    fn server_timing_lines_are_joined_and_rounded() {
        let response = |headers: &[(&str, &str)]| HttpResponse {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
        };
        let two = response(&[
            ("Server-Timing", "queue;dur=2"),
            ("server-timing", "prove;dur=1499.5"),
        ]);
        let timing = server_timing(&two).unwrap();
        assert_eq!(timing.queue, Some(std::time::Duration::from_millis(2)));
        assert_eq!(timing.prove.map(rounded_ms), Some(1500));
        // The same phase on two lines contradicts itself: dropped.
        let twice = response(&[
            ("server-timing", "prove;dur=1"),
            ("server-timing", "prove;dur=2"),
        ]);
        assert_eq!(server_timing(&twice), None);
        assert_eq!(server_timing(&response(&[])), None);
        assert_eq!(rounded_ms(std::time::Duration::from_micros(1499)), 1);
    }

    #[test]
    fn urls_are_normalized() {
        assert_eq!(
            normalize_url(" http://127.0.0.1:4000/ ").unwrap(),
            "http://127.0.0.1:4000"
        );
        assert_eq!(normalize_url("https://h/api").unwrap(), "https://h/api");
    }
}
