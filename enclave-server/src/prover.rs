//! Runs `bb prove --scheme chonk` on decrypted proving steps, in a private folder.
//!
//! Each job gets a fresh temporary folder (mode 0700) under the configured work folder holding
//! the steps file and bb's output; the folder is removed when the job ends however it ends:
//! success, failure, timeout, or the request future being dropped because the client went away.
//! bb is spawned with `kill_on_drop`, so dropping the job also kills bb.
//!
//! bb's stdout and stderr are kept as a bounded tail for the server log. bb prints circuit
//! function names, which say what a user did: they are redacted before anything is logged.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::proof::{self, ProofFormatError};

/// What bb prints when its final self-check rejects the proof it made (a test CRS causes this).
pub const SELF_CHECK_FAILURE_MARKER: &str = "Failed to verify the generated proof!";

/// What bb prints once per folded circuit; counting it shows how far bb got.
const ACCUMULATE_MARKER: &str = "ChonkAccumulate - accumulating circuit";

/// How much of each output stream is kept for the log.
const TAIL_BYTES: usize = 16 * 1024;

/// Runs bb jobs with one configuration.
#[derive(Debug, Clone)]
pub struct Prover {
    bb: PathBuf,
    crs_dir: PathBuf,
    work_dir: PathBuf,
    timeout: Duration,
}

/// A finished proof in the response layout, with what it cost.
#[derive(Debug)]
pub struct ProveOutcome {
    /// 4-byte big-endian field count, then the 32-byte fields.
    pub proof: Vec<u8>,
    /// How long bb ran.
    pub duration: Duration,
    /// How many circuits bb reported folding.
    pub circuits_accumulated: usize,
}

/// Why a job produced no proof.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The job folder or input file could not be made.
    #[error("cannot prepare the job folder")]
    Workspace(#[source] std::io::Error),
    /// bb could not be started.
    #[error("cannot start bb")]
    Spawn(#[source] std::io::Error),
    /// Waiting for bb or reading its output failed.
    #[error("lost track of bb")]
    Wait(#[source] std::io::Error),
    /// bb ran past the per-job timeout and was killed.
    #[error("bb ran longer than {limit:?} and was killed")]
    Timeout {
        /// The configured limit.
        limit: Duration,
    },
    /// bb computed a proof and rejected it in its own final verification.
    #[error("bb rejected its own proof in the final self-check ({status}) after {duration:?}")]
    SelfCheckFailed {
        /// bb's exit status.
        status: ExitStatus,
        /// How long bb ran.
        duration: Duration,
        /// Circuits folded.
        circuits_accumulated: usize,
    },
    /// bb exited unsuccessfully for another reason.
    #[error("bb failed ({status}) after {duration:?}")]
    Failed {
        /// bb's exit status.
        status: ExitStatus,
        /// How long bb ran.
        duration: Duration,
        /// Circuits folded.
        circuits_accumulated: usize,
    },
    /// bb exited successfully without a proof file.
    #[error("bb wrote no proof file")]
    MissingProof(#[source] std::io::Error),
    /// The proof file is not a whole number of field elements.
    #[error("bb's proof file is malformed")]
    ProofFormat(#[source] ProofFormatError),
}

impl Prover {
    /// A prover running `bb` with the CRS in `crs_dir`, jobs under `work_dir`, each limited to
    /// `timeout`.
    pub fn new(bb: PathBuf, crs_dir: PathBuf, work_dir: PathBuf, timeout: Duration) -> Self {
        Self {
            bb,
            crs_dir,
            work_dir,
            timeout,
        }
    }

    /// The folder job folders are made in.
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// Proves `steps` (validated msgpack proving steps). `redact` lists strings (the steps'
    /// function names) that must not reach the log.
    ///
    /// Dropping the returned future kills bb and removes the job folder.
    ///
    /// # Errors
    /// See [`ProveError`]; every variant leaves nothing behind.
    pub async fn prove(&self, steps: &[u8], redact: &[&str]) -> Result<ProveOutcome, ProveError> {
        let job = tempfile::Builder::new()
            .prefix("tee-rex-job-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(&self.work_dir)
            .map_err(ProveError::Workspace)?;
        let inputs = job.path().join("ivc-inputs.msgpack");
        let out = job.path().join("out");
        write_private(&inputs, steps)
            .await
            .map_err(ProveError::Workspace)?;
        tokio::fs::create_dir(&out)
            .await
            .map_err(ProveError::Workspace)?;

        let mut child = Command::new(&self.bb)
            .arg("prove")
            .args(["--scheme", "chonk", "--ivc_inputs_path"])
            .arg(&inputs)
            .arg("-o")
            .arg(&out)
            .arg("-c")
            .arg(&self.crs_dir)
            .current_dir(job.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(ProveError::Spawn)?;
        let started = Instant::now();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();

        // Read both streams while waiting, or a chatty bb blocks on a full pipe.
        let run = async {
            let (status, out_tail, err_tail) =
                tokio::join!(child.wait(), read_tail(stdout), read_tail(stderr));
            Ok::<_, std::io::Error>((status?, out_tail?, err_tail?))
        };
        let (status, out_tail, err_tail) = match tokio::time::timeout(self.timeout, run).await {
            Ok(result) => result.map_err(ProveError::Wait)?,
            Err(_) => {
                // `child` is dropped with the job folder: kill_on_drop ends bb.
                tracing::warn!(
                    limit_secs = self.timeout.as_secs(),
                    "bb timed out, killing it"
                );
                return Err(ProveError::Timeout {
                    limit: self.timeout,
                });
            }
        };
        let duration = started.elapsed();
        let circuits_accumulated = out_tail.accumulated + err_tail.accumulated;

        if !status.success() {
            let self_check = out_tail.self_check_failed || err_tail.self_check_failed;
            tracing::error!(
                status = %status,
                duration_ms = crate::millis(duration),
                circuits_accumulated,
                self_check_failed = self_check,
                stderr_tail = %err_tail.redacted(redact),
                stdout_tail = %out_tail.redacted(redact),
                "bb failed"
            );
            return Err(if self_check {
                ProveError::SelfCheckFailed {
                    status,
                    duration,
                    circuits_accumulated,
                }
            } else {
                ProveError::Failed {
                    status,
                    duration,
                    circuits_accumulated,
                }
            });
        }

        let raw = tokio::fs::read(out.join("proof"))
            .await
            .map_err(ProveError::MissingProof)?;
        let proof = proof::to_response_layout(&raw).map_err(ProveError::ProofFormat)?;
        tracing::debug!(
            duration_ms = crate::millis(duration),
            circuits_accumulated,
            proof_bytes = proof.len(),
            "bb proved"
        );
        Ok(ProveOutcome {
            proof,
            duration,
            circuits_accumulated,
        })
    }
}

/// Writes `bytes` to a new file only the owner can read.
async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;

    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await?;
    file.write_all(bytes).await?;
    file.flush().await
}

/// The last [`TAIL_BYTES`] of a stream plus markers seen anywhere in it.
#[derive(Debug, Default)]
struct Tail {
    bytes: Vec<u8>,
    accumulated: usize,
    self_check_failed: bool,
}

impl Tail {
    /// The tail as text with every `redact` string and every quoted circuit name replaced.
    fn redacted(&self, redact: &[&str]) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        for secret in redact.iter().filter(|s| !s.is_empty()) {
            text = text.replace(secret, "<fn>");
        }
        text.lines()
            .map(|line| match line.find("Chonk: accumulating ") {
                Some(at) => format!("{}<fn>", &line[..at + "Chonk: accumulating ".len()]),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads a stream to its end, keeping the tail and counting markers line by line.
async fn read_tail(stream: Option<impl AsyncRead + Unpin>) -> std::io::Result<Tail> {
    let mut tail = Tail::default();
    let Some(mut stream) = stream else {
        return Ok(tail);
    };
    let mut line = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            scan_line(&mut tail, &line);
            return Ok(tail);
        }
        for &byte in &chunk[..read] {
            if byte == b'\n' {
                scan_line(&mut tail, &line);
                line.clear();
            } else if line.len() < TAIL_BYTES {
                line.push(byte);
            }
        }
        tail.bytes.extend_from_slice(&chunk[..read]);
        if tail.bytes.len() > TAIL_BYTES {
            let excess = tail.bytes.len() - TAIL_BYTES;
            tail.bytes.drain(..excess);
        }
    }
}

fn scan_line(tail: &mut Tail, line: &[u8]) {
    let line = String::from_utf8_lossy(line);
    if line.contains(ACCUMULATE_MARKER) {
        tail.accumulated += 1;
    }
    if line.contains(SELF_CHECK_FAILURE_MARKER) {
        tail.self_check_failed = true;
    }
}

#[cfg(test)]
mod tests;
