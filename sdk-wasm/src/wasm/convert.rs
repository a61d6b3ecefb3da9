//! Conversions between the JS option objects and the SDK core's types.

use std::{collections::BTreeMap, fmt, time::Duration};

use serde::{de, Deserializer, Serializer};

use crate::{AttestationPolicy, Error, ServerTiming};

use super::{options::AttestationOptions, prove::JsServerTiming};

/// Builds the SDK's attestation policy from the JS options.
///
/// # Errors
/// [`Error::MissingExpectedPcrs`] when no PCR is expected (an empty set would accept any enclave),
/// [`Error::InvalidPcrSpec`] for an index or value that does not parse.
pub(crate) fn attestation_policy(options: &AttestationOptions) -> Result<AttestationPolicy, Error> {
    let pcrs = expected_pcrs(&options.expected_pcrs)?;
    if pcrs.is_empty() {
        return Err(Error::MissingExpectedPcrs);
    }
    let mut policy = AttestationPolicy::new()
        .expected_pcrs(pcrs)
        .insecure_allow_debug(options.allow_debug.unwrap_or(false));
    if let Some(max_age_ms) = options.max_age_ms {
        policy = policy.max_age(Duration::from_millis(max_age_ms));
    }
    if let Some(pem) = &options.insecure_trusted_root_pem {
        policy = policy.insecure_trusted_root_pem(pem.clone());
    }
    Ok(policy)
}

/// The server's phases in milliseconds, as `prove` hands them to JS.
pub(crate) fn server_timing(timing: &ServerTiming) -> JsServerTiming {
    // Nanoseconds over 1e6 is one correctly rounded division: 3.3 ms reads 3.3, not
    // 3.3000000000000003. Phases are at most a day, well within f64's exact integers.
    let ms = |d: Option<Duration>| d.map(|d| d.as_nanos() as f64 / 1e6);
    JsServerTiming {
        upload_ms: ms(timing.upload),
        decode_ms: ms(timing.decode),
        decrypt_ms: ms(timing.decrypt),
        parse_ms: ms(timing.parse),
        queue_ms: ms(timing.queue),
        prove_ms: ms(timing.prove),
    }
}

/// Parses `{ "0": "<96 hex digits>", ... }` (keys may also be written `PCR0`).
fn expected_pcrs(pcrs: &BTreeMap<String, String>) -> Result<Vec<(u8, Vec<u8>)>, Error> {
    pcrs.iter()
        .map(|(key, value)| {
            let index = key.strip_prefix("PCR").unwrap_or(key);
            crate::parse_pcr_arg(&format!("{index}={value}"))
        })
        .collect()
}

/// Serialises bytes as a `Uint8Array` (serde-wasm-bindgen turns `serialize_bytes` into one).
pub(crate) fn bytes<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// Deserialises a `Uint8Array` (or `undefined`) into optional bytes.
pub(crate) fn de_opt_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    struct Bytes;
    impl<'de> de::Visitor<'de> for Bytes {
        type Value = Option<Vec<u8>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a Uint8Array")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_byte_buf(self)
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
            Ok(Some(v.to_vec()))
        }
        fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
    }
    d.deserialize_option(Bytes)
}

/// Deserialises an optional JS object of type `T` (a function, an `AbortSignal`) as it is.
pub(crate) fn de_opt_js<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: wasm_bindgen::JsCast,
{
    let value: wasm_bindgen::JsValue = serde_wasm_bindgen::preserve::deserialize(d)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    wasm_bindgen::JsCast::dyn_into::<T>(value)
        .map(Some)
        .map_err(|_| de::Error::custom("a value of the wrong type"))
}

/// The first own key of the JS object `value` not in `known`, if any.
///
/// serde-wasm-bindgen reads only the fields a struct names, so `deny_unknown_fields` never fires;
/// this check makes a misspelt option (`expectedPCRs`, `maxAge`) an error instead of a default.
pub(crate) fn unknown_key(value: &wasm_bindgen::JsValue, known: &[&str]) -> Option<String> {
    let object = wasm_bindgen::JsCast::dyn_ref::<js_sys::Object>(value)?;
    js_sys::Object::keys(object)
        .iter()
        .filter_map(|key| key.as_string())
        .find(|key| !known.contains(&key.as_str()))
}
