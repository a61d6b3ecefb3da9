//! End to end with the real fixture and the real bb, over loopback.
//!
//! Needs `TEE_REX_TEST_BB` (bb or its wrapper), `TEE_REX_TEST_CRS_DIR`, and when bb is a
//! wrapper script `TEE_REX_TEST_BB_BINARY` (the real binary, hashed for the prover identity).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{encrypt_to, FIXTURE};
use crate::loopback::Server;

pub fn required(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "set {name}: TEE_REX_TEST_BB=<bb or its wrapper, e.g. .cache/bb/bb>, \
             TEE_REX_TEST_CRS_DIR=<crs folder, e.g. .cache/crs/insecure-test>, and for a wrapper \
             TEE_REX_TEST_BB_BINARY=<the real bb binary> (scripts/provision.sh makes them)"
            )
        })
}

pub fn real_bb_binary(bb: &PathBuf) -> PathBuf {
    if let Some(path) = std::env::var_os("TEE_REX_TEST_BB_BINARY") {
        return PathBuf::from(path);
    }
    if std::fs::read(bb).unwrap().starts_with(b"#!") {
        // scripts/provision.sh puts the real binary at .cache/bb/<version>/bb-real.
        let dir = bb.parent().unwrap();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let candidate = entry.path().join("bb-real");
            if candidate.is_file() {
                return candidate;
            }
        }
        panic!(
            "{} is a wrapper script: set TEE_REX_TEST_BB_BINARY to the real bb",
            bb.display()
        );
    }
    bb.clone()
}

/// Arguments that start an unattested server proving with the real bb and CRS, its job folders
/// in `work`.
pub fn real_bb_server_args(work: &Path) -> Vec<String> {
    let bb = required("TEE_REX_TEST_BB");
    let crs = required("TEE_REX_TEST_CRS_DIR");
    let binary = real_bb_binary(&bb);
    vec![
        "--attestation".to_owned(),
        "none".into(),
        "--bb".into(),
        bb.display().to_string(),
        "--bb-binary-sha-path".into(),
        binary.display().to_string(),
        "--crs-dir".into(),
        crs.display().to_string(),
        "--work-dir".into(),
        work.display().to_string(),
    ]
}

#[tokio::test]
async fn the_real_fixture_runs_through_the_real_bb() {
    let work = tempfile::tempdir().unwrap();
    let args = real_bb_server_args(work.path());
    let server = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let health: serde_json::Value = reqwest::get(format!("{}/health", server.url))
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(health["prover"]["bbVersion"], "4.1.2");
    let insecure = health["prover"]["crsInsecure"].as_bool().unwrap();
    let attestation: serde_json::Value = reqwest::get(format!("{}/attestation", server.url))
        .await
        .unwrap()
        .json_value()
        .await;
    let message = encrypt_to(
        attestation["publicKey"].as_str().unwrap().as_bytes(),
        FIXTURE,
    );

    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{}/prove", server.url))
        .header("content-type", "application/octet-stream")
        .body(message)
        .timeout(Duration::from_secs(900))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let body = response.json_value().await;
    let log = server.log_with("\"circuits_accumulated\":9", 1).await;

    // bb folded all 9 circuits of the fixture before answering, whatever the outcome.
    assert!(
        log.contains("\"circuits_accumulated\":9"),
        "bb did not fold 9 circuits:\n{log}"
    );
    assert!(
        elapsed > Duration::from_secs(3),
        "bb answered too fast for real work: {elapsed:?}"
    );
    assert!(
        !log.contains("private_kernel_init"),
        "a function name reached the log"
    );
    if insecure {
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "PROOF_SELF_CHECK_FAILED");
    } else {
        assert_eq!(status, 200, "{body}");
        eprintln!("real CRS: proof returned; checking it with `bb verify` is not automated yet");
    }
    assert!(
        std::fs::read_dir(work.path()).unwrap().next().is_none(),
        "job folder left behind"
    );
}

trait JsonValue {
    async fn json_value(self) -> serde_json::Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}
