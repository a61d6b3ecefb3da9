//! The HTTP transport the client runs over.
//!
//! The trust code never does I/O itself: it talks to the server through [`Transport`], which the
//! native build implements with `reqwest` ([`crate::native::ReqwestTransport`]) and the wasm build
//! with gloo-net. Futures are boxed per target: `Send` natively (so a client can run on a
//! multi-threaded runtime), not `Send` on wasm32, where browser futures never are.

use std::{future::Future, pin::Pin};

/// The future a [`Transport`] returns: `Send` on native targets.
#[cfg(not(target_arch = "wasm32"))]
pub type TransportFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The future a [`Transport`] returns: not `Send` on wasm32.
#[cfg(target_arch = "wasm32")]
pub type TransportFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// An HTTP client able to make the two requests the tee-rex flow needs.
pub trait Transport {
    /// `GET url`, returning the whole response.
    fn get<'a>(&'a self, url: &'a str)
        -> TransportFuture<'a, Result<HttpResponse, TransportError>>;

    /// `POST url` with `body` of type `content_type`, returning the whole response.
    fn post<'a>(
        &'a self,
        url: &'a str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>>;
}

/// A complete HTTP response.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A request that produced no HTTP response (connection refused, timeout, TLS failure).
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct TransportError {
    what: &'static str,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport failure described by `what`, caused by `source`.
    pub fn new(
        what: &'static str,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self { what, source }
    }
}
