//! The attestation document carried in the COSE_Sign1 payload.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::cbor::{self, Item, Value};
use crate::error::short_text;
use crate::options::{MAX_PCR_INDEX, PCR_LEN};
use crate::{Error, UnixTime};

/// Longest `public_key`, `user_data` or `nonce` accepted, in bytes.
pub const MAX_OPTIONAL_FIELD_LEN: usize = 1024;

/// A parsed, unverified Nitro attestation document.
///
/// The CDDL from AWS's attestation document specification, in `attestation_process.md`
/// (<https://github.com/aws/aws-nitro-enclaves-nsm-api/blob/main/docs/attestation_process.md>):
///
/// ```text
/// AttestationDocument = {
///     module_id: text,
///     timestamp: uint .size 8,
///     digest: digest,
///     pcrs: { + index => pcr },
///     certificate: cert,
///     cabundle: [* cert],
///     ? public_key: user_data,
///     ? user_data: user_data,
///     ? nonce: user_data,
/// }
/// cert = bytes .size (1..1024)
/// user_data = bytes .size (0..1024)
/// pcr = bytes .size (32/48/64)
/// index = 0..31
/// digest = "SHA384"
/// ```
///
/// This crate further requires `module_id` and `cabundle` non-empty, `timestamp` above zero and
/// every PCR 48 bytes (SHA-384). Optional fields may be absent or CBOR null; both read as `None`.
/// Certificates are not length-limited beyond the document size, so that `dev` chains with
/// larger certificates still parse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttestationDoc {
    /// `module_id`: the issuing Nitro hypervisor module.
    pub module_id: String,
    /// `digest`: always `SHA384`.
    pub digest: String,
    /// `timestamp`: when the document was made.
    pub timestamp: UnixTime,
    /// `pcrs`: PCR values by index.
    pub pcrs: BTreeMap<u8, Vec<u8>>,
    /// `certificate`: the leaf certificate, DER.
    pub certificate: Vec<u8>,
    /// `cabundle`: root first, then intermediates, DER.
    pub cabundle: Vec<Vec<u8>>,
    /// `public_key`: application-defined bytes.
    pub public_key: Option<Vec<u8>>,
    /// `user_data`: application-defined bytes.
    pub user_data: Option<Vec<u8>>,
    /// `nonce`: the nonce the requester passed.
    pub nonce: Option<Vec<u8>>,
}

impl AttestationDoc {
    /// Parse the payload bytes of a COSE_Sign1.
    pub(crate) fn from_payload(payload: &[u8]) -> Result<Self, Error> {
        let Value::Map(entries) = cbor::decode(payload)?.value else {
            return Err(invalid("payload", "not a map"));
        };

        let mut module_id = None;
        let mut digest = None;
        let mut timestamp = None;
        let mut pcrs = None;
        let mut certificate = None;
        let mut cabundle = None;
        let mut public_key = None;
        let mut user_data = None;
        let mut nonce = None;
        // Keys are unique (the CBOR reader refuses duplicates), so each slot is set at most once.
        for (key, value) in entries {
            let Value::Text(key) = key.value else {
                return Err(invalid("payload", "key is not text"));
            };
            match key.as_ref() {
                "module_id" => module_id = Some(text(value, "module_id")?),
                "digest" => digest = Some(text(value, "digest")?),
                "timestamp" => timestamp = Some(parse_timestamp(value)?),
                "pcrs" => pcrs = Some(parse_pcrs(value)?),
                "certificate" => certificate = Some(certificate_bytes(value, "certificate")?),
                "cabundle" => cabundle = Some(parse_cabundle(value)?),
                "public_key" => public_key = optional(value, "public_key")?,
                "user_data" => user_data = optional(value, "user_data")?,
                "nonce" => nonce = optional(value, "nonce")?,
                other => {
                    return Err(Error::UnknownPayloadKey {
                        key: short_text(other),
                    })
                }
            }
        }

        let module_id = module_id.ok_or(invalid("module_id", "missing"))?;
        if module_id.is_empty() {
            return Err(invalid("module_id", "empty"));
        }
        let digest = digest.ok_or(invalid("digest", "missing"))?;
        if digest != "SHA384" {
            return Err(Error::UnsupportedDigest {
                found: short_text(&digest),
            });
        }
        Ok(Self {
            module_id,
            digest,
            timestamp: timestamp.ok_or(invalid("timestamp", "missing"))?,
            pcrs: pcrs.ok_or(invalid("pcrs", "missing"))?,
            certificate: certificate.ok_or(invalid("certificate", "missing"))?,
            cabundle: cabundle.ok_or(invalid("cabundle", "missing"))?,
            public_key,
            user_data,
            nonce,
        })
    }
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    Error::InvalidDocument { field, reason }
}

fn text(item: Item<'_>, field: &'static str) -> Result<String, Error> {
    match item.value {
        Value::Text(text) => Ok(text.into_owned()),
        _ => Err(invalid(field, "not a text string")),
    }
}

fn parse_timestamp(item: Item<'_>) -> Result<UnixTime, Error> {
    match item.value {
        Value::Unsigned(0) => Err(invalid("timestamp", "zero")),
        Value::Unsigned(ms) => Ok(UnixTime::from_millis(ms)),
        _ => Err(invalid("timestamp", "not an unsigned integer")),
    }
}

fn parse_pcrs(item: Item<'_>) -> Result<BTreeMap<u8, Vec<u8>>, Error> {
    let Value::Map(entries) = item.value else {
        return Err(invalid("pcrs", "not a map"));
    };
    let mut pcrs = BTreeMap::new();
    for (key, value) in entries {
        let Value::Unsigned(index) = key.value else {
            return Err(invalid("pcrs", "index is not an unsigned integer"));
        };
        let index = u8::try_from(index)
            .ok()
            .filter(|&i| i <= MAX_PCR_INDEX)
            .ok_or(Error::InvalidPcrIndex { index })?;
        let Value::Bytes(pcr) = value.value else {
            return Err(invalid("pcrs", "value is not a byte string"));
        };
        if pcr.len() != PCR_LEN {
            return Err(Error::InvalidPcrLength {
                index,
                len: pcr.len(),
            });
        }
        pcrs.insert(index, pcr.into_owned());
    }
    if pcrs.is_empty() {
        return Err(invalid("pcrs", "empty"));
    }
    Ok(pcrs)
}

fn certificate_bytes(item: Item<'_>, field: &'static str) -> Result<Vec<u8>, Error> {
    match item.value {
        Value::Bytes(bytes) if bytes.is_empty() => Err(invalid(field, "empty certificate")),
        Value::Bytes(bytes) => Ok(bytes.into_owned()),
        _ => Err(invalid(field, "certificate is not a byte string")),
    }
}

fn parse_cabundle(item: Item<'_>) -> Result<Vec<Vec<u8>>, Error> {
    let Value::Array(certs) = item.value else {
        return Err(invalid("cabundle", "not an array"));
    };
    if certs.is_empty() {
        return Err(invalid("cabundle", "empty"));
    }
    certs
        .into_iter()
        .map(|cert| certificate_bytes(cert, "cabundle"))
        .collect()
}

fn optional(item: Item<'_>, field: &'static str) -> Result<Option<Vec<u8>>, Error> {
    let bytes: Cow<'_, [u8]> = match item.value {
        Value::Null => return Ok(None),
        Value::Bytes(bytes) => bytes,
        _ => return Err(invalid(field, "neither null nor a byte string")),
    };
    if bytes.len() > MAX_OPTIONAL_FIELD_LEN {
        return Err(Error::FieldTooLong {
            field,
            len: bytes.len(),
            max: MAX_OPTIONAL_FIELD_LEN,
        });
    }
    Ok(Some(bytes.into_owned()))
}

#[cfg(test)]
mod tests;
