//! What the caller expects: the time, the root, the nonce, the PCRs and the freshness.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::{Error, TrustedRoot};

/// A point in time, in milliseconds since the Unix epoch (UTC).
///
/// The crate never reads a clock: callers pass `now` in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

/// Length of every PCR value: SHA-384.
pub const PCR_LEN: usize = 48;

/// Highest PCR index a Nitro document may carry.
pub const MAX_PCR_INDEX: u8 = 31;

/// PCR values a document must carry. Never empty, never all zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedPcrs(BTreeMap<u8, Vec<u8>>);

impl ExpectedPcrs {
    /// Expect each `(index, value)` pair. Every listed index must match; unlisted ones are free.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPcrPolicy`] for an empty set, an index above 31, a value that is not 48
    /// bytes or is all zero, or an index listed twice. An empty or all-zero expectation would
    /// otherwise match anything, or only debug enclaves.
    pub fn new(pcrs: impl IntoIterator<Item = (u8, Vec<u8>)>) -> Result<Self, Error> {
        let mut map = BTreeMap::new();
        for (index, value) in pcrs {
            let problem = |reason| Error::InvalidPcrPolicy {
                index: Some(index),
                reason,
            };
            if index > MAX_PCR_INDEX {
                return Err(problem("index above 31"));
            }
            if value.len() != PCR_LEN {
                return Err(problem("value is not 48 bytes"));
            }
            if value.iter().all(|&b| b == 0) {
                return Err(problem("value is all zero"));
            }
            if map.insert(index, value).is_some() {
                return Err(problem("index listed twice"));
            }
        }
        if map.is_empty() {
            return Err(Error::InvalidPcrPolicy {
                index: None,
                reason: "no pcr expected",
            });
        }
        Ok(Self(map))
    }

    /// The expected values by index.
    pub fn as_map(&self) -> &BTreeMap<u8, Vec<u8>> {
        &self.0
    }
}

/// How to verify a document: built with [`VerifyOptions::new`], then adjusted builder-style.
///
/// Defaults: the AWS Nitro Enclaves Root G1, no nonce or PCR expectation, debug documents
/// refused, no maximum age (the 3-hour leaf certificate bounds it), 60 s of clock skew.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub(crate) now: UnixTime,
    pub(crate) root: TrustedRoot,
    pub(crate) nonce: Option<Vec<u8>>,
    pub(crate) pcrs: Option<ExpectedPcrs>,
    pub(crate) allow_debug: bool,
    pub(crate) max_age: Option<Duration>,
    pub(crate) clock_skew: Duration,
}

impl VerifyOptions {
    /// Clock skew allowed by default.
    pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);

    /// Verify at `now` with the defaults above.
    pub fn new(now: UnixTime) -> Self {
        Self {
            now,
            root: TrustedRoot::aws_nitro_g1(),
            nonce: None,
            pcrs: None,
            allow_debug: false,
            max_age: None,
            clock_skew: Self::DEFAULT_CLOCK_SKEW,
        }
    }

    /// Trust `root` instead of the AWS root.
    pub fn trusted_root(mut self, root: TrustedRoot) -> Self {
        self.root = root;
        self
    }

    /// Require the document's nonce to equal `nonce`, byte for byte.
    pub fn expected_nonce(mut self, nonce: Vec<u8>) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Require the document's PCRs to match `pcrs` at every listed index.
    pub fn expected_pcrs(mut self, pcrs: ExpectedPcrs) -> Self {
        self.pcrs = Some(pcrs);
        self
    }

    /// Accept documents from debug-mode enclaves (PCR0, PCR1, PCR2 all zero) when `allow`.
    ///
    /// A debug enclave's memory is readable by its host: never allow this in production.
    pub fn insecure_allow_debug(mut self, allow: bool) -> Self {
        self.allow_debug = allow;
        self
    }

    /// Refuse documents whose timestamp is older than `max_age` (plus the clock skew) at `now`.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Allow the document timestamp to lead `now` (and to exceed the maximum age) by `skew`.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }
}

/// `duration` in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
