//! `min-interval`: at most one notification per check per interval, so that a flapping
//! check cannot spam a channel. [`Coalescer`] holds back the events of a check that
//! was notified of less than an interval ago, keeps only the latest, and releases it
//! once the interval has passed.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::payload::Event;

/// The events of one target, held back per check.
#[derive(Debug)]
pub(super) struct Coalescer {
    min_interval: Option<Duration>,
    /// When each check's last event was let through.
    sent: HashMap<String, Instant>,
    /// Each check's held-back event: the latest state, `from` the state last sent.
    held: HashMap<String, Event>,
}

impl Coalescer {
    /// Lets every event through without `min_interval`.
    pub(super) fn new(min_interval: Option<Duration>) -> Self {
        Self {
            min_interval,
            sent: HashMap::new(),
            held: HashMap::new(),
        }
    }

    /// Takes `event` in at `now`; returns it when it is to be sent now, or holds it back.
    pub(super) fn offer(&mut self, event: Event, now: Instant) -> Option<Event> {
        let Some(min_interval) = self.min_interval else {
            return Some(event);
        };
        if let Some(held) = self.held.get_mut(&event.check) {
            // The target never heard of the states in between: it is told of the
            // change from the last state it was sent to the latest.
            *held = Event {
                from: held.from,
                ..event
            };
            return None;
        }
        match self.sent.get(&event.check) {
            Some(&sent) if now < sent + min_interval => {
                self.held.insert(event.check.clone(), event);
                None
            }
            _ => {
                self.sent.insert(event.check.clone(), now);
                Some(event)
            }
        }
    }

    /// When the first held-back event is due; `None` when none is held back.
    pub(super) fn next_due(&self) -> Option<Instant> {
        let min_interval = self.min_interval?;
        self.held
            .keys()
            .filter_map(|check| self.sent.get(check))
            .map(|&sent| sent + min_interval)
            .min()
    }

    /// The held-back events that are due at `now`, to be sent. An event whose check
    /// went back to the state last sent is dropped: for the target nothing changed.
    pub(super) fn due(&mut self, now: Instant) -> Vec<Event> {
        let Some(min_interval) = self.min_interval else {
            return Vec::new();
        };
        let due: Vec<String> = self
            .held
            .keys()
            .filter(|check| {
                self.sent
                    .get(*check)
                    .is_none_or(|&sent| sent + min_interval <= now)
            })
            .cloned()
            .collect();
        let mut events = Vec::with_capacity(due.len());
        for check in due {
            let Some(event) = self.held.remove(&check) else {
                continue;
            };
            if event.from == event.to {
                tracing::debug!(
                    check,
                    state = event.to.as_str(),
                    "a check flapped back within min-interval: nothing to send"
                );
                continue;
            }
            self.sent.insert(check, now);
            events.push(event);
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use healthz::{CheckState, Outcome};

    use super::*;
    use crate::notify::payload::tests::{event, refused};

    const SECOND: Duration = Duration::from_secs(1);

    fn failing() -> Event {
        event("Db", CheckState::Working, refused())
    }

    fn working() -> Event {
        event("Db", CheckState::Failing, Outcome::Working)
    }

    #[test]
    fn without_min_interval_everything_goes_at_once() {
        let mut coalescer = Coalescer::new(None);
        let now = Instant::now();
        assert_eq!(coalescer.offer(failing(), now), Some(failing()));
        assert_eq!(coalescer.offer(working(), now), Some(working()));
        assert_eq!(coalescer.next_due(), None);
    }

    #[test]
    fn a_flapping_check_is_sent_its_latest_state_once_the_interval_passed() {
        let mut coalescer = Coalescer::new(Some(10 * SECOND));
        let start = Instant::now();
        assert_eq!(coalescer.offer(failing(), start), Some(failing()));
        assert_eq!(coalescer.offer(working(), start + SECOND), None);
        assert_eq!(coalescer.offer(failing(), start + 2 * SECOND), None);
        assert_eq!(coalescer.offer(working(), start + 3 * SECOND), None);
        // Another check is not held back by this one.
        let other = event("Cache", CheckState::Working, refused());
        assert_eq!(
            coalescer.offer(other.clone(), start + 3 * SECOND),
            Some(other)
        );
        assert_eq!(coalescer.next_due(), Some(start + 10 * SECOND));
        assert_eq!(coalescer.due(start + 9 * SECOND), []);
        // Failing → … → working: the target last heard `failing`.
        assert_eq!(coalescer.due(start + 10 * SECOND), [working()]);
        assert_eq!(coalescer.next_due(), None);
        // The next change waits for a whole interval after that one.
        assert_eq!(coalescer.offer(failing(), start + 11 * SECOND), None);
        assert_eq!(coalescer.next_due(), Some(start + 20 * SECOND));
    }

    #[test]
    fn a_check_that_flapped_back_sends_nothing() {
        let mut coalescer = Coalescer::new(Some(10 * SECOND));
        let start = Instant::now();
        assert!(coalescer.offer(failing(), start).is_some());
        assert_eq!(coalescer.offer(working(), start + SECOND), None);
        assert_eq!(coalescer.offer(failing(), start + 2 * SECOND), None);
        assert_eq!(coalescer.due(start + 10 * SECOND), []);
        assert_eq!(coalescer.next_due(), None);
        // The interval still counts from the last event sent.
        assert!(coalescer.offer(working(), start + 11 * SECOND).is_some());
    }
}
