//! bb's file layout: 32-byte big-endian coordinates in normal form.

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField};
use rayon::prelude::*;

use crate::error::short_hex;
use crate::Error;

/// File name of the BN254 G1 points.
pub const G1_FILE: &str = "bn254_g1.dat";
/// File name of the BN254 G2 point.
pub const G2_FILE: &str = "bn254_g2.dat";
/// File name of the Grumpkin points.
pub const GRUMPKIN_FILE: &str = "grumpkin_g1.flat.dat";
/// Bytes per G1 or Grumpkin point.
pub const POINT_SIZE: usize = 64;
/// Bytes in `bn254_g2.dat`.
pub const G2_SIZE: usize = 128;

/// Decodes G1 points, checking each is canonical, on the curve and in the subgroup.
///
/// # Errors
/// [`Error::PartialPoint`] when the length is not a multiple of 64, and the first failing point's
/// [`Error::NonCanonicalCoordinate`], [`Error::NotOnCurve`] or [`Error::NotInSubgroup`].
pub fn decode_g1_points(bytes: &[u8]) -> Result<Vec<G1Affine>, Error> {
    if !bytes.len().is_multiple_of(POINT_SIZE) {
        return Err(Error::PartialPoint {
            file: G1_FILE,
            len: bytes.len() as u64,
            unit: POINT_SIZE,
        });
    }
    bytes
        .par_chunks_exact(POINT_SIZE)
        .enumerate()
        .map(|(i, chunk)| decode_g1_point(chunk, i as u64))
        .collect()
}

/// Encodes G1 points in bb's layout.
///
/// # Errors
/// [`Error::Internal`] for the point at infinity, which the layout cannot hold.
pub fn encode_g1_points(points: &[G1Affine]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(points.len() * POINT_SIZE);
    for p in points {
        let (x, y) = p
            .xy()
            .ok_or(Error::Internal("a CRS point is the point at infinity"))?;
        out.extend_from_slice(&field_to_be(&x));
        out.extend_from_slice(&field_to_be(&y));
    }
    Ok(out)
}

/// Decodes `bn254_g2.dat`, checking the point is canonical, on the curve and in the subgroup.
///
/// # Errors
/// [`Error::PartialPoint`] when the input is not 128 bytes, [`Error::NonCanonicalCoordinate`],
/// [`Error::NotOnCurve`] or [`Error::NotInSubgroup`].
pub fn decode_g2(bytes: &[u8]) -> Result<G2Affine, Error> {
    if bytes.len() != G2_SIZE {
        return Err(Error::PartialPoint {
            file: G2_FILE,
            len: bytes.len() as u64,
            unit: G2_SIZE,
        });
    }
    let coordinate = |i: usize| {
        field_from_be::<Fq>(&bytes[32 * i..32 * (i + 1)]).ok_or(Error::NonCanonicalCoordinate {
            file: G2_FILE,
            index: 0,
        })
    };
    let x = Fq2::new(coordinate(0)?, coordinate(1)?);
    let y = Fq2::new(coordinate(2)?, coordinate(3)?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(Error::NotOnCurve {
            file: G2_FILE,
            index: 0,
        });
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::NotInSubgroup {
            file: G2_FILE,
            index: 0,
        });
    }
    Ok(p)
}

/// Encodes a G2 point as `bn254_g2.dat`.
///
/// # Errors
/// [`Error::Internal`] for the point at infinity.
pub fn encode_g2(p: &G2Affine) -> Result<[u8; G2_SIZE], Error> {
    let (x, y) = p
        .xy()
        .ok_or(Error::Internal("the G2 point is the point at infinity"))?;
    let mut out = [0u8; G2_SIZE];
    for (i, c) in [x.c0, x.c1, y.c0, y.c1].iter().enumerate() {
        out[32 * i..32 * (i + 1)].copy_from_slice(&field_to_be(c));
    }
    Ok(out)
}

/// Encodes Grumpkin points in bb's layout.
pub fn encode_grumpkin_points(points: &[ark_grumpkin::Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * POINT_SIZE);
    for p in points {
        out.extend_from_slice(&field_to_be(&p.x));
        out.extend_from_slice(&field_to_be(&p.y));
    }
    out
}

fn decode_g1_point(chunk: &[u8], index: u64) -> Result<G1Affine, Error> {
    let x = field_from_be::<Fq>(&chunk[..32]);
    let y = field_from_be::<Fq>(&chunk[32..]);
    let (Some(x), Some(y)) = (x, y) else {
        return Err(Error::NonCanonicalCoordinate {
            file: G1_FILE,
            index,
        });
    };
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(Error::NotOnCurve {
            file: G1_FILE,
            index,
        });
    }
    // BN254 G1 has cofactor 1, so this holds for every point on the curve; checked anyway so the
    // code states the property it relies on.
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::NotInSubgroup {
            file: G1_FILE,
            index,
        });
    }
    Ok(p)
}

/// A field element from 32 big-endian bytes; `None` unless canonical (below the modulus).
pub(crate) fn field_from_be<F: PrimeField<BigInt = BigInt<4>>>(bytes: &[u8]) -> Option<F> {
    if bytes.len() != 32 {
        return None;
    }
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        // Limb 0 is the least significant: the last 8 bytes.
        let start = 32 - 8 * (i + 1);
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[start..start + 8]);
        *limb = u64::from_be_bytes(word);
    }
    F::from_bigint(BigInt::new(limbs))
}

/// A field element as 32 big-endian bytes.
pub(crate) fn field_to_be<F: PrimeField<BigInt = BigInt<4>>>(f: &F) -> [u8; 32] {
    let limbs = f.into_bigint().0;
    let mut out = [0u8; 32];
    for (i, limb) in limbs.iter().enumerate() {
        let start = 32 - 8 * (i + 1);
        out[start..start + 8].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// The x coordinate of a G1 point in bb's layout, for error messages.
pub(crate) fn g1_x_hex(p: &G1Affine) -> String {
    p.xy().map_or_else(
        || "infinity".to_owned(),
        |(x, _)| short_hex(&field_to_be(&x)),
    )
}

#[cfg(test)]
mod tests {
    use ark_ec::PrimeGroup;
    use ark_ff::UniformRand;

    use super::*;

    #[test]
    fn g1_round_trip() {
        let mut rng = ark_std::test_rng();
        let points: Vec<G1Affine> = (0..5).map(|_| G1Affine::rand(&mut rng)).collect();
        let bytes = encode_g1_points(&points).unwrap();
        assert_eq!(bytes.len(), 5 * POINT_SIZE);
        assert_eq!(decode_g1_points(&bytes).unwrap(), points);
    }

    #[test]
    fn generator_layout_is_one_two() {
        let bytes = encode_g1_points(&[G1Affine::generator()]).unwrap();
        assert_eq!(bytes[31], 1);
        assert_eq!(bytes[63], 2);
        assert!(bytes[..31].iter().chain(&bytes[32..63]).all(|b| *b == 0));
    }

    #[test]
    fn g2_round_trip() {
        let g = ark_bn254::G2Projective::generator() * ark_bn254::Fr::from(7u64);
        let p: G2Affine = g.into();
        assert_eq!(decode_g2(&encode_g2(&p).unwrap()).unwrap(), p);
    }

    #[test]
    fn refuses_non_canonical_coordinate() {
        let mut bytes = encode_g1_points(&[G1Affine::generator()]).unwrap();
        bytes[..32].fill(0xff);
        assert!(matches!(
            decode_g1_points(&bytes),
            Err(Error::NonCanonicalCoordinate { index: 0, .. })
        ));
    }

    #[test]
    fn refuses_partial_point() {
        let bytes = encode_g1_points(&[G1Affine::generator()]).unwrap();
        assert!(matches!(
            decode_g1_points(&bytes[..63]),
            Err(Error::PartialPoint { len: 63, .. })
        ));
        assert!(matches!(
            decode_g2(&[0u8; 127]),
            Err(Error::PartialPoint { .. })
        ));
    }

    #[test]
    fn refuses_g2_outside_the_subgroup() {
        // Points on the twist with a random x lie outside the prime-order subgroup except with
        // negligible probability (the cofactor is about 2^254).
        let mut rng = ark_std::test_rng();
        let p = loop {
            if let Some(p) = G2Affine::get_point_from_x_unchecked(Fq2::rand(&mut rng), false) {
                break p;
            }
        };
        assert!(p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve());
        let bytes = encode_g2(&p).unwrap();
        assert!(matches!(
            decode_g2(&bytes),
            Err(Error::NotInSubgroup { .. })
        ));
    }

    #[test]
    fn refuses_g2_off_curve() {
        let p: G2Affine = ark_bn254::G2Projective::generator().into();
        let mut bytes = encode_g2(&p).unwrap();
        bytes[127] ^= 1;
        assert!(matches!(decode_g2(&bytes), Err(Error::NotOnCurve { .. })));
    }
}
