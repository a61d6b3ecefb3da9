//! The tee-rex SDK: verify the enclave, encrypt the proving steps to it, send them, get the proof.
//!
//! The same code builds natively (the `tee-rex` CLI, tests) and for wasm32 (the npm package).
//! Trust decisions ([`verify_attestation`], [`encrypt`], [`AttestationPolicy`]) do no I/O and
//! read no clock: the caller passes the time. The HTTP flow ([`Client`]) runs over a small
//! [`Transport`] trait; the `native` feature provides one over `reqwest`.
//!
//! Every [`Error`] has a stable [`Error::code`]; attestation codes come from
//! [`tee_rex_attestation`] unchanged and server codes from the server's error body.

#![forbid(unsafe_code)]

mod attest;
mod client;
mod encrypt;
mod error;
#[cfg(feature = "native")]
pub mod native;
mod pcrs;
mod timing;
mod transport;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use attest::{verify_attestation, AttestationPolicy, TeeRexAttestation, DEFAULT_MAX_AGE};
pub use client::{
    Client, ClientConfig, Clock, Phase, PhaseEvent, ProveOutcome, ProvingMode, NONCE_LEN,
};
pub use encrypt::{encrypt, encrypt_with_rng, parse_armored_public_key, parse_public_key};
pub use error::Error;
pub use pcrs::{parse_pcr_arg, parse_pcrs_json};
pub use timing::{ServerTiming, HEADER_SERVER_TIMING};
pub use transport::{HttpResponse, Transport, TransportError, TransportFuture};

/// The OpenPGP key type, re-exported so callers need not depend on `pgp` themselves.
pub use pgp::composed::SignedPublicKey;
