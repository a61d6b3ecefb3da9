//! Error responses: a stable code, a short message, and the request id, as JSON.

use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use tee_rex_protocol::api::{ErrorBody, ErrorDetail};
use tee_rex_protocol::{ErrorCode, HEADER_PROVE_DURATION_MS};

/// Seconds a refused client is asked to wait before retrying (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 30;

/// An error response. The message is fixed per failure and never carries request data.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: &'static str,
    request_id: String,
    prove_duration: Option<Duration>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `code` and its standard message for the request `request_id`.
    pub fn new(code: ErrorCode, request_id: impl Into<String>) -> Self {
        Self {
            code,
            message: default_message(code),
            request_id: request_id.into(),
            prove_duration: None,
            retry_after: None,
        }
    }

    /// Adds the `x-prove-duration-ms` header: bb ran for `duration` before the failure.
    #[must_use]
    pub fn with_prove_duration(mut self, duration: Duration) -> Self {
        self.prove_duration = Some(duration);
        self
    }

    /// Sets the `Retry-After` seconds (otherwise [`RETRY_AFTER_SECS`] for `QUEUE_FULL` and
    /// `RATE_LIMITED`, none for the rest).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_for(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.to_owned(),
            },
            request_id: self.request_id.clone(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(
            self.code,
            ErrorCode::PayloadTooLarge | ErrorCode::UploadTimeout
        ) {
            // The unread rest of the body is not drained: the connection closes instead.
            response.force_close();
        }
        let retry_after = match self.code {
            ErrorCode::QueueFull | ErrorCode::RateLimited => {
                Some(self.retry_after.unwrap_or(RETRY_AFTER_SECS))
            }
            _ => self.retry_after,
        };
        if let Some(seconds) = retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(duration) = self.prove_duration {
            response.insert_header((
                HEADER_PROVE_DURATION_MS,
                crate::millis(duration).to_string(),
            ));
        }
        response.json(body)
    }
}

/// The HTTP status each code is sent with.
pub fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::InvalidJson
        | ErrorCode::InvalidBase64
        | ErrorCode::NotOpenpgp
        | ErrorCode::InvalidNonce
        | ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::DecryptFailed | ErrorCode::InvalidSteps | ErrorCode::NoSteps => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::QueueFull => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::UploadTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ProveTimeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::ProofSelfCheckFailed => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::ProverFailed | ErrorCode::AttestationFailed | ErrorCode::Internal => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn default_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::PayloadTooLarge => "the request body exceeds the server's limit",
        ErrorCode::UnsupportedMediaType => {
            "send application/json {\"data\": base64} or application/octet-stream"
        }
        ErrorCode::InvalidJson => "the body is not JSON with a string field \"data\"",
        ErrorCode::InvalidBase64 => "the \"data\" field is not valid base64",
        ErrorCode::NotOpenpgp => "the payload is not an OpenPGP message",
        ErrorCode::DecryptFailed => "the message does not decrypt with this server's key",
        ErrorCode::InvalidSteps => "the decrypted payload is not valid msgpack proving steps",
        ErrorCode::NoSteps => "the decrypted payload holds no proving steps",
        ErrorCode::InvalidNonce => "nonce must be 1 to 64 bytes of hex",
        ErrorCode::QueueFull => "the prover is busy; retry after the Retry-After delay",
        ErrorCode::ProveTimeout => "proving took longer than the server's limit",
        ErrorCode::ProverFailed => "the prover failed to produce a proof",
        ErrorCode::ProofSelfCheckFailed => {
            "bb computed the proof and rejected it in its final self-check"
        }
        ErrorCode::AttestationFailed => "the attestation document could not be produced",
        ErrorCode::NotFound => "no such route",
        ErrorCode::MethodNotAllowed => "method not allowed on this route",
        ErrorCode::BadRequest => "malformed request",
        ErrorCode::UploadTimeout => "the request body did not arrive within the upload timeout",
        ErrorCode::RateLimited => {
            "too many requests from this client; retry after the Retry-After delay"
        }
        _ => "internal error",
    }
}
