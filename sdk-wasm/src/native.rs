//! The native [`Transport`]: `reqwest` with rustls.

use std::time::Duration;

use crate::{HttpResponse, Transport, TransportError, TransportFuture};

/// Largest response body read, in bytes. Proofs are a few hundred KiB and attestation bodies a
/// few KiB; a server that sends more is refused instead of exhausting memory.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A [`Transport`] over `reqwest`.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport whose requests time out after `timeout` (proving takes tens of seconds).
    ///
    /// # Errors
    /// [`TransportError`] when the TLS backend fails to initialise.
    pub fn new(timeout: Duration) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .build()
            .map_err(|e| TransportError::new("cannot build the HTTP client", Some(Box::new(e))))?;
        Ok(Self { client })
    }

    async fn finish(request: reqwest::RequestBuilder) -> Result<HttpResponse, TransportError> {
        let mut response = request
            .send()
            .await
            // reqwest errors carry the URL, never the body.
            .map_err(|e| TransportError::new("request failed", Some(Box::new(e))))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();

        // Read chunk by chunk so a hostile length never drives an allocation.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| TransportError::new("reading the response failed", Some(Box::new(e))))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(TransportError::new(
                    "the response exceeds MAX_RESPONSE_BYTES",
                    None,
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl Transport for ReqwestTransport {
    fn get<'a>(
        &'a self,
        url: &'a str,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        Box::pin(Self::finish(self.client.get(url)))
    }

    fn post<'a>(
        &'a self,
        url: &'a str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        Box::pin(Self::finish(
            self.client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body),
        ))
    }
}
