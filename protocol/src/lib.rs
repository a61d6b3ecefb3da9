//! Wire types shared by the tee-rex server and its clients.
//!
//! Everything that crosses the network between the SDK and the enclave server is defined here
//! once: the JSON bodies of each endpoint ([`api`]), the stable error codes ([`ErrorCode`]), the
//! prover identity the server puts in its attestation's `user_data` ([`ProverIdentity`]), and a
//! validator for the msgpack proving steps a wallet hands to the prover ([`steps`]).
//!
//! The JSON shapes stay compatible with the TypeScript tee-rex, so its clients keep working.

#![forbid(unsafe_code)]

pub mod api;
mod error;
mod identity;
pub mod steps;

pub use error::ErrorCode;
pub use identity::{CrsFileHash, IdentityError, ProverIdentity, MAX_USER_DATA_LEN};

/// Version of the HTTP API described by [`api`]. Reported by `GET /health`.
pub const API_VERSION: u32 = 1;

/// Response header carrying how long `bb` took, in milliseconds.
pub const HEADER_PROVE_DURATION_MS: &str = "x-prove-duration-ms";
/// Response header carrying how long decryption took, in milliseconds.
pub const HEADER_DECRYPT_DURATION_MS: &str = "x-decrypt-duration-ms";
/// Response header carrying the request id the server logged the request under.
pub const HEADER_REQUEST_ID: &str = "x-request-id";

/// Shortest nonce `GET /attestation?nonce=` accepts, in bytes.
pub const MIN_NONCE_LEN: usize = 1;
/// Longest nonce `GET /attestation?nonce=` accepts, in bytes.
pub const MAX_NONCE_LEN: usize = 64;
