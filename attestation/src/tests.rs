//! Whole documents signed by a generated AWS-shaped chain, as the server's `dev` attestor makes
//! them: what needs a valid signature to reach (policy, high-S, bytes as received).

use der::pem::LineEnding;
use p384::ecdsa::Signature;

use super::*;
use crate::testkit::{
    aws_like_specs, build_chain, bytes, payload, payload_entries, pcrs, sign_document, text, uint,
    NOW,
};

struct Fixture {
    chain: Vec<Vec<u8>>,
    leaf_key: p384::ecdsa::SigningKey,
}

fn fixture() -> Fixture {
    let specs = aws_like_specs();
    Fixture {
        chain: build_chain(&specs),
        leaf_key: specs[4].key.clone(),
    }
}

impl Fixture {
    fn options(&self) -> VerifyOptions {
        let pem = der::pem::encode_string("CERTIFICATE", LineEnding::LF, &self.chain[0]).unwrap();
        VerifyOptions::new(NOW).trusted_root(TrustedRoot::insecure_from_pem(&pem).unwrap())
    }

    fn entries(&self) -> Vec<(&'static str, Vec<u8>)> {
        payload_entries(&self.chain)
    }

    fn sign(&self, entries: &[(&'static str, Vec<u8>)]) -> Vec<u8> {
        sign_document(&payload(entries), &self.leaf_key)
    }

    fn with(&self, field: &'static str, value: Vec<u8>) -> Vec<u8> {
        let mut entries = self.entries();
        for entry in &mut entries {
            if entry.0 == field {
                entry.1 = value.clone();
            }
        }
        self.sign(&entries)
    }
}

#[test]
fn dev_style_document_is_accepted_with_an_insecure_pem_root() {
    let f = fixture();
    let doc = f.with("public_key", bytes(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    let verified = verify(&doc, &f.options()).unwrap();
    assert_eq!(
        verified.public_key(),
        Some(&b"-----BEGIN PGP PUBLIC KEY BLOCK-----"[..])
    );
    assert_eq!(verified.timestamp(), NOW);
    assert!(!verified.is_debug());
    assert_eq!(verified.pcrs()[&0], vec![1; 48]);

    // And not with the built-in AWS root.
    assert!(matches!(
        verify(&doc, &VerifyOptions::new(NOW)),
        Err(Error::UntrustedRoot { .. })
    ));
}

#[test]
fn high_s_signatures_are_accepted() {
    let f = fixture();
    let doc = f.sign(&f.entries());
    let len = doc.len();
    let signature = Signature::from_slice(&doc[len - 96..]).unwrap();
    let (r, s) = signature.split_scalars();
    let flipped = Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    // Exactly one of the two is high-S; both must verify.
    assert_ne!(
        signature.normalize_s().is_some(),
        flipped.normalize_s().is_some()
    );
    let mut high = doc.clone();
    high[len - 96..].copy_from_slice(&flipped.to_bytes());
    verify(&doc, &f.options()).unwrap();
    verify(&high, &f.options()).unwrap();
}

#[test]
fn signature_covers_the_payload_bytes_as_received() {
    let f = fixture();
    // An indefinite-length payload map, signed as is: accepted.
    let mut indefinite = vec![0xbf];
    for (key, value) in f.entries() {
        indefinite.extend(text(key));
        indefinite.extend(value);
    }
    indefinite.push(0xff);
    verify(&sign_document(&indefinite, &f.leaf_key), &f.options()).unwrap();

    // The same map signed in its definite encoding but sent indefinite: refused.
    let definite_doc = f.sign(&f.entries());
    let mut parts = definite_doc.clone();
    let definite = payload(&f.entries());
    let at = parts
        .windows(definite.len())
        .position(|w| w == definite)
        .unwrap();
    parts.splice(at - 3..at + definite.len(), bytes(&indefinite));
    assert_eq!(verify(&parts, &f.options()), Err(Error::SignatureInvalid));
}

#[test]
fn missing_pcr_0_1_or_2_is_refused() {
    let f = fixture();
    for index in 0..=2u8 {
        let present: Vec<_> = (0..=3u64)
            .filter(|&i| i != u64::from(index))
            .map(|i| (i, vec![9; 48]))
            .collect();
        let doc = f.with("pcrs", pcrs(&present));
        let err = verify(&doc, &f.options()).unwrap_err();
        assert_eq!(err, Error::MissingPcr { index });
        assert_eq!(err.code(), "MISSING_PCR");
    }
}

#[test]
fn debug_documents_need_the_insecure_allowance() {
    let f = fixture();
    let debug = f.with(
        "pcrs",
        pcrs(&[(0, vec![0; 48]), (1, vec![0; 48]), (2, vec![0; 48])]),
    );
    assert_eq!(verify(&debug, &f.options()), Err(Error::DebugEnclave));
    assert!(verify(&debug, &f.options().insecure_allow_debug(true))
        .unwrap()
        .is_debug());

    // One non-zero PCR among 0..=2 is not debug mode.
    let not_debug = f.with(
        "pcrs",
        pcrs(&[(0, vec![0; 48]), (1, vec![0; 48]), (2, vec![1; 48])]),
    );
    assert!(!verify(&not_debug, &f.options()).unwrap().is_debug());
}

#[test]
fn timestamp_outside_the_leaf_validity_is_refused() {
    let f = fixture();
    let specs = aws_like_specs();
    for ts in [
        specs[4].not_after.as_millis() + 1,
        specs[4].not_before.as_millis() - 1,
    ] {
        let doc = f.with("timestamp", uint(ts));
        let err = verify(
            &doc,
            &f.options()
                .clock_skew(std::time::Duration::from_secs(365 * 86400)),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::TimestampOutsideLeafValidity { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), "TIMESTAMP_OUTSIDE_LEAF_VALIDITY");
    }
}

#[test]
fn error_messages_carry_the_values() {
    let f = fixture();
    let doc = f.with("nonce", bytes(&[0xab; 40]));
    let err = verify(&doc, &f.options().expected_nonce(vec![0xcd; 2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("nonce mismatch: expected cdcd, found {}..", "ab".repeat(32))
    );
    assert_eq!(
        Error::UnsupportedAlgorithm { found: Some(-7) }.to_string(),
        "unsupported algorithm -7, expected ES384 (-35) in the protected header"
    );
    assert_eq!(
        Error::UnsupportedAlgorithm { found: None }.to_string(),
        "unsupported algorithm none, expected ES384 (-35) in the protected header"
    );
    let err = Error::CertNotValidAtTime {
        position: 4,
        not_before: UnixTime::from_millis(1),
        not_after: UnixTime::from_millis(2),
        now: UnixTime::from_millis(3),
    };
    assert_eq!(
        err.to_string(),
        "certificate 4 of the chain (0 = root) is valid from 1 ms to 2 ms, not at 3 ms"
    );
}

#[test]
fn every_error_has_a_distinct_code() {
    let errors = [
        Error::DocumentTooLarge { len: 0, max: 0 },
        Error::MalformedCbor {
            offset: 0,
            reason: "",
        },
        Error::DuplicateKey { offset: 0 },
        Error::TrailingBytes {
            offset: 0,
            remaining: 0,
        },
        Error::NestingTooDeep { offset: 0, max: 0 },
        Error::UnsupportedTag { tag: 0 },
        Error::InvalidCose { reason: "" },
        Error::UnsupportedAlgorithm { found: None },
        Error::UnsupportedHeaderParameter { label: 0 },
        Error::InvalidSignatureLength { len: 0 },
        Error::InvalidDocument {
            field: "",
            reason: "",
        },
        Error::UnknownPayloadKey { key: String::new() },
        Error::UnsupportedDigest {
            found: String::new(),
        },
        Error::InvalidPcrIndex { index: 0 },
        Error::InvalidPcrLength { index: 0, len: 0 },
        Error::FieldTooLong {
            field: "",
            len: 0,
            max: 0,
        },
        Error::InvalidCertificate {
            position: 0,
            source: der::Error::from(der::ErrorKind::Failed),
        },
        Error::InvalidTrustedRoot { reason: "" },
        Error::UntrustedRoot {
            expected_sha256: String::new(),
            found_sha256: String::new(),
        },
        Error::ChainInvalid {
            position: 0,
            problem: ChainProblem::NotCa,
        },
        Error::CertNotValidAtTime {
            position: 0,
            not_before: NOW,
            not_after: NOW,
            now: NOW,
        },
        Error::TimestampOutsideLeafValidity {
            timestamp: NOW,
            not_before: NOW,
            not_after: NOW,
        },
        Error::SignatureInvalid,
        Error::NonceMismatch {
            expected: String::new(),
            found: String::new(),
        },
        Error::InvalidPcrPolicy {
            index: None,
            reason: "",
        },
        Error::PcrMismatch {
            index: 0,
            expected: String::new(),
            found: String::new(),
        },
        Error::MissingPcr { index: 0 },
        Error::DebugEnclave,
        Error::Stale {
            timestamp: NOW,
            now: NOW,
            max_age_ms: 0,
            skew_ms: 0,
        },
        Error::TimestampInFuture {
            timestamp: NOW,
            now: NOW,
            skew_ms: 0,
        },
        Error::Internal { reason: "" },
    ];
    let codes: std::collections::BTreeSet<_> = errors.iter().map(Error::code).collect();
    assert_eq!(codes.len(), errors.len());
    assert!(codes
        .iter()
        .all(|c| c.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
}
