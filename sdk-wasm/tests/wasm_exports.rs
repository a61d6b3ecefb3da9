//! The wasm exports as JS calls them: `encrypt` output (sealed by WebCrypto, and by the software
//! fallback) that rPGP decrypts and the dev server decrypts, `verifyAttestation` with the real
//! clock, and the `code` every rejection carries. wasm32 only.
//!
//! Run with scripts/test-wasm.sh (Node, then headless Chromium), which starts the dev server and
//! passes `TEE_REX_WASM_TEST_SERVER`, `TEE_REX_WASM_TEST_ROOT_PEM` and `TEE_REX_WASM_TEST_PCRS`
//! in at compile time; without them the server test fails, never skips.

#![cfg(target_arch = "wasm32")]
// Test helpers outside #[test] functions may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pgp::{
    composed::{
        EncryptionCaps, KeyType, Message, SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey,
        SubkeyParamsBuilder,
    },
    crypto::{
        aead::{AeadAlgorithm, ChunkSize},
        sym::SymmetricKeyAlgorithm,
    },
    packet::{Packet, PacketParser, SymEncryptedProtectedDataConfig},
    ser::Serialize as _,
    types::Password,
};
use tee_rex_sdk::wasm::{
    encrypt_async, encrypt_js, encrypt_software, verify_attestation_js, VerifyAttestationOptions,
};
use tsify::Ts;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test as test;

const SERVER: Option<&str> = option_env!("TEE_REX_WASM_TEST_SERVER");
const ROOT_PEM: Option<&str> = option_env!("TEE_REX_WASM_TEST_ROOT_PEM");
const PCRS: Option<&str> = option_env!("TEE_REX_WASM_TEST_PCRS");

const VECTOR: &[u8] =
    include_bytes!("../../testdata/nitro/real/nitro-attest-crate-2025-01-06.cbor");

/// An Ed25519 key with an X25519 encryption subkey, generated in wasm (exercising `getrandom`'s
/// JS backend and rPGP's `wasm` clock).
fn generate_key() -> SignedSecretKey {
    SecretKeyParamsBuilder::default()
        .key_type(KeyType::Ed25519)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id("tee-rex wasm test <test@tee-rex.invalid>".into())
        .subkeys(vec![SubkeyParamsBuilder::default()
            .key_type(KeyType::X25519)
            .can_encrypt(EncryptionCaps::All)
            .build()
            .unwrap()])
        .build()
        .unwrap()
        .generate(rand::thread_rng())
        .unwrap()
}

fn code_of(error: &js_sys::Error) -> String {
    assert_eq!(String::from(error.name()), "TeeRexError");
    js_sys::Reflect::get(error, &"code".into())
        .unwrap()
        .as_string()
        .expect("code is a string")
}

fn options(json: &str) -> Ts<VerifyAttestationOptions> {
    // What a JS caller passes: a plain object, unchecked until the export deserialises it.
    Ts::new_unchecked(js_sys::JSON::parse(json).unwrap())
}

const CHUNK: usize = 256 * 1024;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// Decrypts `message` with rPGP in wasm, checking it is PKESK + SEIPDv2 AES-256 GCM 256 KiB.
fn decrypt_checked(secret: &SignedSecretKey, message: &[u8]) -> Vec<u8> {
    let packets: Vec<Packet> = PacketParser::new(message).map(|p| p.unwrap()).collect();
    assert_eq!(packets.len(), 2);
    assert!(matches!(
        packets[0],
        Packet::PublicKeyEncryptedSessionKey(_)
    ));
    let Packet::SymEncryptedProtectedData(seipd) = &packets[1] else {
        unreachable!("second packet is not SEIPD: {:?}", packets[1]);
    };
    assert!(matches!(
        seipd.config(),
        SymEncryptedProtectedDataConfig::V2 {
            sym_alg: SymmetricKeyAlgorithm::AES256,
            aead: AeadAlgorithm::Gcm,
            chunk_size: ChunkSize::C256KiB,
            ..
        }
    ));
    let mut decrypted = Message::from_bytes(message)
        .unwrap()
        .decrypt(&Password::empty(), secret)
        .unwrap();
    decrypted.as_data_vec().unwrap()
}

fn has_webcrypto() -> bool {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).unwrap();
    crypto.is_object()
        && js_sys::Reflect::get(&crypto, &"subtle".into())
            .unwrap()
            .is_object()
}

#[test]
async fn webcrypto_encrypt_output_is_openpgp_that_rpgp_decrypts() {
    // Node and Chromium on a loopback page both have crypto.subtle: the WebCrypto path runs.
    assert!(has_webcrypto());
    let secret = generate_key();
    let public = SignedPublicKey::from(secret.clone()).to_bytes().unwrap();

    for len in [0, 50_000, CHUNK - 12, 3 * CHUNK + 17] {
        let plaintext = pattern(len);
        let message = encrypt_async(&public, &plaintext).await.unwrap();
        assert_eq!(
            decrypt_checked(&secret, &message),
            plaintext,
            "length {len}"
        );
    }

    // The export itself resolves to a Uint8Array holding such a message.
    let value = encrypt_js(public.clone(), pattern(1000)).await.unwrap();
    let bytes = value.dyn_into::<js_sys::Uint8Array>().unwrap().to_vec();
    assert_eq!(decrypt_checked(&secret, &bytes), pattern(1000));
}

#[test]
fn software_fallback_output_decrypts_too() {
    let secret = generate_key();
    let public = SignedPublicKey::from(secret.clone()).to_bytes().unwrap();
    let plaintext = pattern(CHUNK + 1);
    let message = encrypt_software(&public, &plaintext).unwrap();
    assert_eq!(decrypt_checked(&secret, &message), plaintext);
}

#[test]
async fn encrypt_refuses_bad_keys_with_a_code() {
    let armored = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n".to_vec();
    for key in [armored, Vec::new(), vec![0x99, 0, 1, 2]] {
        let error: js_sys::Error = encrypt_js(key, b"x".to_vec())
            .await
            .unwrap_err()
            .dyn_into()
            .unwrap();
        assert_eq!(code_of(&error), "INVALID_PUBLIC_KEY");
    }
}

#[test]
async fn webcrypto_output_decrypts_on_the_dev_server() {
    let server = SERVER.expect("TEE_REX_WASM_TEST_SERVER is set by scripts/test-wasm.sh");
    let root = ROOT_PEM.expect("TEE_REX_WASM_TEST_ROOT_PEM is set by scripts/test-wasm.sh");
    let pcrs = PCRS.expect("TEE_REX_WASM_TEST_PCRS is set by scripts/test-wasm.sh");
    assert!(has_webcrypto());

    let mut nonce = [0u8; 32];
    getrandom::getrandom(&mut nonce).unwrap();
    let url = format!("{server}/attestation?nonce={}", hex::encode(nonce));
    let body: serde_json::Value = gloo_net::http::Request::get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let document = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        body["attestationDocument"].as_str().unwrap(),
    )
    .unwrap();
    let verify = serde_json::json!({
        "expectedPcrs": serde_json::from_str::<serde_json::Value>(pcrs).unwrap(),
        "insecureTrustedRootPem": root,
    });
    let verify = options(&verify.to_string());
    let nonce_js = js_sys::Uint8Array::from(&nonce[..]);
    js_sys::Reflect::set(&verify.js_value(), &"expectedNonce".into(), &nonce_js).unwrap();
    let verified = verify_attestation_js(&document, verify).unwrap();
    let public_key = js_sys::Reflect::get(&verified.js_value(), &"publicKey".into())
        .unwrap()
        .dyn_into::<js_sys::Uint8Array>()
        .unwrap()
        .to_vec();

    // Nine chunks and a bit (more than the writer keeps in flight, so the oldest WebCrypto
    // Promise is awaited before the next chunk starts) that are not proving steps: a server that
    // decrypts them answers INVALID_STEPS; one that cannot would answer DECRYPT_FAILED.
    let message: JsValue = encrypt_js(public_key, pattern(9 * CHUNK + 17))
        .await
        .unwrap();
    let response = gloo_net::http::Request::post(&format!("{server}/prove"))
        .header("content-type", "application/octet-stream")
        .body(message)
        .unwrap()
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INVALID_STEPS", "{body}");
}

#[test]
fn verify_attestation_reads_the_clock_and_refuses_an_old_document() {
    // The vector is from 2025-01-06: at today's Date.now() its leaf certificate has expired.
    let doc = tee_rex_attestation::parse_attestation_doc(VECTOR).unwrap();
    let pcr0 = hex::encode(&doc.pcrs[&0]);
    let error = verify_attestation_js(
        VECTOR,
        options(&format!(r#"{{"expectedPcrs":{{"0":"{pcr0}"}}}}"#)),
    )
    .unwrap_err();
    assert_eq!(code_of(&error), "CERT_NOT_VALID_AT_TIME");
}

#[test]
fn verify_attestation_refuses_missing_pcrs_and_bad_options() {
    let empty = verify_attestation_js(VECTOR, options(r#"{"expectedPcrs":{}}"#)).unwrap_err();
    assert_eq!(code_of(&empty), "MISSING_EXPECTED_PCRS");

    let unknown = verify_attestation_js(VECTOR, options(r#"{"expectedPcrs":{},"pcrs":1}"#));
    assert_eq!(code_of(&unknown.unwrap_err()), "INVALID_OPTIONS");

    let misspelt = r#"{"expectedPcrs":{"0":"ab"},"maxAge":5}"#;
    let misspelt = verify_attestation_js(VECTOR, options(misspelt)).unwrap_err();
    assert!(misspelt.message().includes("maxAge", 0));
    assert_eq!(code_of(&misspelt), "INVALID_OPTIONS");

    let short = verify_attestation_js(VECTOR, options(r#"{"expectedPcrs":{"0":"abcd"}}"#));
    assert_eq!(code_of(&short.unwrap_err()), "INVALID_EXPECTED_PCRS");
}
