//! The prover identity a server binds into its attestation document's `user_data`.
//!
//! PCRs measure the enclave image, which already pins the `bb` binary and CRS baked into it; the
//! identity repeats those facts in readable form so a client can show and check *what* proves
//! without recomputing image measurements. It is compact JSON:
//!
//! ```text
//! {"v":1,"bbVersion":"4.1.2","bbSha256":"<64 hex>",
//!  "crs":[{"file":"bn254_g1.dat","sha256":"<64 hex>"},...],"crsInsecure":false}
//! ```

use serde::{Deserialize, Serialize};

/// Largest `user_data` the server emits, in bytes (the NSM accepts up to 1024; we keep room).
pub const MAX_USER_DATA_LEN: usize = 512;

const FORMAT_VERSION: u32 = 1;

/// What proves on a server: the `bb` binary and the CRS files it reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProverIdentity {
    /// `bb --version` output, trimmed.
    pub bb_version: String,
    /// SHA-256 of the `bb` binary.
    #[serde(with = "hex32")]
    pub bb_sha256: [u8; 32],
    /// SHA-256 of each CRS file, sorted by file name.
    pub crs: Vec<CrsFileHash>,
    /// True when the CRS is a locally generated test CRS with a known secret: proofs made with
    /// it are worthless, and bb's self-check rejects them.
    pub crs_insecure: bool,
}

/// SHA-256 of one CRS file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrsFileHash {
    /// File name inside the CRS folder, e.g. `bn254_g1.dat`.
    pub file: String,
    /// SHA-256 of the file's bytes.
    #[serde(with = "hex32")]
    pub sha256: [u8; 32],
}

/// Why a [`ProverIdentity`] could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The encoded identity exceeds [`MAX_USER_DATA_LEN`].
    #[error("prover identity is {len} bytes, over the {max}-byte user_data limit")]
    TooLong {
        /// Encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a tee-rex prover identity.
    #[error("user_data is not a tee-rex prover identity")]
    Foreign(#[source] serde_json::Error),
    /// The identity uses a format version this code does not know.
    #[error("prover identity format version {found} is not supported (expected {expected})")]
    UnsupportedVersion {
        /// Version found.
        found: u32,
        /// Version this code reads.
        expected: u32,
    },
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u32,
    #[serde(flatten)]
    identity: T,
}

impl ProverIdentity {
    /// Encodes the identity as the `user_data` bytes of an attestation document.
    ///
    /// # Errors
    /// [`IdentityError::TooLong`] when the encoding exceeds [`MAX_USER_DATA_LEN`].
    pub fn to_user_data(&self) -> Result<Vec<u8>, IdentityError> {
        let envelope = Envelope {
            v: FORMAT_VERSION,
            identity: self,
        };
        // Serialising plain strings, integers and booleans cannot fail.
        let bytes = serde_json::to_vec(&envelope).unwrap_or_default();
        if bytes.len() > MAX_USER_DATA_LEN {
            return Err(IdentityError::TooLong {
                len: bytes.len(),
                max: MAX_USER_DATA_LEN,
            });
        }
        Ok(bytes)
    }

    /// Decodes `user_data` bytes written by [`Self::to_user_data`].
    ///
    /// # Errors
    /// [`IdentityError::Foreign`] when the bytes are not ours, [`IdentityError::TooLong`] when they
    /// exceed [`MAX_USER_DATA_LEN`], [`IdentityError::UnsupportedVersion`] for another version.
    pub fn from_user_data(bytes: &[u8]) -> Result<Self, IdentityError> {
        if bytes.len() > MAX_USER_DATA_LEN {
            return Err(IdentityError::TooLong {
                len: bytes.len(),
                max: MAX_USER_DATA_LEN,
            });
        }
        let envelope: Envelope<Self> =
            serde_json::from_slice(bytes).map_err(IdentityError::Foreign)?;
        if envelope.v != FORMAT_VERSION {
            return Err(IdentityError::UnsupportedVersion {
                found: envelope.v,
                expected: FORMAT_VERSION,
            });
        }
        Ok(envelope.identity)
    }
}

mod hex32 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = <&str>::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(D::Error::custom)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ProverIdentity {
        ProverIdentity {
            bb_version: "4.1.2".into(),
            bb_sha256: [0xab; 32],
            crs: ["bn254_g1.dat", "bn254_g2.dat", "grumpkin_g1.flat.dat"]
                .iter()
                .enumerate()
                .map(|(i, f)| CrsFileHash {
                    file: (*f).into(),
                    sha256: [u8::try_from(i).unwrap(); 32],
                })
                .collect(),
            crs_insecure: true,
        }
    }

    #[test]
    fn round_trips_and_fits_user_data() {
        let bytes = sample().to_user_data().unwrap();
        assert!(bytes.len() <= MAX_USER_DATA_LEN, "{} bytes", bytes.len());
        assert_eq!(ProverIdentity::from_user_data(&bytes).unwrap(), sample());
    }

    #[test]
    fn refuses_foreign_and_future_data() {
        assert!(matches!(
            ProverIdentity::from_user_data(&[0u8; 32]),
            Err(IdentityError::Foreign(_))
        ));
        let mut json: serde_json::Value =
            serde_json::from_slice(&sample().to_user_data().unwrap()).unwrap();
        json["v"] = 2.into();
        assert!(matches!(
            ProverIdentity::from_user_data(json.to_string().as_bytes()),
            Err(IdentityError::UnsupportedVersion {
                found: 2,
                expected: 1
            })
        ));
    }

    #[test]
    fn refuses_oversized_identity() {
        let mut big = sample();
        big.bb_version = "x".repeat(MAX_USER_DATA_LEN);
        assert!(matches!(
            big.to_user_data(),
            Err(IdentityError::TooLong { .. })
        ));
    }
}
