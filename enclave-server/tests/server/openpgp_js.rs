//! openpgp.js 6 (what the TypeScript SDK uses) encrypts to the served key; the server decrypts.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

use actix_web::http::{header, StatusCode};
use actix_web::{test, web, App};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use tee_rex_server::{configure, ServerKey};

use crate::common::{one_step, Options, Sandbox, FIXTURE};

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Installs openpgp.js from the lockfile once per test run when it is missing.
fn ensure_openpgp_js() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if js_dir().join("node_modules/openpgp/package.json").exists() {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(js_dir())
            .status()
            .expect("npm is needed for the openpgp.js interop tests (apt-get install nodejs npm)");
        assert!(status.success(), "npm ci in {} failed", js_dir().display());
    });
}

/// Encrypts `plaintext` with openpgp.js to `armored_key`; returns the message and the SEIPD version.
fn openpgp_js_encrypt(armored_key: &str, plaintext: &[u8]) -> (Vec<u8>, u64) {
    ensure_openpgp_js();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.asc");
    let input = dir.path().join("plain");
    let output = dir.path().join("out.pgp");
    std::fs::write(&key, armored_key).unwrap();
    std::fs::write(&input, plaintext).unwrap();
    let result = Command::new("node")
        .arg(js_dir().join("encrypt.mjs"))
        .args([&key, &input, &output])
        .output()
        .expect("node is needed for the openpgp.js interop tests");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    (
        std::fs::read(output).unwrap(),
        report["seipdVersion"].as_u64().unwrap_or(0),
    )
}

#[::core::prelude::v1::test]
fn openpgp_js_uses_seipd_v2_and_the_key_decrypts_it() {
    let key = ServerKey::generate().unwrap();
    let (message, version) = openpgp_js_encrypt(key.public_key_armored(), FIXTURE);
    assert_eq!(
        version, 2,
        "openpgp.js must pick SEIPDv2 from the key's features"
    );
    assert_eq!(key.decrypt(&message, 1 << 24).unwrap().as_slice(), FIXTURE);

    let other = ServerKey::generate().unwrap();
    assert!(matches!(
        other.decrypt(&message, 1 << 24),
        Err(tee_rex_server::KeyError::Decrypt(_))
    ));
}

#[actix_web::test]
async fn prove_accepts_what_the_typescript_sdk_sends() {
    let sandbox = Sandbox::new("head -c 64 /dev/zero > \"$7/proof\"");
    let state = web::Data::new(sandbox.state(Options::default()).await);
    let app = test::init_service(App::new().app_data(state.clone()).configure(configure)).await;
    let (message, _) = openpgp_js_encrypt(state.key().public_key_armored(), &one_step());

    let body = serde_json::json!({"data": BASE64.encode(&message)}).to_string();
    let request = test::TestRequest::post()
        .uri("/prove")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(body)
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);

    let other = ServerKey::generate().unwrap();
    let (foreign, _) = openpgp_js_encrypt(other.public_key_armored(), &one_step());
    let request = test::TestRequest::post()
        .uri("/prove")
        .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
        .set_payload(foreign)
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = serde_json::from_slice(&test::read_body(response).await).unwrap();
    assert_eq!(body["error"]["code"], "DECRYPT_FAILED");
}
