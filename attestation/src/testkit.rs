//! Test-only builders: certificate chains shaped like AWS's (root, three intermediates, leaf)
//! with deterministic P-384 keys, and COSE_Sign1 documents signed by the leaf.

use std::str::FromStr;
use std::time::Duration;

use der::asn1::{BitString, GeneralizedTime, ObjectIdentifier, OctetString};
use der::{Any, Encode};
use p384::ecdsa::signature::Signer;
use p384::ecdsa::{DerSignature, Signature, SigningKey};
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use crate::cbor::tests::head;
use crate::UnixTime;

/// The time chains are valid around: 2025-06-01T12:00:00Z.
pub(crate) const NOW: UnixTime = UnixTime::from_millis(1_748_779_200_000);

pub(crate) const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
const SECP256R1: &str = "1.2.840.10045.3.1.7";

/// How to build one certificate of a chain.
#[derive(Clone)]
pub(crate) struct Spec {
    pub(crate) subject: String,
    /// Issuer name; `None` means the previous certificate's subject.
    pub(crate) issuer: Option<String>,
    pub(crate) key: SigningKey,
    /// Sign with this key instead of the issuer's.
    pub(crate) signer: Option<SigningKey>,
    /// `Some((ca, path_len))` adds basicConstraints.
    pub(crate) basic: Option<(bool, Option<u8>)>,
    pub(crate) usage: Option<KeyUsage>,
    pub(crate) extra: Vec<Extension>,
    pub(crate) not_before: UnixTime,
    pub(crate) not_after: UnixTime,
    pub(crate) signature_oid: &'static str,
    /// Claim the key is on this curve instead of secp384r1.
    pub(crate) curve_oid: Option<&'static str>,
}

impl Spec {
    fn new(subject: &str, seed: u8, ca: bool) -> Self {
        let day = 24 * 3600 * 1000;
        Self {
            subject: format!("CN={subject},O=tee-rex tests"),
            issuer: None,
            key: key(seed),
            signer: None,
            basic: Some((ca, None)),
            usage: Some(KeyUsage(if ca {
                KeyUsages::KeyCertSign | KeyUsages::CRLSign | KeyUsages::DigitalSignature
            } else {
                KeyUsages::DigitalSignature.into()
            })),
            extra: Vec::new(),
            not_before: UnixTime::from_millis(NOW.as_millis() - day),
            not_after: UnixTime::from_millis(NOW.as_millis() + day),
            signature_oid: ECDSA_WITH_SHA384,
            curve_oid: None,
        }
    }
}

/// Root, three intermediates and a leaf, valid one day either side of [`NOW`]. Like AWS's leaf,
/// the leaf has no AKI/SKI/EKU/SAN and a non-critical keyUsage.
pub(crate) fn aws_like_specs() -> Vec<Spec> {
    vec![
        Spec::new("root", 1, true),
        Spec::new("zonal", 2, true),
        Spec::new("regional", 3, true),
        Spec::new("instance", 4, true),
        Spec::new("leaf", 5, false),
    ]
}

pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 48]).unwrap()
}

/// DER certificates for `specs`, root first; each is signed by the one before (the root by
/// itself).
pub(crate) fn build_chain(specs: &[Spec]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let issuer_spec = if i == 0 { spec } else { &specs[i - 1] };
        out.push(build_cert(spec, issuer_spec));
    }
    out
}

fn build_cert(spec: &Spec, issuer: &Spec) -> Vec<u8> {
    let time = |t: UnixTime| {
        Time::GeneralTime(
            GeneralizedTime::from_unix_duration(Duration::from_millis(t.as_millis())).unwrap(),
        )
    };
    let algorithm = AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new_unwrap(spec.signature_oid),
        parameters: None,
    };
    let curve = ObjectIdentifier::new_unwrap(spec.curve_oid.unwrap_or("1.3.132.0.34"));
    let point = spec.key.verifying_key().to_encoded_point(false);
    let mut extensions = Vec::new();
    if let Some((ca, path_len)) = spec.basic {
        let value = BasicConstraints {
            ca,
            path_len_constraint: path_len,
        };
        extensions.push(extension("2.5.29.19", true, value.to_der().unwrap()));
    }
    if let Some(usage) = spec.usage {
        extensions.push(extension("2.5.29.15", false, usage.to_der().unwrap()));
    }
    extensions.extend(spec.extra.iter().cloned());
    let issuer_name = spec
        .issuer
        .clone()
        .unwrap_or_else(|| issuer.subject.clone());

    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[0x01, spec.key.to_bytes()[0]]).unwrap(),
        signature: algorithm.clone(),
        issuer: Name::from_str(&issuer_name).unwrap(),
        validity: Validity {
            not_before: time(spec.not_before),
            not_after: time(spec.not_after),
        },
        subject: Name::from_str(&spec.subject).unwrap(),
        subject_public_key_info: SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"),
                parameters: Some(Any::from(&curve)),
            },
            subject_public_key: BitString::from_bytes(point.as_bytes()).unwrap(),
        },
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: (!extensions.is_empty()).then_some(extensions),
    };
    let signer = spec.signer.as_ref().unwrap_or(&issuer.key);
    let signature: DerSignature = signer.sign(&tbs.to_der().unwrap());
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(signature.as_bytes()).unwrap(),
    }
    .to_der()
    .unwrap()
}

pub(crate) fn extension(oid: &str, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: OctetString::new(value).unwrap(),
    }
}

/// A claimed P-256 key, for refusal tests.
pub(crate) const P256_CURVE: &str = SECP256R1;

/// A CBOR-encoded payload from `(key, encoded value)` pairs.
pub(crate) fn payload(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 5, entries.len() as u64);
    for (key, value) in entries {
        out.extend(text(key));
        out.extend_from_slice(value);
    }
    out
}

pub(crate) fn text(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
    out
}

pub(crate) fn bytes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 2, b.len() as u64);
    out.extend_from_slice(b);
    out
}

pub(crate) fn uint(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 0, n);
    out
}

pub(crate) fn array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 4, items.len() as u64);
    items.iter().for_each(|item| out.extend_from_slice(item));
    out
}

/// A `pcrs` map with the given indices and values.
pub(crate) fn pcrs(entries: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 5, entries.len() as u64);
    for (index, value) in entries {
        out.extend(uint(*index));
        out.extend(bytes(value));
    }
    out
}

/// The entries of a valid payload for `chain` (root first, leaf last), at [`NOW`], with PCR0-2
/// non-zero and null optional fields.
pub(crate) fn payload_entries(chain: &[Vec<u8>]) -> Vec<(&'static str, Vec<u8>)> {
    let (leaf, bundle) = chain.split_last().unwrap();
    vec![
        ("module_id", text("i-0123456789abcdef0-enc0123456789abcdef")),
        ("digest", text("SHA384")),
        ("timestamp", uint(NOW.as_millis())),
        (
            "pcrs",
            pcrs(&[
                (0, vec![1; 48]),
                (1, vec![2; 48]),
                (2, vec![3; 48]),
                (3, vec![0; 48]),
            ]),
        ),
        ("certificate", bytes(leaf)),
        (
            "cabundle",
            array(&bundle.iter().map(|c| bytes(c)).collect::<Vec<_>>()),
        ),
        ("public_key", vec![0xf6]),
        ("user_data", vec![0xf6]),
        ("nonce", vec![0xf6]),
    ]
}

/// A COSE_Sign1 over `payload` with protected header `{1: -35}`, signed by `key`.
pub(crate) fn sign_document(payload: &[u8], key: &SigningKey) -> Vec<u8> {
    let protected = [0xa1, 0x01, 0x38, 0x22];
    let mut to_sign = vec![0x84];
    to_sign.extend(text("Signature1"));
    to_sign.extend(bytes(&protected));
    to_sign.push(0x40);
    to_sign.extend(bytes(payload));
    let signature: Signature = key.sign(&to_sign);

    let mut out = vec![0x84];
    out.extend(bytes(&protected));
    out.push(0xa0);
    out.extend(bytes(payload));
    out.extend(bytes(&signature.to_bytes()));
    out
}
