//! AWS Nitro Enclaves attestation document verification that fails closed.
//!
//! [`verify`] decides whether a document was made by a Nitro enclave (or, with
//! [`TrustedRoot::insecure_from_pem`], by a `dev` attestor with its own root) and matches the
//! caller's expectations. It is the one code path the tee-rex SDK and CLI use to decide trust.
//! There is no I/O and no clock: the caller passes `now` in [`VerifyOptions::new`]. The crate
//! builds natively and for `wasm32-unknown-unknown`.
//!
//! ```
//! use tee_rex_attestation::{verify, ExpectedPcrs, UnixTime, VerifyOptions};
//!
//! // A real document, verified at its own timestamp (its leaf certificate lives 3 hours).
//! let document = include_bytes!("../../testdata/nitro/real/cape-js-2022-09-15.cbor");
//! let now = UnixTime::from_millis(1_663_263_808_848);
//! let pcr0 = hex::decode(concat!(
//!     "ea4212ee889ba1b4dbfe744aadecca8b1930de60a3a1ce3b",
//!     "0c79f42b231700fc561c3d9b34f0565ed9eb6f460996624c",
//! ))
//! .unwrap();
//! let options = VerifyOptions::new(now).expected_pcrs(ExpectedPcrs::new([(0, pcr0)])?);
//!
//! let verified = verify(document, &options)?;
//! assert_eq!(verified.nonce().map(<[u8]>::len), Some(12));
//!
//! // The same document, one day later: the leaf certificate has expired.
//! let later = VerifyOptions::new(UnixTime::from_millis(now.as_millis() + 86_400_000));
//! assert_eq!(verify(document, &later).unwrap_err().code(), "CERT_NOT_VALID_AT_TIME");
//! # Ok::<(), tee_rex_attestation::Error>(())
//! ```
//!
//! Checks, in order; the first that fails is the [`Error`]:
//! 1. size: at most [`MAX_DOCUMENT_LEN`] bytes;
//! 2. COSE_Sign1, untagged or with tag 18, as strict CBOR (no duplicate keys at any depth, no
//!    trailing bytes, definite or indefinite lengths); protected header exactly `{1: -35}`
//!    (ES384), no `alg` or `crit` in the unprotected header, a 96-byte `r || s` signature;
//! 3. the payload: the fields of [`AttestationDoc`], typed and bounded;
//! 4. the chain: `cabundle[0]` equals the pinned root byte for byte, then root, intermediates in
//!    order and leaf, each signed with P-384 / SHA-384 and valid at `now` (see the `chain`
//!    module's rules);
//! 5. the document timestamp lies within the leaf's validity;
//! 6. the COSE signature, by the leaf key, over the protected header and payload bytes exactly
//!    as received (high-S signatures are accepted, as AWS emits them);
//! 7. policy: debug mode (PCR0, PCR1, PCR2 all zero) refused unless allowed, the expected nonce,
//!    the expected PCRs, and freshness (a timestamp ahead of `now` by more than the clock skew is
//!    refused; so is one older than the maximum age, when one is set).
//!
//! # Unknown payload keys
//!
//! A payload key outside AWS's specification (`module_id`, `digest`, `timestamp`, `pcrs`,
//! `certificate`, `cabundle`, `public_key`, `user_data`, `nonce`) is refused with
//! [`Error::UnknownPayloadKey`]. The Nitro hypervisor emits exactly these keys; a document with
//! more was made by something else, and signed data we would silently ignore is what a confused
//! verifier is built from. If AWS ever adds a key, this crate learns it explicitly.
//!
//! # Documents from other attestors
//!
//! A `dev` attestor passes when its document has the Nitro shape above and its chain, pinned
//! with [`TrustedRoot::insecure_from_pem`], follows the same rules as AWS's: every key P-384,
//! every certificate signed with ecdsa-with-SHA384, the root and intermediates with
//! basicConstraints `cA` true (and keyCertSign when they carry keyUsage), the leaf with keyUsage
//! digitalSignature and not a CA, no unknown critical extension, at most [`MAX_CHAIN_LEN`]
//! certificates, and PCR0, PCR1 and PCR2 present. Subject names are not checked.
//!
//! # The public key
//!
//! `public_key` is application-defined in the Nitro format, so [`verify`] only reports it. The
//! tee-rex SDK applies its own policy (an OpenPGP key must be present) on top.

#![forbid(unsafe_code)]

use p384::ecdsa::signature::Verifier;
use p384::ecdsa::Signature;

use crate::cose::CoseSign1;

mod cbor;
mod chain;
mod cose;
mod document;
mod error;
mod options;
mod root;
mod verified;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use chain::MAX_CHAIN_LEN;
pub use document::{AttestationDoc, MAX_OPTIONAL_FIELD_LEN};
pub use error::{ChainProblem, Error};
pub use options::{ExpectedPcrs, UnixTime, VerifyOptions, MAX_PCR_INDEX, PCR_LEN};
pub use root::TrustedRoot;
pub use verified::VerifiedAttestation;

/// Largest document accepted, in bytes. Real documents are under 10 KiB.
pub const MAX_DOCUMENT_LEN: usize = 64 * 1024;

/// Verify `document` (COSE_Sign1 bytes) against `options`.
///
/// # Errors
///
/// The [`Error`] variant of the first check that fails; see the crate docs for the order.
pub fn verify(document: &[u8], options: &VerifyOptions) -> Result<VerifiedAttestation, Error> {
    let cose = parse_cose(document)?;
    let doc = AttestationDoc::from_payload(&cose.payload)?;

    let chain = chain::verify_chain(&options.root, &doc.cabundle, &doc.certificate, options.now)?;

    // A leaf signs only during its own lifetime; a timestamp outside it was not made by the leaf
    // when it claims.
    if doc.timestamp < chain.leaf_not_before || doc.timestamp > chain.leaf_not_after {
        return Err(Error::TimestampOutsideLeafValidity {
            timestamp: doc.timestamp,
            not_before: chain.leaf_not_before,
            not_after: chain.leaf_not_after,
        });
    }

    let signature = Signature::from_slice(&cose.signature).map_err(|_| Error::SignatureInvalid)?;
    chain
        .leaf_key
        .verify(&cose.to_be_signed(), &signature)
        .map_err(|_| Error::SignatureInvalid)?;

    let is_debug = verified::check_policy(&doc, options)?;
    Ok(VerifiedAttestation::new(doc, &chain, is_debug))
}

/// Parse `document` (COSE_Sign1 bytes) without checking any signature, chain or policy.
///
/// For display and diagnostics only: nothing in the result is trustworthy.
///
/// # Errors
///
/// The [`Error`] of the first structural check (steps 1 to 3 in the crate docs) that fails.
pub fn parse_attestation_doc(document: &[u8]) -> Result<AttestationDoc, Error> {
    let cose = parse_cose(document)?;
    AttestationDoc::from_payload(&cose.payload)
}

fn parse_cose(document: &[u8]) -> Result<CoseSign1<'_>, Error> {
    if document.len() > MAX_DOCUMENT_LEN {
        return Err(Error::DocumentTooLarge {
            len: document.len(),
            max: MAX_DOCUMENT_LEN,
        });
    }
    CoseSign1::parse(document)
}
