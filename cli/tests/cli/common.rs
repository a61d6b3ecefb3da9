//! Running the binary and finding test data.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Output, Stdio},
};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_tee-rex");

/// A file under the repository's `testdata/`.
pub(crate) fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

/// Runs `tee-rex args...`, feeding `stdin` when given.
pub(crate) fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// The exit code, stdout and stderr of a run, for assertions and their messages.
pub(crate) fn outcome(output: &Output) -> (i32, String, String) {
    (
        output.status.code().expect("exited normally"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
