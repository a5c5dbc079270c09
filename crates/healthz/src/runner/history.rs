//! The bounded history of recent results each check keeps.

use std::collections::VecDeque;

use crate::report::HistoryEntry;

/// The last `capacity` runs of one check, oldest first: every raw result, whatever
/// damping reports.
#[derive(Debug)]
pub(super) struct History {
    capacity: usize,
    entries: VecDeque<HistoryEntry>,
}

impl History {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: VecDeque::with_capacity(capacity),
        }
    }

    /// Appends a run, dropping the oldest past the capacity.
    pub(super) fn record(&mut self, entry: HistoryEntry) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The runs, oldest first.
    pub(super) fn snapshot(&self) -> Vec<HistoryEntry> {
        self.entries.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn run(millis: u64) -> HistoryEntry {
        HistoryEntry::new(None, Duration::from_millis(millis), SystemTime::UNIX_EPOCH)
    }

    #[test]
    fn keeps_the_last_runs_oldest_first() {
        let mut history = History::new(2);
        for millis in 1..=3 {
            history.record(run(millis));
        }
        assert_eq!(history.snapshot(), [run(2), run(3)]);
    }
}
