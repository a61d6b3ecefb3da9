//! The wasm [`Transport`]: the platform's `fetch`, through gloo-net.

use std::{cell::RefCell, rc::Rc};

use gloo_net::http::{Request, RequestBuilder};
use web_sys::AbortSignal;

use crate::{HttpResponse, Transport, TransportError, TransportFuture};

/// A [`Transport`] over `fetch` (browsers and Node 18+), optionally bounded by a timeout and a
/// caller's `AbortSignal`.
///
/// Clones share their settings, so a client kept across calls can be given each call's timeout
/// and signal.
#[derive(Clone, Debug, Default)]
pub struct GlooTransport {
    limits: Rc<RefCell<Limits>>,
}

#[derive(Debug, Default)]
struct Limits {
    timeout_ms: Option<u32>,
    signal: Option<AbortSignal>,
}

impl GlooTransport {
    /// A transport without timeout or cancellation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Aborts each request that takes longer than `timeout_ms` (the whole request: upload,
    /// proving and download); `None` for no timeout.
    pub fn set_timeout_ms(&self, timeout_ms: Option<u32>) {
        self.limits.borrow_mut().timeout_ms = timeout_ms;
    }

    /// Aborts requests when `signal` fires; `None` for no cancellation.
    pub fn set_signal(&self, signal: Option<AbortSignal>) {
        self.limits.borrow_mut().signal = signal;
    }

    fn with_abort(&self, request: RequestBuilder) -> RequestBuilder {
        let limits = self.limits.borrow();
        let timeout = limits.timeout_ms.map(AbortSignal::timeout_with_u32);
        let signal = match (timeout, &limits.signal) {
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
