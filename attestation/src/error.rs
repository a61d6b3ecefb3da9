//! The one error type of this crate: a variant per check, each with a stable code.

use crate::UnixTime;

/// Why an attestation document was refused.
///
/// Every check has its own variant, carrying the values that explain the refusal. Bytes appear as
/// truncated hex. [`Error::code`] gives a stable, SCREAMING_SNAKE_CASE code for callers (and JS)
/// that branch on the failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document is larger than this crate reads.
    #[error("document is {len} bytes, more than the {max} accepted")]
    DocumentTooLarge {
        /// Length of the input.
        len: usize,
        /// Largest accepted input.
        max: usize,
    },

    /// The bytes are not well-formed CBOR, or use CBOR this reader refuses (floats, simple
    /// values, map keys other than integers and text).
    #[error("malformed cbor at byte {offset}: {reason}")]
    MalformedCbor {
        /// Byte offset of the offending item.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },

    /// A CBOR map has the same key twice.
    #[error("duplicate map key at byte {offset}")]
    DuplicateKey {
        /// Byte offset of the second occurrence.
        offset: usize,
    },

    /// Bytes follow the end of a complete CBOR item.
    #[error("{remaining} trailing bytes after the cbor item ending at byte {offset}")]
    TrailingBytes {
        /// Byte offset where the item ended.
        offset: usize,
        /// How many bytes follow it.
        remaining: usize,
    },

    /// CBOR nesting is deeper than this reader follows.
    #[error("cbor nesting deeper than {max} at byte {offset}")]
    NestingTooDeep {
        /// Byte offset of the item that went too deep.
        offset: usize,
        /// Deepest accepted nesting.
        max: usize,
    },

    /// A CBOR tag other than 18 (COSE_Sign1) around the document. (A tag inside the payload
    /// fails that field's type check: [`Error::InvalidDocument`].)
    #[error("unsupported cbor tag {tag}")]
    UnsupportedTag {
        /// The tag number found.
        tag: u64,
    },

    /// The document is not a COSE_Sign1 structure.
    #[error("invalid COSE_Sign1: {reason}")]
    InvalidCose {
        /// What is wrong.
        reason: &'static str,
    },

    /// The protected header does not name ES384 (`{1: -35}`).
    #[error(
        "unsupported algorithm {}, expected ES384 (-35) in the protected header",
        .found.map_or("none".to_owned(), |alg| alg.to_string())
    )]
    UnsupportedAlgorithm {
        /// The algorithm found in the protected header, if any.
        found: Option<i64>,
    },

    /// The protected header holds more than the algorithm (for example `crit`).
    #[error("protected header has unsupported parameter {label}")]
    UnsupportedHeaderParameter {
        /// The label of the parameter (2 is `crit`); -1 stands for a text label.
        label: i64,
    },

    /// The COSE signature is not 96 bytes of raw `r || s`.
    #[error("signature is {len} bytes, expected 96")]
    InvalidSignatureLength {
        /// Length found.
        len: usize,
    },

    /// A payload field is missing, has the wrong type, or a wrong value.
    #[error("invalid attestation document field {field}: {reason}")]
    InvalidDocument {
        /// The CBOR key of the field (`pcrs`, `cabundle`...).
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },

    /// The payload has a key this crate does not know (see the crate docs for the policy).
    #[error("unknown attestation document key {key:?}")]
    UnknownPayloadKey {
        /// The key, truncated to 64 characters.
        key: String,
    },

    /// The `digest` field is not `SHA384`.
    #[error("unsupported digest {found:?}, expected \"SHA384\"")]
    UnsupportedDigest {
        /// The digest name found, truncated to 64 characters.
        found: String,
    },

    /// A PCR index is above 31.
    #[error("pcr index {index} out of range 0..=31")]
    InvalidPcrIndex {
        /// The index found.
        index: u64,
    },

    /// A PCR value is not 48 bytes.
    #[error("pcr {index} is {len} bytes, expected 48")]
    InvalidPcrLength {
        /// The PCR index.
        index: u8,
        /// Its length.
        len: usize,
    },

    /// An optional field (`public_key`, `user_data`, `nonce`) is longer than 1024 bytes.
    #[error("{field} is {len} bytes, more than {max}")]
    FieldTooLong {
        /// The CBOR key of the field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// Largest accepted length.
        max: usize,
    },

    /// A certificate does not parse as X.509 DER.
    #[error("certificate {position} of the chain (0 = root) does not parse")]
    InvalidCertificate {
        /// Position in the chain, root first, leaf last.
        position: usize,
        /// The decoder's error.
        #[source]
        source: der::Error,
    },

    /// A trusted root given to [`crate::TrustedRoot`] is unusable.
    #[error("invalid trusted root: {reason}")]
    InvalidTrustedRoot {
        /// What is wrong.
        reason: &'static str,
    },

    /// `cabundle[0]` is not the pinned root, byte for byte.
    #[error(
        "cabundle[0] (sha256 {found_sha256}) is not the trusted root (sha256 {expected_sha256})"
    )]
    UntrustedRoot {
        /// SHA-256 of the trusted root's DER, hex.
        expected_sha256: String,
        /// SHA-256 of `cabundle[0]`, hex.
        found_sha256: String,
    },

    /// The certificate chain breaks a rule (see [`ChainProblem`]).
    #[error("certificate {position} of the chain (0 = root): {problem}")]
    ChainInvalid {
        /// Position in the chain, root first, leaf last.
        position: usize,
        /// The rule broken.
        problem: ChainProblem,
    },

    /// A certificate of the chain is not valid at `now`.
    #[error(
        "certificate {position} of the chain (0 = root) is valid from {not_before} to {not_after}, \
         not at {now}"
    )]
    CertNotValidAtTime {
        /// Position in the chain, root first, leaf last.
        position: usize,
        /// Start of its validity.
        not_before: UnixTime,
        /// End of its validity.
        not_after: UnixTime,
        /// The time verification ran at.
        now: UnixTime,
    },

    /// The document's timestamp lies outside its leaf certificate's validity.
    #[error(
        "document timestamp {timestamp} outside the leaf validity {not_before} to {not_after}"
    )]
    TimestampOutsideLeafValidity {
        /// The document timestamp.
        timestamp: UnixTime,
        /// Start of the leaf validity.
        not_before: UnixTime,
        /// End of the leaf validity.
        not_after: UnixTime,
    },

    /// The COSE signature does not verify with the leaf's key.
    #[error("COSE signature does not verify with the leaf certificate key")]
    SignatureInvalid,

    /// The document's nonce is not the expected one.
    #[error("nonce mismatch: expected {expected}, found {found}")]
    NonceMismatch {
        /// The expected nonce, truncated hex.
        expected: String,
        /// The document's nonce, truncated hex, or `null`.
        found: String,
    },

    /// The expected PCR set given to [`crate::ExpectedPcrs::new`] is unusable.
    #[error("invalid expected pcrs: {reason}")]
    InvalidPcrPolicy {
        /// The PCR index concerned, if one.
        index: Option<u8>,
        /// What is wrong.
        reason: &'static str,
    },

    /// A PCR differs from its expected value, or is absent.
    #[error("pcr {index} mismatch: expected {expected}, found {found}")]
    PcrMismatch {
        /// The PCR index.
        index: u8,
        /// The expected value, truncated hex.
        expected: String,
        /// The document's value, truncated hex, or `absent`.
        found: String,
    },

    /// The document lacks PCR0, PCR1 or PCR2, so debug mode cannot be ruled out.
    #[error("pcr {index} is absent, so debug mode cannot be ruled out")]
    MissingPcr {
        /// The absent PCR index.
        index: u8,
    },

    /// The document comes from a debug-mode enclave (PCR0, PCR1, PCR2 all zero) and debug
    /// documents were not allowed.
    #[error("document comes from a debug-mode enclave")]
    DebugEnclave,

    /// The document is older than the maximum age.
    #[error(
        "document timestamp {timestamp} older than {max_age_ms} ms (+{skew_ms} ms skew) at {now}"
    )]
    Stale {
        /// The document timestamp.
        timestamp: UnixTime,
        /// The time verification ran at.
        now: UnixTime,
        /// The maximum age, in ms.
        max_age_ms: u64,
        /// The clock skew allowed, in ms.
        skew_ms: u64,
    },

    /// The document's timestamp is in the future by more than the clock skew.
    #[error("document timestamp {timestamp} is after {now} by more than {skew_ms} ms")]
    TimestampInFuture {
        /// The document timestamp.
        timestamp: UnixTime,
        /// The time verification ran at.
        now: UnixTime,
        /// The clock skew allowed, in ms.
        skew_ms: u64,
    },

    /// A state the code rules out was reached anyway: a bug, reported instead of a panic.
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong.
        reason: &'static str,
    },
}

impl Error {
    /// A stable code naming the failed check, for callers that branch on it (and for JS).
    ///
    /// Codes never change meaning; new checks get new codes.
    pub fn code(&self) -> &'static str {
        match self {
            Self::DocumentTooLarge { .. } => "DOCUMENT_TOO_LARGE",
            Self::MalformedCbor { .. } => "MALFORMED_CBOR",
            Self::DuplicateKey { .. } => "DUPLICATE_KEY",
            Self::TrailingBytes { .. } => "TRAILING_BYTES",
            Self::NestingTooDeep { .. } => "NESTING_TOO_DEEP",
            Self::UnsupportedTag { .. } => "UNSUPPORTED_TAG",
            Self::InvalidCose { .. } => "INVALID_COSE",
            Self::UnsupportedAlgorithm { .. } => "UNSUPPORTED_ALGORITHM",
            Self::UnsupportedHeaderParameter { .. } => "UNSUPPORTED_HEADER_PARAMETER",
            Self::InvalidSignatureLength { .. } => "INVALID_SIGNATURE_LENGTH",
            Self::InvalidDocument { .. } => "INVALID_DOCUMENT",
            Self::UnknownPayloadKey { .. } => "UNKNOWN_PAYLOAD_KEY",
            Self::UnsupportedDigest { .. } => "UNSUPPORTED_DIGEST",
            Self::InvalidPcrIndex { .. } => "INVALID_PCR_INDEX",
            Self::InvalidPcrLength { .. } => "INVALID_PCR_LENGTH",
            Self::FieldTooLong { .. } => "FIELD_TOO_LONG",
            Self::InvalidCertificate { .. } => "INVALID_CERTIFICATE",
            Self::InvalidTrustedRoot { .. } => "INVALID_TRUSTED_ROOT",
            Self::UntrustedRoot { .. } => "UNTRUSTED_ROOT",
            Self::ChainInvalid { .. } => "CHAIN_INVALID",
            Self::CertNotValidAtTime { .. } => "CERT_NOT_VALID_AT_TIME",
            Self::TimestampOutsideLeafValidity { .. } => "TIMESTAMP_OUTSIDE_LEAF_VALIDITY",
            Self::SignatureInvalid => "SIGNATURE_INVALID",
            Self::NonceMismatch { .. } => "NONCE_MISMATCH",
            Self::InvalidPcrPolicy { .. } => "INVALID_PCR_POLICY",
            Self::PcrMismatch { .. } => "PCR_MISMATCH",
            Self::MissingPcr { .. } => "MISSING_PCR",
            Self::DebugEnclave => "DEBUG_ENCLAVE",
            Self::Stale { .. } => "STALE",
            Self::TimestampInFuture { .. } => "TIMESTAMP_IN_FUTURE",
            Self::Internal { .. } => "INTERNAL",
        }
    }
}

/// The rule a certificate chain broke, reported in [`Error::ChainInvalid`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainProblem {
    /// The chain has more certificates than this crate follows.
    #[error("chain longer than {max} certificates")]
    TooLong {
        /// Most certificates accepted, root and leaf included.
        max: usize,
    },
    /// The issuer name is not the previous certificate's subject.
    #[error("issuer is not the subject of the certificate before it")]
    IssuerMismatch,
    /// The signature algorithm is not ecdsa-with-SHA384.
    #[error("signature algorithm {oid} is not ecdsa-with-SHA384")]
    UnsupportedSignatureAlgorithm {
        /// The algorithm's OID.
        oid: String,
    },
    /// The certificate's key is not a P-384 EC key.
    #[error("public key is not an uncompressed P-384 key")]
    UnsupportedKey,
    /// The signature by the issuer does not verify.
    #[error("signature by the issuer does not verify")]
    BadSignature,
    /// An issuing certificate is not a CA (basicConstraints cA absent or false).
    #[error("issuer is not a CA")]
    NotCa,
    /// An issuing certificate's keyUsage lacks keyCertSign.
    #[error("issuer key usage lacks keyCertSign")]
    MissingKeyCertSign,
    /// A pathLenConstraint is exceeded.
    #[error("pathLenConstraint {path_len} allows fewer CAs than follow ({following})")]
    PathLenExceeded {
        /// The constraint.
        path_len: u8,
        /// How many intermediate CAs follow the constraining certificate.
        following: usize,
    },
    /// The leaf certificate is a CA.
    #[error("leaf certificate is a CA")]
    LeafIsCa,
    /// The leaf's keyUsage is absent or lacks digitalSignature.
    #[error("leaf key usage lacks digitalSignature")]
    LeafMissingDigitalSignature,
    /// A critical extension this crate does not understand.
    #[error("unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// The extension's OID.
        oid: String,
    },
    /// An extension appears twice or does not parse.
    #[error("malformed or repeated extension {oid}")]
    MalformedExtension {
        /// The extension's OID.
        oid: String,
    },
}

/// Hex of at most the first 32 bytes, with `..` when truncated.
pub(crate) fn short_hex(bytes: &[u8]) -> String {
    const SHOWN: usize = 32;
    match bytes.get(..SHOWN) {
        Some(head) if bytes.len() > SHOWN => format!("{}..", hex::encode(head)),
        _ => hex::encode(bytes),
    }
}

/// At most the first 64 characters of `text`.
pub(crate) fn short_text(text: &str) -> String {
    text.chars().take(64).collect()
}
