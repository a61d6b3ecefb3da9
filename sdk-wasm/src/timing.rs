//! The server's `Server-Timing` answer header: where a `POST /prove` spent its time.
//!
//! The server names each phase that happened, with its duration in milliseconds:
//!
//! ```text
//! Server-Timing: upload;dur=1.5, decrypt;dur=3.3, parse;dur=0.01, queue;dur=0, prove;dur=13673
//! ```
//!
//! The grammar follows the W3C Server Timing draft (`metric *( OWS ";" OWS param )`, metrics
//! comma-separated, a param's value a token or a quoted string). The header is diagnostics, not
//! security: a value this parser does not accept is dropped as a whole and never fails a proof.
//! It refuses, and so drops the header, when:
//!
//! - an entry is empty or its name or a param is not a token (or a quoted string as a value);
//! - a known phase appears twice (two answers for one phase contradict each other: neither is
//!   believed), or carries `dur` twice;
//! - a known phase's `dur` is not a plain decimal (`12`, `0.25`: no sign, exponent, `NaN` or
//!   `inf`), has more than nine decimals, or exceeds [`ServerTiming::MAX_PHASE`].
//!
//! Metrics with other names, and params other than `dur`, are checked for syntax only and
//! otherwise ignored. A known phase without `dur` counts as absent.

use std::time::Duration;

/// The name of the response header.
pub const HEADER_SERVER_TIMING: &str = "server-timing";

/// How long each phase of a `POST /prove` took on the server, by its own measure; `None` for a
/// phase it did not report (one that did not happen, or that happened after the failure).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerTiming {
    /// Receiving the request body.
    pub upload: Option<Duration>,
    /// Unwrapping a JSON body's base64 (JSON bodies only; the SDK sends octet-stream).
    pub decode: Option<Duration>,
    /// Decrypting the OpenPGP message.
    pub decrypt: Option<Duration>,
    /// Validating the proving steps.
    pub parse: Option<Duration>,
    /// Waiting for a proving slot.
    pub queue: Option<Duration>,
    /// bb's own run time.
    pub prove: Option<Duration>,
}

impl ServerTiming {
    /// The longest duration believed for one phase; a larger one drops the header.
    pub const MAX_PHASE: Duration = Duration::from_secs(24 * 60 * 60);

    /// Parses a `Server-Timing` header value.
    ///
    /// Returns `None` when the value is malformed (see the module docs for what is refused) or
    /// names none of the known phases.
    pub fn parse(value: &str) -> Option<Self> {
        let mut timing = Self::default();
        let mut seen = [false; PHASES.len()];
        for entry in split_outside_quotes(value, b',') {
            let mut parts = split_outside_quotes(entry, b';');
            let name = parts.next()?.trim();
            if !is_token(name) {
                return None;
            }
            let phase = PHASES.iter().position(|known| *known == name);
            if let Some(index) = phase {
                if std::mem::replace(&mut seen[index], true) {
                    return None;
                }
            }

            let mut duration = None;
            for param in parts {
                let (key, param_value) = match param.split_once('=') {
                    Some((key, v)) => (key.trim(), Some(v.trim())),
                    None => (param.trim(), None),
                };
                if !is_token(key) || !param_value.is_none_or(is_param_value) {
                    return None;
                }
                if phase.is_some() && key.eq_ignore_ascii_case("dur") {
                    let millis = parse_millis(param_value?)?;
                    if duration.replace(millis).is_some() {
                        return None;
                    }
                }
            }

            if let Some(index) = phase {
                *timing.slot(index) = duration;
            }
        }
        (timing != Self::default()).then_some(timing)
    }

    /// The phases reported, in request order, with the server's metric names.
    pub fn phases(&self) -> impl Iterator<Item = (&'static str, Duration)> {
        [
            self.upload,
            self.decode,
            self.decrypt,
            self.parse,
            self.queue,
            self.prove,
        ]
        .into_iter()
        .zip(PHASES)
        .filter_map(|(duration, name)| duration.map(|d| (name, d)))
    }

    fn slot(&mut self, index: usize) -> &mut Option<Duration> {
        match index {
            0 => &mut self.upload,
            1 => &mut self.decode,
            2 => &mut self.decrypt,
            3 => &mut self.parse,
            4 => &mut self.queue,
            _ => &mut self.prove,
        }
    }
}

/// The known metric names, in request order (the order of [`ServerTiming`]'s fields).
const PHASES: [&str; 6] = ["upload", "decode", "decrypt", "parse", "queue", "prove"];

/// Digits after the decimal point a duration may have (nanosecond precision in milliseconds is
/// six; the rest is truncated).
const MAX_DECIMALS: usize = 9;

/// Splits `value` at `separator` where it is not inside a quoted string. An unterminated quote
/// yields a final piece that fails the token checks.
fn split_outside_quotes(value: &str, separator: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(value);
    std::iter::from_fn(move || {
        let text = rest?;
        let (mut quoted, mut escaped) = (false, false);
        for (i, byte) in text.bytes().enumerate() {
            match byte {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' => quoted = !quoted,
                b if b == separator && !quoted => {
                    rest = text.get(i + 1..);
                    return text.get(..i);
                }
                _ => {}
            }
        }
        rest = None;
        Some(text)
    })
}

/// An RFC 9110 token: one or more visible ASCII characters other than delimiters.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A param value: a token or a complete quoted string.
fn is_param_value(text: &str) -> bool {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        let mut escaped = false;
        for byte in inner.bytes() {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => return false,
                b if (b < 0x20 && b != b'\t') || b == 0x7f => return false,
                _ => {}
            }
        }
        return !escaped;
    }
    is_token(text)
}

/// A plain non-negative decimal number of milliseconds, at most [`ServerTiming::MAX_PHASE`].
fn parse_millis(text: &str) -> Option<Duration> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (text.contains('.') && fraction.is_empty())
        || fraction.len() > MAX_DECIMALS
    {
        return None;
    }

    // Whole milliseconds beyond the limit are refused before any arithmetic can overflow.
    let max_ms = u64::try_from(ServerTiming::MAX_PHASE.as_millis()).ok()?;
    let whole = whole.trim_start_matches('0');
    if whole.len() > 20 {
        return None;
    }
    let ms: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    if ms > max_ms || (ms == max_ms && fraction.bytes().any(|b| b != b'0')) {
        return None;
    }
    let nanos_text: String = fraction.chars().chain("000000".chars()).take(6).collect();
    let nanos: u64 = nanos_text.parse().ok()?;
    let duration = Duration::from_millis(ms) + Duration::from_nanos(nanos);
    (duration <= ServerTiming::MAX_PHASE).then_some(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_servers_header() {
        let timing = ServerTiming::parse(
            "upload;dur=1.5, decrypt;dur=3.3, parse;dur=0.01, queue;dur=0, prove;dur=13673",
        )
        .unwrap();
        assert_eq!(
            timing,
            ServerTiming {
                upload: Some(Duration::from_micros(1500)),
                decode: None,
                decrypt: Some(Duration::from_micros(3300)),
                parse: Some(Duration::from_micros(10)),
                queue: Some(Duration::ZERO),
                prove: Some(Duration::from_millis(13673)),
            }
        );
        let names: Vec<_> = timing.phases().map(|(name, _)| name).collect();
        assert_eq!(names, ["upload", "decrypt", "parse", "queue", "prove"]);
    }

    #[test]
    fn decimals_are_exact() {
        let timing = ServerTiming::parse("decode;dur=0.001,queue;dur=12.123456789").unwrap();
        assert_eq!(timing.decode, Some(Duration::from_micros(1)));
        // Beyond the nanosecond the digits are truncated.
        assert_eq!(timing.queue, Some(Duration::from_nanos(12_123_456)));
    }

    #[test]
    fn unknown_names_and_params_are_ignored() {
        let timing = ServerTiming::parse(
            r#"cache;desc="hit, then; miss", prove;desc=bb;dur=7 ; x , db;dur=-1, total"#,
        )
        .unwrap();
        assert_eq!(timing.prove, Some(Duration::from_millis(7)));
        assert_eq!(timing.phases().count(), 1);
        // Only unknown metrics, or a known one without a duration: nothing to report.
        assert_eq!(ServerTiming::parse("cpu;dur=2.4, db"), None);
        assert_eq!(ServerTiming::parse("prove"), None);
        assert_eq!(
            ServerTiming::parse("prove, queue;dur=2").unwrap(),
            ServerTiming {
                queue: Some(Duration::from_millis(2)),
                ..ServerTiming::default()
            }
        );
    }

    #[test]
    fn malformed_headers_are_dropped_whole() {
        for bad in [
            "",
            " ",
            "prove;dur=1,",
            ",prove;dur=1",
            "prove;dur=1,,queue;dur=2",
            "prove dur=1",
            "prove;dur=1;",
            "pro\u{e9}ve;dur=1",
            "prove;=1",
            "prove;dur",
            "prove;dur=",
            "prove;dur=\"1\"",
            "queue;dur=1, cache;desc=\"unterminated",
            "queue;dur=1, cache;desc=a b",
            "queue;dur=1, \"quoted\";dur=2",
        ] {
            assert_eq!(ServerTiming::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_phase_named_twice_drops_the_header() {
        for bad in [
            "prove;dur=1, prove;dur=2",
            "prove;dur=1, prove",
            "prove;dur=1;dur=1",
            "prove;dur=1;DUR=2",
        ] {
            assert_eq!(ServerTiming::parse(bad), None, "{bad:?}");
        }
        // Unknown metrics may repeat.
        assert!(ServerTiming::parse("db;dur=1, db;dur=2, prove;dur=3").is_some());
    }

    #[test]
    fn odd_numbers_are_refused() {
        for bad in [
            "-1",
            "-0",
            "+1",
            "NaN",
            "nan",
            "inf",
            "Infinity",
            "1e3",
            "1E3",
            "0x10",
            ".5",
            "5.",
            "1.2.3",
            " ",
            "1 2",
            "1.1234567891",
        ] {
            let header = format!("queue;dur={bad}");
            assert_eq!(ServerTiming::parse(&header), None, "{header:?}");
        }
        for huge in [
            "86400000.000000001",
            "86400001",
            "99999999999999999999",
            "999999999999999999999999999999",
        ] {
            let header = format!("prove;dur={huge}");
            assert_eq!(ServerTiming::parse(&header), None, "{header:?}");
        }
        assert_eq!(
            ServerTiming::parse("prove;dur=86400000").unwrap().prove,
            Some(ServerTiming::MAX_PHASE)
        );
        assert_eq!(
            ServerTiming::parse("prove;dur=000012").unwrap().prove,
            Some(Duration::from_millis(12))
        );
    }
}
