use pgp::{
    composed::{
        EncryptionCaps, KeyType, Message, SecretKeyParamsBuilder, SignedSecretKey,
        SubkeyParamsBuilder,
    },
    crypto::{
        aead::{AeadAlgorithm, ChunkSize},
        sym::SymmetricKeyAlgorithm,
    },
    packet::{Packet, PacketParser, SymEncryptedProtectedDataConfig},
    ser::Serialize,
    types::{Password, Timestamp},
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
    try_decrypt(secret, message).unwrap()
}

/// rPGP's decryption, reading to the end (where the final tag is checked).
fn try_decrypt(secret: &SignedSecretKey, message: &[u8]) -> Result<Vec<u8>, String> {
    let message = Message::from_bytes(message).map_err(|e| e.to_string())?;
    let mut plain = message
        .decrypt(&Password::empty(), secret)
        .map_err(|e| e.to_string())?;
    plain.as_data_vec().map_err(|e| e.to_string())
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

const CHUNK: usize = 256 * 1024;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

#[test]
fn round_trip_at_chunk_boundaries() {
    let secret = generate_key(true);
    let public = parse_public_key(&public_bytes(&secret)).unwrap();
    // The literal packet's head is 12 octets for these sizes (1 tag + 5 length + 6 fields): the
    // last four sizes put the encrypted stream itself at 1 chunk - 1, 1 chunk, 1 chunk + 1, 2.
    for len in [
        0,
        1,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        3 * CHUNK + 17,
        CHUNK - 13,
        CHUNK - 12,
        CHUNK - 11,
        2 * CHUNK - 12,
        // Where the literal packet's length (185, 186, 8377, 8378) and the SEIPD packet's
        // (115, 116, 8306, 8307) move from one length octet to two, and from two to five.
        115,
        116,
        185,
        186,
        8306,
        8307,
        8377,
        8378,
    ] {
        let plaintext = pattern(len);
        let message = encrypt(&public, &plaintext).unwrap();
        assert_eq!(decrypt(&secret, &message), plaintext, "length {len}");
        let inner = len
            + if len + 6 > 8383 {
                12
            } else if len + 6 > 191 {
                9
            } else {
                8
            };
        let body = 4 + 32 + inner + 16 * inner.div_ceil(CHUNK) + 16;
        let length_octets = match body {
            0..=191 => 1,
            192..=8383 => 2,
            _ => 5,
        };
        let expected = seipd::packet_len(AES256_GCM_256KIB, inner);
        assert_eq!(expected, 1 + length_octets + body, "length {len}");
        // The SEIPD packet closes the message, and its header states that length.
        let seipd = &message[message.len() - expected..];
        assert_eq!(seipd[0], 0xD2, "length {len}");
        let stated = match length_octets {
            1 => usize::from(seipd[1]),
            2 => ((usize::from(seipd[1]) - 192) << 8) + usize::from(seipd[2]) + 192,
            _ => u32::from_be_bytes(seipd[2..6].try_into().unwrap()) as usize,
        };
        assert_eq!(stated, body, "length {len}");
        assert!(message.len() > expected, "length {len}");
    }
}

#[test]
fn packet_is_seipd_v2_aes256_gcm_256kib_with_rpgp_literal_fields() {
    let secret = generate_key(true);
    let public = parse_public_key(&public_bytes(&secret)).unwrap();
    let message = encrypt(&public, &pattern(CHUNK + 1)).unwrap();

    let packets: Vec<Packet> = PacketParser::new(&message[..])
        .map(|p| p.unwrap())
        .collect();
    let Packet::SymEncryptedProtectedData(seipd) = &packets[1] else {
        panic!("second packet is not SEIPD: {:?}", packets[1]);
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
    // The SEIPD packet ends the message, with a definite 5-octet length.
    let seipd_len = seipd::packet_len(AES256_GCM_256KIB, CHUNK + 13);
    let start = message.len() - seipd_len;
    assert_eq!(message[start], 0xD2);
    assert_eq!(message[start + 1], 0xFF);
    assert_eq!(
        u32::from_be_bytes(message[start + 2..start + 6].try_into().unwrap()) as usize,
        seipd_len - 6
    );
    assert_eq!(&message[start + 6..start + 10], &[2, 9, 3, 12]);

    // What the server sees: binary literal data, empty file name, date 0, as rPGP's builder wrote.
    let mut decrypted = Message::from_bytes(&message[..])
        .unwrap()
        .decrypt(&Password::empty(), &secret)
        .unwrap();
    let data = decrypted.as_data_vec().unwrap();
    assert_eq!(data.len(), CHUNK + 1);
    let header = decrypted.literal_data_header().unwrap();
    assert_eq!(header.mode(), pgp::packet::DataMode::Binary);
    assert!(header.file_name().is_empty());
    assert_eq!(header.created(), Timestamp::default());
}

/// Offset of chunk `index` (ciphertext then tag) in a message of `plaintext_len` octets.
fn chunk_offset(message: &[u8], plaintext_len: usize, index: usize) -> usize {
    let inner = plaintext_len + 12;
    let start = message.len() - seipd::packet_len(AES256_GCM_256KIB, inner);
    start + 6 + 4 + 32 + index * (CHUNK + 16)
}

#[test]
fn rpgp_refuses_tampered_messages() {
    let secret = generate_key(true);
    let public = parse_public_key(&public_bytes(&secret)).unwrap();
    let len = 3 * CHUNK + 17;
    let plaintext = pattern(len);
    let message = encrypt(&public, &plaintext).unwrap();
    assert_eq!(decrypt(&secret, &message), plaintext);

    let flip = |at: usize| {
        let mut m = message.clone();
        m[at] ^= 0x01;
        m
    };
    let first_chunk = flip(chunk_offset(&message, len, 0) + 100);
    // The last chunk holds 17 + 12 octets, then its tag, then the final tag.
    let last_tag = flip(message.len() - 16 - 1);
    let final_tag = flip(message.len() - 1);
    let truncated = message[..message.len() - 16].to_vec();
    let mut swapped = message.clone();
    let (a, b) = (
        chunk_offset(&message, len, 0),
        chunk_offset(&message, len, 1),
    );
    let chunk_a = message[a..b].to_vec();
    swapped.copy_within(b..b + CHUNK + 16, a);
    swapped[b..b + CHUNK + 16].copy_from_slice(&chunk_a);

    for (name, tampered) in [
        ("flipped byte in the first chunk", first_chunk),
        ("flipped byte in the last chunk's tag", last_tag),
        ("flipped byte in the final tag", final_tag),
        ("truncated", truncated),
        ("two chunks swapped", swapped),
    ] {
        assert!(try_decrypt(&secret, &tampered).is_err(), "{name} accepted");
    }
}

#[test]
fn two_encryptions_differ_in_session_key_and_salt() {
    let public = parse_public_key(&public_bytes(&generate_key(true))).unwrap();
    let (a, b) = (
        encrypt(&public, b"same").unwrap(),
        encrypt(&public, b"same").unwrap(),
    );
    assert_eq!(a.len(), b.len());
    let salt = |m: &[u8]| m[m.len() - (32 + 8 + 12 + 4 + 16 + 16)..][..32].to_vec();
    assert_ne!(salt(&a), salt(&b));
    let pkesk_len = a.len() - seipd::packet_len(AES256_GCM_256KIB, 12);
    assert_ne!(a[..pkesk_len], b[..pkesk_len]);
}

#[test]
fn encrypt_with_rng_is_deterministic_for_a_seeded_rng() {
    use rand::SeedableRng;
    let public = parse_public_key(&public_bytes(&generate_key(true))).unwrap();
    let seeded = || rand::rngs::StdRng::seed_from_u64(7);
    let a = encrypt_with_rng(seeded(), &public, &pattern(1000)).unwrap();
    let b = encrypt_with_rng(seeded(), &public, &pattern(1000)).unwrap();
    assert_eq!(a, b);
    let c = encrypt_with_rng(seeded(), &public, &pattern(999)).unwrap();
    assert_ne!(a[a.len() - 100..], c[c.len() - 100..]);
}

/// RFC 9580 Appendix A.9, "Sample AEAD-GCM encryption and decryption": a v6 SKESK (password
/// "password") and a SEIPDv2 packet, AES-128 GCM, over "Hello, world!". This copy of the vector
/// is the one rPGP 0.21 ships as tests/unit-tests/aead/gcm.msg.
const RFC9580_A9_GCM: &str = "-----BEGIN PGP MESSAGE-----

wzwGGgcDCwMI6dOXhbIHAAj/tC58SD70iERXyzcmubPbn/d25fTZpAlS4kRymIUa
v/91Jt8t1VRBdXmneZ/SaQIHAwb8uUSQvLmLvcnRBsYJAmaUD3LontwhtVlrFXax
Ae0Pn/xvxtZbv9JNzQeQlm5tHoWjAFN4TLHYtqBpnvEhVaeyrWJYUxtXZR/Xd3kS
+pXjXZtAIW9ppMJI2yj/QzHxYykHOZ5v+Q==
-----END PGP MESSAGE-----
";

#[test]
fn known_answer_rfc9580_a9_aead_gcm() {
    use aes_gcm::{aead::Aead as _, aead::Payload, Aes128Gcm, KeyInit as _};
    use pgp::{armor::Dearmor, composed::PlainSessionKey};
    use std::io::Read as _;

    let mut binary = Vec::new();
    Dearmor::new(RFC9580_A9_GCM.as_bytes())
        .read_to_end(&mut binary)
        .unwrap();
    let packets: Vec<Packet> = PacketParser::new(&binary[..]).map(|p| p.unwrap()).collect();
    let Packet::SymKeyEncryptedSessionKey(skesk) = &packets[0] else {
        panic!("first packet is not an SKESK");
    };
    let Packet::SymEncryptedProtectedData(packet) = &packets[1] else {
        panic!("second packet is not SEIPD");
    };
    let SymEncryptedProtectedDataConfig::V2 {
        sym_alg,
        aead,
        chunk_size,
        salt,
    } = *packet.config()
    else {
        panic!("not SEIPDv2");
    };
    assert_eq!(
        (sym_alg, aead),
        (SymmetricKeyAlgorithm::AES128, AeadAlgorithm::Gcm)
    );
    let plain_key =
        pgp::composed::decrypt_session_key_with_password(skesk, &"password".into()).unwrap();
    let PlainSessionKey::V6 { key: session_key } = &plain_key else {
        panic!("not a v6 session key");
    };
    let expected = &binary[binary.len() - packet.write_len() - 2..];
    assert_eq!(
        expected[..2],
        [0xD2, u8::try_from(packet.write_len()).unwrap()]
    );

    // Our HKDF and nonce open the vector's one chunk (the tag checks key, IV, nonce and AAD).
    let params = seipd::SeipdParams {
        cipher: 7,
        chunk_size_octet: chunk_size.into(),
    };
    let info = [0xD2, 2, 7, 3, params.chunk_size_octet];
    let (message_key, iv) = seipd::derive_key(session_key.as_ref(), &salt, &info, 16).unwrap();
    let sealed = &expected[2 + 4 + 32..expected.len() - 16];
    let inner = Aes128Gcm::new_from_slice(&message_key)
        .unwrap()
        .decrypt(
            (&seipd::nonce(&iv, 0)).into(),
            Payload {
                msg: sealed,
                aad: &info,
            },
        )
        .unwrap();
    assert!(
        inner.windows(13).any(|w| w == b"Hello, world!"),
        "{inner:02x?}"
    );

    // Writing that plaintext again gives the vector byte for byte, final tag included.
    let mut ours = Vec::new();
    let inner = seipd::Inner {
        head: &inner,
        body: &[],
    };
    now_or_never(seipd::write_seipd_v2(
        &aead::SoftwareGcm,
        params,
        session_key.as_ref(),
        &salt,
        inner,
        &mut ours,
    ))
    .unwrap()
    .unwrap();
    assert_eq!(hex::encode(&ours), hex::encode(expected));
}

/// A head longer than a chunk (the writer allows any split of the plaintext): the chunks that
/// lie wholly inside the head, the one that straddles it and the body's come out in order.
#[test]
fn head_longer_than_a_chunk_is_split_across_chunks() {
    use aes_gcm::{aead::Aead as _, aead::Payload, Aes256Gcm, KeyInit as _};

    let params = seipd::SeipdParams {
        cipher: 9,
        chunk_size_octet: 0, // 64-octet chunks
    };
    let head = pattern(300);
    let body: Vec<u8> = pattern(100).iter().map(|b| b ^ 0x5a).collect();
    let session_key = [7u8; 32];
    let salt = [9u8; SALT_LEN];
    let mut packet = Vec::new();
    now_or_never(seipd::write_seipd_v2(
        &aead::SoftwareGcm,
        params,
        &session_key,
        &salt,
        seipd::Inner {
            head: &head,
            body: &body,
        },
        &mut packet,
    ))
    .unwrap()
    .unwrap();

    let info = [0xD2, 2, 9, 3, 0];
    let (key, iv) = seipd::derive_key(&session_key, &salt, &info, 32).unwrap();
    let cipher = Aes256Gcm::new_from_slice(&key).unwrap();
    // Header: tag and a 2-octet length (a 564-octet body: 7 chunks), then the 4 algorithm octets
    // and the salt.
    let sealed = &packet[3 + 4 + 32..packet.len() - 16];
    let mut plain = Vec::new();
    for (index, chunk) in sealed.chunks(64 + 16).enumerate() {
        let nonce = seipd::nonce(&iv, index as u64);
        let payload = Payload {
            msg: chunk,
            aad: &info,
        };
        plain.extend(cipher.decrypt((&nonce).into(), payload).unwrap());
    }
    assert_eq!(plain, [head, body].concat());
    assert_eq!(packet.len(), seipd::packet_len(params, 400));
}

/// More chunks than the writer keeps in flight: the oldest is awaited before the scratch buffer
/// takes the next one, and the message still decrypts.
#[test]
fn more_chunks_than_in_flight_round_trip() {
    let secret = generate_key(true);
    let public = parse_public_key(&public_bytes(&secret)).unwrap();
    let plaintext = pattern(9 * CHUNK + 1);
    let message = encrypt(&public, &plaintext).unwrap();
    assert_eq!(decrypt(&secret, &message), plaintext);
}
