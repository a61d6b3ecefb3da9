//! Every endpoint and error path through the real app factory, in process.

use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::test;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value;
use tee_rex_protocol::api::AttestationMode;
use tee_rex_protocol::ProverIdentity;
use tee_rex_server::attest::{self, AttestError, AttestErrorKind, AttestationRequest, Attestor};

use crate::common::{encrypt_to, one_step, wait_for_file, Options, Sandbox};

/// A stand-in bb that writes its input back as the proof.
pub const ECHO_PROOF: &str = "cat \"$5\" > \"$7/proof\"";

macro_rules! app {
    ($state:expr) => {{
        let state = ::actix_web::web::Data::new($state);
        let app = ::actix_web::App::new()
            .app_data(state.clone())
            .configure(::tee_rex_server::configure);
        (::actix_web::test::init_service(app).await, state)
    }};
}
pub(crate) use app;

pub async fn json_of(response: ServiceResponse) -> (StatusCode, header::HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    let body = test::read_body(response).await;
    (
        status,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// Asserts a JSON error with `code` whose requestId matches the response header.
pub fn assert_error(
    status: StatusCode,
    headers: &header::HeaderMap,
    body: &Value,
    code: &str,
    expected: StatusCode,
) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    let id = headers.get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(body["requestId"], id);
}

pub fn prove_binary(body: Vec<u8>) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/prove")
        .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
        .set_payload(body)
}

pub fn prove_json(body: impl Into<Vec<u8>>) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/prove")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(body.into())
}

#[actix_web::test]
async fn health_reports_identity_queue_and_mode() {
    let sandbox = Sandbox::new(ECHO_PROOF);
    let (app, _) = app!(
        sandbox
            .state(Options {
                concurrency: 2,
                max_waiting: 3,
                ..Options::default()
            })
            .await
    );
    let (status, headers, body) = json_of(
        test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(body["status"], "ok");
    assert_eq!(body["apiVersion"], 1);
    assert_eq!(body["attestation"], "none");
    assert_eq!(body["prover"]["bbVersion"], "4.1.2");
    assert_eq!(body["prover"]["crsInsecure"], true);
    assert_eq!(body["prover"]["crs"][0]["file"], "bn254_g1.dat");
    assert_eq!(
        body["queue"],
        serde_json::json!({"running": 0, "waiting": 0, "concurrency": 2, "maxWaiting": 3})
    );
    assert!(body["uptimeSeconds"].is_u64());
}

#[actix_web::test]
async fn public_key_endpoints_serve_the_key() {
    let sandbox = Sandbox::new(ECHO_PROOF);
    let (app, state) = app!(sandbox.state(Options::default()).await);
    let armored = state.key().public_key_armored().to_owned();

    let (status, _, body) = json_of(
        test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/encryption-public-key")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["publicKey"], armored);

    let (status, _, body) = json_of(
        test::call_service(
            &app,
            test::TestRequest::get().uri("/attestation").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        serde_json::json!({"mode": "standard", "publicKey": armored})
    );
}

#[actix_web::test]
async fn bad_nonces_are_refused() {
    let sandbox = Sandbox::new(ECHO_PROOF);
    let (app, _) = app!(sandbox.state(Options::default()).await);
    let long = "ab".repeat(65);
    for nonce in ["zz", "", "abc", long.as_str()] {
        let uri = format!("/attestation?nonce={nonce}");
        let (status, headers, body) = json_of(
            test::call_service(&app, test::TestRequest::get().uri(&uri).to_request()).await,
        )
        .await;
        assert_error(
            status,
            &headers,
            &body,
            "INVALID_NONCE",
            StatusCode::BAD_REQUEST,
        );
    }
    let uri = format!("/attestation?nonce={}", "ab".repeat(64));
    let response = test::call_service(&app, test::TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn dev_attestation_binds_key_identity_and_nonce() {
    let sandbox = Sandbox::new(ECHO_PROOF);
    let root = sandbox.path("dev-root.pem");
    let exe = std::env::current_exe().unwrap();
    let attestor = attest::from_config(AttestationMode::Dev, Some(&root), &exe).unwrap();
    let (app, state) = app!(
        sandbox
            .state(Options {
                attestor,
                ..Options::default()
            })
            .await
    );

    let (status, _, body) = json_of(
        test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/attestation?nonce=00c0ffee")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mode"], "nitro");
    assert_eq!(body["publicKey"], state.key().public_key_armored());
    let document = BASE64
        .decode(body["attestationDocument"].as_str().unwrap())
        .unwrap();
    // The payload embeds the binary key, the identity and the nonce as byte strings.
    let user_data = state.identity().to_user_data().unwrap();
    for (what, needle) in [
        ("key", state.key().public_key_binary()),
        ("user_data", &user_data[..]),
        ("nonce", &[0x00, 0xc0, 0xff, 0xee][..]),
    ] {
        assert!(
            document.windows(needle.len()).any(|w| w == needle),
            "{what} missing from the document"
        );
    }
    assert_eq!(
        ProverIdentity::from_user_data(&user_data).unwrap(),
        *state.identity()
    );

    let (_, _, health) = json_of(
        test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await,
    )
    .await;
    assert_eq!(health["attestation"], "dev");
}

#[derive(Debug)]
struct BrokenAttestor;

impl Attestor for BrokenAttestor {
    fn mode(&self) -> AttestationMode {
        AttestationMode::Nitro
    }

    fn attest(&self, request: &AttestationRequest<'_>) -> Result<Vec<u8>, AttestError> {
        Err(AttestErrorKind::FieldLength {
            field: "public_key",
            len: request.public_key.len(),
            min: 0,
            max: 0,
        }
        .into())
    }
}

#[actix_web::test]
async fn attestor_failure_is_attestation_failed() {
    let sandbox = Sandbox::new(ECHO_PROOF);
    let (app, _) = app!(
        sandbox
            .state(Options {
                attestor: Some(Box::new(BrokenAttestor)),
                ..Options::default()
            })
            .await
    );
    let (status, headers, body) = json_of(
        test::call_service(
            &app,
            test::TestRequest::get().uri("/attestation").to_request(),
        )
        .await,
    )
    .await;
    assert_error(
        status,
        &headers,
        &body,
        "ATTESTATION_FAILED",
        StatusCode::INTERNAL_SERVER_ERROR,
    );
}

#[actix_web::test]
async fn prove_returns_the_proof_in_response_layout() {
    let sandbox = Sandbox::new("head -c 96 /dev/zero | tr '\\0' '\\7' > \"$7/proof\"");
    let (app, state) = app!(sandbox.state(Options::default()).await);
    let message = encrypt_to(state.key().public_key_binary(), &one_step());
    for request in [
        prove_binary(message.clone()),
        prove_json(
            serde_json::to_vec(&serde_json::json!({"data": BASE64.encode(&message)})).unwrap(),
        ),
    ] {
        let (status, headers, body) =
            json_of(test::call_service(&app, request.to_request()).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let proof = BASE64.decode(body["proof"].as_str().unwrap()).unwrap();
        assert_eq!(&proof[..4], &[0, 0, 0, 3]);
        assert_eq!(&proof[4..], &[7u8; 96][..]);
        for name in [
            "x-prove-duration-ms",
            "x-decrypt-duration-ms",
            "x-request-id",
        ] {
            assert!(headers.contains_key(name), "{name}");
        }
        headers
            .get("x-prove-duration-ms")
            .unwrap()
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap();
    }
    assert!(sandbox.work_is_empty());
}

#[actix_web::test]
async fn bad_bodies_get_their_codes_and_leave_nothing() {
    let sandbox = Sandbox::new("touch \"$7/../../../bb-ran\"");
    let ran = sandbox.path("bb-ran");
    let (app, state) = app!(
        sandbox
            .state(Options {
                max_body_bytes: 64 * 1024,
                ..Options::default()
            })
            .await
    );
    let armored = state.key().public_key_armored().as_bytes().to_vec();
    let other = tee_rex_server::ServerKey::generate().unwrap();
    let b64 = |bytes: &[u8]| {
        serde_json::to_vec(&serde_json::json!({"data": BASE64.encode(bytes)})).unwrap()
    };

    let cases: Vec<(test::TestRequest, &str, StatusCode)> = vec![
        (
            test::TestRequest::post()
                .uri("/prove")
                .insert_header((header::CONTENT_TYPE, "text/plain"))
                .set_payload("x"),
            "UNSUPPORTED_MEDIA_TYPE",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            test::TestRequest::post().uri("/prove").set_payload("x"),
            "UNSUPPORTED_MEDIA_TYPE",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            prove_json("{not json"),
            "INVALID_JSON",
            StatusCode::BAD_REQUEST,
        ),
        (
            prove_json(r#"{"other": "x"}"#),
            "INVALID_JSON",
            StatusCode::BAD_REQUEST,
        ),
        (
            prove_json(r#"{"data": "not base64 !!"}"#),
            "INVALID_BASE64",
            StatusCode::BAD_REQUEST,
        ),
        (
            prove_json(b64(b"plain text, not openpgp")),
            "NOT_OPENPGP",
            StatusCode::BAD_REQUEST,
        ),
        (
            prove_binary(b"plain text, not openpgp".to_vec()),
            "NOT_OPENPGP",
            StatusCode::BAD_REQUEST,
        ),
        (
            prove_binary(encrypt_to(other.public_key_binary(), &one_step())),
            "DECRYPT_FAILED",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            prove_binary(encrypt_to(&armored, b"\x92\x01")),
            "INVALID_STEPS",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            prove_binary(encrypt_to(&armored, b"not msgpack at all")),
            "INVALID_STEPS",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            prove_binary(encrypt_to(&armored, &[0x90])),
            "NO_STEPS",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            prove_binary(vec![0u8; 64 * 1024 + 1]),
            "PAYLOAD_TOO_LARGE",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            prove_json(vec![b' '; 64 * 1024 + 1]),
            "PAYLOAD_TOO_LARGE",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            test::TestRequest::get().uri("/prove"),
            "METHOD_NOT_ALLOWED",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            test::TestRequest::post().uri("/health"),
            "METHOD_NOT_ALLOWED",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            test::TestRequest::get().uri("/nope"),
            "NOT_FOUND",
            StatusCode::NOT_FOUND,
        ),
        (
            test::TestRequest::get().uri("/"),
            "NOT_FOUND",
            StatusCode::NOT_FOUND,
        ),
    ];
    for (request, code, expected) in cases {
        let (status, headers, body) =
            json_of(test::call_service(&app, request.to_request()).await).await;
        assert_error(status, &headers, &body, code, expected);
    }
    assert!(!ran.exists(), "bb must not run for refused input");
    assert!(sandbox.work_is_empty());
}

#[actix_web::test]
async fn prover_outcomes_map_to_codes_and_clean_up() {
    for (script, code, expected) in [
        ("echo 'ChonkAccumulate - accumulating circuit x' >&2; echo 'Failed to verify the generated proof!' >&2; exit 1", "PROOF_SELF_CHECK_FAILED", StatusCode::UNPROCESSABLE_ENTITY),
        ("echo 'boom' >&2; exit 2", "PROVER_FAILED", StatusCode::INTERNAL_SERVER_ERROR),
        ("exec sleep 30", "PROVE_TIMEOUT", StatusCode::GATEWAY_TIMEOUT),
    ] {
        let sandbox = Sandbox::new(script);
        let (app, state) = app!(sandbox.state(Options { timeout: Duration::from_millis(700), ..Options::default() }).await);
        let message = encrypt_to(state.key().public_key_binary(), &one_step());
            let (status, headers, body) = json_of(test::call_service(&app, prove_binary(message).to_request()).await).await;
        assert_error(status, &headers, &body, code, expected);
        assert!(sandbox.work_is_empty(), "{code}: job folder left behind");
        assert_eq!(state.attestation_mode(), AttestationMode::None);
    }
}

#[actix_web::test]
async fn queue_full_is_503_and_health_answers_while_proving() {
    let sandbox = Sandbox::new("touch \"$7/../../../started\"; exec sleep 3");
    let started = sandbox.path("started");
    let (app, state) = app!(
        sandbox
            .state(Options {
                max_waiting: 1,
                ..Options::default()
            })
            .await
    );
    let message = encrypt_to(state.key().public_key_binary(), &one_step());

    let first = test::call_service(&app, prove_binary(message.clone()).to_request());
    let second = test::call_service(&app, prove_binary(message.clone()).to_request());
    let probe = async {
        wait_for_file(&started).await;
        let (_, _, health) = json_of(
            test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await,
        )
        .await;
        assert_eq!(health["queue"]["running"], 1);
        assert_eq!(health["queue"]["waiting"], 1);
        let attestation = test::call_service(
            &app,
            test::TestRequest::get().uri("/attestation").to_request(),
        )
        .await;
        assert_eq!(attestation.status(), StatusCode::OK);
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
        assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "30");
    };
    let (first, second, ()) = tokio::join!(first, second, probe);
    // The stand-in writes no proof: both admitted jobs ran to the end and failed the same way.
    assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(second.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(sandbox.work_is_empty());
}

#[actix_web::test]
async fn cors_exposes_the_timing_headers() {
    let sandbox = Sandbox::new(ECHO_PROOF);
    let (app, _) = app!(sandbox.state(Options::default()).await);
    let preflight = test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/prove")
        .insert_header((header::ORIGIN, "https://wallet.example"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "POST"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type"))
        .to_request();
    let response = test::call_service(&app, preflight).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert!(response
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

    let request = test::TestRequest::get()
        .uri("/health")
        .insert_header((header::ORIGIN, "https://wallet.example"))
        .to_request();
    let response = test::call_service(&app, request).await;
    let exposed = response
        .headers()
        .get(header::ACCESS_CONTROL_EXPOSE_HEADERS)
        .unwrap()
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "x-prove-duration-ms",
        "x-decrypt-duration-ms",
        "x-request-id",
        "server-timing",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }
}
