//! Integration tests of tee-rex-server: in process through the real app factory, over loopback
//! against the real binary, with openpgp.js, and end to end with the real bb.

#![allow(missing_docs, unreachable_pub)]

mod common;
mod e2e_bb;
mod in_process;
mod loopback;
mod openpgp_js;
