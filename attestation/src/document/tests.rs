//! Payload fields, one wrong at a time.

use super::*;
use crate::testkit::{
    aws_like_specs, build_chain, bytes, payload, payload_entries, pcrs, text, uint,
};

type Entries = Vec<(&'static str, Vec<u8>)>;

fn entries() -> Entries {
    payload_entries(&build_chain(&aws_like_specs()))
}

fn with(field: &'static str, value: Vec<u8>) -> Entries {
    let mut entries = entries();
    match entries.iter_mut().find(|(key, _)| *key == field) {
        Some(entry) => entry.1 = value,
        None => entries.push((field, value)),
    }
    entries
}

fn without(field: &str) -> Entries {
    let mut entries = entries();
    entries.retain(|(key, _)| *key != field);
    entries
}

fn parse(entries: &Entries) -> Result<AttestationDoc, Error> {
    AttestationDoc::from_payload(&payload(entries))
}

fn invalid_field(entries: &Entries) -> &'static str {
    match parse(entries) {
        Err(Error::InvalidDocument { field, .. }) => field,
        other => panic!("expected InvalidDocument, got {other:?}"),
    }
}

#[test]
fn valid_payload_parses() {
    let doc = parse(&entries()).unwrap();
    assert_eq!(doc.digest, "SHA384");
    assert_eq!(doc.pcrs.len(), 4);
    assert_eq!(doc.cabundle.len(), 4);
    assert_eq!(
        (doc.public_key, doc.user_data, doc.nonce),
        (None, None, None)
    );
}

#[test]
fn every_required_field_must_be_present() {
    for field in [
        "module_id",
        "digest",
        "timestamp",
        "pcrs",
        "certificate",
        "cabundle",
    ] {
        assert_eq!(
            parse(&without(field)),
            Err(Error::InvalidDocument {
                field,
                reason: "missing"
            })
        );
    }
}

#[test]
fn optional_fields_may_be_absent_null_or_bytes_up_to_1024() {
    for field in ["public_key", "user_data", "nonce"] {
        assert!(parse(&without(field)).is_ok(), "{field} absent");
        let doc = parse(&with(field, bytes(&[7; MAX_OPTIONAL_FIELD_LEN]))).unwrap();
        let value = match field {
            "public_key" => doc.public_key,
            "user_data" => doc.user_data,
            _ => doc.nonce,
        };
        assert_eq!(value, Some(vec![7; MAX_OPTIONAL_FIELD_LEN]));
        assert!(parse(&with(field, bytes(&[]))).is_ok(), "{field} empty");

        assert_eq!(
            parse(&with(field, bytes(&[7; MAX_OPTIONAL_FIELD_LEN + 1]))),
            Err(Error::FieldTooLong {
                field,
                len: 1025,
                max: 1024
            })
        );
        assert_eq!(invalid_field(&with(field, text("key"))), field);
        assert_eq!(
            invalid_field(&with(field, vec![0xf7])),
            field,
            "undefined is not null"
        );
    }
}

#[test]
fn module_id_must_be_non_empty_text() {
    assert_eq!(invalid_field(&with("module_id", text(""))), "module_id");
    assert_eq!(
        invalid_field(&with("module_id", bytes(b"i-1"))),
        "module_id"
    );
}

#[test]
fn digest_must_be_sha384() {
    for digest in ["SHA256", "SHA512", "sha384", ""] {
        assert_eq!(
            parse(&with("digest", text(digest))),
            Err(Error::UnsupportedDigest {
                found: digest.into()
            })
        );
    }
    assert_eq!(invalid_field(&with("digest", uint(384))), "digest");
}

#[test]
fn timestamp_must_be_a_positive_unsigned_integer() {
    assert_eq!(
        parse(&with("timestamp", uint(0))),
        Err(Error::InvalidDocument {
            field: "timestamp",
            reason: "zero"
        })
    );
    assert_eq!(invalid_field(&with("timestamp", vec![0x20])), "timestamp");
    assert_eq!(
        invalid_field(&with("timestamp", vec![0xc1, 0x01])),
        "timestamp",
        "tag 1"
    );
    assert_eq!(
        parse(&with("timestamp", uint(1))).unwrap().timestamp,
        UnixTime::from_millis(1)
    );
}

#[test]
fn pcrs_are_indices_0_to_31_with_48_byte_values() {
    let all: Vec<_> = (0..=31).map(|i| (i, vec![1; 48])).collect();
    assert_eq!(parse(&with("pcrs", pcrs(&all))).unwrap().pcrs.len(), 32);

    for index in [32, 255, 256, u64::MAX] {
        assert_eq!(
            parse(&with("pcrs", pcrs(&[(index, vec![1; 48])]))),
            Err(Error::InvalidPcrIndex { index })
        );
    }
    for len in [0, 32, 47, 49, 64] {
        assert_eq!(
            parse(&with("pcrs", pcrs(&[(0, vec![1; 48]), (5, vec![1; len])]))),
            Err(Error::InvalidPcrLength { index: 5, len })
        );
    }
    assert_eq!(
        invalid_field(&with("pcrs", vec![0xa0])),
        "pcrs",
        "empty map"
    );
    assert_eq!(invalid_field(&with("pcrs", vec![0x80])), "pcrs", "array");
    assert_eq!(
        invalid_field(&with("pcrs", vec![0xa1, 0x20, 0x40])),
        "pcrs",
        "negative index"
    );
    assert_eq!(
        invalid_field(&with("pcrs", vec![0xa1, 0x00, 0xf6])),
        "pcrs",
        "null value"
    );
}

#[test]
fn certificates_must_be_non_empty_byte_strings() {
    assert_eq!(
        invalid_field(&with("certificate", bytes(&[]))),
        "certificate"
    );
    assert_eq!(
        invalid_field(&with("certificate", text("MII"))),
        "certificate"
    );
    assert_eq!(invalid_field(&with("cabundle", vec![0x80])), "cabundle");
    assert_eq!(
        invalid_field(&with("cabundle", vec![0x81, 0x40])),
        "cabundle"
    );
    assert_eq!(
        invalid_field(&with("cabundle", vec![0x81, 0xf6])),
        "cabundle"
    );
    assert_eq!(invalid_field(&with("cabundle", bytes(b"cert"))), "cabundle");
}

#[test]
fn unknown_keys_are_refused() {
    assert_eq!(
        parse(&with("foo", vec![0xf6])),
        Err(Error::UnknownPayloadKey { key: "foo".into() })
    );
    let long = "k".repeat(100);
    let long: &'static str = Box::leak(long.into_boxed_str());
    assert_eq!(
        parse(&with(long, vec![0x00])),
        Err(Error::UnknownPayloadKey {
            key: "k".repeat(64)
        })
    );
}

#[test]
fn payload_must_be_a_text_keyed_map_without_duplicates_or_trailing_bytes() {
    assert_eq!(
        AttestationDoc::from_payload(&[0x80]),
        Err(Error::InvalidDocument {
            field: "payload",
            reason: "not a map"
        })
    );
    assert_eq!(
        AttestationDoc::from_payload(&[0xa1, 0x01, 0x00]),
        Err(Error::InvalidDocument {
            field: "payload",
            reason: "key is not text"
        })
    );

    let mut entries = entries();
    entries.push(("nonce", vec![0xf6]));
    assert!(matches!(parse(&entries), Err(Error::DuplicateKey { .. })));

    let mut bytes = payload(&self::entries());
    bytes.push(0x00);
    assert!(matches!(
        AttestationDoc::from_payload(&bytes),
        Err(Error::TrailingBytes { .. })
    ));
}
