//! `tee-rex attestation verify` on the real and synthetic vectors.

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use serde_json::Value;

use super::common::{outcome, run, testdata};

const DAY_MS: u64 = 86_400_000;
const AWS_ROOT_SHA256: &str = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";

/// (file, timestamp in ms from the vectors' README, debug, PCR0 prefix)
const REAL: &[(&str, u64, bool, &str)] = &[
    (
        "tkhq-qos-2022-07-06.cbor",
        1_657_117_102_484,
        false,
        "f8bb0133c427bc49",
    ),
    (
        "cape-js-2022-09-15.cbor",
        1_663_263_808_848,
        false,
        "ea4212ee889ba1b4",
    ),
    (
        "evervault-2022-10-12-debug.cbor",
        1_665_582_606_081,
        true,
        "000000000000",
    ),
    (
        "evervault-2022-10-13.cbor",
        1_665_651_482_136,
        false,
        "f4d48b81a460c991",
    ),
    (
        "marlin-oyster-2024-08-07.cbor",
        1_723_012_992_231,
        false,
        "5fec1b7372742584",
    ),
    (
        "blocky-nitrite-2024-09-07.cbor",
        1_725_719_859_545,
        false,
        "e72a46ca80a260fb",
    ),
    (
        "blocky-nitrite-2024-09-07-debug.cbor",
        1_725_719_886_508,
        true,
        "000000000000",
    ),
    (
        "nitro-attest-crate-2025-01-06.cbor",
        1_736_179_625_472,
        false,
        "8bb159f202bb95d6",
    ),
];

fn real(file: &str) -> String {
    testdata(&format!("nitro/real/{file}"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn verify(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut all = vec!["attestation", "verify"];
    all.extend_from_slice(args);
    outcome(&run(&all, stdin))
}

#[test]
fn real_vectors_pass_at_their_time_with_a_json_summary() {
    for (file, at, debug, pcr0) in REAL {
        let at_text = at.to_string();
        let mut args = vec![real(file), "--at".into(), at_text];
        if *debug {
            args.push("--allow-debug".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = verify(&args, None);
        assert_eq!(code, 0, "{file}: {stderr}");
        let summary: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(summary["verified"], true, "{file}");
        assert_eq!(summary["timestamp"], *at, "{file}");
        assert_eq!(summary["digest"], "SHA384", "{file}");
        assert_eq!(summary["debug"], *debug, "{file}");
        assert_eq!(summary["root"]["sha256"], AWS_ROOT_SHA256, "{file}");
        assert!(
            summary["pcrs"]["0"].as_str().unwrap().starts_with(pcr0),
            "{file}"
        );
        assert!(!summary["moduleId"].as_str().unwrap().is_empty(), "{file}");
    }
}

#[test]
fn real_vectors_expire_a_day_later() {
    for (file, at, debug, _) in REAL {
        let later = (at + DAY_MS).to_string();
        let mut args = vec![real(file), "--at".into(), later];
        if *debug {
            args.push("--allow-debug".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = verify(&args, None);
        assert_eq!(code, 1, "{file}");
        assert!(stdout.is_empty(), "{file}");
        assert!(
            stderr.starts_with("CERT_NOT_VALID_AT_TIME"),
            "{file}: {stderr}"
        );
    }
}

#[test]
fn rfc3339_time_base64_file_and_stdin() {
    let path = real("cape-js-2022-09-15.cbor");
    let raw = std::fs::read(&path).unwrap();
    let at = "2022-09-15T17:43:28.848Z";

    let (code, _, stderr) = verify(&[&path, "--at", at], None);
    assert_eq!(code, 0, "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let b64 = dir.path().join("doc.b64");
    // Wrapped at 76 columns with a trailing newline, as `base64` writes it.
    let text = BASE64.encode(&raw);
    let wrapped: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    std::fs::write(&b64, wrapped.join("\n") + "\n").unwrap();
    let (code, stdout, stderr) = verify(&[b64.to_str().unwrap(), "--at", at], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap()["nonce"],
        "47b5fba6979cbf7e567e2629"
    );

    let (code, _, stderr) = verify(&["-", "--at", at], Some(&raw));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = verify(&["-", "--at", at], Some(text.as_bytes()));
    assert_eq!(code, 0, "{stderr}");

    let (code, _, stderr) = verify(&["-", "--at", at], Some(b"garbage"));
    assert_eq!(code, 1);
    assert!(!stderr.is_empty());
}

#[test]
fn policy_flags_are_enforced() {
    let path = real("cape-js-2022-09-15.cbor");
    let at = "1663263808848";

    let (code, _, stderr) = verify(
        &[&path, "--at", at, "--nonce", "47b5fba6979cbf7e567e2628"],
        None,
    );
    assert_eq!(code, 1);
    assert!(stderr.starts_with("NONCE_MISMATCH"), "{stderr}");
    let (code, _, stderr) = verify(
        &[&path, "--at", at, "--nonce", "47b5fba6979cbf7e567e2629"],
        None,
    );
    assert_eq!(code, 0, "{stderr}");

    let wrong_pcr0 = format!("0={}", "ab".repeat(48));
    let (code, _, stderr) = verify(&[&path, "--at", at, "--expect-pcr", &wrong_pcr0], None);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("PCR_MISMATCH"), "{stderr}");

    let (code, _, stderr) = verify(&[&path, "--at", at, "--require-openpgp-key"], None);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("INVALID_PUBLIC_KEY"), "{stderr}");
    let evervault = real("evervault-2022-10-13.cbor");
    let (code, _, stderr) = verify(
        &[&evervault, "--at", "1665651482136", "--require-openpgp-key"],
        None,
    );
    assert_eq!(code, 1);
    assert!(stderr.starts_with("MISSING_PUBLIC_KEY"), "{stderr}");

    let debug = real("evervault-2022-10-12-debug.cbor");
    let (code, _, stderr) = verify(&[&debug, "--at", "1665582606081"], None);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("DEBUG_ENCLAVE"), "{stderr}");

    let (code, _, stderr) = verify(&[&path, "--at", "1663264108848", "--max-age", "10"], None);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("STALE"), "{stderr}");
}

#[test]
fn synthetic_root_only_when_given() {
    let doc = testdata("nitro/synthetic/s00-baseline.cbor");
    let doc = doc.to_str().unwrap();
    let root = testdata("nitro/synthetic/fake-root.pem");
    let at = "2025-06-01T12:00:00Z";

    let (code, stdout, stderr) = verify(&[doc, "--at", at, "--root", root.to_str().unwrap()], None);
    assert_eq!(code, 0, "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["root"]["insecure"], true);

    let (code, _, stderr) = verify(&[doc, "--at", at], None);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("UNTRUSTED_ROOT"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let path = real("cape-js-2022-09-15.cbor");
    for args in [
        vec![],
        vec![path.as_str(), "--at", "next tuesday"],
        vec![path.as_str(), "--expect-pcr", "0=abcd"],
        vec![path.as_str(), "--expect-pcr", "40=00"],
        vec![path.as_str(), "--nonce", "xyz"],
        vec![path.as_str(), "--max-age", "-1"],
        vec![path.as_str(), "--no-such-flag"],
        vec!["/nonexistent/doc.cbor"],
        vec![path.as_str(), "--root", "/nonexistent/root.pem"],
    ] {
        let (code, stdout, stderr) = verify(&args, None);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
    }
    let (code, _, _) = outcome(&run(&["no-such-command"], None));
    assert_eq!(code, 2);
}
