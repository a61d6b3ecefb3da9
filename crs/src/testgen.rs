//! A test CRS whose secret is publicly known: bb accepts it, and anyone can forge proofs with it.

use std::path::Path;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{One, PrimeField};
use sha2::{Digest, Sha256};

use crate::files::{StagingDir, MARKER_FILE};
use crate::layout::{encode_g1_points, encode_g2, encode_grumpkin_points};
use crate::{derive_grumpkin_points, Error, G1_FILE, G2_FILE, GRUMPKIN_FILE};

/// The test secret is SHA-256 of this string, read as a big-endian integer modulo the BN254
/// scalar field order. It is public on purpose: a CRS built from it is for tests only.
pub const INSECURE_TEST_SECRET_SEED: &[u8] = b"tee-rex test-only CRS secret";

/// The text of the `INSECURE_TEST_CRS` marker file.
pub const MARKER_TEXT: &str = "\
INSECURE TEST CRS. The BN254 points in this folder are powers of a secret that is published in \
tee-rex's source code (tee-rex-crs, INSECURE_TEST_SECRET_SEED: the secret is SHA-256 of \
\"tee-rex test-only CRS secret\" modulo the BN254 scalar field order), not the output of Aztec's \
Ignition ceremony. Anyone who knows the secret can forge proofs that verify against it, so a proof \
made with this CRS proves nothing and must never be accepted or relied on; bb itself rejects its \
own chonk proofs made with it, because bb compiles in Ignition's G2 point. Use it only to exercise \
the proving pipeline in tests and development.\n";

const MAX_G1_POINTS: u64 = (1 << 25) + 1;
const MAX_GRUMPKIN_POINTS: u64 = (1 << 20) + 1;

/// The publicly known test secret.
pub fn insecure_test_secret() -> Fr {
    Fr::from_be_bytes_mod_order(&Sha256::digest(INSECURE_TEST_SECRET_SEED))
}

/// \[s\]G2 for the publicly known test secret: the G2 point of every CRS [`generate_test_crs`] makes.
pub fn insecure_test_g2() -> G2Affine {
    (G2Projective::generator() * insecure_test_secret()).into_affine()
}

/// \[s^i\]G1 for i in `0..count`.
pub fn powers_of_secret_g1(secret: Fr, count: usize) -> Vec<G1Affine> {
    let mut powers = Vec::with_capacity(count);
    let mut acc = Fr::one();
    for _ in 0..count {
        powers.push(acc);
        acc *= secret;
    }
    BatchMulPreprocessing::new(G1Projective::generator(), count).batch_mul(&powers)
}

/// Writes a test CRS with the publicly known secret into `out`, replacing what was there, with the
/// `INSECURE_TEST_CRS` marker and `SHA256SUMS`.
///
/// # Errors
/// [`Error::BadSize`] for sizes out of range (G1 at least 2 points), [`Error::Io`] when writing
/// fails. A failed run leaves no partial folder behind.
pub fn generate_test_crs(out: &Path, g1_points: u64, grumpkin_points: u64) -> Result<(), Error> {
    check_size("g1 points", g1_points, 2, MAX_G1_POINTS)?;
    check_size("grumpkin points", grumpkin_points, 1, MAX_GRUMPKIN_POINTS)?;
    let g1_count =
        usize::try_from(g1_points).map_err(|_| Error::Internal("g1 point count overflows"))?;

    let staging = StagingDir::new(out)?;
    let secret = insecure_test_secret();
    let g1 = powers_of_secret_g1(secret, g1_count);
    staging.write(G1_FILE, &encode_g1_points(&g1)?)?;
    drop(g1);

    let g2 = (G2Projective::generator() * secret).into_affine();
    staging.write(G2_FILE, &encode_g2(&g2)?)?;

    let grumpkin = derive_grumpkin_points(grumpkin_points);
    staging.write(GRUMPKIN_FILE, &encode_grumpkin_points(&grumpkin))?;

    staging.write(MARKER_FILE, MARKER_TEXT.as_bytes())?;
    staging.commit(&[G1_FILE, G2_FILE, GRUMPKIN_FILE, MARKER_FILE])
}

pub(crate) fn check_size(what: &'static str, got: u64, min: u64, max: u64) -> Result<(), Error> {
    if (min..=max).contains(&got) {
        Ok(())
    } else {
        Err(Error::BadSize {
            what,
            min,
            max,
            got,
        })
    }
}

#[cfg(test)]
mod tests {
    use ark_ec::pairing::Pairing;
    use ark_ec::AffineRepr;

    use super::*;

    #[test]
    fn powers_follow_the_secret() {
        let s = Fr::from(3u64);
        let p = powers_of_secret_g1(s, 4);
        assert_eq!(p[0], G1Affine::generator());
        assert_eq!(
            p[3],
            (G1Projective::generator() * Fr::from(27u64)).into_affine()
        );
    }

    #[test]
    fn test_g2_matches_test_secret() {
        let g1 = powers_of_secret_g1(insecure_test_secret(), 2);
        assert_eq!(
            ark_bn254::Bn254::pairing(g1[1], G2Affine::generator()),
            ark_bn254::Bn254::pairing(g1[0], insecure_test_g2())
        );
    }

    #[test]
    fn refuses_sizes_out_of_range() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crs");
        assert!(matches!(
            generate_test_crs(&out, 1, 1),
            Err(Error::BadSize { got: 1, .. })
        ));
        assert!(matches!(
            generate_test_crs(&out, 4, 0),
            Err(Error::BadSize { got: 0, .. })
        ));
        assert!(!out.exists());
    }
}
