//! The development enclave's measurements: PCR0 to PCR2 derived from the server binary.
//!
//! In a real enclave PCR0 is the hash of the enclave image, PCR1 of its kernel and bootstrap,
//! PCR2 of its application. The development stand-in has one artefact to measure, the server
//! binary, so it derives all three from it:
//!
//! ```text
//! PCR0 = SHA-384(binary)
//! PCR1 = SHA-384("tee-rex dev PCR1: kernel and bootstrap stand-in\0" || PCR0)
//! PCR2 = SHA-384("tee-rex dev PCR2: application stand-in\0" || PCR0)
//! ```
//!
//! All three change with the code, no two are equal, and none is zero (a real debug-mode
//! enclave has all three zero). The binary is hashed once, with `ring`, whose assembly keeps a
//! debug build's start fast; the derivations use `sha2`.

use std::{fs::File, io::Read, path::Path};

use ring::digest::{Context, SHA384};
use sha2::{Digest, Sha384};

use super::{AttestError, AttestErrorKind};

/// Number of PCRs a Nitro document carries.
pub(crate) const PCR_COUNT: usize = 16;
/// Length of a SHA-384 PCR.
pub(crate) const PCR_LEN: usize = 48;

/// One PCR value.
pub(crate) type Pcr = [u8; PCR_LEN];

/// PCR0 to PCR2 of the development enclave.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct DevMeasurements {
    /// PCR0, PCR1, PCR2.
    pub(crate) pcrs: [Pcr; 3],
}

impl DevMeasurements {
    /// Measures the server binary at `path`.
    pub(crate) fn of_binary(path: &Path) -> Result<Self, AttestError> {
        let read_error = |source| AttestErrorKind::ReadServerBinary {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(read_error)?;

        let mut binary = Context::new(&SHA384);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(read_error)?;
            let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                break;
            };
            binary.update(chunk);
        }

        // SHA-384 output is PCR_LEN bytes, so the copy cannot panic.
        let mut pcr0 = [0u8; PCR_LEN];
        pcr0.copy_from_slice(binary.finish().as_ref());
        let derive = |domain: &[u8]| {
            Sha384::new_with_prefix(domain)
                .chain_update(pcr0)
                .finalize()
        };
        Ok(Self {
            pcrs: [pcr0, derive(PCR1_DOMAIN).into(), derive(PCR2_DOMAIN).into()],
        })
    }

    /// All 16 PCRs of a document: PCR0 to PCR2 measured, the others zero.
    pub(crate) fn all(&self) -> [Pcr; PCR_COUNT] {
        let mut all = [[0u8; PCR_LEN]; PCR_COUNT];
        for (slot, pcr) in all.iter_mut().zip(self.pcrs) {
            *slot = pcr;
        }
        all
    }

    /// `{"PCR0":"<hex>","PCR1":"<hex>","PCR2":"<hex>"}`: the shape of the `Measurements` object
    /// `nitro-cli build-enclave` prints, which clients take as their expected-PCR policy.
    pub(crate) fn to_json(self) -> String {
        let [pcr0, pcr1, pcr2] = &self.pcrs;
        let map = serde_json::json!({
            "PCR0": hex::encode(pcr0),
            "PCR1": hex::encode(pcr1),
            "PCR2": hex::encode(pcr2),
        });
        format!("{map:#}\n")
    }
}

impl std::fmt::Debug for DevMeasurements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [pcr0, pcr1, pcr2] = &self.pcrs;
        f.debug_struct("DevMeasurements")
            .field("pcr0", &hex::encode(pcr0))
            .field("pcr1", &hex::encode(pcr1))
            .field("pcr2", &hex::encode(pcr2))
            .finish()
    }
}

const PCR1_DOMAIN: &[u8] = b"tee-rex dev PCR1: kernel and bootstrap stand-in\0";
const PCR2_DOMAIN: &[u8] = b"tee-rex dev PCR2: application stand-in\0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcr0_is_sha384_of_the_binary_and_the_others_are_distinct() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();

        let m = DevMeasurements::of_binary(&path).unwrap();
        assert_eq!(m.pcrs[0].as_slice(), Sha384::digest(&bytes).as_slice());
        let mut pcr1 = Sha384::new_with_prefix(PCR1_DOMAIN);
        pcr1.update(Sha384::digest(&bytes));
        assert_eq!(m.pcrs[1].as_slice(), pcr1.finalize().as_slice());
        assert_ne!(m.pcrs[0], m.pcrs[1]);
        assert_ne!(m.pcrs[1], m.pcrs[2]);
        assert_ne!(m.pcrs[0], m.pcrs[2]);

        std::fs::write(&path, b"another build").unwrap();
        assert_ne!(
            DevMeasurements::of_binary(&path).unwrap(),
            m,
            "PCRs follow the code"
        );
    }

    #[test]
    fn all_has_sixteen_pcrs_with_only_the_first_three_set() {
        let m = DevMeasurements {
            pcrs: [[1; PCR_LEN], [2; PCR_LEN], [3; PCR_LEN]],
        };
        let all = m.all();
        assert_eq!(all.len(), 16);
        assert_eq!(&all[..3], &m.pcrs);
        assert!(all[3..].iter().all(|p| p == &[0; PCR_LEN]));
    }

    #[test]
    fn json_has_the_nitro_cli_measurement_keys() {
        let m = DevMeasurements {
            pcrs: [[0xab; PCR_LEN], [1; PCR_LEN], [2; PCR_LEN]],
        };
        let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 3);
        assert_eq!(obj["PCR0"], "ab".repeat(48));
        assert_eq!(obj["PCR1"], "01".repeat(48));
        assert_eq!(obj["PCR2"], "02".repeat(48));
    }

    #[test]
    fn unreadable_binary_is_an_error() {
        let err = DevMeasurements::of_binary(Path::new("/nonexistent/tee-rex-server")).unwrap_err();
        assert!(
            matches!(err.kind(), AttestErrorKind::ReadServerBinary { .. }),
            "{err}"
        );
    }
}
