//! The wasm [`Transport`]: the platform's `fetch`, through gloo-net.

use std::{cell::RefCell, rc::Rc};

use gloo_net::http::{Method, Request, RequestBuilder};
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

    /// The signal that aborts one request: the timeout's, the caller's, or either.
    fn abort_signal(&self) -> Option<AbortSignal> {
        let limits = self.limits.borrow();
        let timeout = limits.timeout_ms.map(AbortSignal::timeout_with_u32);
        match (timeout, &limits.signal) {
            (None, None) => None,
            (Some(t), None) => Some(t),
            (None, Some(s)) => Some(s.clone()),
            (Some(t), Some(s)) => {
                let both = js_sys::Array::of2(&t, s);
                Some(AbortSignal::any(&both))
            }
        }
    }

    /// Sends the request `build` makes, and once more when the first attempt failed before any
    /// response while nothing aborted it.
    ///
    /// Node's `fetch` may hand a request a kept-alive connection that the server already closed
    /// (the caller's event loop was busy past the server's keep-alive), and the request then
    /// fails at once without reaching the server. Sending a request twice is safe here: fetching
    /// a document has no effect, and a proof that lost its connection was stopped by the server
    /// when its client went away, so proving it again loses nothing. The timeout covers both
    /// attempts together.
    async fn send(
        &self,
        build: impl Fn(RequestBuilder) -> Result<Request, gloo_net::Error>,
        url: &str,
        method: Method,
    ) -> Result<HttpResponse, TransportError> {
        let signal = self.abort_signal();
        let make = || {
            let builder = RequestBuilder::new(url).method(method.clone());
            build(builder.abort_signal(signal.as_ref()))
                .map_err(|e| failed("cannot build the request", e))
        };
        let response = match make()?.send().await {
            Ok(response) => response,
            Err(_) if !signal.as_ref().is_some_and(AbortSignal::aborted) => make()?
                .send()
                .await
                .map_err(|e| failed("request failed", e))?,
            // gloo-net's errors carry the platform's message (network error, abort), never the
            // body.
            Err(e) => return Err(failed("request failed", e)),
        };
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
        Box::pin(self.send(RequestBuilder::build, url, Method::GET))
    }

    fn post<'a>(
        &'a self,
        url: &'a str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        let body = js_sys::Uint8Array::from(body.as_slice());
        let build = move |request: RequestBuilder| {
            request
                .header("content-type", content_type)
                .body(body.clone())
        };
        Box::pin(self.send(build, url, Method::POST))
    }
}

fn failed(what: &'static str, error: gloo_net::Error) -> TransportError {
    TransportError::new(what, Some(Box::new(error)))
}
