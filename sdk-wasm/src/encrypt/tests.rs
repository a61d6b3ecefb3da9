use pgp::{
    composed::{
        EncryptionCaps, KeyType, Message, SecretKeyParamsBuilder, SignedSecretKey,
        SubkeyParamsBuilder,
    },
    crypto::{aead::AeadAlgorithm, sym::SymmetricKeyAlgorithm},
    packet::{Packet, PacketParser, SymEncryptedProtectedDataConfig},
    ser::Serialize,
    types::Password,
};

use super::*;

/// An Ed25519 primary key with an X25519 encryption subkey, like the server's.
pub(crate) fn generate_key(with_encryption_subkey: bool) -> SignedSecretKey {
    let mut subkeys = Vec::new();
    if with_encryption_subkey {
        subkeys.push(
            SubkeyParamsBuilder::default()
                .key_type(KeyType::X25519)
                .can_encrypt(EncryptionCaps::All)
                .build()
                .unwrap(),
        );
    }
    SecretKeyParamsBuilder::default()
        .key_type(KeyType::Ed25519)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id("tee-rex test <test@tee-rex.invalid>".into())
        .subkeys(subkeys)
        .build()
        .unwrap()
        .generate(rand::thread_rng())
        .unwrap()
}

fn public_bytes(secret: &SignedSecretKey) -> Vec<u8> {
    SignedPublicKey::from(secret.clone()).to_bytes().unwrap()
}

fn decrypt(secret: &SignedSecretKey, message: &[u8]) -> Vec<u8> {
    let message = Message::from_bytes(message).unwrap();
    let mut plain = message.decrypt(&Password::empty(), secret).unwrap();
    plain.as_data_vec().unwrap()
}

#[test]
fn round_trip_through_rpgp() {
    let secret = generate_key(true);
    let public = parse_public_key(&public_bytes(&secret)).unwrap();
    let plaintext: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();

    let message = encrypt(&public, &plaintext).unwrap();

    assert_eq!(decrypt(&secret, &message), plaintext);
}

#[test]
fn message_is_pkesk_then_seipd_v2_aes256_gcm() {
    let secret = generate_key(true);
    let public = parse_public_key(&public_bytes(&secret)).unwrap();
    let message = encrypt(&public, b"steps").unwrap();

    let packets: Vec<Packet> = PacketParser::new(&message[..])
        .map(|p| p.unwrap())
        .collect();
    assert_eq!(packets.len(), 2, "{packets:?}");
    let Packet::PublicKeyEncryptedSessionKey(pkesk) = &packets[0] else {
        panic!("first packet is not a PKESK: {:?}", packets[0]);
    };
    // The PKESK names the encryption subkey, not the signing primary key.
    let subkey_fp = public.public_subkeys[0].key.fingerprint();
    assert_eq!(pkesk.fingerprint().unwrap(), Some(&subkey_fp));
    let Packet::SymEncryptedProtectedData(seipd) = &packets[1] else {
        panic!("second packet is not SEIPD: {:?}", packets[1]);
    };
    assert!(matches!(
        seipd.config(),
        SymEncryptedProtectedDataConfig::V2 {
            sym_alg: SymmetricKeyAlgorithm::AES256,
            aead: AeadAlgorithm::Gcm,
            ..
        }
    ));
}

#[test]
fn ciphertext_differs_each_time() {
    let public = parse_public_key(&public_bytes(&generate_key(true))).unwrap();
    assert_ne!(
        encrypt(&public, b"same").unwrap(),
        encrypt(&public, b"same").unwrap()
    );
}

#[test]
fn refuses_key_without_encryption_capability() {
    let bytes = public_bytes(&generate_key(false));
    assert!(matches!(
        parse_public_key(&bytes),
        Err(Error::NoEncryptionKey)
    ));
}

#[test]
fn refuses_armored_empty_garbage_and_two_keys() {
    let secret = generate_key(true);
    let armored = SignedPublicKey::from(secret.clone())
        .to_armored_bytes(Default::default())
        .unwrap();
    let mut two = public_bytes(&secret);
    two.extend(public_bytes(&generate_key(true)));

    for (name, bytes) in [
        ("armored", armored),
        ("empty", Vec::new()),
        ("raw 32-byte key", vec![0x99; 32]),
        ("two keys", two),
    ] {
        assert!(
            matches!(
                parse_public_key(&bytes),
                Err(Error::InvalidPublicKey { .. })
            ),
            "{name} accepted"
        );
    }
}

#[test]
fn refuses_tampered_self_signature() {
    let mut bytes = public_bytes(&generate_key(true));
    // The last bytes belong to the subkey binding signature's MPIs.
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    assert!(parse_public_key(&bytes).is_err());
}

#[test]
fn armored_unattested_key_parses() {
    let secret = generate_key(true);
    let armored = SignedPublicKey::from(secret.clone())
        .to_armored_string(Default::default())
        .unwrap();
    let key = parse_armored_public_key(&armored).unwrap();
    assert_eq!(decrypt(&secret, &encrypt(&key, b"x").unwrap()), b"x");
    assert!(matches!(
        parse_armored_public_key("nope"),
        Err(Error::InvalidUnattestedKey(_))
    ));
}
