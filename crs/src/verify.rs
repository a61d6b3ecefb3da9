//! Verifying a CRS without trusting where it came from.

use std::path::Path;

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, VariableBaseMSM};
use rand::rngs::OsRng;
use rand::Rng;

use crate::error::short_hex;
use crate::files::read;
use crate::layout::{decode_g1_points, decode_g2, encode_grumpkin_points, g1_x_hex};
use crate::{
    derive_grumpkin_points, Error, G1_FILE, G2_FILE, GRUMPKIN_FILE, IGNITION_G1_SECOND_BYTES,
    IGNITION_G2_BYTES, POINT_SIZE,
};

/// Which \[x\]G2 the G1 points must be powers of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustedG2 {
    /// Aztec's Ignition ceremony ([`IGNITION_G2_BYTES`]); also pins the second G1 point.
    Ignition,
    /// A G2 point whose secret is known, such as [`crate::insecure_test_g2`]. A CRS accepted under
    /// it proves nothing.
    InsecureTest(G2Affine),
}

impl TrustedG2 {
    fn point(&self) -> Result<G2Affine, Error> {
        match self {
            TrustedG2::Ignition => ignition_g2(),
            TrustedG2::InsecureTest(p) => Ok(*p),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            TrustedG2::Ignition => "ignition",
            TrustedG2::InsecureTest(_) => "insecure test",
        }
    }
}

/// What [`verify_dir`] checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedCrs {
    /// BN254 G1 points present and verified.
    pub g1_points: u64,
    /// Grumpkin points present and verified.
    pub grumpkin_points: u64,
    /// True when verified against an insecure test G2.
    pub insecure: bool,
}

/// Ignition's \[x\]G2, decoded and checked.
///
/// # Errors
/// Never in practice: the constant is checked by a unit test. A failure is reported, not panicked.
pub fn ignition_g2() -> Result<G2Affine, Error> {
    decode_g2(&IGNITION_G2_BYTES)
}

/// Checks every file of a CRS folder: the G2 point, the G1 points (at least `min_g1` of them) and
/// the Grumpkin points (at least `min_grumpkin`).
///
/// # Errors
/// The first failing check's variant; [`Error::Io`] when a file cannot be read.
pub fn verify_dir(
    dir: &Path,
    trusted: TrustedG2,
    min_g1: u64,
    min_grumpkin: u64,
) -> Result<VerifiedCrs, Error> {
    let g2 = verify_g2_bytes(&read(&dir.join(G2_FILE))?, trusted)?;
    let g1_points = verify_g1_bytes(&read(&dir.join(G1_FILE))?, min_g1, &g2, trusted)?;
    let grumpkin_points = verify_grumpkin_bytes(&read(&dir.join(GRUMPKIN_FILE))?, min_grumpkin)?;
    Ok(VerifiedCrs {
        g1_points,
        grumpkin_points,
        insecure: matches!(trusted, TrustedG2::InsecureTest(_)),
    })
}

/// Checks `bn254_g2.dat` holds the trusted G2 point.
///
/// # Errors
/// The decoding errors of [`decode_g2`], or [`Error::UntrustedG2`].
pub fn verify_g2_bytes(bytes: &[u8], trusted: TrustedG2) -> Result<G2Affine, Error> {
    let found = decode_g2(bytes)?;
    if found != trusted.point()? {
        return Err(Error::UntrustedG2 {
            trusted: trusted.name(),
            found: short_hex(bytes),
        });
    }
    Ok(found)
}

/// Checks G1 points: at least `min_points` (and 2), each valid, the first the generator, the
/// second Ignition's when Ignition is trusted, and consecutive powers of the secret behind `g2`.
/// Returns the number of points.
///
/// The power relation P_{i+1} = x P_i is checked for all i at once with random 128-bit weights
/// r_i: e(sum r_i P_{i+1}, G2) == e(sum r_i P_i, \[x\]G2). A file that breaks it anywhere passes
/// with probability about 2^-128.
///
/// # Errors
/// [`Error::TooFewPoints`], the decoding errors of [`decode_g1_points`],
/// [`Error::FirstPointNotGenerator`], [`Error::SecondPointNotIgnition`],
/// [`Error::PairingCheckFailed`].
pub fn verify_g1_bytes(
    bytes: &[u8],
    min_points: u64,
    g2: &G2Affine,
    trusted: TrustedG2,
) -> Result<u64, Error> {
    let points = decode_g1_points(bytes)?;
    let count = points.len() as u64;
    if count < min_points.max(2) {
        return Err(Error::TooFewPoints {
            file: G1_FILE,
            expected: min_points.max(2),
            found: count,
        });
    }

    let (first, second) = match points.as_slice() {
        [first, second, ..] => (first, second),
        _ => {
            return Err(Error::Internal(
                "fewer than two points after the length check",
            ))
        }
    };
    if *first != G1Affine::generator() {
        return Err(Error::FirstPointNotGenerator {
            found_x: g1_x_hex(first),
        });
    }
    if trusted == TrustedG2::Ignition {
        let pinned = decode_g1_points(&IGNITION_G1_SECOND_BYTES)?;
        if pinned.first() != Some(second) {
            return Err(Error::SecondPointNotIgnition {
                found_x: g1_x_hex(second),
            });
        }
    }

    let weights: Vec<Fr> = (1..points.len())
        .map(|_| Fr::from(OsRng.gen::<u128>()))
        .collect();
    let (lower, upper) = (&points[..points.len() - 1], &points[1..]);
    let msm = |bases: &[G1Affine]| {
        G1Projective::msm(bases, &weights).map_err(|_| Error::Internal("msm length mismatch"))
    };
    let (shifted, unshifted) = (msm(upper)?, msm(lower)?);
    if Bn254::pairing(shifted, G2Affine::generator()) != Bn254::pairing(unshifted, g2) {
        return Err(Error::PairingCheckFailed { points: count });
    }
    Ok(count)
}

/// Checks Grumpkin points: at least `min_points`, a whole number of points, and byte for byte the
/// deterministic derivation. Returns the number of points.
///
/// # Errors
/// [`Error::PartialPoint`], [`Error::TooFewPoints`], [`Error::GrumpkinMismatch`].
pub fn verify_grumpkin_bytes(bytes: &[u8], min_points: u64) -> Result<u64, Error> {
    if !bytes.len().is_multiple_of(POINT_SIZE) {
        return Err(Error::PartialPoint {
            file: GRUMPKIN_FILE,
            len: bytes.len() as u64,
            unit: POINT_SIZE,
        });
    }
    let count = (bytes.len() / POINT_SIZE) as u64;
    if count < min_points.max(1) {
        return Err(Error::TooFewPoints {
            file: GRUMPKIN_FILE,
            expected: min_points.max(1),
            found: count,
        });
    }
    let expected = encode_grumpkin_points(&derive_grumpkin_points(count));
    if let Some(i) = bytes
        .chunks_exact(POINT_SIZE)
        .zip(expected.chunks_exact(POINT_SIZE))
        .position(|(a, b)| a != b)
    {
        return Err(Error::GrumpkinMismatch { index: i as u64 });
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignition_constants_are_consistent() {
        // e([x]G1, G2) == e(G1, [x]G2) ties the two pinned constants to one secret.
        let g2 = ignition_g2().unwrap();
        let second = decode_g1_points(&IGNITION_G1_SECOND_BYTES).unwrap()[0];
        assert_eq!(
            Bn254::pairing(second, G2Affine::generator()),
            Bn254::pairing(G1Affine::generator(), g2)
        );
    }

    #[test]
    fn ignition_g2_is_not_the_test_g2() {
        assert_ne!(ignition_g2().unwrap(), crate::insecure_test_g2());
    }
}
