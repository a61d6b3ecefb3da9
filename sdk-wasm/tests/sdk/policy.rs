//! tee-rex's key policy over real AWS documents (none carries an OpenPGP key).

use tee_rex_attestation::{parse_attestation_doc, TrustedRoot, UnixTime, VerifyOptions};
use tee_rex_sdk::{verify_attestation, AttestationPolicy, Error};

const DAY_MS: u64 = 86_400_000;

/// (file, bytes, debug, public_key present)
const REAL: &[(&str, &[u8], bool, bool)] = &[
    (
        "tkhq",
        include_bytes!("../../../testdata/nitro/real/tkhq-qos-2022-07-06.cbor"),
        false,
        true,
    ),
    (
        "cape",
        include_bytes!("../../../testdata/nitro/real/cape-js-2022-09-15.cbor"),
        false,
        true,
    ),
    (
        "evervault-debug",
        include_bytes!("../../../testdata/nitro/real/evervault-2022-10-12-debug.cbor"),
        true,
        true,
    ),
    (
        "evervault",
        include_bytes!("../../../testdata/nitro/real/evervault-2022-10-13.cbor"),
        false,
        false,
    ),
    (
        "marlin",
        include_bytes!("../../../testdata/nitro/real/marlin-oyster-2024-08-07.cbor"),
        false,
        true,
    ),
    (
        "nitrite",
        include_bytes!("../../../testdata/nitro/real/blocky-nitrite-2024-09-07.cbor"),
        false,
        true,
    ),
    (
        "nitrite-debug",
        include_bytes!("../../../testdata/nitro/real/blocky-nitrite-2024-09-07-debug.cbor"),
        true,
        true,
    ),
    (
        "nitro-attest",
        include_bytes!("../../../testdata/nitro/real/nitro-attest-crate-2025-01-06.cbor"),
        false,
        true,
    ),
];

const FAKE_ROOT: &str = include_str!("../../../testdata/nitro/synthetic/fake-root.pem");

fn time_of(doc: &[u8]) -> u64 {
    parse_attestation_doc(doc).unwrap().timestamp.as_millis()
}

#[test]
fn genuine_documents_fail_only_on_the_key_policy() {
    for (name, doc, debug, has_key) in REAL {
        let options =
            VerifyOptions::new(UnixTime::from_millis(time_of(doc))).insecure_allow_debug(*debug);
        // The generic verifier accepts every one of them ...
        tee_rex_attestation::verify(doc, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        // ... and tee-rex refuses each for its key.
        let err = verify_attestation(doc, &options).unwrap_err();
        if *has_key {
            assert!(
                matches!(err, Error::InvalidPublicKey { .. }),
                "{name}: {err:?}"
            );
            assert_eq!(err.code(), "INVALID_PUBLIC_KEY", "{name}");
        } else {
            assert!(matches!(err, Error::MissingPublicKey), "{name}: {err:?}");
            assert_eq!(err.code(), "MISSING_PUBLIC_KEY", "{name}");
        }
    }
}

#[test]
fn attestation_codes_pass_through_before_the_key_is_looked_at() {
    let (_, doc, _, _) = REAL[0];
    let at = time_of(doc);

    let late = VerifyOptions::new(UnixTime::from_millis(at + DAY_MS));
    assert_eq!(
        verify_attestation(doc, &late).unwrap_err().code(),
        "CERT_NOT_VALID_AT_TIME"
    );

    let wrong_root = VerifyOptions::new(UnixTime::from_millis(at))
        .trusted_root(TrustedRoot::insecure_from_pem(FAKE_ROOT).unwrap());
    let err = verify_attestation(doc, &wrong_root).unwrap_err();
    assert!(matches!(err, Error::Attestation(_)), "{err:?}");
    assert_eq!(err.code(), "UNTRUSTED_ROOT");

    let mut flipped = doc.to_vec();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let options = VerifyOptions::new(UnixTime::from_millis(at));
    assert_eq!(
        verify_attestation(&flipped, &options).unwrap_err().code(),
        "SIGNATURE_INVALID"
    );
}

#[test]
fn debug_documents_need_the_allowance() {
    let (_, doc, debug, _) = REAL[2];
    assert!(debug);
    let err = AttestationPolicy::new()
        .verify(doc, time_of(doc), None)
        .unwrap_err();
    assert_eq!(err.code(), "DEBUG_ENCLAVE");
    let err = AttestationPolicy::new()
        .insecure_allow_debug(true)
        .verify(doc, time_of(doc), None)
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_PUBLIC_KEY");
}

#[test]
fn policy_pcr_and_nonce_expectations_are_enforced() {
    // cape carries a 12-byte nonce and ordinary PCRs.
    let (_, doc, _, _) = REAL[1];
    let parsed = parse_attestation_doc(doc).unwrap();
    let at = time_of(doc);

    let mut wrong_pcr0 = parsed.pcrs[&0].clone();
    wrong_pcr0[47] ^= 1;
    let err = AttestationPolicy::new()
        .expected_pcrs(vec![(0, wrong_pcr0)])
        .verify(doc, at, None)
        .unwrap_err();
    assert_eq!(err.code(), "PCR_MISMATCH");

    let err = AttestationPolicy::new()
        .expected_pcrs(vec![(0, vec![0; 48])])
        .verify(doc, at, None)
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_PCR_POLICY");

    let mut nonce = parsed.nonce.clone().unwrap();
    let last = nonce.len() - 1;
    nonce[last] ^= 1;
    let err = AttestationPolicy::new()
        .verify(doc, at, Some(&nonce))
        .unwrap_err();
    assert_eq!(err.code(), "NONCE_MISMATCH");

    // With the right PCRs and nonce, only the key policy is left to refuse it.
    let err = AttestationPolicy::new()
        .expected_pcrs(vec![(0, parsed.pcrs[&0].clone())])
        .verify(doc, at, parsed.nonce.as_deref())
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_PUBLIC_KEY");

    let err = AttestationPolicy::new()
        .max_age(std::time::Duration::from_secs(60))
        .verify(doc, at + 600_000, None)
        .unwrap_err();
    assert_eq!(err.code(), "STALE");
}

#[test]
fn invalid_root_pem_is_its_own_error() {
    let (_, doc, _, _) = REAL[0];
    let err = AttestationPolicy::new()
        .insecure_trusted_root_pem("not a pem")
        .verify(doc, time_of(doc), None)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTrustedRoot(_)), "{err:?}");
}
