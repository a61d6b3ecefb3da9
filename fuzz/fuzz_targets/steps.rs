//! Fuzz the msgpack proving-steps parser: no input may panic, and what it accepts is consistent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tee_rex_protocol::steps::{parse_steps, StepsError};

fuzz_target!(|data: &[u8]| {
    match parse_steps(data) {
        Ok(steps) => {
            assert!(!steps.is_empty(), "an accepted payload holds at least one step");
            // Every field borrows from the input, so together they cannot outgrow it.
            let borrowed: usize = steps
                .iter()
                .map(|s| s.function_name.len() + s.bytecode.len() + s.witness.len() + s.vk.len())
                .sum();
            assert!(borrowed <= data.len());
        }
        Err(StepsError::TrailingBytes { extra }) => assert!(extra > 0 && extra <= data.len()),
        Err(StepsError::Malformed { offset, .. }) => assert!(offset <= data.len()),
        Err(_) => {}
    }
});
