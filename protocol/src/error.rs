//! Stable error codes returned by the server.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code carried in every error response.
///
/// Clients branch on these codes, so a code never changes meaning once released; new failures get
/// new codes. The wire form is SCREAMING_SNAKE_CASE (`"PROVER_FAILED"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request body exceeds the configured limit.
    PayloadTooLarge,
    /// The `Content-Type` is neither `application/json` nor `application/octet-stream`.
    UnsupportedMediaType,
    /// The JSON body does not parse or lacks the `data` field.
    InvalidJson,
    /// The `data` field is not valid base64.
    InvalidBase64,
    /// The body is not an OpenPGP message.
    NotOpenpgp,
    /// The OpenPGP message is not encrypted to this server's key, or does not decrypt.
    DecryptFailed,
    /// The decrypted payload is not a valid msgpack array of proving steps.
    InvalidSteps,
    /// The decrypted payload holds no proving steps.
    NoSteps,
    /// The `nonce` query parameter is not 1 to 64 bytes of hex.
    InvalidNonce,
    /// Every proving slot and waiting place is taken; retry after `Retry-After` seconds.
    QueueFull,
    /// The proof took longer than the configured per-job timeout.
    ProveTimeout,
    /// `bb` failed to produce a proof.
    ProverFailed,
    /// `bb` computed a proof and then rejected it in its own final self-check. With a test CRS
    /// this is the expected outcome; with the real CRS it means the inputs are inconsistent.
    ProofSelfCheckFailed,
    /// The attestation backend could not produce a document.
    AttestationFailed,
    /// No such route.
    NotFound,
    /// The route exists but not for this HTTP method.
    MethodNotAllowed,
    /// The request was refused for another malformation (bad header, bad query string).
    BadRequest,
    /// An unexpected server-side failure; details are in the server log only.
    Internal,
    /// The request body did not arrive in full within the server's upload timeout.
    UploadTimeout,
    /// This client sent more requests than the server's rate limit allows; retry after
    /// `Retry-After` seconds.
    RateLimited,
}

impl ErrorCode {
    /// The code's wire form, e.g. `"PROVER_FAILED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::InvalidJson => "INVALID_JSON",
            Self::InvalidBase64 => "INVALID_BASE64",
            Self::NotOpenpgp => "NOT_OPENPGP",
            Self::DecryptFailed => "DECRYPT_FAILED",
            Self::InvalidSteps => "INVALID_STEPS",
            Self::NoSteps => "NO_STEPS",
            Self::InvalidNonce => "INVALID_NONCE",
            Self::QueueFull => "QUEUE_FULL",
            Self::ProveTimeout => "PROVE_TIMEOUT",
            Self::ProverFailed => "PROVER_FAILED",
            Self::ProofSelfCheckFailed => "PROOF_SELF_CHECK_FAILED",
            Self::AttestationFailed => "ATTESTATION_FAILED",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::BadRequest => "BAD_REQUEST",
            Self::Internal => "INTERNAL",
            Self::UploadTimeout => "UPLOAD_TIMEOUT",
            Self::RateLimited => "RATE_LIMITED",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde_form() {
        let all = [
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::InvalidJson,
            ErrorCode::InvalidBase64,
            ErrorCode::NotOpenpgp,
            ErrorCode::DecryptFailed,
            ErrorCode::InvalidSteps,
            ErrorCode::NoSteps,
            ErrorCode::InvalidNonce,
            ErrorCode::QueueFull,
            ErrorCode::ProveTimeout,
            ErrorCode::ProverFailed,
            ErrorCode::ProofSelfCheckFailed,
            ErrorCode::AttestationFailed,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::BadRequest,
            ErrorCode::Internal,
            ErrorCode::UploadTimeout,
            ErrorCode::RateLimited,
        ];
        for code in all {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
        }
    }
}
