//! JSON bodies of the HTTP API, version [`crate::API_VERSION`].
//!
//! ```text
//! GET  /attestation[?nonce=<hex>]  -> AttestationResponse
//! POST /prove                      <- ProveRequest (JSON) or the raw OpenPGP message
//!                                  -> ProveResponse
//! GET  /health                     -> Health
//! GET  /encryption-public-key      -> EncryptionPublicKey   (kept for older clients)
//! any failure                      -> ErrorBody
//! ```

use serde::{Deserialize, Serialize};

use crate::{ErrorCode, ProverIdentity};

/// Body of `GET /attestation`.
///
/// The `publicKey` field beside the document is informational only: a client that verifies
/// attestation takes the key from inside the verified document, never from this field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum AttestationResponse {
    /// The server runs in an enclave (or a development stand-in that signs the same format).
    Nitro {
        /// Base64 of the COSE_Sign1 attestation document.
        #[serde(rename = "attestationDocument")]
        attestation_document: String,
        /// ASCII-armored OpenPGP public key, duplicated from the document for old clients.
        #[serde(rename = "publicKey")]
        public_key: String,
    },
    /// The server is unattested; its key cannot be trusted to be held by an enclave.
    Standard {
        /// ASCII-armored OpenPGP public key.
        #[serde(rename = "publicKey")]
        public_key: String,
    },
}

/// JSON body of `POST /prove`, as the TypeScript SDK sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProveRequest {
    /// Base64 of the binary OpenPGP message holding the msgpack proving steps.
    pub data: String,
}

/// Body of a successful `POST /prove`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProveResponse {
    /// Base64 of the proof: a 4-byte big-endian field count, then the proof's 32-byte fields,
    /// the layout `ChonkProofWithPublicInputs.fromBuffer` reads.
    pub proof: String,
}

/// Body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
    /// The id the server logged this request under.
    #[serde(rename = "requestId")]
    pub request_id: String,
}

/// The code and a short human-readable message of an error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code to branch on.
    pub code: ErrorCode,
    /// Short explanation for people; carries no request data.
    pub message: String,
}

/// Body of `GET /encryption-public-key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionPublicKey {
    /// ASCII-armored OpenPGP public key.
    #[serde(rename = "publicKey")]
    pub public_key: String,
}

/// Attestation backend a server runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationMode {
    /// The AWS Nitro Security Module.
    Nitro,
    /// The software attestor: Nitro-format documents signed by a development root.
    Dev,
    /// No attestation.
    None,
}

/// Body of `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `"ok"` while the server accepts work.
    pub status: String,
    /// [`crate::API_VERSION`] of the server.
    pub api_version: u32,
    /// Which attestation backend the server runs.
    pub attestation: AttestationMode,
    /// What proves: bb's version and hashes, the CRS files' hashes.
    pub prover: ProverIdentity,
    /// Proving queue occupancy.
    pub queue: QueueStatus,
    /// Seconds since the server started.
    pub uptime_seconds: u64,
}

/// Occupancy of the proving queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    /// Proofs running now.
    pub running: usize,
    /// Proofs waiting for a slot.
    pub waiting: usize,
    /// Proofs that may run at once.
    pub concurrency: usize,
    /// Proofs that may wait; one more is answered 503.
    pub max_waiting: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attestation_response_matches_typescript_shape() {
        let nitro = AttestationResponse::Nitro {
            attestation_document: "ZG9j".into(),
            public_key: "KEY".into(),
        };
        assert_eq!(
            serde_json::to_value(&nitro).unwrap(),
            serde_json::json!({"mode": "nitro", "attestationDocument": "ZG9j", "publicKey": "KEY"})
        );
        let standard: AttestationResponse =
            serde_json::from_str(r#"{"mode":"standard","publicKey":"KEY"}"#).unwrap();
        assert_eq!(
            standard,
            AttestationResponse::Standard {
                public_key: "KEY".into()
            }
        );
        assert!(serde_json::from_str::<AttestationResponse>(r#"{"mode":"other"}"#).is_err());
    }

    #[test]
    fn error_body_shape() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::QueueFull,
                message: "busy".into(),
            },
            request_id: "r1".into(),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": {"code": "QUEUE_FULL", "message": "busy"}, "requestId": "r1"})
        );
    }
}
