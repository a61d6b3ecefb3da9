//! Chain rules, one broken at a time on a generated AWS-shaped chain, and on real chains.

use der::Encode;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

use super::*;
use crate::testkit::{self, aws_like_specs, build_chain, Spec, NOW};

fn check(specs: &[Spec]) -> Result<VerifiedChain, Error> {
    let chain = build_chain(specs);
    check_ders(&chain)
}

fn check_ders(chain: &[Vec<u8>]) -> Result<VerifiedChain, Error> {
    let (leaf, bundle) = chain.split_last().unwrap();
    let root = TrustedRoot::insecure_from_der(&chain[0]).unwrap();
    verify_chain(&root, bundle, leaf, NOW)
}

fn problem(specs: &[Spec]) -> (usize, ChainProblem) {
    match check(specs) {
        Err(Error::ChainInvalid { position, problem }) => (position, problem),
        other => panic!("expected ChainInvalid, got {other:?}"),
    }
}

#[test]
fn aws_shaped_chain_passes() {
    let verified = check(&aws_like_specs()).unwrap();
    let specs = aws_like_specs();
    assert_eq!(verified.leaf_key, *specs[4].key.verifying_key());
    assert_eq!(verified.leaf_not_before, specs[4].not_before);
    assert_eq!(verified.leaf_not_after, specs[4].not_after);
}

#[test]
fn real_chains_pass_at_their_document_time() {
    for bytes in [
        include_bytes!("../../../testdata/nitro/real/cape-js-2022-09-15.cbor").as_slice(),
        include_bytes!("../../../testdata/nitro/real/nitro-attest-crate-2025-01-06.cbor"),
    ] {
        let doc = crate::parse_attestation_doc(bytes).unwrap();
        verify_chain(
            &TrustedRoot::aws_nitro_g1(),
            &doc.cabundle,
            &doc.certificate,
            doc.timestamp,
        )
        .unwrap();
    }
}

#[test]
fn issuer_name_must_be_the_previous_subject() {
    let mut specs = aws_like_specs();
    specs[4].issuer = Some("CN=someone else".into());
    assert_eq!(problem(&specs), (4, ChainProblem::IssuerMismatch));
}

#[test]
fn signature_by_another_key_is_refused() {
    let mut specs = aws_like_specs();
    specs[3].signer = Some(testkit::key(9));
    assert_eq!(problem(&specs), (3, ChainProblem::BadSignature));
}

#[test]
fn signature_algorithm_other_than_ecdsa_sha384_is_refused() {
    let mut specs = aws_like_specs();
    specs[2].signature_oid = testkit::ECDSA_WITH_SHA256;
    assert!(matches!(
        problem(&specs),
        (2, ChainProblem::UnsupportedSignatureAlgorithm { oid }) if oid == "1.2.840.10045.4.3.2"
    ));
}

#[test]
fn key_not_on_p384_is_refused() {
    for position in [3, 4] {
        let mut specs = aws_like_specs();
        specs[position].curve_oid = Some(testkit::P256_CURVE);
        assert_eq!(problem(&specs), (position, ChainProblem::UnsupportedKey));
    }
}

#[test]
fn issuer_must_be_a_ca() {
    for basic in [Some((false, None)), None] {
        let mut specs = aws_like_specs();
        specs[2].basic = basic;
        assert_eq!(problem(&specs), (2, ChainProblem::NotCa));
    }
}

#[test]
fn issuer_key_usage_must_allow_certificate_signing() {
    let mut specs = aws_like_specs();
    specs[1].usage = Some(KeyUsage(KeyUsages::DigitalSignature.into()));
    assert_eq!(problem(&specs), (1, ChainProblem::MissingKeyCertSign));

    // Absent keyUsage on a CA does not restrict it.
    let mut specs = aws_like_specs();
    specs[1].usage = None;
    check(&specs).unwrap();
}

#[test]
fn path_length_constraints_hold() {
    // Two CAs (regional, instance) follow the zonal CA.
    let mut specs = aws_like_specs();
    specs[1].basic = Some((true, Some(1)));
    assert_eq!(
        problem(&specs),
        (
            1,
            ChainProblem::PathLenExceeded {
                path_len: 1,
                following: 2
            }
        )
    );
    specs[1].basic = Some((true, Some(2)));
    check(&specs).unwrap();

    let mut specs = aws_like_specs();
    specs[0].basic = Some((true, Some(2)));
    assert!(matches!(
        problem(&specs),
        (
            0,
            ChainProblem::PathLenExceeded {
                path_len: 2,
                following: 3
            }
        )
    ));
    specs[3].basic = Some((true, Some(0)));
    specs[0].basic = Some((true, Some(3)));
    check(&specs).unwrap();
}

#[test]
fn leaf_must_not_be_a_ca() {
    let mut specs = aws_like_specs();
    specs[4].basic = Some((true, None));
    assert_eq!(problem(&specs), (4, ChainProblem::LeafIsCa));
}

#[test]
fn leaf_needs_digital_signature() {
    for usage in [None, Some(KeyUsage(KeyUsages::KeyEncipherment.into()))] {
        let mut specs = aws_like_specs();
        specs[4].usage = usage;
        assert_eq!(
            problem(&specs),
            (4, ChainProblem::LeafMissingDigitalSignature)
        );
    }
    // A leaf without basicConstraints is not a CA.
    let mut specs = aws_like_specs();
    specs[4].basic = None;
    check(&specs).unwrap();
}

#[test]
fn unknown_critical_extension_is_refused_and_non_critical_ignored() {
    let mut specs = aws_like_specs();
    specs[4].extra = vec![testkit::extension(
        "1.3.6.1.4.1.99999.1",
        false,
        vec![0x05, 0x00],
    )];
    check(&specs).unwrap();

    specs[4].extra = vec![testkit::extension(
        "1.3.6.1.4.1.99999.1",
        true,
        vec![0x05, 0x00],
    )];
    assert!(matches!(
        problem(&specs),
        (4, ChainProblem::UnknownCriticalExtension { oid }) if oid == "1.3.6.1.4.1.99999.1"
    ));
}

#[test]
fn malformed_or_repeated_extensions_are_refused() {
    let mut specs = aws_like_specs();
    specs[3].basic = None;
    specs[3].extra = vec![testkit::extension("2.5.29.19", true, vec![0x04, 0x00])];
    assert!(matches!(
        problem(&specs),
        (3, ChainProblem::MalformedExtension { .. })
    ));

    let mut specs = aws_like_specs();
    let usage = KeyUsage(KeyUsages::DigitalSignature.into());
    specs[4].extra = vec![testkit::extension(
        "2.5.29.15",
        false,
        usage.to_der().unwrap(),
    )];
    let (position, problem) = problem(&specs);
    assert_eq!(position, 4);
    assert!(matches!(problem, ChainProblem::MalformedExtension { oid } if oid == "2.5.29.15"));
}

#[test]
fn chains_longer_than_the_limit_are_refused() {
    let chain = build_chain(&aws_like_specs());
    let mut long = vec![chain[0].clone()];
    long.extend(std::iter::repeat_n(chain[1].clone(), MAX_CHAIN_LEN));
    long.push(chain[4].clone());
    assert!(matches!(
        check_ders(&long),
        Err(Error::ChainInvalid {
            problem: ChainProblem::TooLong { .. },
            ..
        })
    ));
}

#[test]
fn certificate_that_does_not_parse_is_refused() {
    let mut chain = build_chain(&aws_like_specs());
    let len = chain[2].len();
    chain[2].truncate(len - 1);
    let err = check_ders(&chain).map(|_| ()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidCertificate { position: 2, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "INVALID_CERTIFICATE");
}

#[test]
fn leaf_in_the_bundle_is_not_a_ca() {
    // The leaf repeated as an intermediate: signed by the right issuer, but no CA.
    let chain = build_chain(&aws_like_specs());
    let mut long = chain.clone();
    long.push(chain[4].clone());
    assert!(matches!(
        check_ders(&long),
        Err(Error::ChainInvalid {
            position: 4,
            problem: ChainProblem::NotCa
        })
    ));
}

#[test]
fn every_certificate_must_be_valid_now() {
    for position in 0..5 {
        for (not_before, not_after) in [
            (NOW.as_millis() + 1000, NOW.as_millis() + 2000),
            (NOW.as_millis() - 2000, NOW.as_millis() - 1000),
        ] {
            let mut specs = aws_like_specs();
            specs[position].not_before = UnixTime::from_millis(not_before);
            specs[position].not_after = UnixTime::from_millis(not_after);
            let err = check(&specs).map(|_| ()).unwrap_err();
            assert!(
                matches!(err, Error::CertNotValidAtTime { position: p, .. } if p == position),
                "{position}: {err:?}"
            );
        }
    }
    // The bounds themselves are inside.
    let mut specs = aws_like_specs();
    specs[4].not_before = NOW;
    check(&specs).unwrap();
    specs[4].not_after = NOW;
    check(&specs).unwrap();
}

#[test]
fn a_bundle_without_the_pinned_root_first_is_refused() {
    let chain = build_chain(&aws_like_specs());
    let root = TrustedRoot::insecure_from_der(&chain[0]).unwrap();
    let reversed: Vec<_> = chain[..4].iter().rev().cloned().collect();
    assert!(matches!(
        verify_chain(&root, &reversed, &chain[4], NOW),
        Err(Error::UntrustedRoot { .. })
    ));
    assert!(matches!(
        verify_chain(&root, &[], &chain[4], NOW),
        Err(Error::UntrustedRoot { .. })
    ));
}
