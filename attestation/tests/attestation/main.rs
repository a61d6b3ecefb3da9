//! Integration tests of the public API against real AWS and synthetic Nitro documents.

// A test binary: helpers outside `#[test]` functions may panic on bad fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]

mod cose_edit;
mod mutations;
mod real;
mod synthetic;

use tee_rex_attestation::{TrustedRoot, UnixTime, VerifyOptions};

/// Document time of every synthetic vector: 2025-06-01T12:00:00Z.
pub(crate) const SYNTHETIC_TIME: UnixTime = UnixTime::from_millis(1_748_779_200_000);

/// One day, in ms.
pub(crate) const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The throw-away root the synthetic vectors chain to.
pub(crate) fn fake_root() -> TrustedRoot {
    TrustedRoot::insecure_from_pem(include_str!(
        "../../../testdata/nitro/synthetic/fake-root.pem"
    ))
    .unwrap()
}

/// Options trusting the fake root at the synthetic document time.
pub(crate) fn synthetic_options() -> VerifyOptions {
    VerifyOptions::new(SYNTHETIC_TIME).trusted_root(fake_root())
}
