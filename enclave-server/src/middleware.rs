//! Request ids, CORS and one log line per request.

use std::future::{ready, Ready};
use std::time::Instant;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use tee_rex_protocol::{HEADER_DECRYPT_DURATION_MS, HEADER_PROVE_DURATION_MS, HEADER_REQUEST_ID};
use tracing::Instrument;

/// The id a request is logged under: the client's `x-request-id` when it is short and plain,
/// otherwise a fresh random one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestId(pub(crate) String);

impl FromRequest for RequestId {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<RequestId>().cloned();
        ready(Ok(id.unwrap_or_else(|| RequestId(fresh_id()))))
    }
}

/// Assigns the request id, runs the request inside a span carrying it, adds the
/// `x-request-id` response header and logs route, status and latency.
pub(crate) async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(HEADER_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_plain_id(v))
        .map_or_else(fresh_id, str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %id);

    let mut response = next.call(req).instrument(span.clone()).await?;

    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER_REQUEST_ID), value);
    }
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".into());
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            method = %method,
            route = %route,
            status,
            latency_ms = crate::millis(started.elapsed()),
            "request"
        );
    });
    Ok(response)
}

/// CORS for browsers: any origin, the API's methods, and the timing headers exposed.
pub(crate) fn cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST", "OPTIONS"])
        .allowed_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static(HEADER_REQUEST_ID),
        ])
        .expose_headers([
            HeaderName::from_static(HEADER_PROVE_DURATION_MS),
            HeaderName::from_static(HEADER_DECRYPT_DURATION_MS),
            HeaderName::from_static(HEADER_REQUEST_ID),
            HeaderName::from_static("server-timing"),
        ])
        .max_age(3600)
}

fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn fresh_id() -> String {
    hex::encode(rand::random::<[u8; 8]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_only() {
        assert!(is_plain_id("abc-123_X.y"));
        assert!(!is_plain_id(""));
        assert!(!is_plain_id(&"a".repeat(65)));
        assert!(!is_plain_id("a b"));
        assert!(!is_plain_id("a\"b"));
        assert_eq!(fresh_id().len(), 16);
    }
}
