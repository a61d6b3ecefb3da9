//! Measures what proves at start: bb's version and hash, the CRS files' hashes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tee_rex_protocol::{CrsFileHash, ProverIdentity};

/// Name of the marker file a generated test CRS folder holds.
pub const INSECURE_CRS_MARKER: &str = "INSECURE_TEST_CRS";

/// How long `bb --version` may take.
const VERSION_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the prover identity could not be measured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `bb --version` could not run, failed or printed nothing usable.
    #[error("`{bb} --version` failed: {reason}")]
    Version {
        /// The bb path.
        bb: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The CRS folder holds no CRS file.
    #[error("the crs folder {0} holds no files")]
    EmptyCrs(PathBuf),
}

/// Measures the prover identity.
///
/// `bb_binary` is the file whose SHA-256 is reported: the real bb binary, which differs from
/// `bb` when `bb` is a wrapper script. CRS files are the regular `*.dat` files in `crs_dir`,
/// sorted by name; the [`INSECURE_CRS_MARKER`] file marks a test CRS.
///
/// # Errors
/// [`IdentityError`] when bb does not run or a file cannot be read.
pub async fn measure(
    bb: &Path,
    bb_binary: &Path,
    crs_dir: &Path,
) -> Result<ProverIdentity, IdentityError> {
    let bb_version = bb_version(bb).await?;
    let bb_sha256 = sha256_file(bb_binary)?;

    let entries = std::fs::read_dir(crs_dir).map_err(|source| read_error(crs_dir, source))?;
    let mut crs_insecure = false;
    let mut crs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| read_error(crs_dir, source))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == INSECURE_CRS_MARKER {
            crs_insecure = true;
            continue;
        }
        // Only the point files: bb also keeps a `crs.lock` there.
        if path.is_file() && name.ends_with(".dat") {
            crs.push(CrsFileHash {
                sha256: sha256_file(&path)?,
                file: name,
            });
        }
    }
    if crs.is_empty() {
        return Err(IdentityError::EmptyCrs(crs_dir.to_owned()));
    }
    crs.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(ProverIdentity {
        bb_version,
        bb_sha256,
        crs,
        crs_insecure,
    })
}

async fn bb_version(bb: &Path) -> Result<String, IdentityError> {
    let failed = |reason: String| IdentityError::Version {
        bb: bb.to_owned(),
        reason,
    };
    let output = tokio::process::Command::new(bb)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(VERSION_TIMEOUT, output)
        .await
        .map_err(|_| failed(format!("no answer within {VERSION_TIMEOUT:?}")))?
        .map_err(|e| failed(e.to_string()))?;
    if !output.status.success() {
        return Err(failed(format!("exit {}", output.status)));
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if version.is_empty() || version.len() > 64 || version.contains(char::is_whitespace) {
        return Err(failed("unexpected output".into()));
    }
    Ok(version)
}

/// SHA-256 of a file, streamed.
fn sha256_file(path: &Path) -> Result<[u8; 32], IdentityError> {
    let mut file = std::fs::File::open(path).map_err(|source| read_error(path, source))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|source| read_error(path, source))?;
    Ok(hasher.finalize().into())
}

fn read_error(path: &Path, source: std::io::Error) -> IdentityError {
    IdentityError::Read {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn fake_bb(dir: &Path, script: &str) -> PathBuf {
        let path = dir.join("bb");
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[tokio::test]
    async fn measures_version_hashes_and_marker() {
        let dir = tempfile::tempdir().unwrap();
        let bb = fake_bb(dir.path(), "echo 4.1.2");
        let crs = dir.path().join("crs");
        std::fs::create_dir(&crs).unwrap();
        std::fs::write(crs.join("b.dat"), b"bbb").unwrap();
        std::fs::write(crs.join("a.dat"), b"abc").unwrap();

        let identity = measure(&bb, &bb, &crs).await.unwrap();
        assert_eq!(identity.bb_version, "4.1.2");
        assert_eq!(
            identity.bb_sha256,
            <[u8; 32]>::from(Sha256::digest(std::fs::read(&bb).unwrap()))
        );
        assert_eq!(
            identity
                .crs
                .iter()
                .map(|c| c.file.as_str())
                .collect::<Vec<_>>(),
            ["a.dat", "b.dat"]
        );
        assert_eq!(
            hex::encode(identity.crs[0].sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!identity.crs_insecure);

        std::fs::write(crs.join(INSECURE_CRS_MARKER), b"").unwrap();
        std::fs::write(crs.join("crs.lock"), b"").unwrap();
        let identity = measure(&bb, &bb, &crs).await.unwrap();
        assert!(identity.crs_insecure);
        assert_eq!(identity.crs.len(), 2);
    }

    #[tokio::test]
    async fn failing_or_silent_bb_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g1.dat"), b"x").unwrap();
        for script in ["exit 3", "true", "echo 'two words'"] {
            let bb = fake_bb(dir.path(), script);
            let result = measure(&bb, &bb, dir.path()).await;
            assert!(
                matches!(result, Err(IdentityError::Version { .. })),
                "{script}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn empty_or_missing_crs_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let bb = fake_bb(dir.path(), "echo 4.1.2");
        let crs = dir.path().join("crs");
        std::fs::create_dir(&crs).unwrap();
        std::fs::write(crs.join(INSECURE_CRS_MARKER), b"").unwrap();
        assert!(matches!(
            measure(&bb, &bb, &crs).await,
            Err(IdentityError::EmptyCrs(_))
        ));
        let missing = dir.path().join("nope");
        assert!(matches!(
            measure(&bb, &bb, &missing).await,
            Err(IdentityError::Read { .. })
        ));
    }
}
