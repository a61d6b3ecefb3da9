//! The clock. The SDK core never reads one: the wasm layer reads JS `Date.now()` and passes the
//! time in.

/// Milliseconds since the Unix epoch, from JS `Date.now()`.
///
/// # Errors
/// `CLOCK_UNAVAILABLE` when the host returns a value that is not a non-negative finite number, so
/// that a broken clock refuses verification instead of verifying at time zero.
pub(crate) fn now_ms() -> Result<u64, js_sys::Error> {
    millis_from_f64(js_sys::Date::now()).ok_or_else(|| {
        super::error::coded_error("CLOCK_UNAVAILABLE", "the JS clock (Date.now) is unusable")
    })
}

/// Converts a JS time value (a double) to whole milliseconds.
pub(crate) fn millis_from_f64(ms: f64) -> Option<u64> {
    // 2^53: above it a double no longer holds every integer; no real clock gets there.
    const MAX_SAFE: f64 = 9_007_199_254_740_992.0;
    if !ms.is_finite() || !(0.0..MAX_SAFE).contains(&ms) {
        return None;
    }
    // In range and finite, so the truncating cast is exact up to the dropped fraction.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(ms.trunc() as u64)
}
