//! `StorageBackend` on a local directory: [`Filesystem`].

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::describe_io as describe;
use crate::blocking::{BlockingGuard, run_blocking};
use crate::{CheckError, CheckResult, HealthCheck};

/// The prefix of every probe file's name; the rest is random hex.
const PROBE_PREFIX: &str = ".healthz-";

/// How many random bytes a probe file holds.
const PROBE_LEN: usize = 64;

/// Checks that a directory can be written, read back and cleaned up: the seed's
/// `StorageBackend` on a local file system.
///
/// Each run writes a uniquely named file (`.healthz-<random hex>`) with random
/// bytes into the directory and flushes it to the device (so that a full or failing
/// disk shows), reads it back, compares, deletes it and confirms it is gone. It never
/// touches any other file.
///
/// ```
/// use healthz::Registry;
/// use healthz::checks::Filesystem;
///
/// let registry = Registry::builder()
///     .check(Filesystem::new("/var/lib/app/uploads"))
///     .build()
///     .expect("unique names");
/// # drop(registry);
/// ```
///
/// The round trip runs on Tokio's blocking thread pool as one piece, and the probe file
/// is removed by that piece itself, so it is cleaned up even when the runner's timeout
/// drops the check half-way: the file operations finish in the background and delete
/// what they wrote. While they have not (a hung network file system), later runs start
/// no other round trip and report `unavailable: the previous run is still running
/// after …`.
#[derive(Debug, Clone)]
pub struct Filesystem {
    dir: PathBuf,
    guard: BlockingGuard,
}

impl Filesystem {
    /// Checks the directory `dir`, which must exist: the check never creates it.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            guard: BlockingGuard::default(),
        }
    }
}

impl HealthCheck for Filesystem {
    async fn check(&self) -> CheckResult {
        let dir = self.dir.clone();
        run_blocking(&self.guard, move || round_trip(&dir)).await
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("StorageBackend")
    }

    fn component_type(&self) -> &'static str {
        "datastore"
    }
}

/// Write, read back, compare, delete, confirm: synchronous, for the blocking pool.
fn round_trip(dir: &Path) -> CheckResult {
    let mut contents = vec![0_u8; PROBE_LEN];
    fastrand::fill(&mut contents);
    let probe = ProbeFile::create(dir, &contents)?;
    verify(&probe.path, &contents)?;
    probe.remove()
}

/// Reads the probe file back and compares it with what was written.
fn verify(path: &Path, expected: &[u8]) -> CheckResult {
    let actual = fs::read(path).map_err(|e| {
        CheckError::unavailable(format!(
            "cannot read back {}: {}",
            path.display(),
            describe(&e)
        ))
        .with_source(e)
    })?;
    if actual != expected {
        return Err(CheckError::unexpected_result(format!(
            "read back {} bytes from {} that differ from the {} written",
            actual.len(),
            path.display(),
            expected.len()
        )));
    }
    Ok(())
}

/// A probe file that exists while this guard lives: dropping the guard removes it,
/// whatever path (error, panic) left the round trip early.
struct ProbeFile {
    path: PathBuf,
    removed: bool,
}

impl ProbeFile {
    /// Creates a new, uniquely named file in `dir` holding `contents`.
    fn create(dir: &Path, contents: &[u8]) -> Result<Self, CheckError> {
        let path = dir.join(format!("{PROBE_PREFIX}{:016x}", fastrand::u64(..)));
        // `create_new` never opens an existing file, so even a name collision cannot
        // overwrite someone else's data.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| cannot_write(dir, e))?;
        // From here on the file exists and the guard owns it.
        let probe = Self {
            path,
            removed: false,
        };
        file.write_all(contents)
            .and_then(|()| file.sync_all())
            .map_err(|e| cannot_write(dir, e))?;
        Ok(probe)
    }

    /// Deletes the file and confirms it is gone.
    fn remove(mut self) -> CheckResult {
        let path = &self.path;
        fs::remove_file(path).map_err(|e| {
            CheckError::unavailable(format!(
                "cannot delete {}: {}",
                path.display(),
                describe(&e)
            ))
            .with_source(e)
        })?;
        self.removed = true;
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Ok(_) => Err(CheckError::unexpected_result(format!(
                "{} still exists after it was deleted",
                path.display()
            ))),
            Err(e) => Err(CheckError::unavailable(format!(
                "cannot confirm that {} is gone: {}",
                path.display(),
                describe(&e)
            ))
            .with_source(e)),
        }
    }
}

impl Drop for ProbeFile {
    fn drop(&mut self) {
        if !self.removed {
            // Nothing to report from a destructor: a failure here was already reported
            // by the step that left early, and NotFound means the job is done.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Why a probe file could not be written into `dir`, naming the directory.
fn cannot_write(dir: &Path, error: io::Error) -> CheckError {
    let shown = dir.display();
    let message = match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            format!("directory {shown} does not exist")
        }
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            format!("directory {shown} does not exist: a parent is not a directory")
        }
        Ok(metadata) if !metadata.is_dir() => format!("{shown} is not a directory"),
        _ => format!("cannot write to directory {shown}: {}", describe(&error)),
    };
    CheckError::unavailable(message).with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn dropping_the_guard_removes_the_probe_file() {
        let dir = tempfile::tempdir().unwrap();
        let probe = ProbeFile::create(dir.path(), b"abc").unwrap();
        let path = probe.path.clone();
        assert_eq!(fs::read(&path).unwrap(), b"abc");
        drop(probe);
        assert!(!path.exists());
    }

    #[test]
    fn a_guard_whose_file_is_already_gone_drops_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let probe = ProbeFile::create(dir.path(), b"abc").unwrap();
        fs::remove_file(&probe.path).unwrap();
        drop(probe);
    }

    #[test]
    fn different_bytes_read_back_are_an_unexpected_result() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("probe");
        fs::write(&path, b"xyz").unwrap();
        let error = verify(&path, &[0; PROBE_LEN]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnexpectedResult);
        assert_eq!(
            error.message(),
            format!(
                "read back 3 bytes from {} that differ from the 64 written",
                path.display()
            )
        );
    }
}
