//! tee-rex's attestation policy on top of the generic Nitro verifier.
//!
//! [`tee_rex_attestation::verify`] decides whether a document is genuine, fresh and measures the
//! expected code. This module adds what tee-rex needs from it: the document must carry the
//! enclave's OpenPGP public key, as a binary transferable key with an encryption-capable key, and
//! the prover identity in `user_data` is decoded when the server wrote it. Nothing else in the
//! SDK decides trust.

use std::time::Duration;

use pgp::{composed::SignedPublicKey, types::KeyDetails};
use tee_rex_attestation::{
    ExpectedPcrs, TrustedRoot, UnixTime, VerifiedAttestation, VerifyOptions,
};
use tee_rex_protocol::ProverIdentity;

use crate::{encrypt::parse_public_key, Error};

/// Default maximum age of an attestation document, and of a cached verified key.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// An attestation document that passed [`tee_rex_attestation::verify`] and tee-rex's key policy.
///
/// Only [`verify_attestation`] (and [`AttestationPolicy::verify`], which calls it) constructs it.
pub struct TeeRexAttestation {
    attestation: VerifiedAttestation,
    public_key: SignedPublicKey,
    prover: Option<ProverIdentity>,
}

/// Verifies `document` with `options`, then applies tee-rex's key policy.
///
/// # Errors
/// [`Error::Attestation`] with the verifier's code when the document is refused,
/// [`Error::MissingPublicKey`] when it carries no public key, [`Error::InvalidPublicKey`] or
/// [`Error::NoEncryptionKey`] when that key is not a usable binary OpenPGP key.
pub fn verify_attestation(
    document: &[u8],
    options: &VerifyOptions,
) -> Result<TeeRexAttestation, Error> {
    let attestation = tee_rex_attestation::verify(document, options)?;

    let key_bytes = attestation.public_key().ok_or(Error::MissingPublicKey)?;
    let public_key = parse_public_key(key_bytes)?;

    // user_data written by another application is not an error, just no identity to show.
    let prover = attestation
        .user_data()
        .and_then(|d| ProverIdentity::from_user_data(d).ok());

    Ok(TeeRexAttestation {
        attestation,
        public_key,
        prover,
    })
}

impl TeeRexAttestation {
    /// The enclave's OpenPGP public key, taken from inside the verified document.
    pub fn public_key(&self) -> &SignedPublicKey {
        &self.public_key
    }

    /// Hex fingerprint of the public key's primary key.
    pub fn key_fingerprint(&self) -> String {
        self.public_key.fingerprint().to_string()
    }

    /// The generic verification result: PCRs, module id, timestamp, nonce.
    pub fn attestation(&self) -> &VerifiedAttestation {
        &self.attestation
    }

    /// The document's timestamp, in unix milliseconds.
    pub fn timestamp_ms(&self) -> u64 {
        self.attestation.timestamp().as_millis()
    }

    /// The prover identity from `user_data`, when the server is a tee-rex server.
    pub fn prover(&self) -> Option<&ProverIdentity> {
        self.prover.as_ref()
    }
}

impl std::fmt::Debug for TeeRexAttestation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeeRexAttestation")
            .field(
                "key_fingerprint",
                &self.public_key.fingerprint().to_string(),
            )
            .field("prover", &self.prover)
            .finish_non_exhaustive()
    }
}

/// What a client requires of a server's attestation, kept as plain values so it can build fresh
/// [`VerifyOptions`] (with the current time and nonce) for every verification.
#[derive(Clone)]
pub struct AttestationPolicy {
    insecure_root_pem: Option<String>,
    expected_pcrs: Vec<(u8, Vec<u8>)>,
    max_age: Duration,
    clock_skew: Option<Duration>,
    insecure_allow_debug: bool,
}

impl AttestationPolicy {
    /// The default policy: the AWS Nitro Enclaves Root G1, no PCR expectation yet (TEE mode then
    /// refuses to run), [`DEFAULT_MAX_AGE`], debug enclaves refused.
    pub fn new() -> Self {
        Self {
            insecure_root_pem: None,
            expected_pcrs: Vec::new(),
            max_age: DEFAULT_MAX_AGE,
            clock_skew: None,
            insecure_allow_debug: false,
        }
    }

    /// Trusts `pem` instead of the AWS root, e.g. a dev server's root. Insecure outside tests.
    pub fn insecure_trusted_root_pem(mut self, pem: impl Into<String>) -> Self {
        self.insecure_root_pem = Some(pem.into());
        self
    }

    /// Requires every listed `(index, value)` PCR to match.
    pub fn expected_pcrs(mut self, pcrs: Vec<(u8, Vec<u8>)>) -> Self {
        self.expected_pcrs = pcrs;
        self
    }

    /// Sets the maximum document age (also the longest a verified key stays cached).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Sets the tolerated clock difference between client and enclave.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = Some(skew);
        self
    }

    /// Accepts debug-mode enclaves (PCR0..2 all zero), whose memory the host can read.
    pub fn insecure_allow_debug(mut self, allow: bool) -> Self {
        self.insecure_allow_debug = allow;
        self
    }

    /// Whether PCR expectations are set.
    pub fn has_expected_pcrs(&self) -> bool {
        !self.expected_pcrs.is_empty()
    }

    /// The maximum document age.
    pub fn max_age_value(&self) -> Duration {
        self.max_age
    }

    /// Builds the verifier options for one verification at `now_ms` (unix milliseconds).
    ///
    /// # Errors
    /// [`Error::InvalidTrustedRoot`] when the root PEM does not parse; [`Error::Attestation`] when
    /// the verifier refuses the PCR expectation (empty or all zero).
    pub fn options(&self, now_ms: u64, nonce: Option<&[u8]>) -> Result<VerifyOptions, Error> {
        let root = match &self.insecure_root_pem {
            None => TrustedRoot::aws_nitro_g1(),
            Some(pem) => TrustedRoot::insecure_from_pem(pem).map_err(Error::InvalidTrustedRoot)?,
        };
        let mut options = VerifyOptions::new(UnixTime::from_millis(now_ms))
            .trusted_root(root)
            .insecure_allow_debug(self.insecure_allow_debug)
            .max_age(self.max_age);
        if let Some(skew) = self.clock_skew {
            options = options.clock_skew(skew);
        }
        if let Some(nonce) = nonce {
            options = options.expected_nonce(nonce.to_vec());
        }
        if !self.expected_pcrs.is_empty() {
            options = options.expected_pcrs(ExpectedPcrs::new(self.expected_pcrs.clone())?);
        }
        Ok(options)
    }

    /// Verifies `document` at `now_ms` against this policy and tee-rex's key policy.
    ///
    /// # Errors
    /// As [`Self::options`] and [`verify_attestation`].
    pub fn verify(
        &self,
        document: &[u8],
        now_ms: u64,
        nonce: Option<&[u8]>,
    ) -> Result<TeeRexAttestation, Error> {
        verify_attestation(document, &self.options(now_ms, nonce)?)
    }
}

impl Default for AttestationPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for AttestationPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttestationPolicy")
            .field("insecure_root", &self.insecure_root_pem.is_some())
            .field(
                "expected_pcr_indices",
                &self.expected_pcrs.iter().map(|p| p.0).collect::<Vec<_>>(),
            )
            .field("max_age", &self.max_age)
            .field("clock_skew", &self.clock_skew)
            .field("insecure_allow_debug", &self.insecure_allow_debug)
            .finish()
    }
}
