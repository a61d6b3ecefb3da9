//! The real binary over loopback.
