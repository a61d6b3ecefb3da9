//! Barretenberg's CRS (structured reference string): fetch and verify the real one, or generate a
//! test one whose secret is publicly known.
//!
//! bb reads three files from its `--crs_path` folder:
//!
//! ```text
//! bn254_g1.dat          N BN254 G1 points [x^i]G1, i = 0..N; point 0 is the generator
//! bn254_g2.dat          the BN254 G2 point [x]G2 (128 bytes)
//! grumpkin_g1.flat.dat  M Grumpkin points from a public hash-to-curve (no secret)
//! ```
//!
//! Every coordinate is 32 bytes, big-endian, in normal (non-Montgomery) form; a G1 point is x then
//! y (64 bytes) and the G2 point is x.c0, x.c1, y.c0, y.c1. The real G1 points come from Aztec's
//! Ignition ceremony, whose \[x\]G2 bb 4.1.2 compiles in ([`IGNITION_G2_BYTES`]).
//!
//! A folder is trusted only through [`verify_dir`]: every point canonical, on its curve and in its
//! subgroup, the first point the generator, the G2 point the one the caller trusts, the pairing
//! relation between consecutive powers, and the Grumpkin points equal to their derivation.

#![forbid(unsafe_code)]

mod error;
mod fetch;
mod files;
mod grumpkin;
mod layout;
mod testgen;
mod verify;

pub use error::Error;
pub use fetch::{fetch, FetchOptions};
pub use files::{MARKER_FILE, SUMS_FILE};
pub use grumpkin::{derive_grumpkin_points, grumpkin_point};
pub use layout::{
    decode_g1_points, decode_g2, encode_g1_points, encode_g2, encode_grumpkin_points, G1_FILE,
    G2_FILE, G2_SIZE, GRUMPKIN_FILE, POINT_SIZE,
};
pub use testgen::{
    generate_test_crs, insecure_test_g2, insecure_test_secret, powers_of_secret_g1,
    INSECURE_TEST_SECRET_SEED, MARKER_TEXT,
};
pub use verify::{
    ignition_g2, verify_dir, verify_g1_bytes, verify_g2_bytes, verify_grumpkin_bytes, TrustedG2,
    VerifiedCrs,
};

/// The Ignition ceremony's \[x\]G2 in `bn254_g2.dat` layout, as compiled into bb 4.1.2.
///
/// Taken from barretenberg's `srs/factories/bn254_crs_data.hpp` (`BN254_G2_ELEMENT_BYTES`, the
/// contents of the CDN's `g2.dat`) and checked to occur byte for byte in the pinned bb 4.1.2
/// binary (`build/amd64-linux/bb` of `@aztec/bb.js@4.1.2`, offset 43869600).
pub const IGNITION_G2_BYTES: [u8; G2_SIZE] = hex_literal(concat!(
    "0118c4d5b837bcc2bc89b5b398b5974e9f5944073b32078b7e231fec938883b0",
    "260e01b251f6f1c7e7ff4e580791dee8ea51d87a358e038b4efe30fac09383c1",
    "22febda3c0c0632a56475b4214e5615e11e6dd3f96e6cea2854a87d4dacc5e55",
    "04fc6369f7110fe3d25156c1bb9a72859cf2a04641f99ba4ee413c80da6a5fe4",
));

/// The Ignition ceremony's \[x\]G1 (the second point of `g1.dat`), as compiled into bb 4.1.2.
///
/// Same source as [`IGNITION_G2_BYTES`] (`get_bn254_g1_second_element`); also present in the
/// pinned binary. A unit test checks e(\[x\]G1, G2) == e(G1, \[x\]G2) for the two constants.
pub const IGNITION_G1_SECOND_BYTES: [u8; POINT_SIZE] = hex_literal(concat!(
    "2d360628289ff943ff6bd1a87bbe4e62abe7fb61ba83effd266f22bdcf31e6f9",
    "26b92a79e563c3f48252cce7feeca2f0f8d33dcb4ef7b0643bf07bd405700aaa",
));

/// The file bb 4.1.2 downloads G1 points from, relative to the CRS base URL, with an HTTP `Range`
/// header for the first `64 * N` bytes (`http://crs.aztec-cdn.foundation/g1.dat`, falling back to
/// `http://crs.aztec-labs.com/g1.dat`; both strings are in the binary).
pub const REMOTE_G1_FILE: &str = "g1.dat";

/// The CDN's copy of the G2 point, relative to the CRS base URL (bb itself uses its built-in copy).
pub const REMOTE_G2_FILE: &str = "g2.dat";

/// Decodes a hex string at compile time; a bad literal fails the build.
#[allow(clippy::panic)] // Only ever evaluated in constants: a panic here is a compile error.
const fn hex_literal<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("bad hex digit in a constant"),
        }
    }
    let bytes = s.as_bytes();
    assert!(bytes.len() == 2 * N, "hex constant has the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}
