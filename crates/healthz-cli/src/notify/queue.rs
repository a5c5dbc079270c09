//! A target's bounded queue of events: [`Queue`]. Pushing never waits, so that a slow
//! target never holds up the others; when the queue is full the oldest event is
//! dropped, because the newest says what a check reports now.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::payload::Event;

/// Events waiting for one target's task.
#[derive(Debug)]
pub(super) struct Queue {
    events: Mutex<VecDeque<Event>>,
    capacity: usize,
    /// Wakes the task when an event arrives.
    arrived: Notify,
}

impl Queue {
    /// An empty queue of at most `capacity` events.
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            events: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            arrived: Notify::new(),
        }
    }

    fn events(&self) -> MutexGuard<'_, VecDeque<Event>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `event` at the back; returns the oldest event, dropped to make room, when
    /// the queue was full.
    pub(super) fn push(&self, event: Event) -> Option<Event> {
        let dropped = {
            let mut events = self.events();
            let dropped = if events.len() >= self.capacity {
                events.pop_front()
            } else {
                None
            };
            events.push_back(event);
            dropped
        };
        // A permit is kept when the task is not waiting yet: no event is missed.
        self.arrived.notify_one();
        dropped
    }

    /// The oldest event, once there is one. Cancel-safe: an event is only taken when
    /// it is returned.
    pub(super) async fn pop(&self) -> Event {
        loop {
            if let Some(event) = self.events().pop_front() {
                return event;
            }
            self.arrived.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use healthz::{CheckState, Outcome};

    use super::*;
    use crate::notify::payload::tests::event;

    fn named(check: &str) -> Event {
        event(check, CheckState::Failing, Outcome::Working)
    }

    #[tokio::test]
    async fn a_full_queue_drops_its_oldest_event() {
        let queue = Queue::new(2);
        assert_eq!(queue.push(named("a")), None);
        assert_eq!(queue.push(named("b")), None);
        assert_eq!(queue.push(named("c")).map(|e| e.check), Some("a".into()));
        assert_eq!(queue.pop().await.check, "b");
        assert_eq!(queue.pop().await.check, "c");
    }

    #[tokio::test]
    async fn pop_waits_for_the_next_event() {
        let queue = std::sync::Arc::new(Queue::new(4));
        let popped = tokio::spawn({
            let queue = std::sync::Arc::clone(&queue);
            async move { queue.pop().await }
        });
        tokio::task::yield_now().await;
        queue.push(named("late"));
        assert_eq!(popped.await.unwrap().check, "late");
    }
}
