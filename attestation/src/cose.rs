//! COSE_Sign1 (RFC 9052 section 4.2) as AWS Nitro Enclaves emits it: ES384 only.
//!
//! ```text
//! COSE_Sign1 = [
//!     protected : bstr .cbor header_map,   ; exactly {1: -35}
//!     unprotected : header_map,            ; may not carry alg (1) or crit (2)
//!     payload : bstr,                      ; the attestation document
//!     signature : bstr,                    ; 96 bytes, r || s
//! ]
//! ```

use std::borrow::Cow;

use crate::cbor::{self, Item, Value};
use crate::Error;

/// The CBOR tag for COSE_Sign1.
const COSE_SIGN1_TAG: u64 = 18;
/// COSE header label `alg`.
const LABEL_ALG: u64 = 1;
/// COSE header label `crit`.
const LABEL_CRIT: u64 = 2;
/// COSE algorithm ES384, encoded as CBOR negative `-1 - 34`.
const ES384_NEGATIVE: u64 = 34;
/// Length of a raw P-384 signature, r || s.
pub(crate) const SIGNATURE_LEN: usize = 96;

/// The parts of a COSE_Sign1 that verification needs, as received.
#[derive(Debug)]
pub(crate) struct CoseSign1<'a> {
    pub(crate) protected: Cow<'a, [u8]>,
    pub(crate) payload: Cow<'a, [u8]>,
    pub(crate) signature: Cow<'a, [u8]>,
}

impl<'a> CoseSign1<'a> {
    /// Parse `input` and check its headers name ES384 and nothing else.
    pub(crate) fn parse(input: &'a [u8]) -> Result<Self, Error> {
        let mut item = cbor::decode(input)?;
        if let Value::Tag(tag, inner) = item.value {
            if tag != COSE_SIGN1_TAG {
                return Err(Error::UnsupportedTag { tag });
            }
            item = *inner;
        }
        let Value::Array(parts) = item.value else {
            return Err(Error::InvalidCose {
                reason: "not an array",
            });
        };
        let [protected, unprotected, payload, signature]: [Item<'a>; 4] =
            parts.try_into().map_err(|_| Error::InvalidCose {
                reason: "array does not have 4 elements",
            })?;

        let protected = bytes(protected, "protected header is not a byte string")?;
        check_protected(&protected)?;
        check_unprotected(unprotected)?;
        let payload = bytes(payload, "payload is not a byte string")?;
        let signature = bytes(signature, "signature is not a byte string")?;
        if signature.len() != SIGNATURE_LEN {
            return Err(Error::InvalidSignatureLength {
                len: signature.len(),
            });
        }
        Ok(Self {
            protected,
            payload,
            signature,
        })
    }

    /// The `Sig_structure` the signature covers (RFC 9052 section 4.4), built from the protected
    /// header and payload bytes exactly as received, with empty external AAD.
    pub(crate) fn to_be_signed(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.protected.len() + self.payload.len() + 32);
        out.push(0x84);
        out.push(0x6a);
        out.extend_from_slice(b"Signature1");
        push_bytes_header(&mut out, self.protected.len());
        out.extend_from_slice(&self.protected);
        out.push(0x40);
        push_bytes_header(&mut out, self.payload.len());
        out.extend_from_slice(&self.payload);
        out
    }
}

fn bytes<'a>(item: Item<'a>, reason: &'static str) -> Result<Cow<'a, [u8]>, Error> {
    match item.value {
        Value::Bytes(bytes) => Ok(bytes),
        _ => Err(Error::InvalidCose { reason }),
    }
}

/// The protected header must decode to exactly `{1: -35}`.
fn check_protected(encoded: &[u8]) -> Result<(), Error> {
    if encoded.is_empty() {
        return Err(Error::UnsupportedAlgorithm { found: None });
    }
    let Value::Map(entries) = cbor::decode(encoded)?.value else {
        return Err(Error::InvalidCose {
            reason: "protected header is not a map",
        });
    };
    let mut alg = None;
    for (key, value) in &entries {
        match key.value {
            Value::Unsigned(LABEL_ALG) => alg = Some(&value.value),
            Value::Unsigned(label) => {
                return Err(Error::UnsupportedHeaderParameter {
                    label: i64::try_from(label).unwrap_or(i64::MAX),
                })
            }
            Value::Negative(n) => {
                return Err(Error::UnsupportedHeaderParameter {
                    label: i64::try_from(n).map_or(i64::MIN, |n| -1 - n),
                })
            }
            _ => return Err(Error::UnsupportedHeaderParameter { label: -1 }),
        }
    }
    match alg {
        Some(Value::Negative(ES384_NEGATIVE)) => Ok(()),
        Some(Value::Negative(n)) => Err(Error::UnsupportedAlgorithm {
            found: i64::try_from(*n).ok().map(|n| -1 - n),
        }),
        Some(Value::Unsigned(n)) => Err(Error::UnsupportedAlgorithm {
            found: i64::try_from(*n).ok(),
        }),
        _ => Err(Error::UnsupportedAlgorithm { found: None }),
    }
}

/// The unprotected header must be a map without `alg` or `crit`: an algorithm there is not
/// covered by the signature.
fn check_unprotected(item: Item<'_>) -> Result<(), Error> {
    let Value::Map(entries) = item.value else {
        return Err(Error::InvalidCose {
            reason: "unprotected header is not a map",
        });
    };
    for (key, _) in entries {
        if matches!(key.value, Value::Unsigned(LABEL_ALG | LABEL_CRIT)) {
            return Err(Error::InvalidCose {
                reason: "alg or crit in the unprotected header",
            });
        }
    }
    Ok(())
}

// Each arm's range bounds `len`, so the narrowing casts are lossless.
#[allow(clippy::cast_possible_truncation)]
fn push_bytes_header(out: &mut Vec<u8>, len: usize) {
    let len = len as u64;
    match len {
        0..=23 => out.push(0x40 | len as u8),
        24..=0xff => out.extend_from_slice(&[0x58, len as u8]),
        0x100..=0xffff => {
            out.push(0x59);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0x5a);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        _ => {
            out.push(0x5b);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}
