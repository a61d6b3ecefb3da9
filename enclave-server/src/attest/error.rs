//! The attestation error: every failure names its cause; none carries key material or request
//! bytes, so the Display text is safe to log.

use std::path::PathBuf;

/// Why no attestor or no document is available.
///
/// Its Display text names the failed step and, where useful, a path or a length; it never
/// carries key material or request bytes, so it is safe to log.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct AttestError(Box<AttestErrorKind>);

impl AttestError {
    /// What went wrong.
    pub fn kind(&self) -> &AttestErrorKind {
        &self.0
    }
}

impl From<AttestErrorKind> for AttestError {
    fn from(kind: AttestErrorKind) -> Self {
        Self(Box::new(kind))
    }
}

/// The failures behind an [`AttestError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestErrorKind {
    /// A request field is outside the limits of the AWS document specification.
    #[error("{field} is {len} bytes, outside the allowed {min} to {max}")]
    FieldLength {
        /// `public_key`, `user_data` or `nonce`.
        field: &'static str,
        /// Its length.
        len: usize,
        /// Shortest allowed.
        min: usize,
        /// Longest allowed.
        max: usize,
    },

    /// The NSM device could not be opened: the server does not run inside a Nitro Enclave.
    #[error(
        "cannot open the Nitro Security Module at {} (nitro attestation works only inside an \
         AWS Nitro Enclave; use dev or none elsewhere)",
        path.display()
    )]
    NsmUnavailable {
        /// The device path.
        path: PathBuf,
        /// Why opening failed.
        #[source]
        source: std::io::Error,
    },

    /// The NSM answered an attestation request with an error code.
    #[error("the Nitro Security Module refused the attestation request: {code}")]
    NsmRefused {
        /// The NSM's error code, as the nsm-api crate names it.
        code: String,
    },

    /// The NSM answered an attestation request with another kind of response.
    #[error(
        "the Nitro Security Module answered an attestation request with a {response} response"
    )]
    NsmUnexpectedResponse {
        /// Which response arrived.
        response: &'static str,
    },

    /// The NSM answered with an empty document.
    #[error("the Nitro Security Module returned an empty attestation document")]
    NsmEmptyDocument,

    /// Dev mode needs a file to publish its root certificate in.
    #[error("dev attestation needs a file to write its root certificate to (--dev-root-out)")]
    DevRootOutMissing,

    /// The server binary, which the development PCRs measure, could not be read.
    #[error("cannot read the server binary {} to measure it", path.display())]
    ReadServerBinary {
        /// The binary's path.
        path: PathBuf,
        /// Why reading failed.
        #[source]
        source: std::io::Error,
    },

    /// An output file (root certificate, PCRs) could not be written.
    #[error("cannot write {}", path.display())]
    WriteFile {
        /// The file's path.
        path: PathBuf,
        /// Why writing failed.
        #[source]
        source: std::io::Error,
    },

    /// A development certificate could not be built.
    #[error("cannot build the development {role} certificate")]
    Certificate {
        /// Which certificate of the chain.
        role: &'static str,
        /// The builder's error.
        #[source]
        source: x509_cert::builder::Error,
    },

    /// A development certificate could not be DER- or PEM-encoded, or a name or time could not
    /// be represented.
    #[error("cannot encode the development {what}")]
    Der {
        /// What was being encoded.
        what: &'static str,
        /// The encoder's error.
        #[source]
        source: der::Error,
    },

    /// The system clock is outside what a certificate or document can express.
    #[error("the system clock reads a time a document cannot carry")]
    Clock,

    /// The development root does not cover the current time and a new chain under it: the
    /// server ran for decades, or its clock stepped back more than a day.
    #[error(
        "the development root certificate does not cover the current time: restart the server"
    )]
    RootOutOfValidity,

    /// The document could not be CBOR-encoded.
    #[error("cannot CBOR-encode the attestation document")]
    Encoding,

    /// The development attestor's state was poisoned by a panic in another thread.
    #[error("the development attestor's state is unusable after a panic")]
    Poisoned,
}
