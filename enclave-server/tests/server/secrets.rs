//! Nothing secret leaks: a full proof of the real fixture at `RUST_LOG=trace` through the real
//! binary and the real bb, then a search of everything the server wrote and answered.

use std::collections::HashSet;
use std::time::Duration;

use tee_rex_protocol::steps::parse_steps;

use crate::common::{encrypt_to, FIXTURE};
use crate::e2e_bb::real_bb_server_args;
use crate::loopback::Server;

/// Bytes of every window searched for.
const WINDOW: usize = 16;

#[tokio::test]
async fn a_traced_real_proof_leaks_no_payload_names_or_key() {
    let work = tempfile::tempdir().unwrap();
    let args = real_bb_server_args(work.path());
    let server = Server::start_logging(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "trace",
    );
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for path in ["/health", "/attestation", "/encryption-public-key"] {
        let response = client
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        bodies.push(response.bytes().await.unwrap().to_vec());
    }
    let attestation: serde_json::Value = serde_json::from_slice(&bodies[1]).unwrap();
    let message = encrypt_to(
        attestation["publicKey"].as_str().unwrap().as_bytes(),
        FIXTURE,
    );
    let prove = client
        .post(format!("{}/prove", server.url))
        .header("content-type", "application/octet-stream")
        .body(message)
        .timeout(Duration::from_secs(900))
        .send()
        .await
        .unwrap();
    let status = prove.status().as_u16();
    let mut headers = String::new();
    for (name, value) in prove.headers() {
        headers.push_str(&format!("{name}: {value:?}\n"));
    }
    bodies.push(prove.bytes().await.unwrap().to_vec());
    bodies.push(headers.into_bytes());
    // bb ran to its end: the test CRS makes its self-check fail, a real CRS gives a proof.
    assert!(matches!(status, 200 | 422), "status {status}");
    let output = server.raw_output();
    assert!(
        output.windows(4).any(|w| w == b"TRACE") || output.len() > 10_000,
        "trace logging did not take effect"
    );

    let steps = parse_steps(FIXTURE).unwrap();
    let names: Vec<&[u8]> = steps.iter().map(|s| s.function_name.as_bytes()).collect();
    // Witnesses are the private inputs: sample windows across every one of them, and the
    // bytecode too (it names the circuit).
    let mut windows: HashSet<[u8; WINDOW]> = HashSet::new();
    for step in &steps {
        for part in [step.witness, step.bytecode] {
            let stride = (part.len() / 256).max(1);
            for start in (0..part.len().saturating_sub(WINDOW)).step_by(stride) {
                windows.insert(part[start..start + WINDOW].try_into().unwrap());
            }
        }
    }
    assert!(
        windows.len() > 9 * 256,
        "too few windows sampled: {}",
        windows.len()
    );
    let hex_windows: HashSet<Vec<u8>> = windows
        .iter()
        .map(|w| hex::encode(w).into_bytes())
        .collect();

    let labels = [
        "server output",
        "health",
        "attestation",
        "public key",
        "prove",
        "prove headers",
    ];
    let haystacks = std::iter::once(&output).chain(bodies.iter());
    for (name, haystack) in labels.iter().zip(haystacks) {
        // Raw bytes, lowercase hex, and `{:?}` byte lists (`[31, 139, 8, ...]`).
        let raw = haystack.windows(WINDOW).any(|w| windows.contains(w));
        let hex = haystack
            .windows(2 * WINDOW)
            .any(|w| hex_windows.contains(w));
        let listed = decimal_lists(haystack)
            .iter()
            .any(|list| list.windows(WINDOW).any(|w| windows.contains(w)));
        assert!(
            !(raw || hex || listed),
            "{name} holds decrypted payload bytes ({raw}, {hex}, {listed})"
        );
        for name_bytes in &names {
            assert!(
                !contains(haystack, name_bytes),
                "{name} holds a function name"
            );
        }
        for marker in [&b"PRIVATE KEY"[..], b"secret_params", b"SecretKey"] {
            assert!(
                !contains(haystack, marker),
                "{name} mentions private key material"
            );
        }
    }
    eprintln!(
        "searched {} bytes of output and {} response bodies for {} windows",
        output.len(),
        bodies.len(),
        windows.len()
    );
    assert!(
        std::fs::read_dir(work.path()).unwrap().next().is_none(),
        "job folder left behind"
    );
}

/// Every run of comma-separated decimal numbers up to 255 (how `{:?}` prints bytes), as bytes.
fn decimal_lists(text: &[u8]) -> Vec<Vec<u8>> {
    let mut lists = Vec::new();
    let mut current = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let start = i;
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
        }
        let number = std::str::from_utf8(&text[start..i])
            .ok()
            .and_then(|n| n.parse::<u8>().ok());
        match number {
            Some(byte) if i > start => {
                current.push(byte);
                if text[i..].starts_with(b", ") {
                    i += 2;
                    continue;
                }
            }
            _ => i = i.max(start + 1),
        }
        if current.len() >= WINDOW {
            lists.push(std::mem::take(&mut current));
        }
        current.clear();
    }
    if current.len() >= WINDOW {
        lists.push(current);
    }
    lists
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
