//! Documents changed one way at a time, and caller policies that must refuse them.

use std::time::Duration;

use tee_rex_attestation::{
    parse_attestation_doc, verify, Error, ExpectedPcrs, TrustedRoot, UnixTime, VerifyOptions,
    MAX_DOCUMENT_LEN,
};

use crate::cose_edit::Parts;
use crate::real::{options_at_own_time, Real, REAL};
use crate::synthetic::BASELINE;
use crate::{fake_root, synthetic_options};

/// cape-js: a production document with a 12-byte nonce.
fn cape() -> &'static Real {
    REAL.iter()
        .find(|r| r.name == "cape-js-2022-09-15")
        .unwrap()
}

fn refused(document: &[u8], options: &VerifyOptions) -> Error {
    verify(document, options).expect_err("mutated document was accepted")
}

#[test]
fn flipped_signature_byte_is_refused() {
    for real in REAL {
        for index in [0, 47, 48, 95] {
            let mut parts = Parts::split(real.bytes);
            parts.signature[index] ^= 0x01;
            let err = refused(&parts.join(), &options_at_own_time(real));
            assert_eq!(err, Error::SignatureInvalid, "{} byte {index}", real.name);
            assert_eq!(err.code(), "SIGNATURE_INVALID");
        }
    }
}

#[test]
fn flipped_payload_byte_is_refused() {
    // The last byte of PCR0's value: the payload still parses, so only the signature catches it.
    for real in REAL {
        let doc = parse_attestation_doc(real.bytes).unwrap();
        let pcr0 = &doc.pcrs[&0];
        let mut parts = Parts::split(real.bytes);
        let at = find(&parts.payload, pcr0) + pcr0.len() - 1;
        parts.payload[at] ^= 0x80;
        let err = refused(&parts.join(), &options_at_own_time(real));
        assert_eq!(err, Error::SignatureInvalid, "{}", real.name);
    }
}

#[test]
fn single_byte_flips_of_the_baseline_are_refused() {
    // Every flip goes through the parser (which must not panic); flips it refuses, and every
    // 16th flip, also go through the full verification, which is slower (six ECDSA checks).
    for index in 0..BASELINE.len() {
        let mut doc = BASELINE.to_vec();
        doc[index] ^= 0x01;
        let parsed = parse_attestation_doc(&doc);
        if index % 16 == 0 || parsed.is_err() {
            assert!(
                verify(&doc, &synthetic_options()).is_err(),
                "flip at byte {index}"
            );
        }
    }
}

#[test]
fn tag_98_is_refused() {
    let mut doc = vec![0xd8, 98];
    doc.extend_from_slice(BASELINE);
    assert_eq!(
        refused(&doc, &synthetic_options()),
        Error::UnsupportedTag { tag: 98 }
    );
    assert_eq!(Error::UnsupportedTag { tag: 98 }.code(), "UNSUPPORTED_TAG");
}

#[test]
fn truncated_signature_is_refused() {
    let mut parts = Parts::split(BASELINE);
    parts.signature.pop();
    let err = refused(&parts.join(), &synthetic_options());
    assert_eq!(err, Error::InvalidSignatureLength { len: 95 });
    assert_eq!(err.code(), "INVALID_SIGNATURE_LENGTH");
}

#[test]
fn der_encoded_signature_is_refused() {
    // A 102-byte DER signature in place of raw r || s.
    let mut parts = Parts::split(BASELINE);
    parts.signature = vec![0x30; 102];
    assert_eq!(
        refused(&parts.join(), &synthetic_options()),
        Error::InvalidSignatureLength { len: 102 }
    );
}

#[test]
fn trailing_byte_is_refused() {
    for trailing in [0x00, 0xf6, 0xff] {
        let mut doc = BASELINE.to_vec();
        doc.push(trailing);
        let err = refused(&doc, &synthetic_options());
        assert!(
            matches!(err, Error::TrailingBytes { remaining: 1, .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), "TRAILING_BYTES");
    }
}

#[test]
fn wrong_root_is_refused() {
    let real = cape();
    let options = options_at_own_time(real).trusted_root(fake_root());
    let err = refused(real.bytes, &options);
    assert!(matches!(&err, Error::UntrustedRoot { expected_sha256, .. }
        if *expected_sha256 == fake_root().sha256_hex()));
    assert_eq!(err.code(), "UNTRUSTED_ROOT");

    let options =
        VerifyOptions::new(crate::SYNTHETIC_TIME).trusted_root(TrustedRoot::aws_nitro_g1());
    assert!(matches!(
        refused(BASELINE, &options),
        Error::UntrustedRoot { .. }
    ));
}

#[test]
fn nonce_differing_in_its_last_byte_is_refused() {
    let real = cape();
    let nonce = parse_attestation_doc(real.bytes).unwrap().nonce.unwrap();
    let accepted = verify(
        real.bytes,
        &options_at_own_time(real).expected_nonce(nonce.clone()),
    );
    assert_eq!(accepted.unwrap().nonce(), Some(nonce.as_slice()));

    let mut wrong = nonce.clone();
    *wrong.last_mut().unwrap() ^= 0x01;
    let err = refused(
        real.bytes,
        &options_at_own_time(real).expected_nonce(wrong.clone()),
    );
    assert_eq!(
        err,
        Error::NonceMismatch {
            expected: hex::encode(&wrong),
            found: hex::encode(&nonce)
        }
    );
    assert_eq!(err.code(), "NONCE_MISMATCH");

    // One byte short is no prefix match either.
    let short = nonce[..nonce.len() - 1].to_vec();
    let err = refused(real.bytes, &options_at_own_time(real).expected_nonce(short));
    assert!(matches!(err, Error::NonceMismatch { .. }));
}

#[test]
fn expected_nonce_against_a_null_nonce_is_refused() {
    let real = REAL.iter().find(|r| r.lens[2].is_none()).unwrap();
    let err = refused(
        real.bytes,
        &options_at_own_time(real).expected_nonce(vec![1; 12]),
    );
    assert!(
        matches!(&err, Error::NonceMismatch { found, .. } if found == "null"),
        "{err:?}"
    );
}

#[test]
fn pcr_mismatch_is_refused() {
    for real in REAL.iter().filter(|r| !r.debug) {
        // Unused PCRs are all zero, which no policy may expect.
        let mut pcrs = parse_attestation_doc(real.bytes).unwrap().pcrs;
        pcrs.retain(|_, value| value.iter().any(|&b| b != 0));
        let all = ExpectedPcrs::new(pcrs.clone()).unwrap();
        verify(real.bytes, &options_at_own_time(real).expected_pcrs(all)).unwrap();

        for index in [0u8, 1, 2, 8].into_iter().filter(|i| pcrs.contains_key(i)) {
            let mut wrong = pcrs[&index].clone();
            *wrong.last_mut().unwrap() ^= 0x01;
            let mut expected = pcrs.clone();
            expected.insert(index, wrong);
            let options =
                options_at_own_time(real).expected_pcrs(ExpectedPcrs::new(expected).unwrap());
            let err = refused(real.bytes, &options);
            assert!(
                matches!(err, Error::PcrMismatch { index: i, .. } if i == index),
                "{} pcr {index}: {err:?}",
                real.name
            );
            assert_eq!(err.code(), "PCR_MISMATCH");
        }
    }
}

#[test]
fn expected_pcr_absent_from_the_document_is_refused() {
    let real = cape();
    let options =
        options_at_own_time(real).expected_pcrs(ExpectedPcrs::new([(31, vec![7; 48])]).unwrap());
    let err = refused(real.bytes, &options);
    assert!(matches!(&err, Error::PcrMismatch { index: 31, found, .. } if found == "absent"));
}

#[test]
fn unusable_pcr_policies_are_refused() {
    let cases: [(Vec<(u8, Vec<u8>)>, Option<u8>); 5] = [
        (vec![], None),
        (vec![(0, vec![0; 48])], Some(0)),
        (vec![(1, vec![1; 32])], Some(1)),
        (vec![(32, vec![1; 48])], Some(32)),
        (vec![(4, vec![1; 48]), (4, vec![2; 48])], Some(4)),
    ];
    for (pcrs, index) in cases {
        let err = ExpectedPcrs::new(pcrs).unwrap_err();
        assert!(
            matches!(err, Error::InvalidPcrPolicy { index: i, .. } if i == index),
            "{err:?}"
        );
        assert_eq!(err.code(), "INVALID_PCR_POLICY");
    }
}

#[test]
fn debug_document_is_refused_even_with_expected_pcrs_that_match_elsewhere() {
    let real = REAL.iter().find(|r| r.debug).unwrap();
    let mut pcrs = parse_attestation_doc(real.bytes).unwrap().pcrs;
    pcrs.retain(|_, value| value.iter().any(|&b| b != 0));
    let mut options = options_at_own_time(real).insecure_allow_debug(false);
    if !pcrs.is_empty() {
        options = options.expected_pcrs(ExpectedPcrs::new(pcrs).unwrap());
    }
    let err = refused(real.bytes, &options);
    assert_eq!(err, Error::DebugEnclave);
    assert_eq!(err.code(), "DEBUG_ENCLAVE");
}

#[test]
fn stale_document_is_refused() {
    let real = cape();
    let ts = real.timestamp_ms;
    let max_age = Duration::from_secs(300);
    let skew = VerifyOptions::DEFAULT_CLOCK_SKEW.as_millis() as u64;
    let at = |now: u64| VerifyOptions::new(UnixTime::from_millis(now)).max_age(max_age);

    verify(real.bytes, &at(ts + 300_000 + skew)).unwrap();
    let err = refused(real.bytes, &at(ts + 300_000 + skew + 1));
    assert!(
        matches!(
            err,
            Error::Stale {
                max_age_ms: 300_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "STALE");
}

#[test]
fn document_from_the_future_is_refused() {
    let real = cape();
    let leaf_not_before = verify(real.bytes, &options_at_own_time(real))
        .unwrap()
        .leaf_not_before()
        .as_millis();
    let ts = real.timestamp_ms;
    let skew = 1_000;
    assert!(
        leaf_not_before < ts - skew,
        "vector cannot show a future timestamp"
    );
    let at = |now: u64| {
        VerifyOptions::new(UnixTime::from_millis(now)).clock_skew(Duration::from_millis(skew))
    };

    verify(real.bytes, &at(ts - skew)).unwrap();
    let err = refused(real.bytes, &at(ts - skew - 1));
    assert!(
        matches!(err, Error::TimestampInFuture { skew_ms: 1_000, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "TIMESTAMP_IN_FUTURE");
}

#[test]
fn oversized_document_is_refused_before_parsing() {
    let doc = vec![0u8; MAX_DOCUMENT_LEN + 1];
    let err = refused(&doc, &synthetic_options());
    assert_eq!(
        err,
        Error::DocumentTooLarge {
            len: MAX_DOCUMENT_LEN + 1,
            max: MAX_DOCUMENT_LEN
        }
    );
    assert_eq!(err.code(), "DOCUMENT_TOO_LARGE");
}

#[test]
fn protected_header_other_than_es384_alone_is_refused() {
    let cases: [(&[u8], Error); 6] = [
        (
            &[0xa1, 0x01, 0x26],
            Error::UnsupportedAlgorithm { found: Some(-7) },
        ),
        (
            &[0xa1, 0x01, 0x38, 0x23],
            Error::UnsupportedAlgorithm { found: Some(-36) },
        ),
        (&[0xa0], Error::UnsupportedAlgorithm { found: None }),
        (&[], Error::UnsupportedAlgorithm { found: None }),
        (
            &[0xa2, 0x01, 0x38, 0x22, 0x02, 0x81, 0x01],
            Error::UnsupportedHeaderParameter { label: 2 },
        ),
        (
            &[0xa2, 0x01, 0x38, 0x22, 0x04, 0x41, 0x00],
            Error::UnsupportedHeaderParameter { label: 4 },
        ),
    ];
    for (protected, expected) in cases {
        let mut parts = Parts::split(BASELINE);
        parts.protected = protected.to_vec();
        assert_eq!(
            refused(&parts.join(), &synthetic_options()),
            expected,
            "{protected:02x?}"
        );
    }
    assert_eq!(
        Error::UnsupportedAlgorithm { found: None }.code(),
        "UNSUPPORTED_ALGORITHM"
    );
    assert_eq!(
        Error::UnsupportedHeaderParameter { label: 2 }.code(),
        "UNSUPPORTED_HEADER_PARAMETER"
    );
}

#[test]
fn algorithm_in_the_unprotected_header_is_refused_even_next_to_the_protected_one() {
    let mut parts = Parts::split(BASELINE);
    parts.unprotected = vec![0xa1, 0x01, 0x38, 0x22];
    let err = refused(&parts.join(), &synthetic_options());
    assert!(matches!(err, Error::InvalidCose { .. }), "{err:?}");
    assert_eq!(err.code(), "INVALID_COSE");
}

#[test]
fn structures_that_are_not_cose_sign1_are_refused() {
    let parts = Parts::split(BASELINE);
    let mut three = vec![0x83];
    crate::cose_edit::push_bytes(&mut three, &parts.protected);
    three.push(0xa0);
    crate::cose_edit::push_bytes(&mut three, &parts.payload);
    for doc in [
        three,
        vec![0xa0],
        vec![0x40],
        vec![0x84, 0xa0, 0xa0, 0x40, 0x40],
    ] {
        let err = refused(&doc, &synthetic_options());
        assert!(
            matches!(err, Error::InvalidCose { .. }),
            "{doc:02x?}: {err:?}"
        );
    }
}

#[test]
fn malformed_cbor_is_refused() {
    for doc in [
        &[][..],
        &[0x84, 0x58],
        &[0x1c],
        &[0xf9, 0x00, 0x00],
        &[0xff],
    ] {
        let err = refused(doc, &synthetic_options());
        assert!(
            matches!(err, Error::MalformedCbor { .. }),
            "{doc:02x?}: {err:?}"
        );
        assert_eq!(err.code(), "MALFORMED_CBOR");
    }
}

#[test]
fn deep_nesting_is_refused() {
    let mut doc = vec![0x81; 100];
    doc.push(0x00);
    let err = refused(&doc, &synthetic_options());
    assert!(matches!(err, Error::NestingTooDeep { .. }), "{err:?}");
    assert_eq!(err.code(), "NESTING_TOO_DEEP");
}

#[test]
fn error_stays_small() {
    assert!(
        std::mem::size_of::<Error>() <= 80,
        "{}",
        std::mem::size_of::<Error>()
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}
