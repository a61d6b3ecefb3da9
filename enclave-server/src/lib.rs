//! The tee-rex enclave server.
//!
//! It holds an OpenPGP key generated in memory at start, proves with Barretenberg's `bb` what
//! clients encrypt to that key, and attests the key and the prover's identity. `main.rs` only
//! wires these parts: [`Config`] from flags and environment, [`AppState`] from the config, and the
//! routes through [`configure`], which the in-process tests use too.
//!
//! ```text
//! GET  /attestation[?nonce=<hex>]   GET /health   GET /encryption-public-key
//! POST /prove   (application/json {"data": base64} | application/octet-stream)
//! ```

#![forbid(unsafe_code)]

pub mod attest;
mod body;
mod config;
mod error;
mod handlers;
mod identity;
mod key;
mod middleware;
mod peer;
mod proof;
mod prover;
mod queue;
mod rate;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use tee_rex_protocol::api::AttestationMode;
use tee_rex_protocol::{IdentityError as UserDataError, ProverIdentity};

pub use body::{decode_prove_body, BodyKind};
pub use config::{AttestationArg, Config, ConfigError, LogFormat};
pub use error::{status_for, ApiError, RETRY_AFTER_SECS};
pub use identity::{measure as measure_prover_identity, IdentityError, INSECURE_CRS_MARKER};
pub use key::{parse_public_key, KeyError, ServerKey};
pub use peer::{on_connect, PeerWatch};
pub use proof::{to_response_layout, ProofFormatError, FIELD_BYTES};
pub use prover::{ProveError, ProveOutcome, Prover, SELF_CHECK_FAILURE_MARKER};
pub use queue::{ProveQueue, QueueFull, Slot};
pub use rate::{Cidr, CidrError, RateLimit, RateLimiter};

use crate::attest::Attestor;

/// How long a `POST /prove` body may take to arrive unless configured otherwise.
pub const DEFAULT_UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// `POST /prove` per client unless configured otherwise: a proof takes tens of seconds, so this
/// only bites a client that floods the queue.
pub const DEFAULT_PROVE_RATE: RateLimit = RateLimit {
    per_minute: 30,
    burst: 10,
};

/// `GET /attestation` per client unless configured otherwise: each document costs an NSM call
/// and a signature.
pub const DEFAULT_ATTESTATION_RATE: RateLimit = RateLimit {
    per_minute: 120,
    burst: 30,
};

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState {
    key: Arc<ServerKey>,
    attestor: Option<Arc<dyn Attestor>>,
    identity: ProverIdentity,
    user_data: Arc<Vec<u8>>,
    prover: Prover,
    queue: ProveQueue,
    max_body_bytes: usize,
    upload_timeout: Duration,
    prove_limiter: RateLimiter,
    attestation_limiter: RateLimiter,
    trusted_proxies: Vec<Cidr>,
    started: Instant,
}

/// Why the state could not be assembled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The prover identity does not fit an attestation document's `user_data`.
    #[error("the prover identity does not fit user_data")]
    UserData(#[source] UserDataError),
}

impl AppState {
    /// Assembles the state. `attestor` is `None` for an unattested server.
    ///
    /// # Errors
    /// [`StateError::UserData`] when the identity encodes to more than 512 bytes.
    pub fn new(
        key: ServerKey,
        attestor: Option<Box<dyn Attestor>>,
        identity: ProverIdentity,
        prover: Prover,
        queue: ProveQueue,
        max_body_bytes: usize,
    ) -> Result<Self, StateError> {
        let user_data = identity.to_user_data().map_err(StateError::UserData)?;
        Ok(Self {
            key: Arc::new(key),
            attestor: attestor.map(Arc::from),
            identity,
            user_data: Arc::new(user_data),
            prover,
            queue,
            max_body_bytes,
            upload_timeout: DEFAULT_UPLOAD_TIMEOUT,
            prove_limiter: RateLimiter::new(DEFAULT_PROVE_RATE),
            attestation_limiter: RateLimiter::new(DEFAULT_ATTESTATION_RATE),
            trusted_proxies: Vec::new(),
            started: Instant::now(),
        })
    }

    /// Sets how long a `POST /prove` body may take to arrive in full (default
    /// [`DEFAULT_UPLOAD_TIMEOUT`]); a slower upload is answered `UPLOAD_TIMEOUT`.
    #[must_use]
    pub fn with_upload_timeout(mut self, timeout: Duration) -> Self {
        self.upload_timeout = timeout;
        self
    }

    /// Sets the per-client rate limits of `POST /prove` and `GET /attestation` (defaults
    /// [`DEFAULT_PROVE_RATE`], [`DEFAULT_ATTESTATION_RATE`]) and the proxies whose
    /// `X-Forwarded-For` names the client (default none).
    #[must_use]
    pub fn with_rate_limits(
        mut self,
        prove: RateLimit,
        attestation: RateLimit,
        trusted_proxies: Vec<Cidr>,
    ) -> Self {
        self.prove_limiter = RateLimiter::new(prove);
        self.attestation_limiter = RateLimiter::new(attestation);
        self.trusted_proxies = trusted_proxies;
        self
    }

    /// The attestation mode the server answers with.
    pub fn attestation_mode(&self) -> AttestationMode {
        self.attestor
            .as_ref()
            .map_or(AttestationMode::None, |a| a.mode())
    }

    /// The server key.
    pub fn key(&self) -> &ServerKey {
        &self.key
    }

    /// The measured prover identity.
    pub fn identity(&self) -> &ProverIdentity {
        &self.identity
    }
}

/// Registers every route, the error fallbacks, CORS and the request-id and logging middleware.
///
/// The app must carry a `web::Data<AppState>`:
/// `App::new().app_data(web::Data::new(state)).configure(configure)`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    handlers::register(cfg);
}

/// Milliseconds of a duration, saturating.
pub(crate) fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
