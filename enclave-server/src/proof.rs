//! Conversion of bb's chonk proof file into the layout the TypeScript side reads.
//!
//! bb 4.x writes `proof` as the proof's field elements back to back, each 32 bytes big-endian,
//! with no length prefix (`write_file(output_dir / "proof", to_buffer(proof_fields))`; barretenberg's
//! `to_buffer` of a vector omits the size by default, and `bb verify` reads it back with
//! `many_from_buffer<fr>`). `ChonkProofWithPublicInputs.fromBuffer` in `@aztec/stdlib` expects a
//! 4-byte big-endian field count first, so the server prepends it.

/// Size of one BN254 field element in bb's serialisation.
pub const FIELD_BYTES: usize = 32;

/// Why a proof file cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofFormatError {
    /// The file is empty.
    #[error("the proof file is empty")]
    Empty,
    /// The length is not a multiple of [`FIELD_BYTES`].
    #[error("the proof file is {len} bytes, not a whole number of 32-byte fields")]
    PartialField {
        /// File length.
        len: usize,
    },
    /// More fields than a `u32` counts.
    #[error("the proof has {fields} fields, more than a 4-byte count holds")]
    TooManyFields {
        /// Field count.
        fields: usize,
    },
}

/// Prefixes bb's raw field list with its 4-byte big-endian count.
///
/// # Errors
/// [`ProofFormatError`] when `raw` is empty, not a whole number of fields, or too long.
pub fn to_response_layout(raw: &[u8]) -> Result<Vec<u8>, ProofFormatError> {
    if raw.is_empty() {
        return Err(ProofFormatError::Empty);
    }
    if !raw.len().is_multiple_of(FIELD_BYTES) {
        return Err(ProofFormatError::PartialField { len: raw.len() });
    }
    let fields = raw.len() / FIELD_BYTES;
    let count = u32::try_from(fields).map_err(|_| ProofFormatError::TooManyFields { fields })?;

    let mut out = Vec::with_capacity(4 + raw.len());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(raw);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_the_field_count_big_endian() {
        let mut raw = Vec::new();
        for i in 0..3u8 {
            let mut field = [0u8; 32];
            field[31] = i + 1;
            raw.extend_from_slice(&field);
        }
        let out = to_response_layout(&raw).unwrap();
        assert_eq!(&out[..4], &[0, 0, 0, 3]);
        assert_eq!(&out[4..], &raw[..]);
        assert_eq!(out[4 + 31], 1);
        assert_eq!(out[4 + 32 + 31], 2);
    }

    #[test]
    fn count_uses_all_four_bytes() {
        let raw = vec![0xab; 32 * 0x0102];
        let out = to_response_layout(&raw).unwrap();
        assert_eq!(&out[..4], &[0, 0, 1, 2]);
        assert_eq!(out.len(), 4 + raw.len());
    }

    #[test]
    fn refuses_empty_and_partial_fields() {
        assert_eq!(to_response_layout(&[]), Err(ProofFormatError::Empty));
        assert_eq!(
            to_response_layout(&[0; 33]),
            Err(ProofFormatError::PartialField { len: 33 })
        );
        assert_eq!(
            to_response_layout(&[0; 31]),
            Err(ProofFormatError::PartialField { len: 31 })
        );
    }
}
