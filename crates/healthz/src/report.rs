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
pub struct HistoryEntry {
    /// How it ended (`None` when working).
    pub error_kind: Option<ErrorKind>,
    /// How long it took.
    pub duration: Duration,
    /// When it finished.
    pub finished_at: SystemTime,
}

/// The result of one check in a run.
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
        CheckReport {
            status: check_status(&outcome, true, false),
            name: name.into(),
            component_type: "component",
            critical: true,
            tags: vec![],
            outcome,
            duration: Duration::from_millis(12),
            finished_at: SystemTime::UNIX_EPOCH,
            history: vec![],
        }
    }

    /// The same, not critical.
    pub(crate) fn non_critical(name: &str, outcome: Outcome) -> CheckReport {
        CheckReport {
            status: check_status(&outcome, false, false),
            critical: false,
            ..check(name, outcome)
        }
    }

    /// A failed outcome.
    pub(crate) fn failed(kind: ErrorKind, message: &str) -> Outcome {
        Outcome::Failed {
            kind,
            message: message.into(),
        }
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
