//! Synthetic documents from `testdata/nitro/synthetic/`, each one change away from s00, with the
//! verdicts their README gives. They chain to `fake-root.pem`, trusted here explicitly.

use tee_rex_attestation::{verify, ChainProblem, Error};

use crate::synthetic_options;

macro_rules! vector {
    ($name:literal) => {
        include_bytes!(concat!(
            "../../../testdata/nitro/synthetic/",
            $name,
            ".cbor"
        ))
        .as_slice()
    };
}

pub(crate) const BASELINE: &[u8] = vector!("s00-baseline");

#[test]
fn accepted_vectors() {
    for (name, bytes) in [
        ("s00-baseline", BASELINE),
        ("s01-indefinite-map", vector!("s01-indefinite-map")),
        ("s02-tag18", vector!("s02-tag18")),
        ("s11-user-data-1024", vector!("s11-user-data-1024")),
    ] {
        let verified = verify(bytes, &synthetic_options())
            .unwrap_or_else(|e| panic!("{name}: {e} ({})", e.code()));
        assert_eq!(verified.timestamp(), crate::SYNTHETIC_TIME, "{name}");
    }
    let verified = verify(vector!("s11-user-data-1024"), &synthetic_options()).unwrap();
    assert_eq!(verified.user_data().map(<[u8]>::len), Some(1024));
}

#[test]
fn the_synthetic_chain_is_not_trusted_by_default() {
    let options = tee_rex_attestation::VerifyOptions::new(crate::SYNTHETIC_TIME);
    assert!(matches!(
        verify(BASELINE, &options),
        Err(Error::UntrustedRoot { .. })
    ));
}

#[test]
fn refused_vectors() {
    let cases: [(&str, &[u8], fn(&Error) -> bool); 12] = [
        ("s03-dup-pcrs-key", vector!("s03-dup-pcrs-key"), |e| {
            matches!(e, Error::DuplicateKey { .. })
        }),
        // Policy for unknown payload keys: refuse (see the crate docs).
        (
            "s05-unknown-key",
            vector!("s05-unknown-key"),
            |e| matches!(e, Error::UnknownPayloadKey { key } if key == "foo"),
        ),
        ("s06-pcr-index-32", vector!("s06-pcr-index-32"), |e| {
            matches!(e, Error::InvalidPcrIndex { index: 32 })
        }),
        ("s08-ts-future", vector!("s08-ts-future"), |e| {
            matches!(e, Error::TimestampOutsideLeafValidity { .. })
        }),
        ("s09-ts-zero", vector!("s09-ts-zero"), |e| {
            matches!(
                e,
                Error::InvalidDocument {
                    field: "timestamp",
                    ..
                }
            )
        }),
        ("s12-bundle-reversed", vector!("s12-bundle-reversed"), |e| {
            matches!(e, Error::UntrustedRoot { .. })
        }),
        ("s14-leaf-is-ca", vector!("s14-leaf-is-ca"), |e| {
            matches!(
                e,
                Error::ChainInvalid {
                    position: 4,
                    problem: ChainProblem::LeafIsCa
                }
            )
        }),
        (
            "s17-instance-ca-expired",
            vector!("s17-instance-ca-expired"),
            |e| matches!(e, Error::CertNotValidAtTime { position: 3, .. }),
        ),
        (
            "s20-es256-consistent",
            vector!("s20-es256-consistent"),
            |e| matches!(e, Error::UnsupportedAlgorithm { found: Some(-7) }),
        ),
        (
            "s21-alg-unprotected-only",
            vector!("s21-alg-unprotected-only"),
            |e| matches!(e, Error::UnsupportedAlgorithm { found: None }),
        ),
        (
            "s23-digest-sha256",
            vector!("s23-digest-sha256"),
            |e| matches!(e, Error::UnsupportedDigest { found } if found == "SHA256"),
        ),
        (
            "s25-missing-cabundle",
            vector!("s25-missing-cabundle"),
            |e| {
                matches!(
                    e,
                    Error::InvalidDocument {
                        field: "cabundle",
                        reason: "missing"
                    }
                )
            },
        ),
    ];
    for (name, bytes, expected) in cases {
        let err = verify(bytes, &synthetic_options()).expect_err(name);
        assert!(expected(&err), "{name}: got {err:?}");
    }
}
