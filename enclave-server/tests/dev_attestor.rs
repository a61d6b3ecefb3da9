//! Development attestation documents, checked by code other than the code that made them.
//!
//! `independent_check_*` hand a document and the published root to
//! `tests/py/check_dev_doc.py` (Python's `cryptography` + `cbor2`). They fail when `python3` or
//! those modules are missing: install them with `pip install cbor2 'cryptography>=45'`.
//! `TEE_REX_PYTHON` names another interpreter (a virtualenv's) instead of `python3`.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{SystemTime, UNIX_EPOCH},
};

use tee_rex_protocol::api::AttestationMode;
use tee_rex_server::attest::{from_config, AttestationRequest, Attestor};

const CHECKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/check_dev_doc.py");

/// A dev attestor over a stand-in server binary, in its own folder.
struct Setup {
    dir: tempfile::TempDir,
    attestor: Box<dyn Attestor>,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("tee-rex-server");
        std::fs::write(&binary, b"\x7fELF stand-in for the server binary").unwrap();
        let attestor = from_config(
            AttestationMode::Dev,
            Some(&dir.path().join("dev-root.pem")),
            &binary,
        )
        .unwrap()
        .expect("dev mode has an attestor");
        assert_eq!(attestor.mode(), AttestationMode::Dev);
        Self { dir, attestor }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .try_into()
        .unwrap()
}

/// Runs the Python checker; returns whether it passed, and its output.
fn python_check(
    setup: &Setup,
    doc: &Path,
    request: &AttestationRequest<'_>,
    window: (u64, u64),
) -> (bool, String) {
    let python = std::env::var_os("TEE_REX_PYTHON").unwrap_or_else(|| "python3".into());
    let mut cmd = Command::new(python);
    cmd.arg(CHECKER)
        .arg("--doc")
        .arg(doc)
        .arg("--root")
        .arg(setup.path("dev-root.pem"))
        .arg("--binary")
        .arg(setup.path("tee-rex-server"))
        .args(["--public-key-hex", &hex::encode(request.public_key)])
        .args(["--user-data-hex", &hex::encode(request.user_data)])
        .args([
            "--not-before-ms",
            &window.0.to_string(),
            "--not-after-ms",
            &window.1.to_string(),
        ]);
    if let Some(nonce) = request.nonce {
        cmd.args(["--nonce-hex", &hex::encode(nonce)]);
    }
    let output = cmd
        .output()
        .expect("python3 (or TEE_REX_PYTHON) must be installed to run this test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !text.contains("ModuleNotFoundError"),
        "install the checker's modules: pip install cbor2 'cryptography>=45'\n{text}"
    );
    (output.status.success(), text)
}

fn attest_and_check(setup: &Setup, request: &AttestationRequest<'_>) -> Vec<u8> {
    let before = now_ms();
    let doc = setup.attestor.attest(request).unwrap();
    let after = now_ms();
    let path = setup.path("doc.cbor");
    std::fs::write(&path, &doc).unwrap();
    let (passed, output) = python_check(setup, &path, request, (before, after));
    assert!(passed, "independent check failed:\n{output}");
    doc
}

#[test]
fn independent_check_accepts_a_document_with_a_nonce() {
    let setup = Setup::new();
    let public_key: Vec<u8> = (0..=255u8).cycle().take(700).collect();
    let request = AttestationRequest {
        nonce: Some(&[0x42; 32]),
        public_key: &public_key,
        user_data: br#"{"v":1,"bb":"4.1.2"}"#,
    };
    attest_and_check(&setup, &request);
}

#[test]
fn independent_check_accepts_a_document_without_a_nonce() {
    let setup = Setup::new();
    let request = AttestationRequest {
        nonce: None,
        public_key: b"key",
        user_data: b"",
    };
    attest_and_check(&setup, &request);
}

#[test]
fn independent_check_rejects_tampered_documents() {
    let setup = Setup::new();
    let request = AttestationRequest {
        nonce: Some(b"nonce"),
        public_key: b"key",
        user_data: b"id",
    };
    let doc = attest_and_check(&setup, &request);
    let window = (0, u64::MAX);

    // The last byte belongs to the signature; a byte in the middle to the payload.
    for index in [doc.len() - 1, doc.len() / 2] {
        let mut tampered = doc.clone();
        tampered[index] ^= 0x01;
        let path = setup.path("tampered.cbor");
        std::fs::write(&path, &tampered).unwrap();
        let (passed, output) = python_check(&setup, &path, &request, window);
        assert!(
            !passed,
            "tampering at byte {index} went unnoticed:\n{output}"
        );
        assert!(output.contains("check failed"), "{output}");
    }

    // A document that answers another nonce.
    let other = AttestationRequest {
        nonce: Some(b"other"),
        ..request
    };
    let path = setup.path("doc.cbor");
    let (passed, output) = python_check(&setup, &path, &other, window);
    assert!(!passed && output.contains("nonce as requested"), "{output}");
}

#[test]
fn another_start_publishes_another_root() {
    let first = Setup::new();
    let second = Setup::new();
    let root = |s: &Setup| std::fs::read_to_string(s.path("dev-root.pem")).unwrap();
    assert!(root(&first).starts_with("-----BEGIN CERTIFICATE-----"));
    assert_ne!(
        root(&first),
        root(&second),
        "every start generates a new chain"
    );
    let pcrs = |s: &Setup| std::fs::read_to_string(s.path("dev-root.pem.pcrs.json")).unwrap();
    assert_eq!(
        pcrs(&first),
        pcrs(&second),
        "the same binary has the same PCRs"
    );
}

mod verifier {
    //! Dev documents against our own verifier, `tee-rex-attestation`, trusting the published root.

    use tee_rex_attestation::{verify, Error, ExpectedPcrs, TrustedRoot, UnixTime, VerifyOptions};

    use super::*;

    fn published(setup: &Setup) -> (TrustedRoot, Vec<u8>) {
        let pem = std::fs::read_to_string(setup.path("dev-root.pem")).unwrap();
        let pcrs: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(setup.path("dev-root.pem.pcrs.json")).unwrap(),
        )
        .unwrap();
        let pcr0 = hex::decode(pcrs["PCR0"].as_str().unwrap()).unwrap();
        (TrustedRoot::insecure_from_pem(&pem).unwrap(), pcr0)
    }

    fn options(root: TrustedRoot, nonce: &[u8], pcr0: Vec<u8>) -> VerifyOptions {
        VerifyOptions::new(UnixTime::from_millis(now_ms()))
            .trusted_root(root)
            .expected_nonce(nonce.to_vec())
            .expected_pcrs(ExpectedPcrs::new([(0, pcr0)]).unwrap())
    }

    #[test]
    fn dev_documents_pass_with_the_published_root_nonce_and_pcr0() {
        let setup = Setup::new();
        let (root, pcr0) = published(&setup);
        let request = AttestationRequest {
            nonce: Some(b"0123456789abcdef"),
            public_key: b"openpgp public key",
            user_data: b"prover identity",
        };
        let doc = setup.attestor.attest(&request).unwrap();

        let verified = verify(&doc, &options(root, b"0123456789abcdef", pcr0.clone())).unwrap();
        assert_eq!(verified.nonce(), Some(&b"0123456789abcdef"[..]));
        assert_eq!(verified.public_key(), Some(&b"openpgp public key"[..]));
        assert_eq!(verified.user_data(), Some(&b"prover identity"[..]));
        assert_eq!(verified.pcrs()[&0], pcr0);
        assert_eq!(verified.pcrs().len(), 16);
        assert!(!verified.is_debug());
    }

    #[test]
    fn dev_documents_fail_with_a_wrong_nonce_pcr_or_root() {
        let setup = Setup::new();
        let (root, pcr0) = published(&setup);
        let request = AttestationRequest {
            nonce: Some(b"the right nonce"),
            public_key: b"key",
            user_data: b"",
        };
        let doc = setup.attestor.attest(&request).unwrap();

        let err = verify(&doc, &options(root.clone(), b"another nonce", pcr0.clone())).unwrap_err();
        assert!(matches!(err, Error::NonceMismatch { .. }), "{err}");

        let mut wrong_pcr0 = pcr0.clone();
        wrong_pcr0[0] ^= 1;
        let err = verify(&doc, &options(root, b"the right nonce", wrong_pcr0)).unwrap_err();
        assert!(matches!(err, Error::PcrMismatch { .. }), "{err}");

        // Nothing trusts the dev root by default: the AWS root refuses the document.
        let aws_default = VerifyOptions::new(UnixTime::from_millis(now_ms()))
            .expected_nonce(b"the right nonce".to_vec())
            .expected_pcrs(ExpectedPcrs::new([(0, pcr0.clone())]).unwrap());
        let err = verify(&doc, &aws_default).unwrap_err();
        assert!(matches!(err, Error::UntrustedRoot { .. }), "{err}");

        // Another start's root does not verify this start's documents.
        let (other_root, _) = published(&Setup::new());
        let err = verify(&doc, &options(other_root, b"the right nonce", pcr0)).unwrap_err();
        assert!(matches!(err, Error::UntrustedRoot { .. }), "{err}");
    }
}
