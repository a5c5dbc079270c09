//! `checks::Filesystem` against real directories.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use healthz::checks::Filesystem;
use healthz::{CheckOptions, ErrorKind, HealthCheck, Registry, Selection};

/// Every file under `dir` (recursively) with its contents.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// A directory holding files of the application's, one of them named like a probe.
fn populated_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("report.csv"), b"a,b\n1,2\n").unwrap();
    fs::create_dir(dir.path().join("nested")).unwrap();
    fs::write(
        dir.path().join("nested/image.png"),
        [0x89, b'P', b'N', b'G'],
    )
    .unwrap();
    // Someone else's file that merely looks like a probe: never touched.
    fs::write(dir.path().join(".healthz-decoy"), b"not ours").unwrap();
    dir
}

#[tokio::test]
async fn a_writable_directory_works_and_keeps_only_its_own_files() {
    let dir = populated_dir();
    let before = snapshot(dir.path());
    let check = Filesystem::new(dir.path());
    assert_eq!(check.identifier(), "StorageBackend");
    assert_eq!(check.component_type(), "datastore");
    for _ in 0..100 {
        check.check().await.unwrap();
    }
    assert_eq!(
        snapshot(dir.path()),
        before,
        "no probe file left, nothing else changed"
    );
}

#[tokio::test]
async fn a_missing_directory_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("uploads");
    let error = Filesystem::new(&missing).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        format!("directory {} does not exist", missing.display())
    );
    assert!(!missing.exists(), "the check never creates the directory");
}

#[tokio::test]
async fn a_file_instead_of_a_directory_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("uploads");
    fs::write(&file, b"i am a file").unwrap();
    let error = Filesystem::new(&file).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        format!("{} is not a directory", file.display())
    );
    assert_eq!(fs::read(&file).unwrap(), b"i am a file");
}

#[tokio::test]
async fn a_directory_under_a_file_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("file"), b"").unwrap();
    let below = dir.path().join("file/uploads");
    let error = Filesystem::new(&below).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        format!(
            "directory {} does not exist: a parent is not a directory",
            below.display()
        )
    );
}

/// sysfs refuses new files even to root (permission denied, or read-only file system
/// where a container mounts it so), which makes it an unwritable directory that needs
/// no privileges to set up.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_unwritable_directory_is_unavailable() {
    let error = Filesystem::new("/sys").check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    let message = error.message();
    assert!(
        message == "cannot write to directory /sys: permission denied"
            || message == "cannot write to directory /sys: read-only file system",
        "{message}"
    );
}

/// Permission bits are the usual way a directory is unwritable, but root (as in CI)
/// ignores them; the test then cannot observe anything and says so.
#[cfg(unix)]
#[tokio::test]
async fn a_read_only_directory_is_unavailable_unless_running_as_root() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
    let privileged = fs::write(dir.path().join("can-i"), b"").is_ok();
    let result = Filesystem::new(dir.path()).check().await;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    if privileged {
        eprintln!("running with privileges that ignore permission bits: nothing to observe");
        return;
    }
    let error = result.unwrap_err();
    assert_eq!(
        error.message(),
        format!(
            "cannot write to directory {}: permission denied",
            dir.path().display()
        )
    );
}

/// The runner's timeout drops the check's future wherever it is; the probe file must
/// go all the same. The runtime is dropped before looking, which waits for the file
/// operations still running on the blocking pool.
#[test]
fn cancelled_runs_leave_no_probe_file() {
    let dir = populated_dir();
    let before = snapshot(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cancelled = runtime.block_on(async {
        let mut cancelled = 0;
        for i in 0..200_u64 {
            // A fresh check each time: one check does not start a round trip while its
            // previous one is still on the blocking pool, which would leave nothing
            // here to cancel.
            let check = Filesystem::new(dir.path());
            // Dropped after its first poll, or a few scheduler turns later: the check
            // is cut at a point that does not depend on the timer's resolution or on
            // how busy the machine is.
            let cut = async {
                for _ in 0..i % 20 {
                    tokio::task::yield_now().await;
                }
            };
            tokio::select! {
                biased;
                _ = check.check() => {}
                () = cut => cancelled += 1,
            }
        }

        // The same through the runner, whose timeout aborts the check's task.
        let registry = Registry::builder()
            .check_with(
                Filesystem::new(dir.path()),
                CheckOptions::new().timeout(Duration::from_nanos(1)),
            )
            .build()
            .unwrap();
        for _ in 0..50 {
            let report = registry.run(&Selection::all()).await.unwrap();
            let text = report.checks[0].outcome.text();
            // A run that finds the previous round trip still on the blocking pool
            // waits for it rather than starting another.
            assert!(
                text == "working"
                    || text.starts_with("unavailable: timed out after")
                    || text.starts_with("unavailable: the previous run is still running"),
                "{text}"
            );
        }
        cancelled
    });
    drop(runtime);
    assert!(
        cancelled > 0,
        "no run was cancelled; the test tests nothing"
    );
    assert_eq!(snapshot(dir.path()), before);
}
