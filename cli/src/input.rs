//! Reading files named on the command line, `-` meaning stdin.

use std::io::Read;

use crate::Failure;

/// Reads `path`, or stdin for `-`.
pub(crate) fn read(path: &str, what: &str) -> Result<Vec<u8>, Failure> {
    let result = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    result.map_err(|e| Failure::usage("READ_FAILED", format!("cannot read {what} {path:?}: {e}")))
}

/// Reads a UTF-8 text file.
pub(crate) fn read_text(path: &str, what: &str) -> Result<String, Failure> {
    String::from_utf8(read(path, what)?)
        .map_err(|_| Failure::usage("READ_FAILED", format!("{what} {path:?} is not UTF-8 text")))
}
