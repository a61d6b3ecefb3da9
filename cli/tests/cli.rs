//! Tests of the built `tee-rex` binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod cli {
    mod common;
    mod prove;
    mod verify;
}
