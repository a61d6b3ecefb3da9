//! Encoding of a Nitro attestation document: the payload map and its COSE_Sign1 envelope.
//!
//! The layout is AWS's ([attestation process], section 2.2 and 3.1):
//!
//! ```text
//! COSE_Sign1 (untagged) = [
//!     protected:   bstr .cbor {1: -35},      ; alg: ES384, nothing else
//!     unprotected: {},
//!     payload:     bstr .cbor AttestationDocument,
//!     signature:   bstr .size 96,            ; r || s, P-384
//! ]
//! AttestationDocument = {
//!     module_id: text, digest: "SHA384", timestamp: uint (ms),
//!     pcrs: { + index => bstr .size 48 },
//!     certificate: bstr (DER), cabundle: [+ bstr (DER)],   ; root first
//!     public_key: bstr / null, user_data: bstr / null, nonce: bstr / null,
//! }
//! ```
//!
//! Keys appear in this order, every length is definite and minimal, and a field that was not
//! requested is CBOR null rather than absent: the same bytes AWS's documents have up to 2025.
//! The signature is ECDSA P-384 with SHA-384 over the COSE `Signature1` structure
//! (RFC 9052, section 4.4) with empty external data.
//!
//! [attestation process]: https://github.com/aws/aws-nitro-enclaves-nsm-api/blob/main/docs/attestation_process.md

use ciborium::value::Value;
use p384::ecdsa::{signature::Signer, Signature, SigningKey};

use super::{
    pcrs::{Pcr, PCR_COUNT},
    AttestError, AttestErrorKind,
};

/// The fields of one document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocumentFields<'a> {
    /// `module_id`.
    pub(crate) module_id: &'a str,
    /// `timestamp`, milliseconds since the Unix epoch.
    pub(crate) timestamp_ms: u64,
    /// `pcrs`, indices 0 to 15.
    pub(crate) pcrs: &'a [Pcr; PCR_COUNT],
    /// `certificate`: the leaf, DER.
    pub(crate) certificate: &'a [u8],
    /// `cabundle`: root first, DER.
    pub(crate) cabundle: &'a [Vec<u8>],
    /// `public_key`, null when `None`.
    pub(crate) public_key: Option<&'a [u8]>,
    /// `user_data`, null when `None`.
    pub(crate) user_data: Option<&'a [u8]>,
    /// `nonce`, null when `None`.
    pub(crate) nonce: Option<&'a [u8]>,
}

impl DocumentFields<'_> {
    /// The CBOR payload map.
    pub(crate) fn to_payload(self) -> Result<Vec<u8>, AttestError> {
        let bytes_or_null = |b: Option<&[u8]>| b.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        let pcrs = (0u64..)
            .zip(self.pcrs)
            .map(|(index, pcr)| (Value::Integer(index.into()), Value::Bytes(pcr.to_vec())))
            .collect();
        let cabundle = self
            .cabundle
            .iter()
            .map(|der| Value::Bytes(der.clone()))
            .collect();

        let map = Value::Map(vec![
            (text("module_id"), text(self.module_id)),
            (text("digest"), text("SHA384")),
            (text("timestamp"), Value::Integer(self.timestamp_ms.into())),
            (text("pcrs"), Value::Map(pcrs)),
            (text("certificate"), Value::Bytes(self.certificate.to_vec())),
            (text("cabundle"), Value::Array(cabundle)),
            (text("public_key"), bytes_or_null(self.public_key)),
            (text("user_data"), bytes_or_null(self.user_data)),
            (text("nonce"), bytes_or_null(self.nonce)),
        ]);
        encode(&map)
    }

    /// The signed COSE_Sign1 document.
    pub(crate) fn sign(self, key: &SigningKey) -> Result<Vec<u8>, AttestError> {
        let payload = self.to_payload()?;
        let signature: Signature = key.sign(&sig_structure(&payload)?);
        encode(&Value::Array(vec![
            Value::Bytes(PROTECTED_ES384.to_vec()),
            Value::Map(Vec::new()),
            Value::Bytes(payload),
            Value::Bytes(signature.to_bytes().to_vec()),
        ]))
    }
}

/// The COSE `Sig_structure` for a COSE_Sign1 with the ES384 protected header:
/// `["Signature1", protected, external_aad = h'', payload]`.
pub(crate) fn sig_structure(payload: &[u8]) -> Result<Vec<u8>, AttestError> {
    encode(&Value::Array(vec![
        text("Signature1"),
        Value::Bytes(PROTECTED_ES384.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn encode(value: &Value) -> Result<Vec<u8>, AttestError> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).map_err(|_| AttestErrorKind::Encoding)?;
    Ok(out)
}

/// `{1: -35}` (alg: ES384) encoded: the whole protected header of every Nitro document.
pub(crate) const PROTECTED_ES384: [u8; 4] = [0xa1, 0x01, 0x38, 0x22];

#[cfg(test)]
mod tests;
