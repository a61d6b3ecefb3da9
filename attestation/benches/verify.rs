//! Attestation verification, native, on a genuine AWS-signed document (the newest real vector),
//! verified at its own timestamp against the built-in AWS Nitro root.
//!
//! Run by `scripts/bench.sh` (`cargo bench -p tee-rex-attestation --bench verify`); not part of
//! the test suite.

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use tee_rex_attestation::{parse_attestation_doc, verify, UnixTime, VerifyOptions};

/// Captured 2025-01-06; see `testdata/nitro/README.md`.
const DOCUMENT: &[u8] =
    include_bytes!("../../testdata/nitro/real/nitro-attest-crate-2025-01-06.cbor");
/// The document's own `timestamp`: its leaf certificate lives three hours around it.
const DOCUMENT_TIME_MS: u64 = 1_736_179_625_472;

fn verification(c: &mut Criterion) {
    let options = VerifyOptions::new(UnixTime::from_millis(DOCUMENT_TIME_MS));
    verify(DOCUMENT, &options).unwrap();

    let mut group = c.benchmark_group("attestation");
    group.sample_size(50);
    group.bench_function("verify_real_aws_document", |b| {
        b.iter(|| verify(DOCUMENT, &options).unwrap())
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| parse_attestation_doc(DOCUMENT).unwrap())
    });
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
