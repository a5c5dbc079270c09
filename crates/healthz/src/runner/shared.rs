//! Reports shared between requests. When no check a request selects has to run (each
//! reads its background or fresh cached result), the report made for the same
//! selection less than [`SHARE_FOR`] ago, with no result recorded since, is the report
//! this request would make: it gets that one instead of making it again. Under load,
//! background mode then costs a request little more than a lookup.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::report::Report;

/// How long a report is shared: short enough that the ages it shows are those of the
/// moment, long enough that a busy endpoint makes a report only every so often.
pub(super) const SHARE_FOR: Duration = Duration::from_millis(10);

/// The latest shareable report.
#[derive(Default)]
pub(super) struct Shared {
    latest: Mutex<Option<Made>>,
}

/// A report and what it was made for.
struct Made {
    indices: Vec<usize>,
    group: Option<String>,
    started: bool,
    shutting_down: bool,
    /// The runner's count of recorded results when it was made.
    generation: u64,
    made: Instant,
    report: Arc<Report>,
}

/// What a report answers: the checks selected, and what changes it besides them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Selected<'a> {
    pub(super) indices: &'a [usize],
    pub(super) group: Option<&'a str>,
    /// Whether startup is over and this is the startup group (which then passes).
    pub(super) started: bool,
    /// Whether this is the ready group during a shutdown (which then fails).
    pub(super) shutting_down: bool,
}

impl Made {
    fn answers(&self, selection: Selected<'_>) -> bool {
        self.indices == selection.indices
            && self.group.as_deref() == selection.group
            && self.started == selection.started
            && self.shutting_down == selection.shutting_down
    }
}

impl Shared {
    /// The report made for `selection` since `generation` and less than
    /// [`SHARE_FOR`] ago, if there is one.
    pub(super) fn get(&self, selection: Selected<'_>, generation: u64) -> Option<Arc<Report>> {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest
            .as_ref()
            .filter(|made| {
                made.generation == generation
                    && made.made.elapsed() < SHARE_FOR
                    && made.answers(selection)
            })
            .map(|made| Arc::clone(&made.report))
    }

    /// Shares `report`, made for `selection` when the runner had recorded
    /// `generation` results.
    pub(super) fn keep(&self, selection: Selected<'_>, generation: u64, report: &Arc<Report>) {
        let made = Made {
            indices: selection.indices.to_vec(),
            group: selection.group.map(str::to_owned),
            started: selection.started,
            shutting_down: selection.shutting_down,
            generation,
            made: Instant::now(),
            report: Arc::clone(report),
        };
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(made);
    }
}
