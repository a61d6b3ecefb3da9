//! The phases of one `POST /prove`, timed for the `Server-Timing` response header and the log.
//!
//! Durations only: nothing here sees the payload. The header follows the W3C Server Timing
//! syntax, one metric per phase that happened, with its duration in milliseconds (`decode`, the
//! JSON body's base64, appears only for JSON bodies):
//!
//! ```text
//! Server-Timing: upload;dur=12.3, decrypt;dur=4.1, parse;dur=0.2, queue;dur=0, prove;dur=41234
//! ```

use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::HttpResponse;

/// The response header carrying the phases.
pub(crate) const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// How long each phase of a `POST /prove` took; `None` for a phase that did not happen (yet).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Phases {
    /// From the handler's start until the whole body was read.
    pub(crate) upload: Option<Duration>,
    /// Unwrapping a JSON body's base64 (JSON bodies only).
    pub(crate) decode: Option<Duration>,
    /// Decrypting the OpenPGP message.
    pub(crate) decrypt: Option<Duration>,
    /// Validating the proving steps.
    pub(crate) parse: Option<Duration>,
    /// Waiting until the job got a proving slot.
    pub(crate) queue: Option<Duration>,
    /// bb's own run time, as the prover measured it.
    pub(crate) prove: Option<Duration>,
}

impl Phases {
    /// The phases that happened, in request order, with their metric names.
    pub(crate) fn known(&self) -> impl Iterator<Item = (&'static str, Duration)> {
        [
            ("upload", self.upload),
            ("decode", self.decode),
            ("decrypt", self.decrypt),
            ("parse", self.parse),
            ("queue", self.queue),
            ("prove", self.prove),
        ]
        .into_iter()
        .filter_map(|(name, duration)| duration.map(|d| (name, d)))
    }

    /// The `Server-Timing` value: `name;dur=<ms>` for each phase that happened, comma-separated.
    pub(crate) fn header_value(&self) -> String {
        self.known()
            .map(|(name, duration)| format!("{name};dur={}", millis_f64(duration)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Adds the `Server-Timing` header to `response` (an error response built elsewhere).
    pub(crate) fn attach(&self, response: &mut HttpResponse) {
        // Names and decimal numbers only: the value is always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&self.header_value()) {
            response.headers_mut().insert(SERVER_TIMING, value);
        }
    }
}

/// Milliseconds rounded to the microsecond, for the header and the log's `*_ms` fields.
pub(crate) fn millis_f64(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// [`millis_f64`] of a phase that may not have happened; `None` leaves the log field out.
pub(crate) fn ms(duration: Option<Duration>) -> Option<f64> {
    duration.map(millis_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists_the_known_phases_in_order() {
        let phases = Phases {
            upload: Some(Duration::from_micros(12_300)),
            decrypt: Some(Duration::from_micros(4_125)),
            parse: Some(Duration::from_nanos(200_400)),
            queue: Some(Duration::ZERO),
            prove: Some(Duration::from_millis(41_234)),
            ..Phases::default()
        };
        assert_eq!(
            phases.header_value(),
            "upload;dur=12.3, decrypt;dur=4.125, parse;dur=0.2, queue;dur=0, prove;dur=41234"
        );
        assert_eq!(Phases::default().header_value(), "");
    }

    #[test]
    fn attach_inserts_one_header() {
        let mut response = HttpResponse::Ok().finish();
        let phases = Phases {
            decode: Some(Duration::from_millis(1)),
            ..Phases::default()
        };
        phases.attach(&mut response);
        phases.attach(&mut response);
        let values: Vec<_> = response.headers().get_all(SERVER_TIMING).collect();
        assert_eq!(values, ["decode;dur=1"]);
    }

    #[test]
    fn millis_round_to_the_microsecond() {
        assert_eq!(millis_f64(Duration::from_nanos(1_499)), 0.001);
        assert_eq!(millis_f64(Duration::from_nanos(1_500_499)), 1.5);
        assert_eq!(ms(None), None);
        assert_eq!(ms(Some(Duration::from_secs(2))), Some(2000.0));
    }
}
