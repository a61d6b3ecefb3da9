//! Fetch and verify against a CRS served over loopback by an in-process HTTP server, and the
//! command-line tool's exit statuses.

// Test helpers outside #[test] functions may unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ark_bn254::{Fr, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use tee_rex_crs::{
    encode_g1_points, encode_g2, fetch, generate_test_crs, insecure_test_g2, powers_of_secret_g1,
    verify_dir, Error, FetchOptions, TrustedG2, G1_FILE, G2_FILE, GRUMPKIN_FILE,
    IGNITION_G1_SECOND_BYTES, IGNITION_G2_BYTES, MARKER_FILE, POINT_SIZE, SUMS_FILE,
};

/// The known secret of the served CRS.
const SECRET: u64 = 0x0074_6565_2072_6578;
const SERVED_POINTS: usize = 300;
const ASKED_POINTS: u64 = 256;

fn secret_g2() -> G2Affine {
    (G2Projective::generator() * Fr::from(SECRET)).into_affine()
}

/// Ignition-shaped files: `g1.dat` (points only, no header) and `g2.dat`, from a known secret.
fn ignition_shaped_files(points: usize) -> HashMap<String, Vec<u8>> {
    let g1 = powers_of_secret_g1(Fr::from(SECRET), points);
    HashMap::from([
        ("/g1.dat".to_owned(), encode_g1_points(&g1).unwrap()),
        (
            "/g2.dat".to_owned(),
            encode_g2(&secret_g2()).unwrap().to_vec(),
        ),
    ])
}

#[derive(Clone, Copy)]
enum Behaviour {
    Serve,
    /// Accept, read the request, and never answer.
    Stall,
    /// Answer with headers and half the body, then stall.
    StallMidBody,
    /// Answer 200 with the whole file, ignoring `Range`.
    IgnoreRange,
}

/// Serves `files` on 127.0.0.1, honouring `Range: bytes=A-B`; returns the base URL.
fn serve(files: HashMap<String, Vec<u8>>, behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let files = files.clone();
            std::thread::spawn(move || handle(stream, &files, behaviour));
        }
    });
    base
}

fn handle(mut stream: TcpStream, files: &HashMap<String, Vec<u8>>, behaviour: Behaviour) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
            let (a, b) = value.trim().split_once('-').unwrap();
            range = Some((a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()));
        }
    }
    if let Behaviour::Stall = behaviour {
        std::thread::sleep(Duration::from_secs(30));
        return;
    }
    let Some(body) = files.get(&path) else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let (status, body) = match range {
        Some((a, b)) => (
            "206 Partial Content",
            &body[a.min(body.len())..(b + 1).min(body.len())],
        ),
        None => ("200 OK", &body[..]),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if let Behaviour::StallMidBody = behaviour {
        let _ = stream.write_all(&body[..body.len() / 2]);
        let _ = stream.flush();
        std::thread::sleep(Duration::from_secs(30));
        return;
    }
    let _ = stream.write_all(body);
}

fn options(base_url: String, trusted: TrustedG2) -> FetchOptions {
    FetchOptions {
        base_url,
        g1_points: ASKED_POINTS,
        grumpkin_points: 16,
        trusted,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
    }
}

fn trusted_test_g2() -> TrustedG2 {
    TrustedG2::InsecureTest(secret_g2())
}

/// Fetches into a fresh folder and checks a failure leaves neither the output nor a partial
/// folder behind.
fn fetch_expecting_failure(files: HashMap<String, Vec<u8>>, trusted: TrustedG2) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    let err = fetch(&out, &options(serve(files, Behaviour::Serve), trusted)).unwrap_err();
    assert!(!out.exists(), "output folder created despite {err}");
    assert!(
        !dir.path().join("crs.partial").exists(),
        "partial download left behind"
    );
    err
}

fn with_g1(mutate: impl FnOnce(&mut Vec<u8>)) -> HashMap<String, Vec<u8>> {
    let mut files = ignition_shaped_files(SERVED_POINTS);
    mutate(files.get_mut("/g1.dat").unwrap());
    files
}

#[test]
fn accepts_a_consistent_crs_under_the_trusted_test_g2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    let base = serve(ignition_shaped_files(SERVED_POINTS), Behaviour::Serve);
    let verified = fetch(&out, &options(base, trusted_test_g2())).unwrap();
    assert_eq!(
        (
            verified.g1_points,
            verified.grumpkin_points,
            verified.insecure
        ),
        (256, 16, true)
    );

    assert_eq!(
        std::fs::metadata(out.join(G1_FILE)).unwrap().len(),
        256 * POINT_SIZE as u64
    );
    assert_eq!(
        std::fs::read(out.join(G2_FILE)).unwrap(),
        encode_g2(&secret_g2()).unwrap()
    );
    assert_eq!(
        std::fs::metadata(out.join(GRUMPKIN_FILE)).unwrap().len(),
        16 * 64
    );
    assert!(!out.join(MARKER_FILE).exists());
    assert_sums_match(&out);
    assert!(!dir.path().join("crs.partial").exists());
}

#[test]
fn refuses_a_point_off_the_curve() {
    let files = with_g1(|g1| g1[100 * POINT_SIZE + 63] ^= 1);
    let err = fetch_expecting_failure(files, trusted_test_g2());
    assert!(matches!(err, Error::NotOnCurve { index: 100, .. }), "{err}");
}

#[test]
fn refuses_a_swapped_pair_of_points() {
    let files = with_g1(|g1| {
        let (a, b) = (10 * POINT_SIZE, 11 * POINT_SIZE);
        let first: Vec<u8> = g1[a..b].to_vec();
        g1.copy_within(b..b + POINT_SIZE, a);
        g1[b..b + POINT_SIZE].copy_from_slice(&first);
    });
    let err = fetch_expecting_failure(files, trusted_test_g2());
    assert!(
        matches!(err, Error::PairingCheckFailed { points: 256 }),
        "{err}"
    );
}

#[test]
fn refuses_a_wrong_first_point() {
    // Drop the generator: every point stays valid and the chain stays intact, only shifted.
    let files = with_g1(|g1| {
        g1.drain(..POINT_SIZE);
    });
    let err = fetch_expecting_failure(files, trusted_test_g2());
    assert!(matches!(err, Error::FirstPointNotGenerator { .. }), "{err}");
}

#[test]
fn refuses_a_truncated_file() {
    let files = with_g1(|g1| g1.truncate(200 * POINT_SIZE + 10));
    let err = fetch_expecting_failure(files, trusted_test_g2());
    assert!(
        matches!(
            err,
            Error::TooFewPoints {
                expected: 256,
                found: 200,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_a_404() {
    let mut files = ignition_shaped_files(SERVED_POINTS);
    files.remove("/g1.dat");
    let err = fetch_expecting_failure(files, trusted_test_g2());
    assert!(
        matches!(err, Error::HttpStatus { status: 404, .. }),
        "{err}"
    );
    assert!(!err.is_unreachable());
}

#[test]
fn refuses_a_g2_it_does_not_trust() {
    let err = fetch_expecting_failure(ignition_shaped_files(SERVED_POINTS), TrustedG2::Ignition);
    assert!(
        matches!(
            err,
            Error::UntrustedG2 {
                trusted: "ignition",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn gives_up_on_a_server_that_stalls() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    let base = serve(ignition_shaped_files(SERVED_POINTS), Behaviour::Stall);
    let start = Instant::now();
    let err = fetch(&out, &options(base, trusted_test_g2())).unwrap_err();
    assert!(err.is_unreachable(), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert!(!out.exists() && !dir.path().join("crs.partial").exists());
}

#[test]
fn gives_up_on_a_server_that_stalls_mid_body() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    let base = serve(
        ignition_shaped_files(SERVED_POINTS),
        Behaviour::StallMidBody,
    );
    let start = Instant::now();
    let err = fetch(&out, &options(base, trusted_test_g2())).unwrap_err();
    assert!(matches!(err, Error::Download { .. }), "{err}");
    assert!(err.is_unreachable());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert!(!out.exists() && !dir.path().join("crs.partial").exists());
}

#[test]
fn reads_only_what_it_needs_from_a_server_that_ignores_range() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    let base = serve(ignition_shaped_files(SERVED_POINTS), Behaviour::IgnoreRange);
    let verified = fetch(&out, &options(base, trusted_test_g2())).unwrap();
    assert_eq!(verified.g1_points, ASKED_POINTS);
    assert_eq!(
        std::fs::metadata(out.join(G1_FILE)).unwrap().len(),
        ASKED_POINTS * 64
    );
}

#[test]
fn a_failed_fetch_keeps_the_previous_crs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("previous"), b"kept").unwrap();
    let files = with_g1(|g1| g1[5 * POINT_SIZE + 63] ^= 1);
    fetch(
        &out,
        &options(serve(files, Behaviour::Serve), trusted_test_g2()),
    )
    .unwrap_err();
    assert_eq!(std::fs::read(out.join("previous")).unwrap(), b"kept");
}

#[test]
fn refuses_a_base_url_that_is_not_http() {
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(
        &dir.path().join("crs"),
        &options("ftp://127.0.0.1".into(), trusted_test_g2()),
    )
    .unwrap_err();
    assert!(matches!(err, Error::BadBaseUrl { .. }), "{err}");
}

/// The start of the real Ignition CRS: the generator and [x]G1, with Ignition's [x]G2, all as
/// pinned from bb 4.1.2.
fn ignition_prefix_files(second: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut g1 = encode_g1_points(&[ark_bn254::G1Affine::generator()]).unwrap();
    g1.extend_from_slice(second);
    HashMap::from([
        ("/g1.dat".to_owned(), g1),
        ("/g2.dat".to_owned(), IGNITION_G2_BYTES.to_vec()),
    ])
}

#[test]
fn accepts_the_real_ignition_prefix_under_ignition() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    let base = serve(
        ignition_prefix_files(&IGNITION_G1_SECOND_BYTES),
        Behaviour::Serve,
    );
    let options = FetchOptions {
        g1_points: 2,
        ..options(base, TrustedG2::Ignition)
    };
    let verified = fetch(&out, &options).unwrap();
    assert_eq!((verified.g1_points, verified.insecure), (2, false));
    assert_sums_match(&out);
}

#[test]
fn refuses_a_second_point_that_is_not_ignitions() {
    let two_g = (ark_bn254::G1Projective::generator() * Fr::from(2u64)).into_affine();
    let files = ignition_prefix_files(&encode_g1_points(&[two_g]).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crs");
    let options = FetchOptions {
        g1_points: 2,
        ..options(serve(files, Behaviour::Serve), TrustedG2::Ignition)
    };
    let err = fetch(&out, &options).unwrap_err();
    assert!(matches!(err, Error::SecondPointNotIgnition { .. }), "{err}");
    assert!(!out.exists());
}

fn small_test_crs() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("insecure-test");
    generate_test_crs(&out, 64, 8).unwrap();
    (dir, out)
}

#[test]
fn generated_test_crs_is_marked_and_verifies_only_as_insecure() {
    let (_dir, out) = small_test_crs();
    let marker = std::fs::read_to_string(out.join(MARKER_FILE)).unwrap();
    assert!(marker.starts_with("INSECURE TEST CRS") && marker.contains("proves nothing"));
    assert_sums_match(&out);

    let v = verify_dir(&out, TrustedG2::InsecureTest(insecure_test_g2()), 64, 8).unwrap();
    assert_eq!((v.g1_points, v.grumpkin_points, v.insecure), (64, 8, true));
    let err = verify_dir(&out, TrustedG2::Ignition, 2, 1).unwrap_err();
    assert!(matches!(err, Error::UntrustedG2 { .. }), "{err}");
    let err = verify_dir(&out, TrustedG2::InsecureTest(insecure_test_g2()), 65, 1).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooFewPoints {
                expected: 65,
                found: 64,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn verify_refuses_a_tampered_grumpkin_point() {
    let (_dir, out) = small_test_crs();
    let path = out.join(GRUMPKIN_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.swap(3 * 64, 4 * 64);
    bytes[3 * 64 + 1] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let err = verify_dir(&out, TrustedG2::InsecureTest(insecure_test_g2()), 2, 1).unwrap_err();
    assert!(matches!(err, Error::GrumpkinMismatch { index: 3 }), "{err}");
}

#[test]
fn verify_refuses_a_file_cut_mid_point() {
    let (_dir, out) = small_test_crs();
    let path = out.join(G1_FILE);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    let err = verify_dir(&out, TrustedG2::InsecureTest(insecure_test_g2()), 2, 1).unwrap_err();
    assert!(matches!(err, Error::PartialPoint { .. }), "{err}");
}

const BIN: &str = env!("CARGO_BIN_EXE_tee-rex-crs");

#[test]
fn cli_verify_needs_the_insecure_flag_for_the_test_crs() {
    let (_dir, out) = small_test_crs();
    let plain = Command::new(BIN).arg("verify").arg(&out).output().unwrap();
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("not the trusted ignition"));
    let insecure = Command::new(BIN)
        .arg("verify")
        .arg(&out)
        .arg("--insecure-test-crs")
        .output()
        .unwrap();
    assert_eq!(
        insecure.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&insecure.stderr)
    );
}

#[test]
fn cli_fetch_exits_3_when_the_source_is_unreachable() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(BIN)
        .args([
            "fetch",
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--g1-points",
            "4",
        ])
        .arg("--out")
        .arg(dir.path().join("crs"))
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn cli_fetch_exits_1_when_verification_fails() {
    // The served CRS is consistent but not Ignition's: the CLI trusts only Ignition.
    let base = serve(ignition_shaped_files(8), Behaviour::Serve);
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(BIN)
        .args([
            "fetch",
            "--base-url",
            &base,
            "--g1-points",
            "8",
            "--grumpkin-points",
            "2",
        ])
        .arg("--out")
        .arg(dir.path().join("crs"))
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert!(!dir.path().join("crs").exists());
}

fn assert_sums_match(dir: &Path) {
    let status = Command::new("sha256sum")
        .args(["--quiet", "-c", SUMS_FILE])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
}
