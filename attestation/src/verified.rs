//! The proof type [`verify`](crate::verify) returns, and the caller-policy checks before it.

use std::collections::BTreeMap;

use crate::chain::VerifiedChain;
use crate::error::short_hex;
use crate::options::millis;
use crate::{AttestationDoc, Error, UnixTime, VerifyOptions};

/// A document that passed [`verify`](crate::verify). Only verification constructs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAttestation {
    doc: AttestationDoc,
    leaf_not_before: UnixTime,
    leaf_not_after: UnixTime,
    is_debug: bool,
}

impl VerifiedAttestation {
    pub(crate) fn new(doc: AttestationDoc, chain: &VerifiedChain, is_debug: bool) -> Self {
        Self {
            doc,
            leaf_not_before: chain.leaf_not_before,
            leaf_not_after: chain.leaf_not_after,
            is_debug,
        }
    }

    /// The issuing Nitro hypervisor module.
    pub fn module_id(&self) -> &str {
        &self.doc.module_id
    }

    /// When the document was made.
    pub fn timestamp(&self) -> UnixTime {
        self.doc.timestamp
    }

    /// The PCR digest algorithm: always `SHA384`.
    pub fn digest(&self) -> &str {
        &self.doc.digest
    }

    /// PCR values by index, 48 bytes each.
    pub fn pcrs(&self) -> &BTreeMap<u8, Vec<u8>> {
        &self.doc.pcrs
    }

    /// The application-defined `public_key`, if present and not null.
    pub fn public_key(&self) -> Option<&[u8]> {
        self.doc.public_key.as_deref()
    }

    /// The application-defined `user_data`, if present and not null.
    pub fn user_data(&self) -> Option<&[u8]> {
        self.doc.user_data.as_deref()
    }

    /// The `nonce`, if present and not null.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.doc.nonce.as_deref()
    }

    /// Start of the leaf certificate's validity.
    pub fn leaf_not_before(&self) -> UnixTime {
        self.leaf_not_before
    }

    /// End of the leaf certificate's validity.
    pub fn leaf_not_after(&self) -> UnixTime {
        self.leaf_not_after
    }

    /// Whether the document comes from a debug-mode enclave (only possible when
    /// [`VerifyOptions::insecure_allow_debug`] was set).
    pub fn is_debug(&self) -> bool {
        self.is_debug
    }
}

/// Apply the caller's policy to an authenticated document; returns whether it is debug-mode.
pub(crate) fn check_policy(doc: &AttestationDoc, options: &VerifyOptions) -> Result<bool, Error> {
    let mut is_debug = true;
    for index in 0..=2u8 {
        let pcr = doc.pcrs.get(&index).ok_or(Error::MissingPcr { index })?;
        is_debug &= pcr.iter().all(|&b| b == 0);
    }
    if is_debug && !options.allow_debug {
        return Err(Error::DebugEnclave);
    }

    if let Some(expected) = &options.nonce {
        if doc.nonce.as_ref() != Some(expected) {
            return Err(Error::NonceMismatch {
                expected: short_hex(expected),
                found: doc.nonce.as_deref().map_or("null".into(), short_hex),
            });
        }
    }

    if let Some(expected) = &options.pcrs {
        for (&index, value) in expected.as_map() {
            let found = doc.pcrs.get(&index);
            if found != Some(value) {
                return Err(Error::PcrMismatch {
                    index,
                    expected: short_hex(value),
                    found: found.map_or("absent".into(), |v| short_hex(v)),
                });
            }
        }
    }

    let now = options.now.as_millis();
    let timestamp = doc.timestamp.as_millis();
    let skew_ms = millis(options.clock_skew);
    if timestamp > now.saturating_add(skew_ms) {
        return Err(Error::TimestampInFuture {
            timestamp: doc.timestamp,
            now: options.now,
            skew_ms,
        });
    }
    if let Some(max_age) = options.max_age {
        let max_age_ms = millis(max_age);
        if now.saturating_sub(timestamp) > max_age_ms.saturating_add(skew_ms) {
            return Err(Error::Stale {
                timestamp: doc.timestamp,
                now: options.now,
                max_age_ms,
                skew_ms,
            });
        }
    }
    Ok(is_debug)
}
