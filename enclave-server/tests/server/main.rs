//! Integration tests of tee-rex-server: in process through the real app factory, over loopback
//! against the real binary, with openpgp.js, and end to end with the real bb.

#![allow(missing_docs, unreachable_pub)]
// Test helpers outside `#[test]` functions: panicking on a broken fixture is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;
mod e2e_bb;
mod faults;
mod hostile;
mod in_process;
mod limits;
mod load;
mod loopback;
mod openpgp_js;
mod secrets;
mod timing;
