//! Real documents signed by AWS, from `testdata/nitro/real/` (see its README).

use tee_rex_attestation::{parse_attestation_doc, verify, Error, UnixTime, VerifyOptions};

use crate::DAY_MS;

/// A real document and what its README row says about it.
pub(crate) struct Real {
    pub(crate) name: &'static str,
    pub(crate) bytes: &'static [u8],
    pub(crate) timestamp_ms: u64,
    pub(crate) debug: bool,
    /// Lengths of public_key, user_data and nonce; `None` for CBOR null.
    pub(crate) lens: [Option<usize>; 3],
}

macro_rules! real {
    ($name:literal, $ts:literal, $debug:literal, $pk:expr, $ud:expr, $nonce:expr) => {
        Real {
            name: $name,
            bytes: include_bytes!(concat!("../../../testdata/nitro/real/", $name, ".cbor")),
            timestamp_ms: $ts,
            debug: $debug,
            lens: [$pk, $ud, $nonce],
        }
    };
}

pub(crate) const REAL: &[Real] = &[
    real!(
        "tkhq-qos-2022-07-06",
        1_657_117_102_484,
        false,
        Some(800),
        Some(32),
        None
    ),
    real!(
        "cape-js-2022-09-15",
        1_663_263_808_848,
        false,
        Some(32),
        Some(250),
        Some(12)
    ),
    real!(
        "evervault-2022-10-12-debug",
        1_665_582_606_081,
        true,
        Some(19),
        Some(13),
        None
    ),
    real!(
        "evervault-2022-10-13",
        1_665_651_482_136,
        false,
        None,
        None,
        Some(256)
    ),
    real!(
        "marlin-oyster-2024-08-07",
        1_723_012_992_231,
        false,
        Some(64),
        None,
        None
    ),
    real!(
        "blocky-nitrite-2024-09-07",
        1_725_719_859_545,
        false,
        Some(1024),
        Some(1024),
        Some(1024)
    ),
    real!(
        "blocky-nitrite-2024-09-07-debug",
        1_725_719_886_508,
        true,
        Some(1024),
        Some(1024),
        Some(1024)
    ),
    real!(
        "nitro-attest-crate-2025-01-06",
        1_736_179_625_472,
        false,
        Some(294),
        None,
        None
    ),
];

/// Options with the built-in AWS root at `real`'s own timestamp, debug allowed where needed.
pub(crate) fn options_at_own_time(real: &Real) -> VerifyOptions {
    VerifyOptions::new(UnixTime::from_millis(real.timestamp_ms)).insecure_allow_debug(real.debug)
}

#[test]
fn every_real_document_is_accepted_at_its_own_time() {
    for real in REAL {
        let verified = verify(real.bytes, &options_at_own_time(real))
            .unwrap_or_else(|e| panic!("{}: {e} ({})", real.name, e.code()));
        assert_eq!(
            verified.timestamp().as_millis(),
            real.timestamp_ms,
            "{}",
            real.name
        );
        assert_eq!(verified.is_debug(), real.debug, "{}", real.name);
        assert_eq!(verified.digest(), "SHA384");
        assert!(verified.module_id().starts_with("i-"), "{}", real.name);
        let lens = [
            verified.public_key(),
            verified.user_data(),
            verified.nonce(),
        ]
        .map(|field| field.map(<[u8]>::len));
        assert_eq!(lens, real.lens, "{}", real.name);
        assert!(verified.pcrs().values().all(|pcr| pcr.len() == 48));
        assert!(verified.leaf_not_before() <= verified.timestamp());
        assert!(verified.timestamp() <= verified.leaf_not_after());
    }
}

#[test]
fn every_real_document_is_refused_a_day_later_and_a_day_earlier() {
    for real in REAL {
        for now in [real.timestamp_ms + DAY_MS, real.timestamp_ms - DAY_MS] {
            let options = VerifyOptions::new(UnixTime::from_millis(now)).insecure_allow_debug(true);
            let err = verify(real.bytes, &options).unwrap_err();
            assert!(
                matches!(err, Error::CertNotValidAtTime { .. }),
                "{} at {now}: {err}",
                real.name
            );
            assert_eq!(err.code(), "CERT_NOT_VALID_AT_TIME");
        }
    }
}

#[test]
fn debug_documents_are_refused_without_the_allowance() {
    for real in REAL.iter().filter(|r| r.debug) {
        let options = options_at_own_time(real).insecure_allow_debug(false);
        assert_eq!(
            verify(real.bytes, &options),
            Err(Error::DebugEnclave),
            "{}",
            real.name
        );
    }
}

#[test]
fn parse_only_reads_every_real_document() {
    for real in REAL {
        let doc = parse_attestation_doc(real.bytes).unwrap();
        assert_eq!(
            doc.timestamp.as_millis(),
            real.timestamp_ms,
            "{}",
            real.name
        );
        assert_eq!(doc.cabundle.len(), 4, "{}", real.name);
        let debug = (0..=2).all(|i| doc.pcrs[&i].iter().all(|&b| b == 0));
        assert_eq!(debug, real.debug, "{}", real.name);
    }
}
