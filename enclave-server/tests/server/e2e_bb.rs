//! End to end with the real fixture and the real bb.
