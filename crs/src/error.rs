//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while generating, fetching or verifying a CRS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file's length is not a whole number of points.
    #[error("{file}: {len} bytes is not a whole number of {unit}-byte points")]
    PartialPoint {
        /// Which file.
        file: &'static str,
        /// Its length in bytes.
        len: u64,
        /// The size of one point.
        unit: usize,
    },

    /// A file holds fewer points than asked for (a truncated file or download).
    #[error("{file}: {found} points, at least {expected} needed")]
    TooFewPoints {
        /// Which file.
        file: &'static str,
        /// Points needed.
        expected: u64,
        /// Points present.
        found: u64,
    },

    /// A coordinate is not below the field modulus.
    #[error("{file}: point {index} has a coordinate that is not a canonical field element")]
    NonCanonicalCoordinate {
        /// Which file.
        file: &'static str,
        /// Index of the point.
        index: u64,
    },

    /// A point is not on its curve.
    #[error("{file}: point {index} is not on the curve")]
    NotOnCurve {
        /// Which file.
        file: &'static str,
        /// Index of the point.
        index: u64,
    },

    /// A point is on the curve but outside the prime-order subgroup.
    #[error("{file}: point {index} is not in the prime-order subgroup")]
    NotInSubgroup {
        /// Which file.
        file: &'static str,
        /// Index of the point.
        index: u64,
    },

    /// The first G1 point is not the generator (1, 2).
    #[error("bn254_g1.dat: the first point is not the generator (found x = {found_x})")]
    FirstPointNotGenerator {
        /// The first point's x coordinate, hex, truncated.
        found_x: String,
    },

    /// The second G1 point is not Ignition's \[x\]G1 although Ignition's G2 is trusted.
    #[error("bn254_g1.dat: the second point is not Ignition's [x]G1 (found x = {found_x})")]
    SecondPointNotIgnition {
        /// The second point's x coordinate, hex, truncated.
        found_x: String,
    },

    /// The G2 point is not the one the caller trusts.
    #[error(
        "bn254_g2.dat: the G2 point is not the trusted {trusted} [x]G2 (found x.c0 = {found})"
    )]
    UntrustedG2 {
        /// Which G2 was trusted.
        trusted: &'static str,
        /// The file's x.c0, hex, truncated.
        found: String,
    },

    /// The G1 points are not consecutive powers of the G2 point's secret.
    #[error(
        "bn254_g1.dat: the pairing check between consecutive powers fails over {points} points"
    )]
    PairingCheckFailed {
        /// Number of G1 points checked.
        points: u64,
    },

    /// A Grumpkin point differs from the deterministic derivation.
    #[error("grumpkin_g1.flat.dat: point {index} differs from the deterministic derivation")]
    GrumpkinMismatch {
        /// Index of the first differing point.
        index: u64,
    },

    /// The base URL is not an absolute http(s) URL.
    #[error("base url {url:?} is not an http:// or https:// url")]
    BadBaseUrl {
        /// The URL given.
        url: String,
    },

    /// The server answered with an HTTP error status.
    #[error("GET {url}: http status {status}")]
    HttpStatus {
        /// The URL requested.
        url: String,
        /// The status received.
        status: u16,
    },

    /// The server could not be reached or stopped answering (connection, DNS, timeout).
    #[error("GET {url}: the source is unreachable")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// What the HTTP client reported.
        #[source]
        source: Box<ureq::Transport>,
    },

    /// Reading the response body failed (including a read timeout while the server stalls).
    #[error("GET {url}: reading the response failed")]
    Download {
        /// The URL requested.
        url: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A file could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A size parameter is out of range.
    #[error("{what} must be between {min} and {max}, got {got}")]
    BadSize {
        /// Which parameter.
        what: &'static str,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
        /// The value given.
        got: u64,
    },

    /// A step that cannot fail did (a bug, reported instead of a panic).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Error {
    /// True when the CRS source could not be reached at all, as opposed to answering with
    /// something wrong. Provisioning falls back to a test CRS only in this case.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Unreachable { .. } | Error::Download { .. })
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Hex of the first bytes of a value, for error messages.
pub(crate) fn short_hex(bytes: &[u8]) -> String {
    let shown = bytes.get(..8).unwrap_or(bytes);
    format!("{}..", hex::encode(shown))
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_stays_small() {
        assert!(
            std::mem::size_of::<super::Error>() <= 64,
            "{}",
            std::mem::size_of::<super::Error>()
        );
    }
}
