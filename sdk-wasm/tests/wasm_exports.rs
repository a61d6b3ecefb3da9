//! The wasm exports as JS calls them: `encrypt` output that rPGP decrypts, `verifyAttestation`
//! with the real clock, and the `code` every rejection carries. wasm32 only.
//!
//! Run with scripts/test-wasm.sh (Node, then headless Chromium).

#![cfg(target_arch = "wasm32")]
// Test helpers outside #[test] functions may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pgp::{
    composed::{
        EncryptionCaps, KeyType, Message, SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey,
        SubkeyParamsBuilder,
    },
    crypto::{aead::AeadAlgorithm, sym::SymmetricKeyAlgorithm},
    packet::{Packet, PacketParser, SymEncryptedProtectedDataConfig},
    ser::Serialize as _,
    types::Password,
};
use tee_rex_sdk::wasm::{encrypt_js, verify_attestation_js, VerifyAttestationOptions};
use tsify::Ts;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test as test;

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

#[test]
fn encrypt_output_is_openpgp_that_rpgp_decrypts() {
    let secret = generate_key();
    let public = SignedPublicKey::from(secret.clone()).to_bytes().unwrap();
    let plaintext: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();

    let message = encrypt_js(&public, &plaintext).unwrap();

    let packets: Vec<Packet> = PacketParser::new(&message[..])
        .map(|p| p.unwrap())
        .collect();
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
            ..
        }
    ));
    let mut decrypted = Message::from_bytes(&message[..])
        .unwrap()
        .decrypt(&Password::empty(), &secret)
        .unwrap();
    assert_eq!(decrypted.as_data_vec().unwrap(), plaintext);
}

#[test]
fn encrypt_refuses_bad_keys_with_a_code() {
    let armored = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n";
    assert_eq!(
        code_of(&encrypt_js(armored, b"x").unwrap_err()),
        "INVALID_PUBLIC_KEY"
    );
    assert_eq!(
        code_of(&encrypt_js(&[], b"x").unwrap_err()),
        "INVALID_PUBLIC_KEY"
    );
    let error = encrypt_js(&[0x99, 0, 1, 2], b"x").unwrap_err();
    assert_eq!(code_of(&error), "INVALID_PUBLIC_KEY");
    assert!(error.is_instance_of::<js_sys::Error>());
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
