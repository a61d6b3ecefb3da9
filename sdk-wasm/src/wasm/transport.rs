//! The wasm [`Transport`]: the platform's `fetch`, through gloo-net.

use gloo_net::http::{Request, RequestBuilder};
use web_sys::AbortSignal;

use crate::{HttpResponse, Transport, TransportError, TransportFuture};

/// A [`Transport`] over `fetch` (browsers and Node 18+), optionally bounded by a timeout and a
/// caller's `AbortSignal`.
#[derive(Clone, Debug, Default)]
pub struct GlooTransport {
    timeout_ms: Option<u32>,
    signal: Option<AbortSignal>,
}

impl GlooTransport {
    /// A transport without timeout or cancellation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Aborts each request that takes longer than `timeout_ms` (the whole request: upload,
    /// proving and download).
    pub fn timeout_ms(mut self, timeout_ms: u32) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }

    /// Aborts requests when `signal` fires.
    pub fn signal(mut self, signal: AbortSignal) -> Self {
        self.signal = Some(signal);
        self
    }

    fn with_abort(&self, request: RequestBuilder) -> RequestBuilder {
        let timeout = self.timeout_ms.map(AbortSignal::timeout_with_u32);
        let signal = match (timeout, &self.signal) {
            (None, None) => None,
            (Some(t), None) => Some(t),
            (None, Some(s)) => Some(s.clone()),
            (Some(t), Some(s)) => {
                let both = js_sys::Array::of2(&t, s);
                Some(AbortSignal::any(&both))
            }
        };
        request.abort_signal(signal.as_ref())
    }

    async fn finish(
        request: Result<Request, gloo_net::Error>,
    ) -> Result<HttpResponse, TransportError> {
        let request = request.map_err(|e| failed("cannot build the request", e))?;
        // gloo-net's errors carry the platform's message (network error, abort), never the body.
        let response = request
            .send()
            .await
            .map_err(|e| failed("request failed", e))?;
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect();
        let body = response
            .binary()
            .await
            .map_err(|e| failed("reading the response failed", e))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl Transport for GlooTransport {
    fn get<'a>(
        &'a self,
        url: &'a str,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        let request = self.with_abort(Request::get(url)).build();
        Box::pin(Self::finish(request))
    }

    fn post<'a>(
        &'a self,
        url: &'a str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        let body = js_sys::Uint8Array::from(body.as_slice());
        let request = self
            .with_abort(Request::post(url).header("content-type", content_type))
            .body(body);
        Box::pin(Self::finish(request))
    }
}

fn failed(what: &'static str, error: gloo_net::Error) -> TransportError {
    TransportError::new(what, Some(Box::new(error)))
}
