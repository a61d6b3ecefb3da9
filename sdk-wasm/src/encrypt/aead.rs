//! The seam between the SEIPDv2 framing and the AES-GCM that seals each chunk.
//!
//! The framing ([`super::seipd`]) derives the message key, nonces and associated data and lays
//! out the packet; a [`Gcm`] backend only seals one chunk at a time. [`SoftwareGcm`] is the
//! `aes-gcm` crate (native, and wasm without WebCrypto); the wasm build also has WebCrypto
//! ([`super::webcrypto`]).

use std::future::{ready, Future, Ready};

use aes_gcm::{aead::Aead as _, aead::Payload, Aes128Gcm, Aes256Gcm, KeyInit as _, Nonce};

use super::encrypt_error;
use crate::Error;

/// Length of the GCM nonce: the 4-byte IV from HKDF, then the 8-byte chunk index.
pub(crate) const NONCE_LEN: usize = 12;

/// Length of a GCM authentication tag.
pub(crate) const TAG_LEN: usize = 16;

/// An AES-GCM implementation: makes a [`ChunkSealer`] for one message key.
pub(crate) trait Gcm {
    /// The sealer bound to one key.
    type Sealer: ChunkSealer;

    /// A sealer for `key` (16 or 32 bytes: AES-128 or AES-256).
    async fn sealer(&self, key: &[u8]) -> Result<Self::Sealer, Error>;
}

/// Seals chunks under one key.
pub(crate) trait ChunkSealer {
    /// A sealed chunk: ciphertext, then the 16-byte tag.
    type Sealed: SealedChunk;
    /// A sealing that has started.
    type Pending: Future<Output = Result<Self::Sealed, Error>>;

    /// Starts sealing `plaintext` with `nonce` and `aad`. The inputs are consumed (copied or
    /// encrypted) before this returns, so the caller may reuse their buffers at once; only the
    /// result is awaited.
    fn start(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Self::Pending;
}

/// The output of one [`ChunkSealer::start`].
pub(crate) trait SealedChunk {
    /// Appends the ciphertext and tag to `out`.
    fn append_to(&self, out: &mut Vec<u8>);
}

/// The `aes-gcm` crate: AES with AES-NI natively when the CPU has it, constant-time software
/// otherwise (and in wasm).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SoftwareGcm;

/// An `aes-gcm` cipher for one key; its key schedule is zeroized on drop.
pub(crate) enum SoftwareSealer {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
}

impl Gcm for SoftwareGcm {
    type Sealer = SoftwareSealer;

    async fn sealer(&self, key: &[u8]) -> Result<SoftwareSealer, Error> {
        match key.len() {
            16 => Aes128Gcm::new_from_slice(key).map(|c| SoftwareSealer::Aes128(Box::new(c))),
            32 => Aes256Gcm::new_from_slice(key).map(|c| SoftwareSealer::Aes256(Box::new(c))),
            _ => return Err(encrypt_error("unsupported AES key length")),
        }
        .map_err(|_| encrypt_error("unsupported AES key length"))
    }
}

impl ChunkSealer for SoftwareSealer {
    type Sealed = Vec<u8>;
    type Pending = Ready<Result<Vec<u8>, Error>>;

    fn start(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Self::Pending {
        let nonce = Nonce::from_slice(nonce);
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        let sealed = match self {
            Self::Aes128(cipher) => cipher.encrypt(nonce, payload),
            Self::Aes256(cipher) => cipher.encrypt(nonce, payload),
        };
        ready(sealed.map_err(|_| encrypt_error("AES-GCM refused the chunk")))
    }
}

impl SealedChunk for Vec<u8> {
    fn append_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl std::fmt::Debug for SoftwareSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSealer").finish_non_exhaustive()
    }
}
