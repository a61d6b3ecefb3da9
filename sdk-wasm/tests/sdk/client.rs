//! The client flow against the transport fake.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
    time::{SystemTime, UNIX_EPOCH},
};

use pgp::{
    packet::{Packet, PacketParser},
    types::KeyDetails,
};
use tee_rex_protocol::ErrorCode;
use tee_rex_sdk::{AttestationPolicy, Client, ClientConfig, Error, Phase, PhaseEvent, ProvingMode};

use super::fake::{AttestMode, FakeServer, ProveAnswer, TimingHeader, Unreachable};

const API: &str = "http://127.0.0.1:4000/";

/// One valid step; contents are arbitrary but well-formed.
fn steps() -> Vec<u8> {
    let mut out = vec![0x91, 0x84];
    for (key, value) in [
        ("functionName", None),
        ("bytecode", Some(&[1u8, 2][..])),
        ("witness", Some(&[3][..])),
        ("vk", Some(&[4][..])),
    ] {
        out.push(0xa0 | key.len() as u8);
        out.extend(key.as_bytes());
        match value {
            None => {
                out.push(0xa4);
                out.extend(b"main");
            }
            Some(bytes) => {
                out.extend([0xc4, bytes.len() as u8]);
                out.extend(bytes);
            }
        }
    }
    out
}

/// The real wall clock plus an offset the test can advance.
fn clock() -> (Arc<AtomicU64>, impl Fn() -> u64) {
    let offset = Arc::new(AtomicU64::new(0));
    let handle = offset.clone();
    let clock = move || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        now + handle.load(Ordering::SeqCst)
    };
    (offset, clock)
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn client(server: &FakeServer) -> Client<&FakeServer, impl Fn() -> u64> {
    let config = ClientConfig::new(API, server.policy()).unwrap();
    Client::new(server, clock().1, config)
}

fn prove<T: tee_rex_sdk::Transport, C: tee_rex_sdk::Clock>(
    client: &mut Client<T, C>,
    steps: &[u8],
) -> (Result<tee_rex_sdk::ProveOutcome, Error>, Vec<Phase>) {
    let mut phases = Vec::new();
    let result = run(client.prove(steps, &mut |e: PhaseEvent| phases.push(e.phase)));
    (result, phases)
}

#[test]
fn proves_with_the_documents_key_and_ignores_the_side_field() {
    let server = FakeServer::new(AttestMode::Nitro);
    assert_ne!(server.key_fingerprint(), server.side_key_fingerprint());
    let mut client = client(&server);

    let (result, phases) = prove(&mut client, &steps());
    let outcome = result.unwrap();

    assert_eq!(outcome.proof.len(), 4 + 3 * 32);
    assert_eq!(outcome.prove_duration_ms, Some(1234));
    assert_eq!(outcome.request_id.as_deref(), Some("req-0"));
    assert!(outcome.attested);
    assert_eq!(
        phases,
        [
            Phase::FetchAttestation,
            Phase::VerifyAttestation,
            Phase::Encrypt,
            Phase::Transmit,
            Phase::Proving,
            Phase::Proved { duration_ms: 1234 },
            Phase::Receive,
        ]
    );
    // The server decrypted exactly the steps, with the key inside the document.
    assert_eq!(server.decrypted.lock().unwrap().as_slice(), [steps()]);

    // The message's only recipient is a subkey of the document's key.
    let posts = server.posts.lock().unwrap();
    let recipients: Vec<_> = PacketParser::new(&posts[0][..])
        .filter_map(|p| match p.unwrap() {
            Packet::PublicKeyEncryptedSessionKey(pkesk) => Some(pkesk),
            _ => None,
        })
        .collect();
    assert_eq!(recipients.len(), 1);
    let gets = server.gets.lock().unwrap();
    let nonce_hex = gets[0].split_once("?nonce=").unwrap().1;
    assert_eq!(nonce_hex.len(), 64, "32-byte nonce");
    assert!(gets[0].starts_with("http://127.0.0.1:4000/attestation?"));
    drop(gets);
    let doc_key = tee_rex_sdk::parse_armored_public_key(&armored_document_key(&server)).unwrap();
    let subkey_fp = doc_key.public_subkeys[0].key.fingerprint();
    assert_eq!(recipients[0].fingerprint().unwrap(), Some(&subkey_fp));
}

/// The document's key, re-read through a fresh attestation in remote+unattested mode of a twin.
fn armored_document_key(server: &FakeServer) -> String {
    *server.mode.lock().unwrap() = AttestMode::Standard;
    let response = {
        use tee_rex_sdk::Transport;
        run((&server).get("http://127.0.0.1:4000/attestation")).unwrap()
    };
    *server.mode.lock().unwrap() = AttestMode::Nitro;
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    body["publicKey"].as_str().unwrap().to_owned()
}

#[test]
fn fresh_nonce_each_attestation() {
    let server = FakeServer::new(AttestMode::Nitro);
    let mut first = client(&server);
    let mut second = client(&server);
    prove(&mut first, &steps()).0.unwrap();
    prove(&mut second, &steps()).0.unwrap();
    let gets = server.gets.lock().unwrap();
    assert_eq!(gets.len(), 2);
    assert_ne!(gets[0], gets[1]);
}

#[test]
fn unattested_server_is_refused_unless_remote_and_allowed() {
    let server = FakeServer::new(AttestMode::Standard);

    let mut tee = client(&server);
    let err = prove(&mut tee, &steps()).0.unwrap_err();
    assert!(matches!(err, Error::Unattested), "{err:?}");
    assert_eq!(err.code(), "UNATTESTED_SERVER");

    // allow_unattested alone does not switch TEE mode off.
    let config = ClientConfig::new(API, server.policy())
        .unwrap()
        .allow_unattested(true);
    let mut tee_allowing = Client::new(&server, clock().1, config);
    assert!(matches!(
        prove(&mut tee_allowing, &steps()).0,
        Err(Error::Unattested)
    ));

    let config = ClientConfig::new(API, AttestationPolicy::new())
        .unwrap()
        .mode(ProvingMode::Remote);
    let mut remote = Client::new(&server, clock().1, config);
    assert!(matches!(
        prove(&mut remote, &steps()).0,
        Err(Error::Unattested)
    ));
    assert!(
        server.posts.lock().unwrap().is_empty(),
        "nothing may be sent to a refused server"
    );

    let config = ClientConfig::new(API, AttestationPolicy::new())
        .unwrap()
        .mode(ProvingMode::Remote)
        .allow_unattested(true);
    let mut allowed = Client::new(&server, clock().1, config);
    let outcome = prove(&mut allowed, &steps()).0.unwrap();
    assert!(!outcome.attested);
    assert_eq!(server.decrypted.lock().unwrap().len(), 1);
}

#[test]
fn tampered_document_is_refused_and_nothing_sent() {
    let server = FakeServer::new(AttestMode::TamperedNitro);
    let mut client = client(&server);
    let (result, phases) = prove(&mut client, &steps());
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Attestation(_)), "{err:?}");
    assert_eq!(err.code(), "SIGNATURE_INVALID");
    assert_eq!(phases, [Phase::FetchAttestation, Phase::VerifyAttestation]);
    assert!(server.posts.lock().unwrap().is_empty());
}

#[test]
fn dev_document_is_refused_under_the_aws_root_and_other_pcrs() {
    let server = FakeServer::new(AttestMode::Nitro);

    let aws = AttestationPolicy::new().expected_pcrs(server.pcrs.clone());
    let mut client = Client::new(&server, clock().1, ClientConfig::new(API, aws).unwrap());
    assert_eq!(
        prove(&mut client, &steps()).0.unwrap_err().code(),
        "UNTRUSTED_ROOT"
    );

    let mut other = server.pcrs.clone();
    other[0].1[0] ^= 1;
    let policy = server.policy().expected_pcrs(other);
    let mut client = Client::new(&server, clock().1, ClientConfig::new(API, policy).unwrap());
    assert_eq!(
        prove(&mut client, &steps()).0.unwrap_err().code(),
        "PCR_MISMATCH"
    );
    assert!(server.posts.lock().unwrap().is_empty());
}

#[test]
fn tee_mode_needs_expected_pcrs_and_valid_steps_before_any_request() {
    let server = FakeServer::new(AttestMode::Nitro);
    let policy = AttestationPolicy::new().insecure_trusted_root_pem(server.root_pem.clone());
    let mut client = Client::new(&server, clock().1, ClientConfig::new(API, policy).unwrap());
    let err = prove(&mut client, &steps()).0.unwrap_err();
    assert!(matches!(err, Error::MissingExpectedPcrs), "{err:?}");

    let mut client = self::client(&server);
    let err = prove(&mut client, &[0x90]).0.unwrap_err();
    assert_eq!(err.code(), "INVALID_STEPS");
    assert!(server.gets.lock().unwrap().is_empty());
}

#[test]
fn server_error_codes_surface_with_request_id() {
    let server = FakeServer::new(AttestMode::Nitro);
    let mut client = client(&server);
    for code in [
        ErrorCode::ProofSelfCheckFailed,
        ErrorCode::ProverFailed,
        ErrorCode::QueueFull,
    ] {
        *server.answer.lock().unwrap() = ProveAnswer::Error(code);
        let err = prove(&mut client, &steps()).0.unwrap_err();
        assert_eq!(err.code(), code.as_str());
        assert!(err.request_id().unwrap().starts_with("req-"), "{err:?}");
        let Error::Server { status, .. } = err else {
            panic!("{err:?}")
        };
        assert!(status >= 400);
    }

    // bb ran and failed: the time it worked is attributed to proving, and nothing is "proved".
    *server.answer.lock().unwrap() = ProveAnswer::Error(ErrorCode::ProofSelfCheckFailed);
    let phases = prove(&mut client, &steps()).1;
    assert_eq!(
        phases[phases.len() - 2..],
        [Phase::Transmit, Phase::Proving],
        "{phases:?}"
    );

    *server.answer.lock().unwrap() = ProveAnswer::BadGateway;
    let err = prove(&mut client, &steps()).0.unwrap_err();
    assert!(matches!(err, Error::Http { status: 502 }), "{err:?}");
    assert_eq!(err.code(), "HTTP_ERROR");

    let config = ClientConfig::new(API, server.policy()).unwrap();
    let mut offline = Client::new(Unreachable, clock().1, config);
    assert_eq!(
        prove(&mut offline, &steps()).0.unwrap_err().code(),
        "TRANSPORT_FAILED"
    );
}

#[test]
fn server_timing_reaches_the_outcome() {
    let server = FakeServer::new(AttestMode::Nitro);
    let mut client = client(&server);

    let outcome = prove(&mut client, &steps()).0.unwrap();
    let timing = outcome.server_timing.unwrap();
    assert_eq!(timing.upload, Some(Duration::from_micros(1500)));
    assert_eq!(timing.decode, None);
    assert_eq!(timing.decrypt, Some(Duration::from_micros(3300)));
    assert_eq!(timing.parse, Some(Duration::from_micros(10)));
    assert_eq!(timing.queue, Some(Duration::ZERO));
    assert_eq!(timing.prove, Some(Duration::from_micros(1_234_250)));
    // x-prove-duration-ms still wins where the server sends it.
    assert_eq!(outcome.prove_duration_ms, Some(1234));

    // An older server: no header, no timing, the rest unchanged.
    *server.timing.lock().unwrap() = TimingHeader::Absent;
    let outcome = prove(&mut client, &steps()).0.unwrap();
    assert_eq!(outcome.server_timing, None);
    assert_eq!(outcome.prove_duration_ms, Some(1234));
}

#[test]
fn prove_from_server_timing_stands_in_for_the_duration_header() {
    let server = FakeServer::new(AttestMode::Nitro);
    *server.timing.lock().unwrap() = TimingHeader::OnlyServerTiming;
    *server.answer.lock().unwrap() = ProveAnswer::Proof {
        fields: 1,
        duration_ms: 2000,
    };
    let mut client = client(&server);
    let mut events = Vec::new();
    let outcome = run(client.prove(&steps(), &mut |e: PhaseEvent| events.push(e))).unwrap();

    assert_eq!(outcome.prove_duration_ms, Some(2000));
    let at = |phase: Phase| events.iter().find(|e| e.phase == phase).unwrap().at_ms;
    let proved = at(Phase::Proved { duration_ms: 2000 });
    // Proving began 2 s before the answer, by the server's measure, but never before sending.
    assert_eq!(
        at(Phase::Proving),
        proved.saturating_sub(2000).max(at(Phase::Transmit))
    );

    // Without either header there is no proving phase to report.
    *server.timing.lock().unwrap() = TimingHeader::Raw("cpu;dur=1".into());
    let outcome = prove(&mut client, &steps()).0.unwrap();
    assert_eq!(outcome.server_timing, None);
    assert_eq!(
        outcome.prove_duration_ms,
        Some(2000),
        "from x-prove-duration-ms"
    );
}

#[test]
fn server_errors_carry_the_servers_timing() {
    let server = FakeServer::new(AttestMode::Nitro);
    let mut client = client(&server);
    for code in [
        ErrorCode::ProofSelfCheckFailed,
        ErrorCode::ProverFailed,
        ErrorCode::ProveTimeout,
    ] {
        *server.answer.lock().unwrap() = ProveAnswer::Error(code);
        let err = prove(&mut client, &steps()).0.unwrap_err();
        let timing = err.server_timing().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(
            timing.prove,
            Some(Duration::from_micros(4_321_250)),
            "{code:?}"
        );
        assert_eq!(timing.queue, Some(Duration::ZERO));
    }

    // Refused at the queue: the phases before it, no proving.
    *server.answer.lock().unwrap() = ProveAnswer::Error(ErrorCode::QueueFull);
    let err = prove(&mut client, &steps()).0.unwrap_err();
    let timing = err.server_timing().unwrap();
    assert_eq!(timing.parse, Some(Duration::from_micros(10)));
    assert_eq!((timing.queue, timing.prove), (None, None));

    // Before the queue the server sends none.
    *server.answer.lock().unwrap() = ProveAnswer::Error(ErrorCode::NoSteps);
    let err = prove(&mut client, &steps()).0.unwrap_err();
    assert_eq!(err.code(), "NO_STEPS");
    assert_eq!(err.server_timing(), None);

    // The failure's phase events use Server-Timing's prove when x-prove-duration-ms is missing.
    *server.timing.lock().unwrap() = TimingHeader::OnlyServerTiming;
    *server.answer.lock().unwrap() = ProveAnswer::Error(ErrorCode::ProverFailed);
    let (result, phases) = prove(&mut client, &steps());
    assert!(result.unwrap_err().server_timing().is_some());
    assert_eq!(phases.last(), Some(&Phase::Proving), "{phases:?}");
}

#[test]
fn a_malformed_server_timing_is_ignored_not_an_error() {
    let server = FakeServer::new(AttestMode::Nitro);
    let mut client = client(&server);
    for bad in [
        "prove;dur=NaN",
        "prove;dur=-5",
        "prove;dur=1e400",
        "prove;dur=1, prove;dur=2",
        "prove;dur=99999999999",
        "upload;dur=1,,",
        "\"",
    ] {
        *server.timing.lock().unwrap() = TimingHeader::Raw(bad.into());
        let outcome = prove(&mut client, &steps()).0.unwrap();
        assert_eq!(outcome.server_timing, None, "{bad:?}");
        assert_eq!(outcome.prove_duration_ms, Some(1234));

        *server.answer.lock().unwrap() = ProveAnswer::Error(ErrorCode::ProofSelfCheckFailed);
        let err = prove(&mut client, &steps()).0.unwrap_err();
        assert_eq!(err.code(), "PROOF_SELF_CHECK_FAILED");
        assert_eq!(err.server_timing(), None, "{bad:?}");
        *server.answer.lock().unwrap() = ProveAnswer::Proof {
            fields: 3,
            duration_ms: 1234,
        };
    }
}

#[test]
fn verified_key_is_cached_until_max_age_and_reverified_after_decrypt_failed() {
    let server = FakeServer::new(AttestMode::Nitro);
    let (offset, clock) = clock();
    let config = ClientConfig::new(API, server.policy()).unwrap();
    let mut client = Client::new(&server, clock, config);

    prove(&mut client, &steps()).0.unwrap();
    let (result, phases) = prove(&mut client, &steps());
    result.unwrap();
    assert_eq!(
        server.gets.lock().unwrap().len(),
        1,
        "second proof reuses the verified key"
    );
    assert_eq!(phases[0], Phase::Encrypt);

    // The enclave restarted: the cached key no longer decrypts, so the client attests again.
    server.rotate_key();
    let (result, phases) = prove(&mut client, &steps());
    result.unwrap();
    assert_eq!(server.gets.lock().unwrap().len(), 2);
    assert!(phases.contains(&Phase::VerifyAttestation));
    assert_eq!(server.posts.lock().unwrap().len(), 4);

    // Past the maximum age (counted from the document's timestamp) the key is verified again.
    offset.store(301_000, Ordering::SeqCst);
    let (result, phases) = prove(&mut client, &steps());
    result.unwrap();
    assert_eq!(phases[0], Phase::FetchAttestation);
    assert_eq!(server.gets.lock().unwrap().len(), 3);
}

#[test]
fn decrypt_failed_on_a_fresh_key_is_not_retried() {
    let server = FakeServer::new(AttestMode::Nitro);
    *server.answer.lock().unwrap() = ProveAnswer::Error(ErrorCode::DecryptFailed);
    let mut client = client(&server);
    let err = prove(&mut client, &steps()).0.unwrap_err();
    assert_eq!(err.code(), "DECRYPT_FAILED");
    assert_eq!(server.posts.lock().unwrap().len(), 1);
    assert_eq!(server.gets.lock().unwrap().len(), 1);
}

#[test]
fn real_fixture_round_trips() {
    let fixture = include_bytes!("../../../testdata/aztec/ivc-deploy-schnorr.msgpack");
    let server = FakeServer::new(AttestMode::Nitro);
    let mut client = client(&server);
    prove(&mut client, fixture).0.unwrap();
    assert_eq!(
        server.decrypted.lock().unwrap()[0].as_slice(),
        fixture.as_slice()
    );
}

#[test]
fn urls_must_be_http() {
    for bad in ["ftp://x", "127.0.0.1:4000", "http://", "http://host/?q"] {
        assert!(matches!(
            ClientConfig::new(bad, AttestationPolicy::new()),
            Err(Error::InvalidUrl)
        ));
    }
}
