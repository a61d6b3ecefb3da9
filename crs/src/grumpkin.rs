//! The Grumpkin points: a public hash-to-curve, so there is no secret to trust.
//!
//! Point `i` is the first `attempt = 0, 1, ...` for which SHA-256 of
//! `"BARRETENBERG_GRUMPKIN_IPA_CRS" || i (u64 BE) || attempt (u64 BE)` yields an x on the curve
//! `y^2 = x^3 - 17`. The digest's four 8-byte big-endian words are the little-endian limbs of a
//! 256-bit integer; its top bit selects the parity of y and the rest, reduced modulo the field, is
//! x. This is bb's `generate_grumpkin_srs`; bb regenerates the same file when it is missing.

use ark_ff::{BigInteger, Field, PrimeField};
use ark_grumpkin::{Affine, Fq};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

const DOMAIN: &[u8] = b"BARRETENBERG_GRUMPKIN_IPA_CRS";

/// Derives Grumpkin points `0..count`, in parallel.
pub fn derive_grumpkin_points(count: u64) -> Vec<Affine> {
    (0..count).into_par_iter().map(grumpkin_point).collect()
}

/// Derives Grumpkin point `index`.
pub fn grumpkin_point(index: u64) -> Affine {
    let b = Fq::from(17u64);
    // Half of all x values are on the curve, so the loop ends after a couple of attempts; u64
    // attempts cannot run out in practice.
    let mut attempt: u64 = 0;
    loop {
        let digest = Sha256::new()
            .chain_update(DOMAIN)
            .chain_update(index.to_be_bytes())
            .chain_update(attempt.to_be_bytes())
            .finalize();
        let mut limbs = [0u64; 4];
        for (limb, word) in limbs.iter_mut().zip(digest.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            *limb = u64::from_be_bytes(w);
        }
        let y_is_odd = limbs[3] >> 63 == 1;
        limbs[3] &= !(1u64 << 63);

        let mut le = [0u8; 32];
        for (chunk, limb) in le.chunks_exact_mut(8).zip(limbs) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        let x = Fq::from_le_bytes_mod_order(&le);
        if let Some(y) = (x * x * x - b).sqrt() {
            let y = if y.into_bigint().is_odd() == y_is_odd {
                y
            } else {
                -y
            };
            return Affine::new_unchecked(x, y);
        }
        attempt = attempt.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use ark_ec::AffineRepr;

    use super::*;

    #[test]
    fn points_are_on_the_curve_and_distinct() {
        let points = derive_grumpkin_points(64);
        assert!(points.iter().all(|p| p.is_on_curve() && !p.is_zero()));
        for (i, p) in points.iter().enumerate() {
            assert!(!points[i + 1..].contains(p), "point {i} repeats");
        }
    }

    /// bb 4.1.2 wrote `grumpkin_g1.flat.dat` (2^15 points) into a CRS folder that lacked it, while
    /// proving `testdata/aztec/ivc-deploy-schnorr.msgpack` (2026-12-04). The whole file equals our
    /// derivation (SHA-256 df929cc1d1a35961e41b43d090c45f30b76a745c9b27c36f64e448d83ee11558);
    /// pinned here: the SHA-256 of its first 256 points.
    #[test]
    fn matches_the_points_bb_derives() {
        let bytes = crate::encode_grumpkin_points(&derive_grumpkin_points(256));
        assert_eq!(
            hex::encode(Sha256::digest(bytes)),
            "5eee09967d3a7af29e5dde214c51785cecbb24115e84211ff3bb686011490684"
        );
    }

    #[test]
    fn derivation_is_deterministic_and_indexed() {
        assert_eq!(grumpkin_point(5), derive_grumpkin_points(6)[5]);
        assert_ne!(grumpkin_point(0), grumpkin_point(1));
    }
}
