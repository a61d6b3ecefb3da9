//! Downloading the real CRS the way bb 4.1.2 does, then verifying it before it is moved into place.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::files::StagingDir;
use crate::layout::encode_grumpkin_points;
use crate::testgen::check_size;
use crate::{
    derive_grumpkin_points, verify_dir, Error, TrustedG2, VerifiedCrs, G1_FILE, G2_FILE, G2_SIZE,
    GRUMPKIN_FILE, POINT_SIZE, REMOTE_G1_FILE, REMOTE_G2_FILE,
};

const MAX_G1_POINTS: u64 = (1 << 25) + 1;
const MAX_GRUMPKIN_POINTS: u64 = (1 << 20) + 1;

/// What to fetch and from where.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Base URL holding `g1.dat` and `g2.dat` (production: `http://crs.aztec-cdn.foundation`).
    pub base_url: String,
    /// BN254 G1 points to download (bb.js needs 2^20 + 1).
    pub g1_points: u64,
    /// Grumpkin points to derive (bb.js needs 2^16 + 1).
    pub grumpkin_points: u64,
    /// The G2 point the download must match.
    pub trusted: TrustedG2,
    /// Limit on connecting.
    pub connect_timeout: Duration,
    /// Limit on each read: a server that stalls longer fails the download.
    pub read_timeout: Duration,
}

/// Downloads `g1.dat` (the first `g1_points` points, with a `Range` header) and `g2.dat` from
/// `base_url`, derives the Grumpkin points, verifies everything with [`verify_dir`], and only then
/// moves the files into `out` with a `SHA256SUMS`. On any failure nothing is left behind.
///
/// # Errors
/// [`Error::BadBaseUrl`], [`Error::BadSize`], [`Error::Unreachable`] and [`Error::Download`]
/// (see [`Error::is_unreachable`]), [`Error::HttpStatus`], [`Error::TooFewPoints`] for a short
/// download, any verification error, [`Error::Io`].
pub fn fetch(out: &Path, options: &FetchOptions) -> Result<VerifiedCrs, Error> {
    check_size("g1 points", options.g1_points, 2, MAX_G1_POINTS)?;
    check_size(
        "grumpkin points",
        options.grumpkin_points,
        1,
        MAX_GRUMPKIN_POINTS,
    )?;
    let base = options.base_url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::BadBaseUrl {
            url: options.base_url.clone(),
        });
    }
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(options.connect_timeout)
        .timeout_read(options.read_timeout)
        .timeout_write(options.read_timeout)
        .build();
    let staging = StagingDir::new(out)?;

    let g1_len = options.g1_points * POINT_SIZE as u64;
    let g1_url = format!("{base}/{REMOTE_G1_FILE}");
    let g1 = download(&agent, &g1_url, g1_len)?;
    if (g1.len() as u64) < g1_len {
        return Err(Error::TooFewPoints {
            file: G1_FILE,
            expected: options.g1_points,
            found: (g1.len() / POINT_SIZE) as u64,
        });
    }
    staging.write(G1_FILE, &g1)?;
    drop(g1);

    let g2_url = format!("{base}/{REMOTE_G2_FILE}");
    staging.write(G2_FILE, &download(&agent, &g2_url, G2_SIZE as u64 + 1)?)?;

    let grumpkin = derive_grumpkin_points(options.grumpkin_points);
    staging.write(GRUMPKIN_FILE, &encode_grumpkin_points(&grumpkin))?;

    let verified = verify_dir(
        staging.path(),
        options.trusted,
        options.g1_points,
        options.grumpkin_points,
    )?;
    staging.commit(&[G1_FILE, G2_FILE, GRUMPKIN_FILE])?;
    Ok(verified)
}

/// GETs `url`, asking for and reading at most `limit` bytes.
fn download(agent: &ureq::Agent, url: &str, limit: u64) -> Result<Vec<u8>, Error> {
    let response = agent
        .get(url)
        .set("Range", &format!("bytes=0-{}", limit.saturating_sub(1)))
        .call()
        .map_err(|e| match e {
            ureq::Error::Status(status, _) => Error::HttpStatus {
                url: url.to_owned(),
                status,
            },
            ureq::Error::Transport(t) => Error::Unreachable {
                url: url.to_owned(),
                source: Box::new(t),
            },
        })?;
    // 200 (the whole file, of which only `limit` bytes are read) or 206 (the range asked for).
    let status = response.status();
    if status != 200 && status != 206 {
        return Err(Error::HttpStatus {
            url: url.to_owned(),
            status,
        });
    }

    let mut body = Vec::new();
    response
        .into_reader()
        .take(limit)
        .read_to_end(&mut body)
        .map_err(|source| Error::Download {
            url: url.to_owned(),
            source,
        })?;
    Ok(body)
}
