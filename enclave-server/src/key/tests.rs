use pgp::composed::MessageBuilder;
use pgp::crypto::aead::ChunkSize;
use rand::thread_rng;

use super::*;

/// Encrypts like our SDK: SEIPDv2, AES-256-GCM, to the key's encryption subkey.
fn encrypt_seipd_v2(public: &SignedPublicKey, plaintext: &[u8]) -> Vec<u8> {
    let subkey = &public.public_subkeys[0];
    let mut builder = MessageBuilder::from_bytes("", plaintext.to_vec()).seipd_v2(
        thread_rng(),
        SymmetricKeyAlgorithm::AES256,
        AeadAlgorithm::Gcm,
        ChunkSize::default(),
    );
    builder.encrypt_to_key(thread_rng(), subkey).unwrap();
    builder.to_vec(thread_rng()).unwrap()
}

fn served_public(key: &ServerKey) -> SignedPublicKey {
    parse_public_key(key.public_key_binary()).unwrap()
}

#[test]
fn decrypts_seipd_v2_gcm() {
    let key = ServerKey::generate().unwrap();
    let message = encrypt_seipd_v2(&served_public(&key), b"steps");
    assert_eq!(key.decrypt(&message, 1024).unwrap().as_slice(), b"steps");
}

#[test]
fn armored_and_binary_forms_are_the_same_key() {
    let key = ServerKey::generate().unwrap();
    let armored = parse_public_key(key.public_key_armored().as_bytes()).unwrap();
    assert_eq!(armored, served_public(&key));
    assert!(key
        .public_key_armored()
        .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    assert_eq!(
        hex::encode(armored.fingerprint().as_bytes()),
        key.fingerprint()
    );
}

#[test]
fn advertises_seipd_v2_with_aes256_gcm() {
    let key = ServerKey::generate().unwrap();
    let public = served_public(&key);
    public.verify_bindings().unwrap();
    let signature = &public.details.users[0].signatures[0];
    assert!(signature.features().unwrap().seipd_v2());
    assert_eq!(
        signature.preferred_aead_algs(),
        &[(SymmetricKeyAlgorithm::AES256, AeadAlgorithm::Gcm)]
    );
    assert_eq!(public.public_subkeys.len(), 1);
    assert!(public.public_subkeys[0].algorithm().can_encrypt());
}

#[test]
fn each_start_makes_a_new_key() {
    let a = ServerKey::generate().unwrap();
    let b = ServerKey::generate().unwrap();
    assert_ne!(a.fingerprint(), b.fingerprint());
}

#[test]
fn message_for_another_key_is_decrypt_error() {
    let key = ServerKey::generate().unwrap();
    let other = ServerKey::generate().unwrap();
    let message = encrypt_seipd_v2(&served_public(&other), b"steps");
    assert!(matches!(
        key.decrypt(&message, 1024),
        Err(KeyError::Decrypt(_))
    ));
}

#[test]
fn garbage_is_not_openpgp() {
    let key = ServerKey::generate().unwrap();
    for body in [&b""[..], b"hello, this is not openpgp", &[0xff; 64]] {
        let result = key.decrypt(body, 1024);
        assert!(matches!(result, Err(KeyError::NotOpenpgp(_))), "{result:?}");
    }
}

#[test]
fn unencrypted_literal_message_is_refused() {
    let key = ServerKey::generate().unwrap();
    let literal = MessageBuilder::from_bytes("", b"steps".to_vec())
        .to_vec(thread_rng())
        .unwrap();
    assert!(matches!(
        key.decrypt(&literal, 1024),
        Err(KeyError::NotEncrypted)
    ));
}

#[test]
fn tampered_ciphertext_fails_to_authenticate() {
    let key = ServerKey::generate().unwrap();
    let mut message = encrypt_seipd_v2(&served_public(&key), &[7u8; 4096]);
    let last = message.len() - 40;
    message[last] ^= 1;
    let result = key.decrypt(&message, 1 << 20);
    assert!(
        matches!(result, Err(KeyError::Stream(_)) | Err(KeyError::Decrypt(_))),
        "{result:?}"
    );
}

#[test]
fn plaintext_cap_is_enforced() {
    let key = ServerKey::generate().unwrap();
    let message = encrypt_seipd_v2(&served_public(&key), &[1u8; 100]);
    assert_eq!(key.decrypt(&message, 100).unwrap().len(), 100);
    assert!(matches!(
        key.decrypt(&message, 99),
        Err(KeyError::PlaintextTooLarge { limit: 99 })
    ));
}

#[test]
fn debug_shows_only_the_fingerprint() {
    let key = ServerKey::generate().unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains(key.fingerprint()));
    assert!(!debug.contains("secret"));
    assert!(!debug.contains("BEGIN PGP"));
}

#[test]
fn debug_holds_no_secret_key_bytes() {
    let key = ServerKey::generate().unwrap();
    let secret = key.secret.to_bytes().unwrap();
    let public = key.public_key_binary().to_vec();
    // Windows of the serialised secret key that are not also in the public key: secret material.
    let secret_windows: Vec<&[u8]> = secret
        .windows(16)
        .filter(|w| !public.windows(16).any(|p| p == *w))
        .collect();
    assert!(!secret_windows.is_empty());
    for debug in [format!("{key:?}"), format!("{key:#?}")] {
        for window in &secret_windows {
            assert!(!debug.contains(&hex::encode(window)));
            let list: Vec<String> = window.iter().map(u8::to_string).collect();
            assert!(!debug.contains(&list.join(", ")));
        }
    }
}

#[test]
fn secret_material_is_zeroized_on_drop() {
    fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    // The secret parameters rPGP keeps for our Ed25519 primary and X25519 subkey.
    zeroize_on_drop::<pgp::types::SecretParams>();
    zeroize_on_drop::<pgp::types::PlainSecretParams>();
    zeroize_on_drop::<pgp::crypto::x25519::SecretKey>();
    zeroize_on_drop::<pgp::crypto::ed25519::SecretKey>();
    // Decrypted payloads are wiped when the handler drops them.
    zeroize_on_drop::<Zeroizing<Vec<u8>>>();

    let key = ServerKey::generate().unwrap();
    let message = encrypt_seipd_v2(&served_public(&key), b"witness");
    let plaintext: Zeroizing<Vec<u8>> = key.decrypt(&message, 1024).unwrap();
    assert_eq!(plaintext.as_slice(), b"witness");
}

#[test]
fn fixed_test_key_round_trips() {
    let key = ServerKey::generate().unwrap();
    let armored = key
        .secret
        .to_armored_string(ArmorOptions::default())
        .unwrap();
    let again = ServerKey::insecure_from_armored_secret(&armored).unwrap();
    assert_eq!(again.fingerprint(), key.fingerprint());
    let message = encrypt_seipd_v2(&served_public(&key), b"x");
    assert_eq!(again.decrypt(&message, 16).unwrap().as_slice(), b"x");
    assert!(matches!(
        ServerKey::insecure_from_armored_secret("not a key"),
        Err(KeyError::NotOpenpgp(_))
    ));
}

#[test]
fn fuzz_seeds_decrypt_with_the_fuzzing_key() {
    let key =
        ServerKey::insecure_from_armored_secret(include_str!("../../../fuzz/seeds/test-key.asc"))
            .unwrap();
    // The first byte of a prove_request seed selects the framing; 1 is binary.
    let seed = include_bytes!("../../../fuzz/corpus/prove_request/one-step.bin");
    assert_eq!(seed[0], 1);
    let plaintext = key.decrypt(&seed[1..], 1024).unwrap();
    assert_eq!(
        tee_rex_protocol::steps::parse_steps(&plaintext).unwrap()[0].function_name,
        "app:main"
    );
}
