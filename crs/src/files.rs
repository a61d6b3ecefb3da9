//! Writing a CRS folder: files land in a sibling `.partial` folder that replaces the target only
//! once complete, and a `SHA256SUMS` file records what was written.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::Error;

/// The file that records the SHA-256 of each CRS file (`sha256sum -c` format).
pub const SUMS_FILE: &str = "SHA256SUMS";

/// The file that marks a folder as holding a test CRS with a publicly known secret.
pub const MARKER_FILE: &str = "INSECURE_TEST_CRS";

/// A folder being filled. Dropped without [`StagingDir::commit`], it deletes itself.
#[derive(Debug)]
pub(crate) struct StagingDir {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagingDir {
    /// Creates an empty staging folder next to `target`.
    pub(crate) fn new(target: &Path) -> Result<Self, Error> {
        let name = target
            .file_name()
            .ok_or(Error::Internal("the output folder has no name"))?
            .to_string_lossy()
            .into_owned();
        let path = target.with_file_name(format!("{name}.partial"));
        if path.exists() {
            fs::remove_dir_all(&path).map_err(|e| Error::io("removing", &path, e))?;
        }
        fs::create_dir_all(&path).map_err(|e| Error::io("creating", &path, e))?;
        Ok(Self {
            path,
            target: target.to_owned(),
            committed: false,
        })
    }

    /// The staging folder.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one file into the staging folder.
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.path.join(name);
        fs::write(&path, bytes).map_err(|e| Error::io("writing", path, e))
    }

    /// Writes `SHA256SUMS` for `names` and moves the folder into place, replacing the target.
    pub(crate) fn commit(mut self, names: &[&str]) -> Result<(), Error> {
        let mut sums = String::new();
        for name in names {
            let path = self.path.join(name);
            sums.push_str(&format!("{}  {name}\n", sha256_file(&path)?));
        }
        self.write(SUMS_FILE, sums.as_bytes())?;

        if self.target.exists() {
            fs::remove_dir_all(&self.target).map_err(|e| Error::io("removing", &self.target, e))?;
        }
        fs::rename(&self.path, &self.target).map_err(|e| Error::io("renaming", &self.path, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the error path that dropped us is the one worth reporting.
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Hex SHA-256 of a file, streamed.
pub(crate) fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut file = fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| Error::io("reading", path, e))?;
    Ok(hex::encode(hasher.finalize()))
}

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|e| Error::io("reading", path, e))
}
