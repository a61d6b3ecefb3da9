//! The SDK's cryptography, native: encryption of the real proving steps and of 16 MiB, the
//! server's decryption of the same messages, and attestation verification with tee-rex's key
//! policy on a document from the server's own dev attestor.
//!
//! Run by `scripts/bench.sh` (`cargo bench -p tee-rex-sdk --bench crypto`); not part of the test
//! suite. The wasm build of the same code is timed in Node by `bench/crypto-wasm.mjs`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tee_rex_protocol::api::AttestationMode;
use tee_rex_protocol::ProverIdentity;
use tee_rex_sdk::{encrypt, parse_pcrs_json, parse_public_key, AttestationPolicy};
use tee_rex_server::attest::{self, AttestationRequest};
use tee_rex_server::ServerKey;

/// The real fixture: the proving steps of a Schnorr account deployment (Aztec 4.1.2).
const STEPS: &[u8] = include_bytes!("../../testdata/aztec/ivc-deploy-schnorr.msgpack");

/// The large payload: 16 MiB of incompressible bytes.
const LARGE_LEN: usize = 16 * 1024 * 1024;

fn payloads() -> Vec<(&'static str, Vec<u8>)> {
    let mut large = vec![0u8; LARGE_LEN];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut large);
    vec![("fixture", STEPS.to_vec()), ("16MiB", large)]
}

fn encryption(c: &mut Criterion) {
    let key = ServerKey::generate().unwrap();
    let recipient = parse_public_key(key.public_key_binary()).unwrap();

    let mut group = c.benchmark_group("encrypt");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for (name, payload) in payloads() {
        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_function(name, |b| b.iter(|| encrypt(&recipient, &payload).unwrap()));
    }
    group.finish();

    let mut group = c.benchmark_group("decrypt");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for (name, payload) in payloads() {
        let message = encrypt(&recipient, &payload).unwrap();
        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| key.decrypt(&message, u64::MAX).unwrap())
        });
    }
    group.finish();
}

fn attestation(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let root_out = dir.path().join("dev-root.pem");
    // The dev PCRs measure this file; its content does not change the work of verifying.
    let binary = dir.path().join("server-binary");
    std::fs::write(&binary, b"tee-rex-server stand-in for the dev PCRs").unwrap();
    let attestor = attest::from_config(AttestationMode::Dev, Some(&root_out), &binary)
        .unwrap()
        .expect("dev mode has an attestor");
    let root_pem = std::fs::read_to_string(&root_out).unwrap();
    let pcrs_json = std::fs::read_to_string(dir.path().join("dev-root.pem.pcrs.json")).unwrap();
    let policy = AttestationPolicy::new()
        .insecure_trusted_root_pem(root_pem)
        .expected_pcrs(parse_pcrs_json(&pcrs_json).unwrap());

    let key = ServerKey::generate().unwrap();
    let identity = ProverIdentity {
        bb_version: "4.1.2".into(),
        bb_sha256: [7; 32],
        crs: Vec::new(),
        crs_insecure: true,
    };
    let user_data = identity.to_user_data().unwrap();
    let nonce = [9u8; 32];
    let document = attestor
        .attest(&AttestationRequest {
            nonce: Some(&nonce),
            public_key: key.public_key_binary(),
            user_data: &user_data,
        })
        .unwrap();
    let now_ms = u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();

    let mut group = c.benchmark_group("verify_attestation");
    group.sample_size(50);
    // What the SDK does per fresh document: build the options (parses the root PEM) and verify.
    group.bench_function("dev_document_with_key_policy", |b| {
        b.iter_batched(
            || (),
            |()| policy.verify(&document, now_ms, Some(&nonce)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, encryption, attestation);
criterion_main!(benches);
