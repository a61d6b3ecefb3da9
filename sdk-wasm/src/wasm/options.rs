//! The plain JS objects the exports take and return, with their TypeScript declarations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tsify::Tsify;

/// What a server's attestation must satisfy (`attestation` in the prove options).
#[derive(Clone, Tsify, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttestationOptions {
    /// PCR values the enclave must have, by index: `{ 0: "<96 hex digits>", ... }`. Required and
    /// never empty: an empty set would accept any enclave.
    #[tsify(type = "Record<number, string>")]
    pub expected_pcrs: BTreeMap<String, String>,
    /// Largest accepted document age in milliseconds (default 300000, five minutes).
    #[tsify(optional)]
    pub max_age_ms: Option<u64>,
    /// Accept debug-mode enclaves, whose memory the host can read (default false).
    #[tsify(optional)]
    pub allow_debug: Option<bool>,
    /// Trust this PEM root instead of the AWS Nitro Enclaves root, e.g. a dev server's root.
    /// Insecure outside tests.
    #[tsify(optional)]
    pub insecure_trusted_root_pem: Option<String>,
}

/// Options of `verifyAttestation`: the attestation options plus an optional expected nonce.
#[derive(Clone, Tsify, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyAttestationOptions {
    /// PCR values the enclave must have, by index (hex); never empty.
    #[tsify(type = "Record<number, string>")]
    pub expected_pcrs: BTreeMap<String, String>,
    /// Largest accepted document age in milliseconds (default five minutes).
    #[tsify(optional)]
    pub max_age_ms: Option<u64>,
    /// Accept debug-mode enclaves (default false).
    #[tsify(optional)]
    pub allow_debug: Option<bool>,
    /// Trust this PEM root instead of the AWS root. Insecure outside tests.
    #[tsify(optional)]
    pub insecure_trusted_root_pem: Option<String>,
    /// The nonce the document must carry, when the caller sent one.
    #[tsify(optional, type = "Uint8Array")]
    #[serde(default, deserialize_with = "super::convert::de_opt_bytes")]
    pub expected_nonce: Option<Vec<u8>>,
}

impl VerifyAttestationOptions {
    /// The attestation part of these options.
    pub fn attestation(&self) -> AttestationOptions {
        AttestationOptions {
            expected_pcrs: self.expected_pcrs.clone(),
            max_age_ms: self.max_age_ms,
            allow_debug: self.allow_debug,
            insecure_trusted_root_pem: self.insecure_trusted_root_pem.clone(),
        }
    }
}

/// An attestation document that passed verification and tee-rex's key policy.
#[derive(Clone, Tsify, Serialize)]
#[tsify(hashmap_as_object)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedAttestation {
    /// The enclave's OpenPGP public key (binary), from inside the document: pass it to `encrypt`.
    #[tsify(type = "Uint8Array")]
    #[serde(serialize_with = "super::convert::bytes")]
    pub public_key: Vec<u8>,
    /// The key's OpenPGP fingerprint, hex.
    pub public_key_fingerprint: String,
    /// The enclave image's module id.
    pub module_id: String,
    /// When the enclave signed the document, in Unix milliseconds.
    pub timestamp_ms: u64,
    /// Start of the signing certificate's validity, in Unix milliseconds.
    pub certificate_not_before_ms: u64,
    /// End of the signing certificate's validity, in Unix milliseconds.
    pub certificate_not_after_ms: u64,
    /// The nonce the document carries, hex (it matched the expected nonce when one was given).
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Every PCR the document carries, by index, as hex.
    #[tsify(type = "Record<number, string>")]
    pub pcrs: BTreeMap<String, String>,
    /// The prover identity the server put in `user_data`, when it is a tee-rex server.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prover: Option<ProverInfo>,
}

/// What proves on the server, from the attested `user_data`.
#[derive(Clone, Tsify, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProverInfo {
    /// `bb --version`.
    pub bb_version: String,
    /// SHA-256 of the `bb` binary, hex.
    pub bb_sha256: String,
    /// True when the server proves with a test CRS: its proofs are worthless.
    pub crs_insecure: bool,
}

impl std::fmt::Debug for AttestationOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttestationOptions")
            .field(
                "expected_pcr_indices",
                &self.expected_pcrs.keys().collect::<Vec<_>>(),
            )
            .field("max_age_ms", &self.max_age_ms)
            .field("allow_debug", &self.allow_debug)
            .field("insecure_root", &self.insecure_trusted_root_pem.is_some())
            .finish()
    }
}

impl std::fmt::Debug for VerifyAttestationOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.attestation().fmt(f)
    }
}

impl std::fmt::Debug for VerifiedAttestation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedAttestation")
            .field("public_key_fingerprint", &self.public_key_fingerprint)
            .field("module_id", &self.module_id)
            .field("timestamp_ms", &self.timestamp_ms)
            .field("prover", &self.prover.as_ref().map(|p| &p.bb_version))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ProverInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProverInfo")
            .field("bb_version", &self.bb_version)
            .field("bb_sha256", &self.bb_sha256)
            .field("crs_insecure", &self.crs_insecure)
            .finish()
    }
}
