//! The certificate chain: pinned root, intermediates in order, leaf.
//!
//! Rules (issue #3): `cabundle[0]` equals the pinned root byte for byte; each certificate is
//! signed by the one before it with ECDSA P-384 / SHA-384; each is valid at `now`; issuers are
//! CAs with keyCertSign (when keyUsage is present) and their pathLenConstraint holds; the leaf is
//! not a CA and has digitalSignature; a critical extension other than basicConstraints and
//! keyUsage is refused. No AKI/SKI/EKU/SAN is required: real AWS chains lack them.

use der::asn1::ObjectIdentifier;
use der::{Decode, Reader, SliceReader};
use p384::ecdsa::signature::Verifier;
use p384::ecdsa::{DerSignature, VerifyingKey};
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::error::ChainProblem;
use crate::{Error, TrustedRoot, UnixTime};

/// Most certificates a chain may have, root and leaf included. AWS chains have 5.
pub const MAX_CHAIN_LEN: usize = 8;

/// ecdsa-with-SHA384 (RFC 5758).
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// id-ecPublicKey (RFC 5480).
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp384r1 (RFC 5480).
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// id-ce-basicConstraints.
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
/// id-ce-keyUsage.
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");

/// What verification learns from a good chain.
#[derive(Debug)]
pub(crate) struct VerifiedChain {
    pub(crate) leaf_key: VerifyingKey,
    pub(crate) leaf_not_before: UnixTime,
    pub(crate) leaf_not_after: UnixTime,
}

/// Verify `cabundle` (root first) and `leaf` against `root` at `now`.
pub(crate) fn verify_chain(
    root: &TrustedRoot,
    cabundle: &[Vec<u8>],
    leaf: &[u8],
    now: UnixTime,
) -> Result<VerifiedChain, Error> {
    // Pin first: nothing in an untrusted chain is worth parsing further.
    let first = cabundle.first().map(Vec::as_slice).unwrap_or_default();
    if first != root.der() {
        return Err(Error::UntrustedRoot {
            expected_sha256: root.sha256_hex(),
            found_sha256: hex::encode(Sha256::digest(first)),
        });
    }

    let ders: Vec<&[u8]> = cabundle
        .iter()
        .map(Vec::as_slice)
        .chain(std::iter::once(leaf))
        .collect();
    let last = ders.len() - 1;
    if ders.len() > MAX_CHAIN_LEN {
        return Err(Error::ChainInvalid {
            position: MAX_CHAIN_LEN,
            problem: ChainProblem::TooLong { max: MAX_CHAIN_LEN },
        });
    }
    let certs = ders
        .iter()
        .enumerate()
        .map(|(position, der)| {
            Certificate::from_der(der)
                .map_err(|source| Error::InvalidCertificate { position, source })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let root_cert = certs.first().ok_or(Error::Internal {
        reason: "empty chain",
    })?;
    let mut issuer = root_cert;
    let mut issuer_key = p384_key(root_cert).map_err(|problem| Error::ChainInvalid {
        position: 0,
        problem,
    })?;
    let mut leaf_validity = (UnixTime::from_millis(0), UnixTime::from_millis(0));
    for (position, (cert, der)) in certs.iter().zip(&ders).enumerate() {
        let fail = |problem| Error::ChainInvalid { position, problem };
        let is_leaf = position == last;
        let extensions = Extensions::read(cert).map_err(fail)?;

        let validity = validity(cert);
        if now < validity.0 || now > validity.1 {
            return Err(Error::CertNotValidAtTime {
                position,
                not_before: validity.0,
                not_after: validity.1,
                now,
            });
        }

        // The root is pinned by bytes, so only the certificates below it need a signature.
        if position > 0 {
            if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
                return Err(fail(ChainProblem::IssuerMismatch));
            }
            verify_signature(cert, der, &issuer_key).map_err(fail)?;
        }

        if is_leaf {
            if extensions.ca {
                return Err(fail(ChainProblem::LeafIsCa));
            }
            if !extensions
                .usage
                .is_some_and(|u| u.0.contains(KeyUsages::DigitalSignature))
            {
                return Err(fail(ChainProblem::LeafMissingDigitalSignature));
            }
            leaf_validity = validity;
        } else {
            if !extensions.ca {
                return Err(fail(ChainProblem::NotCa));
            }
            if extensions
                .usage
                .is_some_and(|u| !u.0.contains(KeyUsages::KeyCertSign))
            {
                return Err(fail(ChainProblem::MissingKeyCertSign));
            }
            // CAs strictly between this one and the leaf.
            let following = last - position - 1;
            if let Some(path_len) = extensions.path_len {
                if usize::from(path_len) < following {
                    return Err(fail(ChainProblem::PathLenExceeded {
                        path_len,
                        following,
                    }));
                }
            }
        }
        issuer_key = p384_key(cert).map_err(fail)?;
        issuer = cert;
    }

    Ok(VerifiedChain {
        leaf_key: issuer_key,
        leaf_not_before: leaf_validity.0,
        leaf_not_after: leaf_validity.1,
    })
}

/// The certificate's key, if it is an EC key on P-384.
pub(crate) fn p384_key(cert: &Certificate) -> Result<VerifyingKey, ChainProblem> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    if spki.algorithm.oid != ID_EC_PUBLIC_KEY || curve != Some(SECP384R1) {
        return Err(ChainProblem::UnsupportedKey);
    }
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or(ChainProblem::UnsupportedKey)?;
    VerifyingKey::from_sec1_bytes(point).map_err(|_| ChainProblem::UnsupportedKey)
}

/// Check `cert` (whose DER is `der`) is signed by `issuer_key` with ECDSA P-384 / SHA-384, over
/// its to-be-signed bytes exactly as received.
fn verify_signature(
    cert: &Certificate,
    der: &[u8],
    issuer_key: &VerifyingKey,
) -> Result<(), ChainProblem> {
    for algorithm in [&cert.signature_algorithm, &cert.tbs_certificate.signature] {
        if algorithm.oid != ECDSA_WITH_SHA384 || algorithm.parameters.is_some() {
            return Err(ChainProblem::UnsupportedSignatureAlgorithm {
                oid: algorithm.oid.to_string(),
            });
        }
    }
    let tbs = tbs_bytes(der).map_err(|_| ChainProblem::BadSignature)?;
    let signature = cert
        .signature
        .as_bytes()
        .and_then(|bytes| DerSignature::from_bytes(bytes).ok())
        .ok_or(ChainProblem::BadSignature)?;
    issuer_key
        .verify(tbs, &signature)
        .map_err(|_| ChainProblem::BadSignature)
}

/// The raw `tbsCertificate` TLV inside a certificate's outer SEQUENCE.
fn tbs_bytes(der: &[u8]) -> der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    let outer = der::Header::decode(&mut reader)?;
    outer.tag.assert_eq(der::Tag::Sequence)?;
    reader.tlv_bytes()
}

fn validity(cert: &Certificate) -> (UnixTime, UnixTime) {
    let ms = |time: &Time| {
        UnixTime::from_millis(
            u64::try_from(time.to_unix_duration().as_millis()).unwrap_or(u64::MAX),
        )
    };
    let validity = &cert.tbs_certificate.validity;
    (ms(&validity.not_before), ms(&validity.not_after))
}

/// The extensions this crate acts on.
struct Extensions {
    ca: bool,
    path_len: Option<u8>,
    usage: Option<KeyUsage>,
}

impl Extensions {
    fn read(cert: &Certificate) -> Result<Self, ChainProblem> {
        let mut out = Self {
            ca: false,
            path_len: None,
            usage: None,
        };
        let all = cert
            .tbs_certificate
            .extensions
            .as_deref()
            .unwrap_or_default();
        for ext in all {
            let malformed = || ChainProblem::MalformedExtension {
                oid: ext.extn_id.to_string(),
            };
            if all
                .iter()
                .filter(|other| other.extn_id == ext.extn_id)
                .count()
                > 1
            {
                return Err(malformed());
            }
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == BASIC_CONSTRAINTS {
                let basic = BasicConstraints::from_der(value).map_err(|_| malformed())?;
                out.ca = basic.ca;
                out.path_len = basic.path_len_constraint;
            } else if ext.extn_id == KEY_USAGE {
                out.usage = Some(KeyUsage::from_der(value).map_err(|_| malformed())?);
            } else if ext.critical {
                return Err(ChainProblem::UnknownCriticalExtension {
                    oid: ext.extn_id.to_string(),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
