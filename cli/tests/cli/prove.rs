//! `tee-rex prove`: usage and input checks, then end to end against the real server binary with
//! dev attestation and the real `bb` on the real Aztec fixture.
//!
//! The end-to-end test builds `tee-rex-server` with `cargo build -p tee-rex-server` and needs
//! `TEE_REX_TEST_BB` (the bb launcher) and `TEE_REX_TEST_CRS_DIR` (`make test` sets both after
//! `scripts/provision.sh`). Without them it says so and skips.

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::common::{outcome, run, testdata, BIN};

const FIXTURE: &str = "aztec/ivc-deploy-schnorr.msgpack";

fn pcr_arg() -> String {
    format!("0={}", "ab".repeat(48))
}

#[test]
fn usage_errors_exit_2() {
    let input = testdata(FIXTURE);
    let input = input.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("proof");
    let out = out.to_str().unwrap();
    let pcr = pcr_arg();

    // TEE mode without expected PCRs.
    let (code, _, stderr) = outcome(&run(
        &[
            "prove",
            "--server",
            "http://127.0.0.1:9",
            "--input",
            input,
            "--out",
            out,
        ],
        None,
    ));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("MISSING_EXPECTED_PCRS"), "{stderr}");

    for args in [
        vec![
            "prove",
            "--input",
            input,
            "--out",
            out,
            "--expect-pcr",
            &pcr,
        ],
        vec![
            "prove",
            "--server",
            "ftp://x",
            "--input",
            input,
            "--out",
            out,
            "--expect-pcr",
            &pcr,
        ],
        vec![
            "prove",
            "--server",
            "http://127.0.0.1:9",
            "--input",
            input,
            "--out",
            out,
            "--expect-pcr",
            "0=zz",
        ],
        vec![
            "prove",
            "--server",
            "http://127.0.0.1:9",
            "--input",
            "/nonexistent",
            "--out",
            out,
            "--expect-pcr",
            &pcr,
        ],
    ] {
        let (code, _, stderr) = outcome(&run(&args, None));
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
    assert!(!Path::new(out).exists());
}

#[test]
fn invalid_steps_are_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("proof");
    // Nothing listens on the discard port: reaching the network would fail differently.
    let (code, _, stderr) = outcome(&run(
        &[
            "prove",
            "--server",
            "http://127.0.0.1:9",
            "--input",
            "-",
            "--out",
            out.to_str().unwrap(),
            "--expect-pcr",
            &pcr_arg(),
        ],
        Some(&[0x90]),
    ));
    assert_eq!(code, 1);
    assert!(stderr.starts_with("INVALID_STEPS"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn unreachable_server_is_a_transport_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("proof");
    let input = testdata(FIXTURE);
    let (code, _, stderr) = outcome(&run(
        &[
            "prove",
            "--server",
            &format!("http://127.0.0.1:{}", free_port()),
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--expect-pcr",
            &pcr_arg(),
        ],
        None,
    ));
    assert_eq!(code, 1);
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("TRANSPORT_FAILED"),
        "{stderr}"
    );
}

/// The real server with dev attestation, killed on drop.
struct Server {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn root(&self) -> PathBuf {
        self.dir.path().join("dev-root.pem")
    }

    fn pcrs(&self) -> PathBuf {
        self.dir.path().join("dev-root.pem.pcrs.json")
    }
}

/// bb and the CRS from the environment, or `None` (with the reason printed) when unset.
fn prover_inputs() -> Option<(PathBuf, PathBuf)> {
    let (Ok(bb), Ok(crs)) = (
        std::env::var("TEE_REX_TEST_BB"),
        std::env::var("TEE_REX_TEST_CRS_DIR"),
    ) else {
        eprintln!(
            "SKIPPED: TEE_REX_TEST_BB and TEE_REX_TEST_CRS_DIR are not set (make test sets them \
             after scripts/provision.sh)"
        );
        return None;
    };
    let (bb, crs) = (PathBuf::from(bb), PathBuf::from(crs));
    // Set but missing is a broken setup, not a reason to skip.
    assert!(
        bb.is_file(),
        "TEE_REX_TEST_BB={} does not exist",
        bb.display()
    );
    assert!(
        crs.is_dir(),
        "TEE_REX_TEST_CRS_DIR={} does not exist",
        crs.display()
    );
    Some((bb, crs))
}

fn start_server(mode: &str, bb: &Path, crs: &Path) -> Server {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "-q", "-p", "tee-rex-server"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build -p tee-rex-server failed");
    let server_bin = Path::new(BIN).with_file_name("tee-rex-server");

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = Command::new(&server_bin);
    command
        .args([
            "--attestation",
            mode,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--bb")
        .arg(bb)
        .arg("--crs-dir")
        .arg(crs)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap());
    if let Some(real) = real_bb(bb) {
        command.arg("--bb-binary-sha-path").arg(real);
    }
    if mode == "dev" {
        command
            .arg("--dev-root-out")
            .arg(dir.path().join("dev-root.pem"));
    }
    let child = command.spawn().unwrap();
    let mut server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        dir,
    };

    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = server.child.try_wait().unwrap() {
            let log = std::fs::read_to_string(server.dir.path().join("server.log"));
            panic!(
                "tee-rex-server exited early: {status}\n{}",
                log.unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "tee-rex-server did not listen within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    if mode == "dev" {
        assert!(server.root().is_file() && server.pcrs().is_file());
    }
    server.url = format!("http://127.0.0.1:{port}");
    server
}

/// The real bb binary behind the provisioned launcher script, whose hash the server reports:
/// `TEE_REX_TEST_BB_REAL`, else `<launcher dir>/<version>/bb-real` as `scripts/provision.sh` lays
/// it out.
fn real_bb(bb: &Path) -> Option<PathBuf> {
    if let Ok(real) = std::env::var("TEE_REX_TEST_BB_REAL") {
        return Some(PathBuf::from(real));
    }
    std::fs::read_dir(bb.parent()?)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bb-real"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn end_to_end_through_the_dev_attested_server_and_bb() {
    let Some((bb, crs)) = prover_inputs() else {
        return;
    };
    let server = start_server("dev", &bb, &crs);
    let out = server.dir.path().join("proof.bin");
    let input = testdata(FIXTURE);

    let started = Instant::now();
    let (code, _, stderr) = outcome(&run(
        &[
            "prove",
            "--server",
            &server.url,
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--trust-root",
            server.root().to_str().unwrap(),
            "--expect-pcrs-file",
            server.pcrs().to_str().unwrap(),
        ],
        None,
    ));
    eprintln!("tee-rex prove ({:?}):\n{stderr}", started.elapsed());

    // Every phase up to the server's answer ran: the document verified, the steps went out and
    // bb worked on them (the server reports its time also when bb fails).
    for phase in [
        "fetch-attestation",
        "verify-attestation",
        "encrypt",
        "transmit",
        "proving",
    ] {
        assert!(
            stderr.contains(&format!("phase   {phase}")),
            "no {phase} phase:\n{stderr}"
        );
    }
    // The server's own phases, from its Server-Timing: bb's time is a positive number.
    let server = stderr
        .lines()
        .find(|line| line.starts_with("server  "))
        .unwrap_or_else(|| panic!("no server phases:\n{stderr}"));
    for phase in ["upload ", "decrypt ", "parse ", "queue "] {
        assert!(server.contains(phase), "no {phase}in {server:?}");
    }
    let prove_ms: f64 = server
        .split(", ")
        .find_map(|part| part.strip_prefix("prove "))
        .and_then(|rest| rest.strip_suffix(" ms"))
        .unwrap_or_else(|| panic!("no prove phase in {server:?}"))
        .parse()
        .unwrap();
    assert!(prove_ms > 0.0, "{server:?}");
    if crs.join("INSECURE_TEST_CRS").exists() {
        // bb folds all steps, then rejects its own proof: the test CRS's known outcome.
        assert_eq!(code, 1, "{stderr}");
        let last = stderr.lines().last().unwrap();
        assert!(last.starts_with("PROOF_SELF_CHECK_FAILED: "), "{stderr}");
        assert!(!out.exists());
        // Not an early failure: bb did the work (about 20 s on 2 cores for the 9 steps).
        assert!(
            started.elapsed() > Duration::from_secs(5),
            "bb failed too early:\n{stderr}"
        );
    } else {
        assert_eq!(code, 0, "{stderr}");
        let proof = std::fs::read(&out).unwrap();
        let count = u32::from_be_bytes(proof[..4].try_into().unwrap()) as usize;
        assert_eq!(proof.len(), 4 + 32 * count);
        assert!(stderr.contains("phase   proved (server: "), "{stderr}");
    }
}

#[test]
fn real_server_refusals() {
    let Some((bb, crs)) = prover_inputs() else {
        return;
    };
    let input = testdata(FIXTURE);
    let input = input.to_str().unwrap();

    // An unattested server is refused in TEE mode before anything is sent.
    let plain = start_server("none", &bb, &crs);
    let out = plain.dir.path().join("proof.bin");
    let (code, _, stderr) = outcome(&run(
        &[
            "prove",
            "--server",
            &plain.url,
            "--input",
            input,
            "--out",
            out.to_str().unwrap(),
            "--expect-pcr",
            &pcr_arg(),
        ],
        None,
    ));
    assert_eq!(code, 1);
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("UNATTESTED_SERVER"),
        "{stderr}"
    );
    assert!(!stderr.contains("phase   encrypt"), "{stderr}");

    // The dev server's document under the AWS root, and under its root with other PCRs.
    let dev = start_server("dev", &bb, &crs);
    let out = dev.dir.path().join("proof.bin");
    let (code, _, stderr) = outcome(&run(
        &[
            "prove",
            "--server",
            &dev.url,
            "--input",
            input,
            "--out",
            out.to_str().unwrap(),
            "--expect-pcrs-file",
            dev.pcrs().to_str().unwrap(),
        ],
        None,
    ));
    assert_eq!(code, 1);
    assert!(
        stderr.lines().last().unwrap().starts_with("UNTRUSTED_ROOT"),
        "{stderr}"
    );
    let (code, _, stderr) = outcome(&run(
        &[
            "prove",
            "--server",
            &dev.url,
            "--input",
            input,
            "--out",
            out.to_str().unwrap(),
            "--trust-root",
            dev.root().to_str().unwrap(),
            "--expect-pcr",
            &pcr_arg(),
        ],
        None,
    ));
    assert_eq!(code, 1);
    assert!(
        stderr.lines().last().unwrap().starts_with("PCR_MISMATCH"),
        "{stderr}"
    );
}
