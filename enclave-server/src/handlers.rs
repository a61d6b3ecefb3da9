//! Route handlers and their fallbacks.

use std::sync::Arc;
use std::time::Instant;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError as _};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize;
use tee_rex_protocol::api::{AttestationResponse, EncryptionPublicKey, Health, ProveResponse};
use tee_rex_protocol::steps::{parse_steps, StepsError};
use tee_rex_protocol::{
    ErrorCode, API_VERSION, HEADER_DECRYPT_DURATION_MS, HEADER_PROVE_DURATION_MS, MAX_NONCE_LEN,
    MIN_NONCE_LEN,
};

use crate::attest::AttestationRequest;
use crate::body::{decode_prove_body, kind_of, read_body, BodyKind};
use crate::error::ApiError;
use crate::key::KeyError;
use crate::middleware::{cors, request_context, RequestId};
use crate::peer::PeerWatch;
use crate::prover::ProveError;
use crate::queue::QueueFull;
use crate::rate::{client_address, RateLimiter};
use crate::AppState;

use self::timing::{Phases, SERVER_TIMING};

mod timing;

/// How much larger than the body the plaintext may be (compressed messages).
const PLAINTEXT_EXPANSION: u64 = 4;

/// Emits a tracing event at `level` carrying each phase of `phases` as `<phase>_ms` (a phase that
/// did not happen is left out), then the event's own fields and message.
macro_rules! log_phases {
    ($level:ident, $phases:expr, $($rest:tt)+) => {
        tracing::$level!(
            upload_ms = timing::ms($phases.upload),
            decode_ms = timing::ms($phases.decode),
            decrypt_ms = timing::ms($phases.decrypt),
            parse_ms = timing::ms($phases.parse),
            queue_ms = timing::ms($phases.queue),
            prove_ms = timing::ms($phases.prove),
            $($rest)+
        )
    };
}

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(from_fn(request_context))
            .wrap(cors())
            .service(
                web::resource("/attestation")
                    .route(web::get().to(attestation))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/prove")
                    .route(web::post().to(prove))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/health")
                    .route(web::get().to(health))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/encryption-public-key")
                    .route(web::get().to(encryption_public_key))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found)),
    );
}

#[derive(Deserialize)]
struct AttestationQuery {
    nonce: Option<String>,
}

async fn attestation(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: RequestId,
) -> Result<HttpResponse, ApiError> {
    limit(&state.attestation_limiter, &req, &state, &id)?;
    let query = web::Query::<AttestationQuery>::from_query(req.query_string())
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, &id.0))?;
    let nonce = match query.into_inner().nonce {
        None => None,
        Some(text) => {
            Some(parse_nonce(&text).ok_or_else(|| ApiError::new(ErrorCode::InvalidNonce, &id.0))?)
        }
    };
    let public_key = state.key.public_key_armored().to_owned();

    let Some(attestor) = state.attestor.clone() else {
        return Ok(HttpResponse::Ok().json(AttestationResponse::Standard { public_key }));
    };
    let key = Arc::clone(&state.key);
    let user_data = Arc::clone(&state.user_data);
    let nonce_len = nonce.as_ref().map_or(0, Vec::len);
    let document = web::block(move || {
        attestor.attest(&AttestationRequest {
            nonce: nonce.as_deref(),
            public_key: key.public_key_binary(),
            user_data: &user_data,
        })
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "attestation task failed");
        ApiError::new(ErrorCode::Internal, &id.0)
    })?
    .map_err(|e| {
        tracing::error!(error = %e, nonce_len, "attestation failed");
        ApiError::new(ErrorCode::AttestationFailed, &id.0)
    })?;
    tracing::info!(nonce_len, document_len = document.len(), "attested");

    Ok(HttpResponse::Ok().json(AttestationResponse::Nitro {
        attestation_document: BASE64.encode(document),
        public_key,
    }))
}

async fn prove(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let fail = |code| ApiError::new(code, &id.0);
    limit(&state.prove_limiter, &req, &state, &id)?;
    let mut phases = Phases::default();

    let kind = kind_of(&req).ok_or_else(|| fail(ErrorCode::UnsupportedMediaType))?;
    let body = read_body(&req, payload, state.max_body_bytes, state.upload_timeout)
        .await
        .map_err(|e| {
            tracing::warn!(reason = ?e, "body refused");
            fail(e.code())
        })?;
    phases.upload = Some(started.elapsed());

    let message = match kind {
        BodyKind::Binary => body,
        BodyKind::Json => {
            let decode_started = Instant::now();
            let message = decode_prove_body(kind, &body).map_err(fail)?;
            phases.decode = Some(decode_started.elapsed());
            message
        }
    };

    let decrypt_started = Instant::now();
    let key = Arc::clone(&state.key);
    let cap = (state.max_body_bytes as u64).saturating_mul(PLAINTEXT_EXPANSION);
    let plaintext = web::block(move || key.decrypt(&message, cap))
        .await
        .map_err(|_| fail(ErrorCode::Internal))?
        .map_err(|e| {
            let code = match e {
                KeyError::NotOpenpgp(_) => ErrorCode::NotOpenpgp,
                KeyError::PlaintextTooLarge { .. } => ErrorCode::PayloadTooLarge,
                _ => ErrorCode::DecryptFailed,
            };
            // Only our own message: rPGP's sources may quote packet bytes.
            tracing::warn!(error = %e, code = %code, "payload refused");
            fail(code)
        })?;
    let decrypt_duration = decrypt_started.elapsed();
    phases.decrypt = Some(decrypt_duration);

    let parse_started = Instant::now();
    let steps = parse_steps(&plaintext).map_err(|e| {
        tracing::warn!(error = %e, "proving steps refused");
        fail(if e == StepsError::Empty {
            ErrorCode::NoSteps
        } else {
            ErrorCode::InvalidSteps
        })
    })?;
    let step_count = steps.len();
    let function_names: Vec<&str> = steps.iter().map(|s| s.function_name).collect();
    phases.parse = Some(parse_started.elapsed());

    // Waiting for a slot and proving both stop when the client goes away.
    let job = async {
        let queue_started = Instant::now();
        let slot = state.queue.acquire().await?;
        let queue = queue_started.elapsed();
        let so_far = Phases {
            queue: Some(queue),
            ..phases
        };
        log_phases!(
            info,
            so_far,
            steps = step_count,
            plaintext_len = plaintext.len(),
            "proving"
        );
        let outcome = state.prover.prove(&plaintext, &function_names).await;
        drop(slot);
        Ok::<_, QueueFull>((queue, outcome))
    };
    let queued = match req.conn_data::<PeerWatch>() {
        Some(peer) => tokio::select! {
            queued = job => queued,
            () = peer.closed() => {
                log_phases!(warn, phases, "client went away, job stopped");
                return Err(fail(ErrorCode::BadRequest));
            }
        },
        None => job.await,
    };
    // From here on every answer carries the phases so far in `Server-Timing`.
    let Ok((queue, outcome)) = queued else {
        log_phases!(warn, phases, queue = ?state.queue.status(), "queue full");
        return Ok(timed(fail(ErrorCode::QueueFull), &phases));
    };
    phases.queue = Some(queue);
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            // bb ran for these: clients can tell proving time from queueing and transfer.
            let (code, ran) = match &e {
                ProveError::Timeout { limit } => (ErrorCode::ProveTimeout, Some(*limit)),
                ProveError::SelfCheckFailed { duration, .. } => {
                    (ErrorCode::ProofSelfCheckFailed, Some(*duration))
                }
                ProveError::Failed { duration, .. } => (ErrorCode::ProverFailed, Some(*duration)),
                _ => (ErrorCode::ProverFailed, None),
            };
            phases.prove = ran;
            log_phases!(error, phases, error = %error_chain(&e), code = %code, "prove failed");
            let error = match ran {
                Some(duration) => fail(code).with_prove_duration(duration),
                None => fail(code),
            };
            return Ok(timed(error, &phases));
        }
    };
    phases.prove = Some(outcome.duration);

    log_phases!(
        info,
        phases,
        steps = step_count,
        circuits_accumulated = outcome.circuits_accumulated,
        proof_len = outcome.proof.len(),
        "proved"
    );
    Ok(HttpResponse::Ok()
        .insert_header((
            HEADER_PROVE_DURATION_MS,
            crate::millis(outcome.duration).to_string(),
        ))
        .insert_header((
            HEADER_DECRYPT_DURATION_MS,
            crate::millis(decrypt_duration).to_string(),
        ))
        .insert_header((SERVER_TIMING, phases.header_value()))
        .json(ProveResponse {
            proof: BASE64.encode(&outcome.proof),
        }))
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        api_version: API_VERSION,
        attestation: state.attestation_mode(),
        prover: state.identity.clone(),
        queue: state.queue.status(),
        uptime_seconds: state.started.elapsed().as_secs(),
    })
}

async fn encryption_public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(EncryptionPublicKey {
        public_key: state.key.public_key_armored().to_owned(),
    })
}

async fn not_found(id: RequestId) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::NotFound, id.0))
}

async fn method_not_allowed(id: RequestId) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::MethodNotAllowed, id.0))
}

/// Refuses the request with `RATE_LIMITED` when its client's bucket is empty.
fn limit(
    limiter: &RateLimiter,
    req: &HttpRequest,
    state: &AppState,
    id: &RequestId,
) -> Result<(), ApiError> {
    let client = client_address(req, &state.trusted_proxies);
    limiter.check(client, Instant::now()).map_err(|wait| {
        tracing::warn!(retry_after_secs = wait, "rate limited");
        ApiError::new(ErrorCode::RateLimited, &id.0).with_retry_after(wait)
    })
}

fn parse_nonce(text: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(text).ok()?;
    (MIN_NONCE_LEN..=MAX_NONCE_LEN)
        .contains(&bytes.len())
        .then_some(bytes)
}

/// The error response of `error` with the `Server-Timing` header of `phases`.
fn timed(error: ApiError, phases: &Phases) -> HttpResponse {
    let mut response = error.error_response();
    phases.attach(&mut response);
    response
}

/// An error and its sources on one line, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
