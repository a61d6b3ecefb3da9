//! Helpers shared by the test modules.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pgp::composed::MessageBuilder;
use pgp::crypto::aead::{AeadAlgorithm, ChunkSize};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use rand::thread_rng;
use tee_rex_server::attest::Attestor;
use tee_rex_server::{parse_public_key, AppState, ProveQueue, Prover, RateLimit, ServerKey};

/// The real Aztec fixture: 9 proving steps of a Schnorr account deployment.
pub const FIXTURE: &[u8] = include_bytes!("../../../testdata/aztec/ivc-deploy-schnorr.msgpack");

/// A folder with a stand-in bb, a CRS folder and an empty work folder.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// `script` runs for `bb prove ...` (`$5` inputs, `$7` output folder); `--version` says 4.1.2.
    pub fn new(script: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bb = dir.path().join("bb");
        std::fs::write(
            &bb,
            format!("#!/bin/sh\n[ \"$1\" = --version ] && {{ echo 4.1.2; exit 0; }}\n{script}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&bb, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.path().join("crs")).unwrap();
        std::fs::write(dir.path().join("crs/bn254_g1.dat"), [1u8; 64]).unwrap();
        std::fs::write(dir.path().join("crs/INSECURE_TEST_CRS"), b"").unwrap();
        std::fs::create_dir(dir.path().join("work")).unwrap();
        Self { dir }
    }

    pub fn bb(&self) -> PathBuf {
        self.dir.path().join("bb")
    }

    pub fn crs(&self) -> PathBuf {
        self.dir.path().join("crs")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn work_is_empty(&self) -> bool {
        std::fs::read_dir(self.work()).unwrap().next().is_none()
    }

    /// The app state `main` would build for this sandbox.
    pub async fn state(&self, options: Options) -> AppState {
        let identity = tee_rex_server::measure_prover_identity(&self.bb(), &self.bb(), &self.crs())
            .await
            .unwrap();
        let prover = Prover::new(self.bb(), self.crs(), self.work(), options.timeout);
        AppState::new(
            ServerKey::generate().unwrap(),
            options.attestor,
            identity,
            prover,
            ProveQueue::new(options.concurrency, options.max_waiting),
            options.max_body_bytes,
        )
        .unwrap()
        .with_upload_timeout(options.upload_timeout)
        .with_rate_limits(options.prove_rate, options.attestation_rate, Vec::new())
    }
}

/// Knobs of [`Sandbox::state`].
pub struct Options {
    pub attestor: Option<Box<dyn Attestor>>,
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_waiting: usize,
    pub max_body_bytes: usize,
    pub upload_timeout: Duration,
    pub prove_rate: RateLimit,
    pub attestation_rate: RateLimit,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            attestor: None,
            timeout: Duration::from_secs(60),
            concurrency: 1,
            max_waiting: 4,
            max_body_bytes: 50 * 1024 * 1024,
            upload_timeout: Duration::from_secs(60),
            prove_rate: RateLimit::OFF,
            attestation_rate: RateLimit::OFF,
        }
    }
}

/// Encrypts like our SDK: SEIPDv2 with AES-256-GCM to the served (armored or binary) key.
pub fn encrypt_to(public_key: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let key = parse_public_key(public_key).unwrap();
    let mut builder = MessageBuilder::from_bytes("", plaintext.to_vec()).seipd_v2(
        thread_rng(),
        SymmetricKeyAlgorithm::AES256,
        AeadAlgorithm::Gcm,
        ChunkSize::default(),
    );
    builder
        .encrypt_to_key(thread_rng(), &key.public_subkeys[0])
        .unwrap();
    builder.to_vec(thread_rng()).unwrap()
}

/// A valid proving-steps payload with one step.
pub fn one_step() -> Vec<u8> {
    let mut out = vec![0x91, 0x84];
    for (key, value, is_str) in [
        ("functionName", &b"app:main"[..], true),
        ("bytecode", b"\x1f\x8b", false),
        ("witness", b"\x1f\x8b", false),
        ("vk", b"\x00\x01", false),
    ] {
        out.push(0xa0 | key.len() as u8);
        out.extend_from_slice(key.as_bytes());
        if is_str {
            out.push(0xa0 | value.len() as u8);
        } else {
            out.extend_from_slice(&[0xc4, value.len() as u8]);
        }
        out.extend_from_slice(value);
    }
    out
}

/// Waits until the process whose id is in `pid_file` has exited (gone or a zombie).
pub async fn wait_until_dead(pid_file: &Path) {
    let pid = std::fs::read_to_string(pid_file).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    for _ in 0..200 {
        match std::fs::read_to_string(&stat) {
            Err(_) => return,
            Ok(text)
                if text
                    .rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z')) =>
            {
                return
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("process {pid} still runs");
}

/// Waits until `path` exists.
pub async fn wait_for_file(path: &Path) {
    for _ in 0..200 {
        if path.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{} never appeared", path.display());
}
