//! The development attestor: Nitro-format documents signed by a chain generated at start.
//!
//! It stands in for the Nitro Security Module where there is none (development machines, CI,
//! the demo), so that clients exercise exactly the verification they will run against a real
//! enclave. It proves nothing: anyone can run it. Its root certificate is written to a file
//! the operator hands to the clients that choose to trust it, and the PCRs it reports are
//! written beside it, as `<root file>.pcrs.json`.

use std::{
    ffi::OsString,
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use rand::{rngs::OsRng, RngCore};
use tee_rex_protocol::api::AttestationMode;

use super::{
    chain::DevChain,
    document::DocumentFields,
    pcrs::{DevMeasurements, Pcr, PCR_COUNT},
    AttestError, AttestErrorKind, AttestationRequest, Attestor,
};

/// Signs Nitro-format documents with an in-memory development chain.
pub(crate) struct DevAttestor {
    module_id: String,
    measurements: DevMeasurements,
    pcrs: [Pcr; PCR_COUNT],
    chain: Mutex<DevChain>,
}

impl DevAttestor {
    /// Measures `server_binary`, generates the chain, and publishes the root certificate at
    /// `root_out` and the PCRs at `<root_out>.pcrs.json`.
    pub(crate) fn start(root_out: &Path, server_binary: &Path) -> Result<Self, AttestError> {
        let measurements = DevMeasurements::of_binary(server_binary)?;
        let attestor = Self::new(measurements, SystemTime::now())?;

        // PCRs first: a client that waits for the root file finds both.
        write_atomically(&pcrs_path(root_out), measurements.to_json().as_bytes())?;
        write_atomically(root_out, attestor.root_pem()?.as_bytes())?;
        Ok(attestor)
    }

    /// An attestor with a fresh chain valid from `now`.
    pub(crate) fn new(measurements: DevMeasurements, now: SystemTime) -> Result<Self, AttestError> {
        let module_id = random_module_id();
        let chain = DevChain::generate(now, &module_id)?;
        Ok(Self {
            module_id,
            measurements,
            pcrs: measurements.all(),
            chain: Mutex::new(chain),
        })
    }

    /// The root certificate, PEM.
    pub(crate) fn root_pem(&self) -> Result<String, AttestError> {
        self.chain
            .lock()
            .map_err(|_| AttestErrorKind::Poisoned)?
            .root_pem()
    }

    /// A document for `request`, stamped with `now`.
    pub(crate) fn attest_at(
        &self,
        request: &AttestationRequest<'_>,
        now: SystemTime,
    ) -> Result<Vec<u8>, AttestError> {
        request.check()?;
        let timestamp_ms = now
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|since| u64::try_from(since.as_millis()).ok())
            .ok_or(AttestErrorKind::Clock)?;

        // Sign outside the lock; only a renewal of the chain needs it.
        let signer = {
            let mut chain = self.chain.lock().map_err(|_| AttestErrorKind::Poisoned)?;
            chain.refresh(now)?;
            chain.signer()
        };

        DocumentFields {
            module_id: &self.module_id,
            timestamp_ms,
            pcrs: &self.pcrs,
            certificate: &signer.certificate,
            cabundle: &signer.cabundle,
            public_key: Some(request.public_key),
            user_data: Some(request.user_data),
            nonce: request.nonce,
        }
        .sign(&signer.key)
    }
}

impl Attestor for DevAttestor {
    fn mode(&self) -> AttestationMode {
        AttestationMode::Dev
    }

    fn attest(&self, request: &AttestationRequest<'_>) -> Result<Vec<u8>, AttestError> {
        self.attest_at(request, SystemTime::now())
    }
}

impl std::fmt::Debug for DevAttestor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevAttestor")
            .field("module_id", &self.module_id)
            .field("measurements", &self.measurements)
            .finish_non_exhaustive()
    }
}

/// `<root_out>.pcrs.json`.
pub(crate) fn pcrs_path(root_out: &Path) -> PathBuf {
    let mut path = OsString::from(root_out.as_os_str());
    path.push(".pcrs.json");
    PathBuf::from(path)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so that a reader
/// sees either no file or the whole of it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AttestError> {
    let write_error = |source| AttestErrorKind::WriteFile {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(folder).map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)?;
    file.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

/// A module id shaped like AWS's (`i-<17 hex>-enc<16 hex>`), random per process.
fn random_module_id() -> String {
    let mut instance = [0u8; 8];
    let mut enclave = [0u8; 8];
    OsRng.fill_bytes(&mut instance);
    OsRng.fill_bytes(&mut enclave);
    format!("i-0{}-enc{}", hex::encode(instance), hex::encode(enclave))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ciborium::value::Value;
    use der::{Decode, DecodePem};
    use p384::ecdsa::{signature::Verifier, Signature, VerifyingKey};
    use x509_cert::Certificate;

    use super::*;
    use crate::attest::{
        document::sig_structure,
        pcrs::PCR_LEN,
        testing::{field, payload},
    };

    fn measurements() -> DevMeasurements {
        DevMeasurements {
            pcrs: [[0x10; PCR_LEN], [0x11; PCR_LEN], [0x12; PCR_LEN]],
        }
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_780_000_000_456)
    }

    fn request<'a>(nonce: Option<&'a [u8]>) -> AttestationRequest<'a> {
        AttestationRequest {
            nonce,
            public_key: b"openpgp key",
            user_data: b"identity",
        }
    }

    #[test]
    fn document_carries_the_request_and_the_measurements() {
        let attestor = DevAttestor::new(measurements(), now()).unwrap();
        let doc = attestor
            .attest_at(&request(Some(b"fresh nonce")), now())
            .unwrap();
        let map = payload(&doc);

        assert_eq!(field(&map, "nonce").as_bytes().unwrap(), b"fresh nonce");
        assert_eq!(
            field(&map, "public_key").as_bytes().unwrap(),
            b"openpgp key"
        );
        assert_eq!(field(&map, "user_data").as_bytes().unwrap(), b"identity");
        assert_eq!(
            field(&map, "timestamp"),
            &Value::Integer(1_780_000_000_456u64.into())
        );
        assert_eq!(
            field(&map, "module_id").as_text(),
            Some(attestor.module_id.as_str())
        );
        let pcrs = field(&map, "pcrs").as_map().unwrap();
        assert_eq!(pcrs[0].1.as_bytes().unwrap(), &[0x10; PCR_LEN]);
        assert_eq!(pcrs[2].1.as_bytes().unwrap(), &[0x12; PCR_LEN]);
        assert_eq!(pcrs[15].1.as_bytes().unwrap(), &[0; PCR_LEN]);

        let without = attestor.attest_at(&request(None), now()).unwrap();
        assert_eq!(field(&payload(&without), "nonce"), &Value::Null);
    }

    #[test]
    fn document_is_signed_by_its_leaf_under_the_published_root() {
        let attestor = DevAttestor::new(measurements(), now()).unwrap();
        let doc = attestor.attest_at(&request(None), now()).unwrap();
        let map = payload(&doc);

        let root = Certificate::from_pem(attestor.root_pem().unwrap().as_bytes()).unwrap();
        let bundle = field(&map, "cabundle").as_array().unwrap();
        assert_eq!(bundle.len(), 4);
        assert_eq!(
            Certificate::from_der(bundle[0].as_bytes().unwrap()).unwrap(),
            root
        );

        let leaf = Certificate::from_der(field(&map, "certificate").as_bytes().unwrap()).unwrap();
        let key = VerifyingKey::from_sec1_bytes(
            leaf.tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes(),
        )
        .unwrap();
        let Value::Array(parts) = ciborium::de::from_reader(doc.as_slice()).unwrap() else {
            panic!()
        };
        let tbs = sig_structure(parts[2].as_bytes().unwrap()).unwrap();
        let signature = Signature::from_slice(parts[3].as_bytes().unwrap()).unwrap();
        key.verify(&tbs, &signature).unwrap();
    }

    #[test]
    fn a_long_running_server_signs_with_a_leaf_valid_at_the_document_time() {
        let attestor = DevAttestor::new(measurements(), now()).unwrap();
        for hours in [0u64, 2, 3, 5, 30, 24 * 21] {
            let at = now() + Duration::from_secs(hours * 3600);
            let doc = attestor.attest_at(&request(None), at).unwrap();
            let map = payload(&doc);
            let leaf =
                Certificate::from_der(field(&map, "certificate").as_bytes().unwrap()).unwrap();
            let validity = &leaf.tbs_certificate.validity;
            assert!(validity.not_before.to_system_time() <= at, "at +{hours}h");
            assert!(validity.not_after.to_system_time() > at, "at +{hours}h");
        }
    }

    #[test]
    fn oversized_fields_are_refused_before_signing() {
        let attestor = DevAttestor::new(measurements(), now()).unwrap();
        let big = [0u8; 513];
        let err = attestor.attest_at(&request(Some(&big)), now()).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                AttestErrorKind::FieldLength { field: "nonce", .. }
            ),
            "{err}"
        );
    }

    #[test]
    fn module_ids_look_like_aws_ones() {
        let id = random_module_id();
        let (instance, enclave) = id.split_once("-enc").unwrap();
        assert_eq!(instance.len(), 19);
        assert!(instance.starts_with("i-0"));
        assert_eq!(enclave.len(), 16);
        assert_ne!(random_module_id(), id);
    }

    #[test]
    fn start_publishes_root_and_pcrs() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("server");
        std::fs::write(&binary, b"server bytes").unwrap();
        let root_out = dir.path().join("dev-root.pem");

        let attestor = DevAttestor::start(&root_out, &binary).unwrap();
        assert_eq!(
            std::fs::read_to_string(&root_out).unwrap(),
            attestor.root_pem().unwrap()
        );
        let pcrs: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("dev-root.pem.pcrs.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(pcrs["PCR0"], hex::encode(attestor.measurements.pcrs[0]));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            3,
            "no temporary file left"
        );
    }

    #[test]
    fn start_fails_when_the_root_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("server");
        std::fs::write(&binary, b"server bytes").unwrap();
        let root_out = dir.path().join("missing-folder").join("dev-root.pem");

        let err = DevAttestor::start(&root_out, &binary).unwrap_err();
        assert!(
            matches!(err.kind(), AttestErrorKind::WriteFile { .. }),
            "{err}"
        );
    }
}
