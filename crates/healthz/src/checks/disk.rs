//! How full a file system is: [`DiskUsage`].

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use super::describe_io as describe;
use super::threshold::Thresholds;
use crate::blocking::{BlockingGuard, run_blocking};
use crate::{CheckError, CheckResult, HealthCheck, Observation, observe};

/// Checks how full the file system holding a path is: a warning at or above one
/// percentage, a failure at or above another (90 % and 95 % unless set).
///
/// The percentage is the one `df` shows as `Use%`: used blocks over the blocks that
/// ordinary users can fill, so the space reserved for root does not hide a full disk.
///
/// ```
/// use healthz::Registry;
/// use healthz::checks::DiskUsage;
///
/// let registry = Registry::builder()
///     .check(DiskUsage::new("/var/lib/app").warn_at(80.0).fail_at(90.0))
///     .build()
///     .expect("unique names");
/// # drop(registry);
/// ```
///
/// The message names the top directory of that file system, its mount point:
/// `warning: disk /var 91.3% full (warn at 90%)`.
#[derive(Debug, Clone)]
#[must_use]
pub struct DiskUsage {
    path: PathBuf,
    thresholds: Thresholds,
    guard: BlockingGuard,
}

impl DiskUsage {
    /// Checks the file system that holds `path` (a file or a directory, which must
    /// exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            thresholds: Thresholds::default(),
            guard: BlockingGuard::default(),
        }
    }

    /// A warning when the file system is at least `percent` full (90 unless set).
    pub fn warn_at(mut self, percent: f64) -> Self {
        self.thresholds.warn_at = percent;
        self
    }

    /// A failure when the file system is at least `percent` full (95 unless set).
    pub fn fail_at(mut self, percent: f64) -> Self {
        self.thresholds.fail_at = percent;
        self
    }
}

impl HealthCheck for DiskUsage {
    async fn check(&self) -> CheckResult {
        let path = self.path.clone();
        // `statvfs` and `stat` block, and can hang on an unreachable network file
        // system: then later runs wait for that one instead of starting another.
        let (mount, percent) = run_blocking(&self.guard, move || measure(&path)).await?;
        observe(Observation::number("usage", percent).unit("percent"));
        self.thresholds.judge(
            percent,
            format_args!("disk {} {percent:.1}% full", mount.display()),
        )
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("DiskUsage")
    }

    fn component_type(&self) -> &'static str {
        "system"
    }
}

/// The mount point of the file system holding `path`, and how full it is in percent.
fn measure(path: &Path) -> Result<(PathBuf, f64), CheckError> {
    let unavailable = |e: io::Error| {
        let message = if e.kind() == io::ErrorKind::NotFound {
            format!("path {} does not exist", path.display())
        } else {
            format!(
                "cannot read disk usage of {}: {}",
                path.display(),
                describe(&e)
            )
        };
        CheckError::unavailable(message).with_source(e)
    };
    let path = path.canonicalize().map_err(unavailable)?;
    let stats = fs4::statvfs(&path).map_err(unavailable)?;
    let mount = mount_point(&path);
    let used = stats.total_space().saturating_sub(stats.free_space());
    let usable = used.saturating_add(stats.available_space());
    if usable == 0 {
        return Err(CheckError::unexpected_result(format!(
            "file system {} reports a size of zero",
            mount.display()
        )));
    }
    let percent = used as f64 / usable as f64 * 100.0;
    Ok((mount, percent))
}

/// The highest directory above the canonical `path` on the same device: the mount
/// point of its file system (or, under a bind mount, the top of what is visible).
#[cfg(unix)]
fn mount_point(path: &Path) -> PathBuf {
    use std::os::unix::fs::MetadataExt;

    let Ok(device) = std::fs::metadata(path).map(|m| m.dev()) else {
        return path.to_owned();
    };
    let mut mount = path;
    while let Some(parent) = mount.parent() {
        match std::fs::metadata(parent) {
            Ok(metadata) if metadata.dev() == device => mount = parent,
            _ => break,
        }
    }
    mount.to_owned()
}

/// The root of the canonical `path` (`C:\`): Windows names volumes by their drive.
#[cfg(not(unix))]
fn mount_point(path: &Path) -> PathBuf {
    path.ancestors().last().unwrap_or(path).to_owned()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_mount_point_is_where_the_device_changes() {
        assert_eq!(mount_point(Path::new("/")), Path::new("/"));
        // procfs is its own file system on every Linux.
        assert_eq!(
            mount_point(Path::new("/proc/sys/kernel")),
            Path::new("/proc")
        );
    }
}
