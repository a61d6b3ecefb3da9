//! The `Server-Timing` header of `POST /prove` and the phases in the JSON log: in process with a
//! stand-in bb, and once over loopback against the real binary's log.

use std::time::{Duration, Instant};

use actix_web::http::{header, StatusCode};
use actix_web::test;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value;

use crate::common::{encrypt_to, one_step, wait_for_file, Options, Sandbox};
use crate::in_process::{app, assert_error, json_of, prove_binary, prove_json};
use crate::loopback::{get_json, refs, sandbox_args, Server};

/// Every phase of a binary body, in the order the header lists them.
const BINARY_PHASES: [&str; 5] = ["upload", "decrypt", "parse", "queue", "prove"];

/// Every phase of a JSON body: `decode` (its base64) comes after the upload.
const JSON_PHASES: [&str; 6] = ["upload", "decode", "decrypt", "parse", "queue", "prove"];

/// The `Server-Timing` metrics, or `None` when the header is absent.
fn server_timing(headers: &header::HeaderMap) -> Option<Vec<(String, f64)>> {
    Some(parse_server_timing(
        headers.get("server-timing")?.to_str().unwrap(),
    ))
}

/// The metrics of a `Server-Timing` value as (name, milliseconds), parsed strictly:
/// `name;dur=<number>` joined by `", "`, nothing else.
fn parse_server_timing(value: &str) -> Vec<(String, f64)> {
    value
        .split(", ")
        .map(|metric| {
            let (name, dur) = metric
                .split_once(";dur=")
                .unwrap_or_else(|| panic!("not name;dur=: {value}"));
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()),
                "{value}"
            );
            let ms: f64 = dur.parse().unwrap_or_else(|_| panic!("dur: {value}"));
            assert!(ms.is_finite() && ms >= 0.0, "{value}");
            (name.to_owned(), ms)
        })
        .collect()
}

fn names(metrics: &[(String, f64)]) -> Vec<&str> {
    metrics.iter().map(|(name, _)| name.as_str()).collect()
}

fn phase(metrics: &[(String, f64)], name: &str) -> f64 {
    metrics
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {metrics:?}"))
        .1
}

fn header_u64(headers: &header::HeaderMap, name: &str) -> u64 {
    headers
        .get(name)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn a_proof_carries_every_phase_and_bb_time_covers_the_stand_in() {
    let sandbox = Sandbox::new("sleep 0.3; head -c 96 /dev/zero > \"$7/proof\"");
    let (app, state) = app!(sandbox.state(Options::default()).await);
    let message = encrypt_to(state.key().public_key_binary(), &one_step());
    let json = serde_json::to_vec(&serde_json::json!({"data": BASE64.encode(&message)})).unwrap();

    for (request, expected) in [
        (prove_binary(message.clone()), &BINARY_PHASES[..]),
        (prove_json(json), &JSON_PHASES[..]),
    ] {
        let sent = Instant::now();
        let (status, headers, body) =
            json_of(test::call_service(&app, request.to_request()).await).await;
        let wall_ms = sent.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(status, StatusCode::OK, "{body}");

        let metrics = server_timing(&headers).expect("Server-Timing on a proof");
        assert_eq!(names(&metrics), expected);
        let prove = phase(&metrics, "prove");
        assert!(prove >= 300.0, "bb slept 300 ms, prove says {prove}");
        // The same bb run as the older header, which truncates to whole milliseconds.
        let legacy = header_u64(&headers, "x-prove-duration-ms") as f64;
        assert!((prove - legacy).abs() < 1.0, "{prove} vs {legacy}");
        let decrypt = phase(&metrics, "decrypt");
        let legacy = header_u64(&headers, "x-decrypt-duration-ms") as f64;
        assert!((decrypt - legacy).abs() < 1.0, "{decrypt} vs {legacy}");
        // Nothing waited: one request at a time, the slot was free.
        assert!(phase(&metrics, "queue") < 50.0, "{metrics:?}");
        // The phases do not overlap, so together they fit in what the client waited.
        let sum: f64 = metrics.iter().map(|(_, ms)| ms).sum();
        assert!(sum <= wall_ms, "{sum} ms of phases in {wall_ms} ms");
    }
    assert!(sandbox.work_is_empty());
}

#[actix_web::test]
async fn errors_after_bb_ran_carry_the_phases_and_earlier_ones_do_not() {
    for (script, code, expected, phases) in [
        (
            "sleep 0.2; echo 'Failed to verify the generated proof!' >&2; exit 1",
            "PROOF_SELF_CHECK_FAILED",
            StatusCode::UNPROCESSABLE_ENTITY,
            &BINARY_PHASES[..],
        ),
        (
            "sleep 0.2; echo boom >&2; exit 2",
            "PROVER_FAILED",
            StatusCode::INTERNAL_SERVER_ERROR,
            &BINARY_PHASES[..],
        ),
        // bb exited 0 without a proof: the prover reports no bb time, so `prove` is left out.
        (
            "sleep 0.2",
            "PROVER_FAILED",
            StatusCode::INTERNAL_SERVER_ERROR,
            &BINARY_PHASES[..4],
        ),
    ] {
        let sandbox = Sandbox::new(script);
        let (app, state) = app!(sandbox.state(Options::default()).await);
        let message = encrypt_to(state.key().public_key_binary(), &one_step());
        let (status, headers, body) =
            json_of(test::call_service(&app, prove_binary(message).to_request()).await).await;
        assert_error(status, &headers, &body, code, expected);

        let metrics = server_timing(&headers).unwrap_or_else(|| panic!("{script}: no header"));
        assert_eq!(names(&metrics), phases, "{script}");
        if phases.contains(&"prove") {
            assert!(phase(&metrics, "prove") >= 200.0, "{script}: {metrics:?}");
            assert!(headers.contains_key("x-prove-duration-ms"), "{script}");
        } else {
            assert!(!headers.contains_key("x-prove-duration-ms"), "{script}");
        }
    }

    // Refused before the queue: no phases.
    let sandbox = Sandbox::new("exit 3");
    let (app, _) = app!(sandbox.state(Options::default()).await);
    let other = tee_rex_server::ServerKey::generate().unwrap();
    let message = encrypt_to(other.public_key_binary(), &one_step());
    let (status, headers, body) =
        json_of(test::call_service(&app, prove_binary(message).to_request()).await).await;
    assert_error(
        status,
        &headers,
        &body,
        "DECRYPT_FAILED",
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert!(server_timing(&headers).is_none());
}

#[actix_web::test]
async fn queue_wait_is_the_time_a_job_waited_for_a_held_slot() {
    // The first job holds the only slot until the test creates `release`; later jobs prove at once.
    let sandbox = Sandbox::new(
        "if mkdir \"$7/../../../first\" 2>/dev/null; then \
           while [ ! -e \"$7/../../../release\" ]; do sleep 0.02; done; \
         fi; head -c 96 /dev/zero > \"$7/proof\"",
    );
    let (first_marker, release) = (sandbox.path("first"), sandbox.path("release"));
    let (app, state) = app!(
        sandbox
            .state(Options {
                max_waiting: 1,
                ..Options::default()
            })
            .await
    );
    let message = encrypt_to(state.key().public_key_binary(), &one_step());
    const HELD: Duration = Duration::from_millis(400);

    let first = async {
        json_of(test::call_service(&app, prove_binary(message.clone()).to_request()).await).await
    };
    let rest = async {
        wait_for_file(&first_marker).await;
        let second = async {
            json_of(test::call_service(&app, prove_binary(message.clone()).to_request()).await)
                .await
        };
        let control = async {
            loop {
                let health = test::TestRequest::get().uri("/health").to_request();
                let (_, _, health) = json_of(test::call_service(&app, health).await).await;
                if health["queue"]["waiting"] == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // A third job finds the slot and the waiting place taken: the phases it got through.
            let (status, headers, body) =
                json_of(test::call_service(&app, prove_binary(message.clone()).to_request()).await)
                    .await;
            assert_error(
                status,
                &headers,
                &body,
                "QUEUE_FULL",
                StatusCode::SERVICE_UNAVAILABLE,
            );
            let metrics = server_timing(&headers).expect("Server-Timing on QUEUE_FULL");
            assert_eq!(names(&metrics), ["upload", "decrypt", "parse"]);
            assert!(!headers.contains_key("x-prove-duration-ms"));

            tokio::time::sleep(HELD).await;
            std::fs::write(&release, b"").unwrap();
        };
        let (second, ()) = tokio::join!(second, control);
        second
    };
    let ((status1, headers1, body1), (status2, headers2, body2)) = tokio::join!(first, rest);
    assert_eq!(status1, StatusCode::OK, "{body1}");
    assert_eq!(status2, StatusCode::OK, "{body2}");

    let first = server_timing(&headers1).unwrap();
    let second = server_timing(&headers2).unwrap();
    assert_eq!(names(&first), BINARY_PHASES);
    assert_eq!(names(&second), BINARY_PHASES);
    let held = HELD.as_secs_f64() * 1000.0;
    assert!(phase(&first, "queue") < 50.0, "first: {first:?}");
    assert!(phase(&first, "prove") >= held, "first: {first:?}");
    assert!(phase(&second, "queue") >= held, "second: {second:?}");
    // The second job's bb did not wait: the waiting is not counted twice.
    assert!(phase(&second, "prove") < held, "second: {second:?}");
    assert!(sandbox.work_is_empty());
}

#[tokio::test]
async fn the_json_log_carries_the_same_phases_as_the_header() {
    let sandbox = Sandbox::new(
        "sleep 0.1; [ -e \"$7/../../../fail\" ] && exit 2; head -c 64 /dev/zero > \"$7/proof\"",
    );
    let mut args = sandbox_args(&sandbox);
    args.extend(["--attestation".into(), "none".into()]);
    let server = Server::start(&refs(&args));
    let client = reqwest::Client::new();
    let (_, attestation) = get_json(&format!("{}/attestation", server.url)).await;
    let key = attestation["publicKey"]
        .as_str()
        .unwrap()
        .as_bytes()
        .to_vec();

    for (fails, event) in [(false, "proved"), (true, "prove failed")] {
        if fails {
            std::fs::write(sandbox.path("fail"), b"").unwrap();
        }
        let response = client
            .post(format!("{}/prove", server.url))
            .header("content-type", "application/octet-stream")
            .header("x-request-id", event.replace(' ', "-"))
            .body(encrypt_to(&key, &one_step()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().is_success(), !fails);
        let value = response.headers().get("server-timing").unwrap();
        let metrics = parse_server_timing(value.to_str().unwrap());
        assert_eq!(names(&metrics), BINARY_PHASES);
        response.bytes().await.unwrap();

        let events = events_once_logged(&server, &event.replace(' ', "-"), event).await;
        let done = events
            .iter()
            .find(|e| e["fields"]["message"] == event)
            .unwrap_or_else(|| panic!("no {event} event: {events:?}"));
        for (name, ms) in &metrics {
            assert_eq!(
                done["fields"][format!("{name}_ms")].as_f64(),
                Some(*ms),
                "{event}: {done}"
            );
        }
        assert!(done["fields"].get("decode_ms").is_none(), "{done}");
        // The `proving` event, when the job got its slot, has every phase before bb.
        let proving = events
            .iter()
            .find(|e| e["fields"]["message"] == "proving")
            .unwrap();
        for name in &BINARY_PHASES[..4] {
            assert_eq!(
                proving["fields"][format!("{name}_ms")].as_f64(),
                Some(phase(&metrics, name)),
                "{proving}"
            );
        }
        assert!(proving["fields"].get("prove_ms").is_none(), "{proving}");
    }
    assert!(server.terminate().success());
}

/// The JSON log events of the request logged under `request_id`, once `message` is among them
/// (or after five seconds): the log reaches the test through a pipe, a moment after the answer.
async fn events_once_logged(server: &Server, request_id: &str, message: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let events = log_events(&server.log(), request_id);
        if Instant::now() > deadline || events.iter().any(|e| e["fields"]["message"] == message) {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The JSON log events of the request logged under `request_id`.
fn log_events(log: &str, request_id: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|e| {
            e["span"]["request_id"] == request_id
                || e["spans"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["request_id"] == request_id))
        })
        .collect()
}
