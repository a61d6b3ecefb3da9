//! Readers for the documents the attestors emit, shared by their tests.

use ciborium::value::Value;

/// The payload map of a COSE_Sign1 document, entries in encoded order.
pub(super) fn payload(doc: &[u8]) -> Vec<(Value, Value)> {
    let Value::Array(parts) = ciborium::de::from_reader(doc).unwrap() else {
        panic!("a COSE_Sign1 document is a CBOR array")
    };
    ciborium::de::from_reader::<Value, _>(parts[2].as_bytes().unwrap().as_slice())
        .unwrap()
        .into_map()
        .unwrap()
}

/// The value under the text key `key` of a payload map.
pub(super) fn field<'a>(map: &'a [(Value, Value)], key: &str) -> &'a Value {
    &map.iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .unwrap()
        .1
}
