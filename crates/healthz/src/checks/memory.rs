//! How much system memory is in use: [`MemoryUsage`].

use std::borrow::Cow;

use sysinfo::{MemoryRefreshKind, System};

use super::threshold::Thresholds;
use crate::blocking::{BlockingGuard, run_blocking};
use crate::{CheckError, CheckResult, HealthCheck, Observation, observe};

/// Checks how much of the system's memory is in use: a warning at or above one
/// percentage, a failure at or above another (90 % and 95 % unless set).
///
/// Used memory is the total less what the kernel reports as available (page cache
/// and other reclaimable memory count as available), for the whole machine: a
/// container's own memory limit is not taken into account.
///
/// ```
/// use healthz::Registry;
/// use healthz::checks::MemoryUsage;
///
/// let registry = Registry::builder()
///     .check(MemoryUsage::new().warn_at(85.0))
///     .build()
///     .expect("unique names");
/// # drop(registry);
/// ```
///
/// The message reads `warning: memory 91.3% used (warn at 90%)`.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct MemoryUsage {
    thresholds: Thresholds,
    guard: BlockingGuard,
}

impl MemoryUsage {
    /// Checks with the default thresholds, 90 % and 95 %.
    pub fn new() -> Self {
        Self::default()
    }

    /// A warning when at least `percent` of the memory is in use (90 unless set).
    pub fn warn_at(mut self, percent: f64) -> Self {
        self.thresholds.warn_at = percent;
        self
    }

    /// A failure when at least `percent` of the memory is in use (95 unless set).
    pub fn fail_at(mut self, percent: f64) -> Self {
        self.thresholds.fail_at = percent;
        self
    }
}

impl HealthCheck for MemoryUsage {
    async fn check(&self) -> CheckResult {
        // sysinfo reads `/proc/meminfo` (or asks the OS) synchronously.
        let (total, available) = run_blocking(&self.guard, measure).await?;
        if total == 0 {
            return Err(CheckError::unavailable(
                "cannot read the memory usage: the system reports no memory",
            ));
        }
        let used = total.saturating_sub(available);
        let percent = used as f64 / total as f64 * 100.0;
        observe(Observation::number("usage", percent).unit("percent"));
        self.thresholds
            .judge(percent, format_args!("memory {percent:.1}% used"))
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("MemoryUsage")
    }

    fn component_type(&self) -> &'static str {
        "system"
    }
}

/// The total and the available memory, in bytes.
fn measure() -> Result<(u64, u64), CheckError> {
    let measured = System::new().map(|mut system| {
        system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        (system.total_memory(), system.available_memory())
    });
    measured.map_err(|e| {
        let reason = match &e {
            sysinfo::Error::Io(io) => super::describe_io(io),
            other => other.to_string(),
        };
        CheckError::unavailable(format!("cannot read the memory usage: {reason}")).with_source(e)
    })
}
