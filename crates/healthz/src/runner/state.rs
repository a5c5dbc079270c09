//! What the runner keeps of each check between runs, and the report it makes of it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::execute::Run;
use super::history::History;
use super::policy::Damper;
use super::single_flight::SingleFlight;
use crate::error::ErrorKind;
use crate::observe::Observation;
use crate::registration::{Freshness, Registration};
use crate::report::{CheckReport, CheckState, HistoryEntry, Mode, Outcome, check_status};

/// A registered check and what the runner keeps of it.
pub(super) struct Tracked {
    pub(super) registration: Registration,
    /// Its run in flight, shared by everyone who waits for a fresh result.
    pub(super) in_flight: Arc<SingleFlight<()>>,
    latest: Mutex<Latest>,
}

/// The results so far.
struct Latest {
    last_run: Option<LastRun>,
    damper: Damper,
    history: History,
    last_success: Option<SystemTime>,
}

/// The latest raw run.
struct LastRun {
    duration: Duration,
    finished_at: SystemTime,
    /// When it finished on the runtime's clock, which tests can pause: ages are
    /// measured on it.
    finished: Instant,
    observations: Vec<Observation>,
}

/// The reported state before and after a run, when the run changed it.
pub(super) struct Change {
    pub(super) from: CheckState,
    pub(super) to: Outcome,
}

impl Tracked {
    pub(super) fn new(registration: Registration, history_len: usize) -> Self {
        let damper = Damper::new(registration.thresholds);
        Self {
            registration,
            in_flight: Arc::default(),
            latest: Mutex::new(Latest {
                last_run: None,
                damper,
                history: History::new(history_len),
                last_success: None,
            }),
        }
    }

    fn latest(&self) -> MutexGuard<'_, Latest> {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps a run's result; returns the change of the reported state it made, if any.
    pub(super) fn record(&self, run: &Run) -> Option<Change> {
        let raw = Outcome::from_result(&run.result);
        let mut latest = self.latest();
        let before = reported_state(latest.damper.reported().0);
        latest.damper.record(&raw);
        latest.history.record(HistoryEntry::new(
            raw.error_kind(),
            run.duration,
            run.finished_at,
        ));
        if raw.is_working() {
            latest.last_success = Some(run.finished_at);
        }
        latest.last_run = Some(LastRun {
            duration: run.duration,
            finished_at: run.finished_at,
            finished: Instant::now(),
            observations: run.observations.clone(),
        });
        let reported = latest
            .damper
            .reported()
            .0
            .cloned()
            .unwrap_or(Outcome::Pending);
        (reported.state() != before).then_some(Change {
            from: before,
            to: reported,
        })
    }

    /// How old the latest result is; `None` before the first.
    pub(super) fn age(&self) -> Option<Duration> {
        let latest = self.latest();
        latest.last_run.as_ref().map(|run| run.finished.elapsed())
    }

    /// Whether the check has worked at least once.
    pub(super) fn has_worked(&self) -> bool {
        self.latest().last_success.is_some()
    }

    /// The check's part of a report: its latest result as damping reports it, a stale
    /// background result as a failure, and pending before the first result.
    pub(super) fn report(&self, warnings_as_errors: bool) -> CheckReport {
        let registration = &self.registration;
        let latest = self.latest();
        let age = latest.last_run.as_ref().map(|run| run.finished.elapsed());
        let (reported, damping) = latest.damper.reported();
        let (outcome, damping) = match (reported, registration.freshness, age) {
            (Some(_), Freshness::Background { stale_after, .. }, Some(age))
                if age > stale_after =>
            {
                let message = format!("stale: last result {} ago", whole_seconds(age));
                (Outcome::failed(ErrorKind::Unavailable, message), None)
            }
            (Some(reported), _, _) => (reported.clone(), damping),
            (None, _, _) => (Outcome::Pending, None),
        };
        let last_run = latest.last_run.as_ref();
        CheckReport {
            name: registration.name.clone(),
            component_type: registration.check.component_type(),
            critical: registration.critical,
            tags: registration.tags.clone(),
            status: check_status(&outcome, registration.critical, warnings_as_errors),
            outcome,
            duration: last_run.map_or(Duration::ZERO, |run| run.duration),
            finished_at: last_run.map(|run| run.finished_at),
            age: age.unwrap_or(Duration::ZERO),
            last_success: latest.last_success,
            mode: mode(registration.freshness),
            damping,
            observations: last_run.map_or_else(Vec::new, |run| run.observations.clone()),
            history: latest.history.snapshot(),
        }
    }
}

/// The state a damper's reported outcome stands for; pending before any.
fn reported_state(reported: Option<&Outcome>) -> CheckState {
    reported.map_or(CheckState::Pending, Outcome::state)
}

/// How a registration's freshness shows in a report.
fn mode(freshness: Freshness) -> Mode {
    match freshness {
        Freshness::OnRequest => Mode::OnRequest,
        Freshness::Cached { ttl, .. } => Mode::Cached { ttl },
        Freshness::Background { interval, .. } => Mode::Background { interval },
    }
}

/// An age as a message shows it: `47s`, `2m 5s`, `1h 2s`.
pub(crate) fn whole_seconds(age: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_secs(age.as_secs()))
}
