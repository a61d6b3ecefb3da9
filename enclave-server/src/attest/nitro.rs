//! The Nitro backend: documents from the Nitro Security Module, through `/dev/nsm`.
//!
//! The device is opened once, when the server starts, and closed when the attestor is dropped.
//! Each document is one `Attestation` request through the safe driver function of
//! `aws-nitro-enclaves-nsm-api`; the NSM builds and signs the document itself. Any answer but
//! an `Attestation` response with a non-empty document is an error.
//!
//! The NSM sits behind the small [`Nsm`] trait so that request building and response mapping
//! are tested here with a fake that behaves like the driver; only the ioctl itself needs an
//! enclave.

use std::{
    fs::{File, OpenOptions},
    os::fd::AsRawFd,
    path::Path,
};

use aws_nitro_enclaves_nsm_api::{
    api::{Request, Response},
    driver::nsm_process_request,
};
use serde_bytes::ByteBuf;
use tee_rex_protocol::api::AttestationMode;

use super::{AttestError, AttestErrorKind, AttestationRequest, Attestor};

/// Where the NSM driver exposes the device inside an enclave.
pub(crate) const NSM_PATH: &str = "/dev/nsm";

/// Produces documents with the Nitro Security Module.
#[derive(Debug)]
pub(crate) struct NitroAttestor {
    nsm: Box<dyn Nsm>,
}

impl NitroAttestor {
    /// Opens `/dev/nsm`.
    pub(crate) fn open() -> Result<Self, AttestError> {
        Ok(Self::with_nsm(Box::new(NsmDevice::open(Path::new(
            NSM_PATH,
        ))?)))
    }

    /// An attestor over any [`Nsm`].
    pub(crate) fn with_nsm(nsm: Box<dyn Nsm>) -> Self {
        Self { nsm }
    }
}

impl Attestor for NitroAttestor {
    fn mode(&self) -> AttestationMode {
        AttestationMode::Nitro
    }

    fn attest(&self, request: &AttestationRequest<'_>) -> Result<Vec<u8>, AttestError> {
        request.check()?;
        document_from(self.nsm.process(nsm_request(request)))
    }
}

/// The NSM as the attestor uses it: one request in, one response out, blocking.
pub(crate) trait Nsm: Send + Sync + std::fmt::Debug {
    /// Sends `request` and waits for the answer; driver failures come back as
    /// [`Response::Error`], as `nsm_process_request` reports them.
    fn process(&self, request: Request) -> Response;
}

/// The open NSM device; closing the file on drop closes the device.
#[derive(Debug)]
pub(crate) struct NsmDevice {
    file: File,
}

impl NsmDevice {
    /// Opens the device read-write, as the driver expects.
    ///
    /// This is what `nsm_init` does, except that it keeps the reason for a failure, which
    /// `nsm_init` reduces to `-1`, and leaves closing to `File`'s `Drop`.
    pub(crate) fn open(path: &Path) -> Result<Self, AttestError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|source| AttestErrorKind::NsmUnavailable {
                path: path.into(),
                source,
            })?;
        Ok(Self { file })
    }
}

impl Nsm for NsmDevice {
    fn process(&self, request: Request) -> Response {
        nsm_process_request(self.file.as_raw_fd(), request)
    }
}

/// The `Attestation` request for `request`: public key and user data always, the nonce when
/// the client gave one (the NSM then writes null, as for any field not requested).
pub(crate) fn nsm_request(request: &AttestationRequest<'_>) -> Request {
    Request::Attestation {
        user_data: Some(ByteBuf::from(request.user_data)),
        nonce: request.nonce.map(ByteBuf::from),
        public_key: Some(ByteBuf::from(request.public_key)),
    }
}

/// The document of an `Attestation` response; every other answer is an error.
pub(crate) fn document_from(response: Response) -> Result<Vec<u8>, AttestError> {
    let unexpected = |response| Err(AttestErrorKind::NsmUnexpectedResponse { response }.into());
    match response {
        Response::Attestation { document } if document.is_empty() => {
            Err(AttestErrorKind::NsmEmptyDocument.into())
        }
        Response::Attestation { document } => Ok(document),
        Response::Error(code) => Err(AttestErrorKind::NsmRefused {
            code: format!("{code:?}"),
        }
        .into()),
        Response::DescribePCR { .. } => unexpected("DescribePCR"),
        Response::ExtendPCR { .. } => unexpected("ExtendPCR"),
        Response::LockPCR => unexpected("LockPCR"),
        Response::LockPCRs => unexpected("LockPCRs"),
        Response::DescribeNSM { .. } => unexpected("DescribeNSM"),
        Response::GetRandom { .. } => unexpected("GetRandom"),
        _ => unexpected("unknown"),
    }
}

#[cfg(test)]
mod tests;
