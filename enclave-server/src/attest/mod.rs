//! Attestation backends: signed documents that bind the server's key and prover identity to
//! the code that runs.
//!
//! The server picks one backend at start ([`from_config`]):
//!
//! - [`AttestationMode::Nitro`]: the Nitro Security Module at `/dev/nsm`, inside an AWS Nitro
//!   Enclave.
//! - [`AttestationMode::Dev`]: a software stand-in that signs documents in exactly the Nitro
//!   format with a development certificate chain generated at start. Its root is written to a
//!   file the operator hands to clients; nothing trusts it by default.
//! - [`AttestationMode::None`]: no attestor at all.
//!
//! Both backends that produce documents apply the same limits to a request ([`MAX_PUBLIC_KEY_LEN`],
//! [`MAX_USER_DATA_LEN`], [`MAX_NONCE_LEN`]), those of the AWS document specification, so that a
//! request that works in development also works in an enclave and every document passes a
//! verifier that enforces the specification.

use std::path::Path;

use tee_rex_protocol::api::AttestationMode;

mod chain;
mod dev;
mod document;
mod error;
mod nitro;
mod pcrs;
#[cfg(test)]
mod testing;

use dev::DevAttestor;
pub use error::{AttestError, AttestErrorKind};
use nitro::NitroAttestor;

/// Longest `public_key` a document may carry, in bytes (AWS: `$length ∈ [1, 1024]`).
pub const MAX_PUBLIC_KEY_LEN: usize = 1024;
/// Longest `user_data` a document may carry, in bytes (AWS: `$length ∈ [0, 512]`).
pub const MAX_USER_DATA_LEN: usize = 512;
/// Longest `nonce` a document may carry, in bytes (AWS: `$length ∈ [0, 512]`).
pub const MAX_NONCE_LEN: usize = 512;

/// What a document must carry.
#[derive(Debug, Clone, Copy)]
pub struct AttestationRequest<'a> {
    /// Client nonce, when one was given; the document carries CBOR null otherwise.
    pub nonce: Option<&'a [u8]>,
    /// The server's binary (unarmored) transferable OpenPGP public key; 1 to
    /// [`MAX_PUBLIC_KEY_LEN`] bytes.
    pub public_key: &'a [u8],
    /// The encoded prover identity; at most [`MAX_USER_DATA_LEN`] bytes.
    pub user_data: &'a [u8],
}

impl AttestationRequest<'_> {
    /// Checks the request against the document limits every backend shares.
    fn check(&self) -> Result<(), AttestError> {
        check_len("public_key", self.public_key.len(), 1, MAX_PUBLIC_KEY_LEN)?;
        check_len("user_data", self.user_data.len(), 0, MAX_USER_DATA_LEN)?;
        if let Some(nonce) = self.nonce {
            check_len("nonce", nonce.len(), 0, MAX_NONCE_LEN)?;
        }
        Ok(())
    }
}

/// A source of attestation documents.
pub trait Attestor: Send + Sync + std::fmt::Debug + 'static {
    /// The mode this attestor implements.
    fn mode(&self) -> AttestationMode;

    /// COSE_Sign1 bytes of a fresh document. Blocking (NSM ioctl or signing): call inside
    /// `web::block`.
    ///
    /// # Errors
    /// [`AttestErrorKind::FieldLength`] when a request field is outside the document limits;
    /// otherwise the backend's own failure (NSM error, signing error).
    fn attest(&self, request: &AttestationRequest<'_>) -> Result<Vec<u8>, AttestError>;
}

/// Builds the attestor for `mode`; `None` for [`AttestationMode::None`].
///
/// `dev_root_out` is where the development root certificate is written as PEM (required in dev
/// mode, ignored otherwise); the development PCRs go beside it, in
/// `<dev_root_out>.pcrs.json`. `server_binary` is the running server's executable, which the
/// development PCRs measure.
///
/// # Errors
/// - Nitro: [`AttestErrorKind::NsmUnavailable`] when `/dev/nsm` cannot be opened (not inside an
///   enclave).
/// - Dev: [`AttestErrorKind::DevRootOutMissing`] without `dev_root_out`,
///   [`AttestErrorKind::ReadServerBinary`] when the binary cannot be read,
///   [`AttestErrorKind::WriteFile`] when an output file cannot be written, or a certificate
///   error.
pub fn from_config(
    mode: AttestationMode,
    dev_root_out: Option<&Path>,
    server_binary: &Path,
) -> Result<Option<Box<dyn Attestor>>, AttestError> {
    match mode {
        AttestationMode::None => Ok(None),
        AttestationMode::Nitro => Ok(Some(Box::new(NitroAttestor::open()?))),
        AttestationMode::Dev => {
            let root_out = dev_root_out.ok_or(AttestErrorKind::DevRootOutMissing)?;
            Ok(Some(Box::new(DevAttestor::start(root_out, server_binary)?)))
        }
    }
}

fn check_len(field: &'static str, len: usize, min: usize, max: usize) -> Result<(), AttestError> {
    if len < min || len > max {
        return Err(AttestErrorKind::FieldLength {
            field,
            len,
            min,
            max,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        nonce: Option<&'a [u8]>,
        public_key: &'a [u8],
        user_data: &'a [u8],
    ) -> AttestationRequest<'a> {
        AttestationRequest {
            nonce,
            public_key,
            user_data,
        }
    }

    #[test]
    fn request_limits_follow_the_aws_specification() {
        let key = [1u8; MAX_PUBLIC_KEY_LEN];
        let data = [2u8; MAX_USER_DATA_LEN];
        let nonce = [3u8; MAX_NONCE_LEN];
        assert!(request(Some(&nonce), &key, &data).check().is_ok());
        assert!(request(None, &key[..1], &[]).check().is_ok());
        assert!(request(Some(&[]), &key[..1], &[]).check().is_ok());

        let too_long = [0u8; MAX_PUBLIC_KEY_LEN + 1];
        for (req, field, len) in [
            (request(None, &[], &[]), "public_key", 0),
            (
                request(None, &too_long, &[]),
                "public_key",
                MAX_PUBLIC_KEY_LEN + 1,
            ),
            (
                request(None, &key, &too_long[..=MAX_USER_DATA_LEN]),
                "user_data",
                513,
            ),
            (
                request(Some(&too_long[..=MAX_NONCE_LEN]), &key, &[]),
                "nonce",
                513,
            ),
        ] {
            let err = req.check().unwrap_err();
            assert!(
                matches!(err.kind(), AttestErrorKind::FieldLength { field: f, len: l, .. } if *f == field && *l == len),
                "{err}"
            );
        }
    }

    #[test]
    fn error_stays_one_pointer_wide() {
        assert_eq!(
            std::mem::size_of::<AttestError>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn none_mode_has_no_attestor() {
        let attestor = from_config(AttestationMode::None, None, Path::new("/nonexistent")).unwrap();
        assert!(attestor.is_none());
    }

    #[test]
    fn dev_mode_requires_a_root_output_path() {
        let err = from_config(AttestationMode::Dev, None, Path::new("/nonexistent")).unwrap_err();
        assert!(
            matches!(err.kind(), AttestErrorKind::DevRootOutMissing),
            "{err}"
        );
    }
}
