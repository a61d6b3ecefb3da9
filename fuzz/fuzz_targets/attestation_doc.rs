//! Fuzz the attestation document parser and the full verification: no input may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tee_rex_attestation::{parse_attestation_doc, verify, TrustedRoot, VerifyOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = parse_attestation_doc(data) else {
        // Whatever the parser refuses, verification refuses too.
        assert!(verify(
            data,
            &VerifyOptions::new(tee_rex_attestation::UnixTime::from_millis(1))
        )
        .is_err());
        return;
    };

    // Verify at the document's own time, against both the AWS root (real seeds) and the
    // synthetic test root (synthetic seeds), so the chain and signature code is reached.
    let fake_root = TrustedRoot::insecure_from_der(include_bytes!(
        "../../testdata/nitro/synthetic/fake-root.der"
    ))
    .expect("the synthetic root parses");
    for root in [TrustedRoot::aws_nitro_g1(), fake_root] {
        let options = VerifyOptions::new(doc.timestamp)
            .trusted_root(root)
            .insecure_allow_debug(true);
        if let Ok(verified) = verify(data, &options) {
            assert_eq!(verified.timestamp(), doc.timestamp);
            assert_eq!(verified.pcrs(), &doc.pcrs);
        }
    }
});
