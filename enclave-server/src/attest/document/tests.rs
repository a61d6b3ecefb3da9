use ciborium::value::Value;
use p384::ecdsa::{signature::Verifier, Signature, SigningKey};

use super::*;
use crate::attest::pcrs::PCR_LEN;

/// A genuine AWS document (see `testdata/nitro/README.md`) with `user_data` and `nonce` null.
const AWS_NULLS: &[u8] =
    include_bytes!("../../../../testdata/nitro/real/nitro-attest-crate-2025-01-06.cbor");
/// A genuine AWS document with all three optional fields set.
const AWS_FULL: &[u8] =
    include_bytes!("../../../../testdata/nitro/real/blocky-nitrite-2024-09-07.cbor");

fn pcrs() -> [Pcr; PCR_COUNT] {
    let mut pcrs = [[0u8; PCR_LEN]; PCR_COUNT];
    pcrs[0] = [0xa0; PCR_LEN];
    pcrs[2] = [0xa2; PCR_LEN];
    pcrs
}

fn fields<'a>(pcrs: &'a [Pcr; PCR_COUNT], cabundle: &'a [Vec<u8>]) -> DocumentFields<'a> {
    DocumentFields {
        module_id: "i-0de0000000000000a-enc0123456789abcdef",
        timestamp_ms: 1_780_000_000_123,
        pcrs,
        certificate: b"leaf-der",
        cabundle,
        public_key: Some(b"public key"),
        user_data: Some(b""),
        nonce: None,
    }
}

fn decode(bytes: &[u8]) -> Value {
    ciborium::de::from_reader(bytes).unwrap()
}

fn bytes(v: &Value) -> &[u8] {
    v.as_bytes().unwrap()
}

/// The COSE_Sign1 parts: protected, unprotected, payload, signature.
fn parts(doc: &[u8]) -> [Value; 4] {
    let Value::Array(parts) = decode(doc) else {
        panic!("not an array")
    };
    parts.try_into().unwrap()
}

fn payload_map(doc: &[u8]) -> Vec<(String, Value)> {
    let [_, _, payload, _] = parts(doc);
    let Value::Map(map) = decode(bytes(&payload)) else {
        panic!("payload is not a map")
    };
    map.into_iter()
        .map(|(k, v)| (k.into_text().unwrap(), v))
        .collect()
}

/// A coarse CBOR type name, for shape comparisons.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "uint",
        Value::Bytes(_) => "bstr",
        Value::Text(_) => "tstr",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        Value::Null => "null",
        _ => "other",
    }
}

fn signed(key: &SigningKey) -> Vec<u8> {
    let pcrs = pcrs();
    let cabundle = vec![
        b"root".to_vec(),
        b"i1".to_vec(),
        b"i2".to_vec(),
        b"i3".to_vec(),
    ];
    fields(&pcrs, &cabundle).sign(key).unwrap()
}

#[test]
fn envelope_is_an_untagged_cose_sign1_with_es384_only() {
    let key = SigningKey::random(&mut rand::rngs::OsRng);
    let doc = signed(&key);

    // 0x84: an untagged array of four; a tagged one would start with 0xd2.
    assert_eq!(doc[0], 0x84);
    let [protected, unprotected, payload, signature] = parts(&doc);
    assert_eq!(bytes(&protected), PROTECTED_ES384);
    assert_eq!(
        decode(bytes(&protected)),
        Value::Map(vec![(1.into(), (-35).into())])
    );
    assert_eq!(unprotected, Value::Map(vec![]));
    assert!(!bytes(&payload).is_empty());
    assert_eq!(bytes(&signature).len(), 96);
}

#[test]
fn signature_verifies_over_the_signature1_structure() {
    let key = SigningKey::random(&mut rand::rngs::OsRng);
    let doc = signed(&key);
    let [_, _, payload, signature] = parts(&doc);

    let tbs = sig_structure(bytes(&payload)).unwrap();
    // ["Signature1", h'a1013822', h'', payload]
    assert_eq!(&tbs[..18], b"\x84\x6aSignature1\x44\xa1\x01\x38\x22\x40");
    let signature = Signature::from_slice(bytes(&signature)).unwrap();
    key.verifying_key().verify(&tbs, &signature).unwrap();

    let mut tampered = bytes(&payload).to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let tbs = sig_structure(&tampered).unwrap();
    assert!(key.verifying_key().verify(&tbs, &signature).is_err());
}

#[test]
fn payload_has_the_aws_keys_in_order_with_their_values() {
    let pcrs = pcrs();
    let cabundle = vec![
        b"root".to_vec(),
        b"i1".to_vec(),
        b"i2".to_vec(),
        b"i3".to_vec(),
    ];
    let map = decode(&fields(&pcrs, &cabundle).to_payload().unwrap());
    let Value::Map(map) = map else { panic!() };
    let get = |key: &str| {
        &map.iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .unwrap()
            .1
    };

    let keys: Vec<_> = map.iter().map(|(k, _)| k.as_text().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "module_id",
            "digest",
            "timestamp",
            "pcrs",
            "certificate",
            "cabundle",
            "public_key",
            "user_data",
            "nonce"
        ]
    );
    assert_eq!(
        get("module_id").as_text(),
        Some("i-0de0000000000000a-enc0123456789abcdef")
    );
    assert_eq!(get("digest").as_text(), Some("SHA384"));
    assert_eq!(
        get("timestamp"),
        &Value::Integer(1_780_000_000_123u64.into())
    );
    assert_eq!(bytes(get("certificate")), b"leaf-der");
    let bundle: Vec<_> = get("cabundle")
        .as_array()
        .unwrap()
        .iter()
        .map(bytes)
        .collect();
    assert_eq!(bundle, [&b"root"[..], b"i1", b"i2", b"i3"]);
    assert_eq!(bytes(get("public_key")), b"public key");
    assert_eq!(
        get("user_data"),
        &Value::Bytes(vec![]),
        "empty user_data stays a bstr"
    );
    assert_eq!(
        get("nonce"),
        &Value::Null,
        "an absent nonce is null, as AWS writes it"
    );

    let Value::Map(pcr_map) = get("pcrs") else {
        panic!()
    };
    assert_eq!(pcr_map.len(), 16);
    for (i, (index, value)) in pcr_map.iter().enumerate() {
        assert_eq!(index, &Value::Integer(i.into()));
        assert_eq!(bytes(value), &pcrs[i][..]);
        assert_eq!(bytes(value).len(), 48);
    }
}

#[test]
fn all_nulls_when_nothing_optional_is_given() {
    let pcrs = pcrs();
    let cabundle = vec![b"root".to_vec()];
    let f = DocumentFields {
        public_key: None,
        user_data: None,
        nonce: None,
        ..fields(&pcrs, &cabundle)
    };
    let Value::Map(map) = decode(&f.to_payload().unwrap()) else {
        panic!()
    };
    let nulls: Vec<_> = map
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.as_text().unwrap())
        .collect();
    assert_eq!(nulls, ["public_key", "user_data", "nonce"]);
}

#[test]
fn encoding_is_definite_length_and_minimal() {
    let pcrs = pcrs();
    let cabundle = vec![b"root".to_vec()];
    let payload = fields(&pcrs, &cabundle).to_payload().unwrap();
    // A map of nine, definite length (0xbf would be indefinite).
    assert_eq!(payload[0], 0xa9);
    // "module_id" as a 9-byte text string, then the timestamp as an 8-byte uint (0x1b).
    assert_eq!(&payload[1..11], b"\x69module_id");
    let ts = payload
        .windows(10)
        .position(|w| w == b"\x69timestamp")
        .unwrap();
    assert_eq!(payload[ts + 10], 0x1b);
    assert_eq!(
        &payload[ts + 11..ts + 19],
        &1_780_000_000_123u64.to_be_bytes()
    );
}

#[test]
fn shape_matches_genuine_aws_documents() {
    let key = SigningKey::random(&mut rand::rngs::OsRng);
    let pcrs = pcrs();
    let cabundle = vec![
        b"root".to_vec(),
        b"i1".to_vec(),
        b"i2".to_vec(),
        b"i3".to_vec(),
    ];
    let full = DocumentFields {
        nonce: Some(b"n"),
        user_data: Some(b"u"),
        ..fields(&pcrs, &cabundle)
    };
    let nulls = DocumentFields {
        nonce: None,
        user_data: None,
        ..fields(&pcrs, &cabundle)
    };

    for (aws, ours) in [
        (AWS_FULL, full.sign(&key).unwrap()),
        (AWS_NULLS, nulls.sign(&key).unwrap()),
    ] {
        let [aws_protected, aws_unprotected, _, aws_sig] = parts(aws);
        let [protected, unprotected, _, sig] = parts(&ours);
        assert_eq!(bytes(&protected), bytes(&aws_protected));
        assert_eq!(unprotected, aws_unprotected);
        assert_eq!(bytes(&sig).len(), bytes(&aws_sig).len());

        let shape = |map: Vec<(String, Value)>| -> Vec<(String, &'static str)> {
            map.iter().map(|(k, v)| (k.clone(), kind(v))).collect()
        };
        assert_eq!(shape(payload_map(&ours)), shape(payload_map(aws)));

        let pcr_shape = |map: Vec<(String, Value)>| -> Vec<(Value, usize)> {
            let (_, Value::Map(pcrs)) = map.into_iter().find(|(k, _)| k == "pcrs").unwrap() else {
                panic!()
            };
            pcrs.into_iter()
                .map(|(i, v)| (i, bytes(&v).len()))
                .collect()
        };
        assert_eq!(pcr_shape(payload_map(&ours)), pcr_shape(payload_map(aws)));
    }
}
