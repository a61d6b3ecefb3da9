//! The SDK's one error type and its stable codes.

use tee_rex_protocol::steps::StepsError;

/// Why an SDK operation failed.
///
/// Every variant has a stable [`Error::code`] that callers (and the JS layer) branch on. Attestation
/// failures keep the verifier's own code; server failures keep the server's code. No variant carries
/// plaintext, keys or request bodies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The attestation document failed verification.
    #[error("attestation refused: {0}")]
    Attestation(#[source] tee_rex_attestation::Error),
    /// The verified document carries no public key.
    #[error("the attestation document carries no public key")]
    MissingPublicKey,
    /// The document's public key is not a binary transferable OpenPGP public key.
    #[error("the attested public key is not a binary OpenPGP public key: {reason}")]
    InvalidPublicKey {
        /// What is wrong with it.
        reason: &'static str,
        /// The OpenPGP parser's error, when it gave one.
        #[source]
        source: Option<pgp::errors::Error>,
    },
    /// The public key parses but holds no key usable for encryption.
    #[error("the OpenPGP public key has no valid encryption-capable key")]
    NoEncryptionKey,
    /// rPGP failed to build the encrypted message.
    #[error("encryption failed")]
    Encrypt(#[source] pgp::errors::Error),
    /// TEE mode was chosen without expected PCRs.
    #[error("TEE mode needs expected PCRs (--expect-pcr or a PCR file)")]
    MissingExpectedPcrs,
    /// An expected-PCR value or file does not parse.
    #[error("invalid expected PCRs: {reason}")]
    InvalidPcrSpec {
        /// What is wrong, with the offending index or key.
        reason: String,
    },
    /// The trusted root certificate given by the caller does not parse.
    #[error("invalid trusted root")]
    InvalidTrustedRoot(#[source] tee_rex_attestation::Error),
    /// The server is unattested and the caller did not allow that.
    #[error(
        "the server is unattested (mode \"standard\"); refused unless the remote mode and \
         allow_unattested are chosen"
    )]
    Unattested,
    /// The server's unattested key (allowed by the caller) does not parse.
    #[error("the unattested server's public key does not parse")]
    InvalidUnattestedKey(#[source] pgp::errors::Error),
    /// The API URL is not an `http://` or `https://` URL.
    #[error("the API URL must start with http:// or https://")]
    InvalidUrl,
    /// The proving steps do not parse; nothing was sent.
    #[error("invalid proving steps: {0}")]
    InvalidSteps(#[source] StepsError),
    /// The server answered with its JSON error body.
    #[error("server error {code} (HTTP {status}, request {request_id}): {message}")]
    Server {
        /// The server's stable code, e.g. `PROOF_SELF_CHECK_FAILED`.
        code: String,
        /// The server's short message.
        message: String,
        /// The id the server logged the request under.
        request_id: String,
        /// HTTP status.
        status: u16,
        /// Where the request spent its time, when the server said (`Server-Timing`; errors
        /// after the queue: bb's failures, `QUEUE_FULL`). Boxed to keep the error small.
        server_timing: Option<Box<crate::ServerTiming>>,
    },
    /// The server answered an HTTP error without a tee-rex error body.
    #[error("HTTP {status} without an error body")]
    Http {
        /// HTTP status.
        status: u16,
    },
    /// A successful response does not have the expected shape.
    #[error("unexpected response: {what}")]
    InvalidResponse {
        /// What did not match.
        what: &'static str,
    },
    /// The transport failed before a response arrived.
    #[error("transport failed")]
    Transport(#[source] crate::TransportError),
}

impl Error {
    /// The stable, machine-readable code of this failure.
    ///
    /// Attestation failures return the verifier's code (`SIGNATURE_INVALID`, `PCR_MISMATCH`, ...)
    /// and server failures the server's code (`PROOF_SELF_CHECK_FAILED`, `DECRYPT_FAILED`, ...).
    pub fn code(&self) -> &str {
        match self {
            Self::Attestation(e) => e.code(),
            Self::MissingPublicKey => "MISSING_PUBLIC_KEY",
            Self::InvalidPublicKey { .. } | Self::NoEncryptionKey => "INVALID_PUBLIC_KEY",
            Self::Encrypt(_) => "ENCRYPTION_FAILED",
            Self::MissingExpectedPcrs => "MISSING_EXPECTED_PCRS",
            Self::InvalidPcrSpec { .. } => "INVALID_EXPECTED_PCRS",
            Self::InvalidTrustedRoot(_) => "INVALID_TRUSTED_ROOT",
            Self::Unattested => "UNATTESTED_SERVER",
            Self::InvalidUnattestedKey(_) => "INVALID_PUBLIC_KEY",
            Self::InvalidUrl => "INVALID_URL",
            Self::InvalidSteps(_) => "INVALID_STEPS",
            Self::Server { code, .. } => code,
            Self::Http { .. } => "HTTP_ERROR",
            Self::InvalidResponse { .. } => "INVALID_RESPONSE",
            Self::Transport(_) => "TRANSPORT_FAILED",
        }
    }

    /// Where the server spent the request's time, for server errors whose answer said
    /// (`Server-Timing`).
    pub fn server_timing(&self) -> Option<&crate::ServerTiming> {
        match self {
            Self::Server { server_timing, .. } => server_timing.as_deref(),
            _ => None,
        }
    }

    /// The server's request id, for errors the server reported.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Server { request_id, .. } => Some(request_id),
            _ => None,
        }
    }
}

impl From<tee_rex_attestation::Error> for Error {
    fn from(e: tee_rex_attestation::Error) -> Self {
        Self::Attestation(e)
    }
}

impl From<StepsError> for Error {
    fn from(e: StepsError) -> Self {
        Self::InvalidSteps(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_pass_through_and_stay_distinct() {
        let server = |code: &str| Error::Server {
            code: code.into(),
            message: "m".into(),
            request_id: "r".into(),
            status: 422,
            server_timing: crate::ServerTiming::parse("prove;dur=5").map(Box::new),
        };
        let self_check = server("PROOF_SELF_CHECK_FAILED");
        assert_eq!(self_check.code(), "PROOF_SELF_CHECK_FAILED");
        assert_eq!(self_check.request_id(), Some("r"));
        assert_eq!(
            self_check.server_timing().and_then(|t| t.prove),
            Some(std::time::Duration::from_millis(5))
        );
        assert_eq!(Error::Http { status: 503 }.server_timing(), None);

        let local = [
            Error::MissingPublicKey,
            Error::MissingExpectedPcrs,
            Error::Unattested,
            Error::InvalidUrl,
            Error::Http { status: 502 },
            Error::InvalidResponse { what: "x" },
            server("PROVER_FAILED"),
            server("DECRYPT_FAILED"),
        ];
        for e in &local {
            assert_ne!(e.code(), self_check.code(), "{e:?}");
            assert_eq!(e.request_id().is_some(), matches!(e, Error::Server { .. }));
        }
    }

    #[test]
    fn error_stays_small() {
        // A variant that grows by accident shows here; box large sources instead.
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
