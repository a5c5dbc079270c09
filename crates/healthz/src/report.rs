//! The result of a run: [`Report`], one [`CheckReport`] per check.
//!
//! These types are the public input of every renderer, so a custom handler or renderer
//! can be written against them alone.

use std::time::{Duration, SystemTime};

use crate::error::{CheckError, ErrorKind};

/// The overall status of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthStatus {
    /// Every check works.
    Healthy,
    /// No critical check fails, but a check warns or a non-critical check fails.
    Degraded,
    /// At least one critical check fails.
    Unhealthy,
}

impl HealthStatus {
    /// `healthy`, `degraded` or `unhealthy`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Unhealthy => "unhealthy",
        }
    }
}

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The check passed.
    Working,
    /// The check failed. The message is the public one: for
    /// [`ErrorKind::UnknownError`] it never holds the underlying text.
    Failed {
        /// The kind of failure.
        kind: ErrorKind,
        /// The public message.
        message: String,
    },
}

impl Outcome {
    /// A failure of the given kind with a public message.
    #[must_use]
    pub fn failed(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::Failed {
            kind,
            message: message.into(),
        }
    }

    /// The public outcome of a check's result.
    #[must_use]
    pub fn from_result(result: &Result<(), CheckError>) -> Self {
        match result {
            Ok(()) => Self::Working,
            Err(error) => Self::Failed {
                kind: error.kind(),
                message: error.public_message().to_owned(),
            },
        }
    }

    /// True for [`Outcome::Working`].
    #[must_use]
    pub fn is_working(&self) -> bool {
        matches!(self, Self::Working)
    }

    /// The failure kind, if the check failed.
    #[must_use]
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Working => None,
            Self::Failed { kind, .. } => Some(*kind),
        }
    }

    /// The public message, if the check failed.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Working => None,
            Self::Failed { message, .. } => Some(message),
        }
    }

    /// The seed's text: `working` or `<kind>: <message>`.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Working => "working".to_owned(),
            Self::Failed { kind, message } => format!("{kind}: {message}"),
        }
    }
}

/// One past run of a check, kept in its bounded history.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// How it ended (`None` when working).
    pub error_kind: Option<ErrorKind>,
    /// How long it took.
    pub duration: Duration,
    /// When it finished.
    pub finished_at: SystemTime,
}

impl HistoryEntry {
    /// A past run: how it ended (`None` when it worked), how long it took, when it
    /// finished.
    #[must_use]
    pub fn new(error_kind: Option<ErrorKind>, duration: Duration, finished_at: SystemTime) -> Self {
        Self {
            error_kind,
            duration,
            finished_at,
        }
    }
}

/// The result of one check in a run.
///
/// The runner makes these; [`CheckReport::new`] and its builder methods make them for
/// a test of a custom renderer or handler:
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use healthz::{CheckReport, ErrorKind, HealthStatus, Outcome, Report};
///
/// /// The renderer under test: the failing checks, one per line.
/// fn failures(report: &Report) -> String {
///     let failing = report.checks.iter().filter(|check| !check.outcome.is_working());
///     failing.map(|check| format!("{}: {}\n", check.name, check.outcome.text())).collect()
/// }
///
/// let report = Report::new(
///     vec![
///         CheckReport::new("DatabaseBackend", Outcome::Working),
///         CheckReport::new("CacheBackend", Outcome::failed(ErrorKind::Unavailable, "connection refused"))
///             .critical(false)
///             .duration(Duration::from_millis(3)),
///     ],
///     SystemTime::UNIX_EPOCH,
///     Duration::from_millis(3),
/// );
/// assert_eq!(report.status(), HealthStatus::Degraded);
/// assert_eq!(failures(&report), "CacheBackend: unavailable: connection refused\n");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckReport {
    /// The unique name of the check (its key in JSON).
    pub name: String,
    /// The `componentType` in `application/health+json`.
    pub component_type: &'static str,
    /// Whether a failure makes the whole report unhealthy.
    pub critical: bool,
    /// The check's tags (groups).
    pub tags: Vec<String>,
    /// How the check ended.
    pub outcome: Outcome,
    /// What this check contributes to the report's status.
    pub status: HealthStatus,
    /// How long the check took (up to its timeout).
    pub duration: Duration,
    /// When the check finished.
    pub finished_at: SystemTime,
    /// Recent runs, oldest first, this run last.
    pub history: Vec<HistoryEntry>,
}

impl CheckReport {
    /// A critical, untagged `component` named `name` that ended with `outcome`, took no
    /// time, finished at the Unix epoch and has no history; its status follows from its
    /// outcome and criticality.
    #[must_use]
    pub fn new(name: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            name: name.into(),
            component_type: "component",
            critical: true,
            tags: Vec::new(),
            status: check_status(&outcome, true, false),
            outcome,
            duration: Duration::ZERO,
            finished_at: SystemTime::UNIX_EPOCH,
            history: Vec::new(),
        }
    }

    /// Whether a failure makes the report unhealthy; the status follows.
    #[must_use]
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self.status = check_status(&self.outcome, critical, false);
        self
    }

    /// The status it contributes, when it is not the one that follows from the outcome
    /// and criticality (a registry with `warnings_as_errors` fails critical warnings).
    #[must_use]
    pub fn status(mut self, status: HealthStatus) -> Self {
        self.status = status;
        self
    }

    /// The `componentType` in `application/health+json`.
    #[must_use]
    pub fn component_type(mut self, component_type: &'static str) -> Self {
        self.component_type = component_type;
        self
    }

    /// The check's tags.
    #[must_use]
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// How long the check took.
    #[must_use]
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// When the check finished.
    #[must_use]
    pub fn finished_at(mut self, finished_at: SystemTime) -> Self {
        self.finished_at = finished_at;
        self
    }

    /// Its recent runs, oldest first.
    #[must_use]
    pub fn history(mut self, history: Vec<HistoryEntry>) -> Self {
        self.history = history;
        self
    }
}

/// The status a check contributes to its report: a warning degrades (or fails, with
/// `warnings_as_errors`), any other failure fails a critical check and degrades a
/// non-critical one.
pub(crate) fn check_status(
    outcome: &Outcome,
    critical: bool,
    warnings_as_errors: bool,
) -> HealthStatus {
    match outcome.error_kind() {
        None => HealthStatus::Healthy,
        Some(ErrorKind::Warning) if critical && warnings_as_errors => HealthStatus::Unhealthy,
        Some(ErrorKind::Warning) => HealthStatus::Degraded,
        Some(_) if critical => HealthStatus::Unhealthy,
        Some(_) => HealthStatus::Degraded,
    }
}

/// The result of running a selection of checks.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The checks, in registration order.
    pub checks: Vec<CheckReport>,
    /// When the run started.
    pub started_at: SystemTime,
    /// How long the run took: the slowest check, since they run concurrently.
    pub duration: Duration,
}

impl Report {
    /// A report of the given checks.
    #[must_use]
    pub fn new(checks: Vec<CheckReport>, started_at: SystemTime, duration: Duration) -> Self {
        Self {
            checks,
            started_at,
            duration,
        }
    }

    /// The worst status of any check; healthy when there are none.
    #[must_use]
    pub fn status(&self) -> HealthStatus {
        self.checks
            .iter()
            .map(|check| check.status)
            .max()
            .unwrap_or(HealthStatus::Healthy)
    }
}

/// Reports for the renderers' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A critical check that took 12 ms, finished at the epoch, with no history.
    pub(crate) fn check(name: &str, outcome: Outcome) -> CheckReport {
        CheckReport::new(name, outcome).duration(Duration::from_millis(12))
    }

    /// The same, not critical.
    pub(crate) fn non_critical(name: &str, outcome: Outcome) -> CheckReport {
        check(name, outcome).critical(false)
    }

    /// A failed outcome.
    pub(crate) fn failed(kind: ErrorKind, message: &str) -> Outcome {
        Outcome::failed(kind, message)
    }

    /// A report of the checks, started at the epoch.
    pub(crate) fn report(checks: Vec<CheckReport>) -> Report {
        Report::new(checks, SystemTime::UNIX_EPOCH, Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::fixtures::{failed, report};

    fn check(critical: bool, outcome: Outcome) -> CheckReport {
        if critical {
            fixtures::check("c", outcome)
        } else {
            fixtures::non_critical("c", outcome)
        }
    }

    #[test]
    fn status_is_the_worst_check() {
        assert_eq!(report(vec![]).status(), HealthStatus::Healthy);
        assert_eq!(
            report(vec![check(true, Outcome::Working)]).status(),
            HealthStatus::Healthy
        );
        assert_eq!(
            report(vec![check(true, failed(ErrorKind::Warning, "m"))]).status(),
            HealthStatus::Degraded
        );
        assert_eq!(
            report(vec![check(false, failed(ErrorKind::Unavailable, "m"))]).status(),
            HealthStatus::Degraded
        );
        assert_eq!(
            report(vec![
                check(false, failed(ErrorKind::Warning, "m")),
                check(true, failed(ErrorKind::UnknownError, "m")),
            ])
            .status(),
            HealthStatus::Unhealthy
        );
    }

    #[test]
    fn warnings_as_errors_fails_critical_checks_only() {
        let warning = failed(ErrorKind::Warning, "m");
        assert_eq!(check_status(&warning, true, true), HealthStatus::Unhealthy);
        assert_eq!(check_status(&warning, false, true), HealthStatus::Degraded);
        assert_eq!(check_status(&warning, true, false), HealthStatus::Degraded);
    }

    #[test]
    fn outcome_text_is_the_seed_json_value() {
        assert_eq!(Outcome::Working.text(), "working");
        assert_eq!(
            failed(ErrorKind::UnexpectedResult, "m").text(),
            "unexpected result: m"
        );
    }
}
