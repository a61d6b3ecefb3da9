//! The pinned root certificate a document's `cabundle[0]` must equal.

use std::fmt;

use der::Decode;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::Error;

/// A root certificate to pin: `cabundle[0]` must equal its DER byte for byte.
#[derive(Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    der: Vec<u8>,
}

impl TrustedRoot {
    /// The AWS Nitro Enclaves Root G1, built in.
    ///
    /// DER SHA-256 `641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b`, as
    /// published at <https://aws-nitro-enclaves.amazonaws.com/AWS_NitroEnclaves_Root-G1.zip>.
    pub fn aws_nitro_g1() -> Self {
        Self {
            der: AWS_NITRO_ROOT_G1_DER.to_vec(),
        }
    }

    /// Trust a PEM `CERTIFICATE` instead of the AWS root: for tests and the `dev` attestor only.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTrustedRoot`] if the text is not one PEM certificate that parses as X.509
    /// with a P-384 key.
    pub fn insecure_from_pem(pem: &str) -> Result<Self, Error> {
        let (label, der) =
            der::pem::decode_vec(pem.trim().as_bytes()).map_err(|_| Error::InvalidTrustedRoot {
                reason: "not a PEM document",
            })?;
        if label != "CERTIFICATE" {
            return Err(Error::InvalidTrustedRoot {
                reason: "PEM label is not CERTIFICATE",
            });
        }
        Self::insecure_from_der(&der)
    }

    /// Trust a DER certificate instead of the AWS root: for tests and the `dev` attestor only.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTrustedRoot`] if the bytes are not an X.509 certificate with a P-384 key.
    pub fn insecure_from_der(der: &[u8]) -> Result<Self, Error> {
        let cert = Certificate::from_der(der).map_err(|_| Error::InvalidTrustedRoot {
            reason: "not a DER X.509 certificate",
        })?;
        crate::chain::p384_key(&cert).map_err(|_| Error::InvalidTrustedRoot {
            reason: "key is not P-384",
        })?;
        Ok(Self { der: der.to_vec() })
    }

    /// The root's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the root's DER, lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }
}

impl fmt::Debug for TrustedRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedRoot")
            .field("sha256", &self.sha256_hex())
            .finish()
    }
}

/// The AWS Nitro Enclaves Root G1 certificate, DER.
const AWS_NITRO_ROOT_G1_DER: &[u8] = include_bytes!("../data/aws-nitro-root-g1.der");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_root_has_the_published_hash() {
        assert_eq!(
            TrustedRoot::aws_nitro_g1().sha256_hex(),
            "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"
        );
    }

    #[test]
    fn pem_root_equals_the_built_in_der() {
        let pem = include_str!("../../testdata/nitro/aws-nitro-root-g1.pem");
        assert_eq!(
            TrustedRoot::insecure_from_pem(pem).unwrap(),
            TrustedRoot::aws_nitro_g1()
        );
    }

    #[test]
    fn garbage_roots_are_refused() {
        for bad in [
            "",
            "hello",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            assert!(matches!(
                TrustedRoot::insecure_from_pem(bad),
                Err(Error::InvalidTrustedRoot { .. })
            ));
        }
        assert!(matches!(
            TrustedRoot::insecure_from_der(&[0x30, 0x00]),
            Err(Error::InvalidTrustedRoot { .. })
        ));
    }
}
