//! The bounded history of recent results each check keeps.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::report::HistoryEntry;

/// The last `capacity` runs of one check, oldest first.
pub(super) struct History {
    capacity: usize,
    entries: Mutex<VecDeque<HistoryEntry>>,
}

impl History {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity)),
        }
    }

    /// Appends a run, dropping the oldest past the capacity; returns the run before it
    /// (to log state changes) and a snapshot of the history.
    pub(super) fn record(&self, entry: HistoryEntry) -> (Option<HistoryEntry>, Vec<HistoryEntry>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let previous = entries.back().cloned();
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
        (previous, entries.iter().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn run(millis: u64) -> HistoryEntry {
        HistoryEntry {
            error_kind: None,
            duration: Duration::from_millis(millis),
            finished_at: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn keeps_the_last_runs_oldest_first() {
        let history = History::new(2);
        assert_eq!(history.record(run(1)).0, None);
        assert_eq!(history.record(run(2)).0, Some(run(1)));
        let (previous, snapshot) = history.record(run(3));
        assert_eq!(previous, Some(run(2)));
        assert_eq!(snapshot, [run(2), run(3)]);
    }
}
