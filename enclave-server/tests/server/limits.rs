//! In process: rate limits keyed on the peer address, and timing headers on prover failures.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::test;
use serde_json::Value;
use tee_rex_server::{Cidr, RateLimit};

use crate::common::{encrypt_to, one_step, Options, Sandbox};
use crate::in_process::{app, prove_binary};

async fn parts(response: ServiceResponse) -> (StatusCode, header::HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    let body = test::read_body(response).await;
    (
        status,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// Sends a `TestRequest` through the app and splits the response.
macro_rules! call {
    ($app:expr, $request:expr) => {
        parts(test::call_service($app, $request.to_request()).await)
    };
}

fn from(peer: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri("/attestation")
        .peer_addr(peer.parse::<SocketAddr>().unwrap())
}

#[actix_web::test]
async fn rate_limits_key_on_the_peer_and_ignore_untrusted_forwarded_for() {
    let sandbox = Sandbox::new("exit 0");
    let limit = RateLimit {
        per_minute: 1,
        burst: 2,
    };
    let state = sandbox
        .state(Options {
            prove_rate: limit,
            attestation_rate: limit,
            ..Options::default()
        })
        .await
        .with_rate_limits(limit, limit, vec!["10.0.0.0/8".parse::<Cidr>().unwrap()]);
    let app = app!(state).0;

    // A client spends its burst; forged X-Forwarded-For values do not give it fresh buckets.
    for i in 0..2 {
        let request =
            from("198.51.100.7:1000").insert_header(("x-forwarded-for", format!("203.0.113.{i}")));
        assert_eq!(call!(&app, request).await.0, StatusCode::OK);
    }
    let request = from("198.51.100.7:1001").insert_header(("x-forwarded-for", "203.0.113.99"));
    let (status, headers, body) = call!(&app, request).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    let retry: u64 = headers
        .get(header::RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // Another peer has its own bucket; /health is never limited.
    assert_eq!(
        call!(&app, from("198.51.100.8:1000")).await.0,
        StatusCode::OK
    );
    for _ in 0..5 {
        let health = test::TestRequest::get()
            .uri("/health")
            .peer_addr("198.51.100.7:1000".parse().unwrap());
        assert_eq!(call!(&app, health).await.0, StatusCode::OK);
    }

    // /prove has its own bucket, checked before the body is read.
    for expected in [
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    ] {
        let prove = test::TestRequest::post()
            .uri("/prove")
            .peer_addr("198.51.100.7:1000".parse().unwrap());
        assert_eq!(call!(&app, prove).await.0, expected);
    }
    let prove = test::TestRequest::post()
        .uri("/prove")
        .peer_addr("198.51.100.7:1000".parse().unwrap());
    let (status, _, body) = call!(&app, prove).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::TOO_MANY_REQUESTS, &"RATE_LIMITED".into())
    );

    // Behind a trusted proxy, each forwarded client has its own bucket.
    for client in ["203.0.113.1", "203.0.113.2"] {
        for expected in [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
        ] {
            let request = from("10.0.0.5:1000").insert_header(("x-forwarded-for", client));
            assert_eq!(call!(&app, request).await.0, expected, "{client}");
        }
    }
}

#[actix_web::test]
async fn prover_failures_carry_the_prove_duration() {
    for (script, code, ran) in [
        ("sleep 0.3; exit 2", "PROVER_FAILED", true),
        (
            "sleep 0.3; echo 'Failed to verify the generated proof!'; exit 1",
            "PROOF_SELF_CHECK_FAILED",
            true,
        ),
        ("exec sleep 30", "PROVE_TIMEOUT", true),
    ] {
        let sandbox = Sandbox::new(script);
        let state = sandbox
            .state(Options {
                timeout: Duration::from_millis(700),
                ..Options::default()
            })
            .await;
        let message = encrypt_to(state.key().public_key_binary(), &one_step());
        let app = app!(state).0;
        let request = prove_binary(message);
        let (_, headers, body) = call!(&app, request).await;
        assert_eq!(body["error"]["code"], code);
        let ms: u64 = headers
            .get("x-prove-duration-ms")
            .unwrap_or_else(|| panic!("{code} lacks x-prove-duration-ms"))
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(ran && ms >= 250, "{code}: {ms} ms");
    }

    // bb never started: no duration to report.
    let sandbox = Sandbox::new("exit 0");
    let state = sandbox.state(Options::default()).await;
    std::fs::remove_file(sandbox.bb()).unwrap();
    let message = encrypt_to(state.key().public_key_binary(), &one_step());
    let app = app!(state).0;
    let request = prove_binary(message);
    let (_, headers, body) = call!(&app, request).await;
    assert_eq!(body["error"]["code"], "PROVER_FAILED");
    assert!(!headers.contains_key("x-prove-duration-ms"));
    assert!(sandbox.work_is_empty());
}
