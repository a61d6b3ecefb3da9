//! `POST /prove` bodies: the content type, the size limit, and the JSON/base64 envelope.
//!
//! [`decode_prove_body`] is pure so the fuzzer (`fuzz/fuzz_targets/prove_request.rs`) drives the
//! same code the handler runs.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use futures_util::StreamExt as _;
use tee_rex_protocol::api::ProveRequest;
use tee_rex_protocol::ErrorCode;

/// How a `POST /prove` body is framed, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json` `{"data": "<base64 OpenPGP message>"}`.
    Json,
    /// `application/octet-stream`: the binary OpenPGP message itself.
    Binary,
}

impl BodyKind {
    /// The kind named by a `Content-Type` value (parameters ignored), or `None` for any other.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Self::Json),
            "application/octet-stream" => Some(Self::Binary),
            _ => None,
        }
    }
}

/// Unwraps a `POST /prove` body into the binary OpenPGP message it carries.
///
/// # Errors
/// [`ErrorCode::InvalidJson`] when a JSON body does not parse as `{"data": string}`,
/// [`ErrorCode::InvalidBase64`] when `data` is not standard base64.
pub fn decode_prove_body(kind: BodyKind, body: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    match kind {
        BodyKind::Binary => Ok(body.to_vec()),
        BodyKind::Json => {
            let request: ProveRequest =
                serde_json::from_slice(body).map_err(|_| ErrorCode::InvalidJson)?;
            BASE64
                .decode(request.data.trim())
                .map_err(|_| ErrorCode::InvalidBase64)
        }
    }
}

/// The body kind of a request, from its `Content-Type` header.
pub(crate) fn kind_of(req: &HttpRequest) -> Option<BodyKind> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    BodyKind::from_content_type(value)
}

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Over the limit, declared or streamed.
    TooLarge,
    /// The whole body did not arrive within the upload timeout.
    TimedOut,
    /// The stream failed (the client went away, bad chunked encoding).
    Broken,
}

impl BodyError {
    /// The code a client gets.
    pub(crate) fn code(self) -> ErrorCode {
        match self {
            Self::TooLarge => ErrorCode::PayloadTooLarge,
            Self::TimedOut => ErrorCode::UploadTimeout,
            Self::Broken => ErrorCode::BadRequest,
        }
    }
}

/// Reads the body within `timeout`, refusing it once it exceeds `limit`: a declared
/// `Content-Length` over the limit is refused before any byte is read, a streamed (chunked) one as
/// soon as the running total passes it, so an oversized body is never held whole.
pub(crate) async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, BodyError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(BodyError::TooLarge);
    }
    tokio::time::timeout(timeout, collect(payload, declared, limit))
        .await
        .map_err(|_| BodyError::TimedOut)?
}

async fn collect(
    mut payload: web::Payload,
    declared: Option<usize>,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    // The declared length is at most `limit` here; still cap the up-front reservation.
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(INITIAL_CAPACITY_CAP));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Largest buffer reserved from a declared length before the bytes arrive.
const INITIAL_CAPACITY_CAP: usize = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            BodyKind::from_content_type("Application/JSON; charset=utf-8"),
            Some(BodyKind::Json)
        );
        assert_eq!(
            BodyKind::from_content_type("application/octet-stream"),
            Some(BodyKind::Binary)
        );
        assert_eq!(BodyKind::from_content_type("text/plain"), None);
        assert_eq!(BodyKind::from_content_type(""), None);
    }

    #[test]
    fn envelopes() {
        assert_eq!(
            decode_prove_body(BodyKind::Json, br#"{"data":" AAE= "}"#),
            Ok(vec![0, 1])
        );
        assert_eq!(
            decode_prove_body(BodyKind::Binary, b"\xff\x00"),
            Ok(vec![0xff, 0])
        );
        for (body, code) in [
            (&b"{"[..], ErrorCode::InvalidJson),
            (b"{\"data\":1}", ErrorCode::InvalidJson),
            (b"{\"data\":\"\xff\"}", ErrorCode::InvalidJson),
            (b"{\"data\":\"***\"}", ErrorCode::InvalidBase64),
        ] {
            assert_eq!(decode_prove_body(BodyKind::Json, body), Err(code));
        }
    }
}
