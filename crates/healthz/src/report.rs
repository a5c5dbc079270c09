//! The result of a run: [`Report`], one [`CheckReport`] per check.
//!
//! These types are the public input of every renderer, so a custom handler or renderer
//! can be written against them alone.

use std::time::{Duration, SystemTime};

use crate::error::{CheckError, ErrorKind};
use crate::observe::Observation;
use crate::sanitize;

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
    /// A background check that has no result yet. It counts as failing, so that a
    /// `ready` or `startup` probe waits for it.
    Pending,
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

    /// The public outcome of a check's result. Its message is cleaned here, where a
    /// check's (and so a backend's) words enter the report: control characters and
    /// ANSI escapes out, line breaks as spaces, at most 1000 characters.
    #[must_use]
    pub fn from_result(result: &Result<(), CheckError>) -> Self {
        match result {
            Ok(()) => Self::Working,
            Err(error) => Self::Failed {
                kind: error.kind(),
                message: sanitize::clean(error.public_message(), sanitize::MAX_MESSAGE_CHARS),
            },
        }
    }

    /// True for [`Outcome::Working`].
    #[must_use]
    pub fn is_working(&self) -> bool {
        matches!(self, Self::Working)
    }

    /// The failure kind, if the check failed ([`ErrorKind::Unavailable`] while it is
    /// pending).
    #[must_use]
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Working => None,
            Self::Pending => Some(ErrorKind::Unavailable),
            Self::Failed { kind, .. } => Some(*kind),
        }
    }

    /// The broad state: working, warning, failing or pending.
    #[must_use]
    pub fn state(&self) -> CheckState {
        match self {
            Self::Working => CheckState::Working,
            Self::Pending => CheckState::Pending,
            Self::Failed {
                kind: ErrorKind::Warning,
                ..
            } => CheckState::Warning,
            Self::Failed { .. } => CheckState::Failing,
        }
    }

    /// The public message, if the check failed.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Working | Self::Pending => None,
            Self::Failed { message, .. } => Some(message),
        }
    }

    /// The seed's text: `working`, `pending` or `<kind>: <message>`.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Working => "working".to_owned(),
            Self::Pending => "pending".to_owned(),
            Self::Failed { kind, message } => format!("{kind}: {message}"),
        }
    }
}

/// The broad state of a check's outcome, what a state change is a change of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckState {
    /// No result yet.
    Pending,
    /// It works.
    Working,
    /// It works but warns.
    Warning,
    /// It fails.
    Failing,
}

impl CheckState {
    /// `pending`, `working`, `warning` or `failing`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Working => "working",
            Self::Warning => "warning",
            Self::Failing => "failing",
        }
    }
}

impl std::fmt::Display for CheckState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a check runs and how its result is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// On the requests that need it, which share a run in flight.
    OnRequest,
    /// On a request, when its last result is older than `ttl`.
    Cached {
        /// How long a result is served from memory.
        ttl: Duration,
    },
    /// In the background every `interval`; requests read its latest result.
    Background {
        /// The time between runs, before jitter.
        interval: Duration,
    },
}

impl std::fmt::Display for Mode {
    /// `on request`, `cached 30s`, `every 10s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OnRequest => f.write_str("on request"),
            Self::Cached { ttl } => write!(f, "cached {}", humantime::format_duration(*ttl)),
            Self::Background { interval } => {
                write!(f, "every {}", humantime::format_duration(*interval))
            }
        }
    }
}

/// What flap damping does to a check's reported outcome right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Damping {
    /// It is reported working although its latest runs failed: `failures` in a row of
    /// the `threshold` it takes to be reported failing.
    Failures {
        /// Failures in a row so far.
        failures: u32,
        /// How many make it fail.
        threshold: u32,
    },
    /// It is reported failing although its latest runs worked: `successes` in a row of
    /// the `threshold` it takes to be reported working again.
    Successes {
        /// Successes in a row so far.
        successes: u32,
        /// How many make it work again.
        threshold: u32,
    },
}

impl std::fmt::Display for Damping {
    /// `1 of 3 failures`, `2 of 3 successes`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failures {
                failures,
                threshold,
            } => write!(f, "{failures} of {threshold} failures"),
            Self::Successes {
                successes,
                threshold,
            } => write!(f, "{successes} of {threshold} successes"),
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
    /// How the check ended, as reported: after flap damping, with a stale result as a
    /// failure and [`Outcome::Pending`] before a background check's first result.
    pub outcome: Outcome,
    /// What this check contributes to the report's status.
    pub status: HealthStatus,
    /// How long the run of this result took (up to its timeout).
    pub duration: Duration,
    /// When the run of this result finished; `None` while pending.
    pub finished_at: Option<SystemTime>,
    /// How old the result was when the report was made: zero for a run made for it.
    pub age: Duration,
    /// When the check last worked, if it has since the process started.
    pub last_success: Option<SystemTime>,
    /// When it runs and how its result is kept.
    pub mode: Mode,
    /// What flap damping does to the outcome right now, if anything.
    pub damping: Option<Damping>,
    /// Values the check observed on this run (see [`observe`](crate::observe)).
    pub observations: Vec<Observation>,
    /// Recent runs, oldest first, this run last; every raw result, damped or not.
    pub history: Vec<HistoryEntry>,
}

impl CheckReport {
    /// A critical, untagged `component` named `name` that ended with `outcome`, run on
    /// request, took no time, finished at the Unix epoch and has no history; its status
    /// follows from its outcome and criticality.
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
            finished_at: Some(SystemTime::UNIX_EPOCH),
            age: Duration::ZERO,
            last_success: None,
            mode: Mode::OnRequest,
            damping: None,
            observations: Vec::new(),
            history: Vec::new(),
        }
    }

    /// The outcome as the text formats and the page show it: the seed's text, with
    /// what damping does to it (`working (1 of 3 failures)`).
    #[must_use]
    pub fn outcome_text(&self) -> String {
        match self.damping {
            Some(damping) => format!("{} ({damping})", self.outcome.text()),
            None => self.outcome.text(),
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
        self.finished_at = Some(finished_at);
        self
    }

    /// How old the result is.
    #[must_use]
    pub fn age(mut self, age: Duration) -> Self {
        self.age = age;
        self
    }

    /// When the check runs.
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// What damping does to the outcome.
    #[must_use]
    pub fn damping(mut self, damping: Damping) -> Self {
        self.damping = Some(damping);
        self
    }

    /// Values the check observed.
    #[must_use]
    pub fn observations(mut self, observations: Vec<Observation>) -> Self {
        self.observations = observations;
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
    /// Whether the service is shutting down and this report answers its `ready` group,
    /// which then fails whatever the checks say.
    pub shutting_down: bool,
}

impl Report {
    /// A report of the given checks.
    #[must_use]
    pub fn new(checks: Vec<CheckReport>, started_at: SystemTime, duration: Duration) -> Self {
        Self {
            checks,
            started_at,
            duration,
            shutting_down: false,
        }
    }

    /// The same report, failing because the service is shutting down.
    #[must_use]
    pub fn shutting_down(mut self) -> Self {
        self.shutting_down = true;
        self
    }

    /// The worst status of any check, healthy when there are none; unhealthy while
    /// shutting down.
    #[must_use]
    pub fn status(&self) -> HealthStatus {
        if self.shutting_down {
            return HealthStatus::Unhealthy;
        }
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
