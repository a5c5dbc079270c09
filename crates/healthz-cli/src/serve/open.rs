//! The connections that are open, how busy each is, and which one gives way when
//! there are too many: [`Open`] admits a connection into a [`Slot`].
//!
//! At `max-connections`, a new connection takes the place of the oldest one that has
//! no request being answered, which is closed; when every connection is answering a
//! request, the new one is closed at once. This is what nginx does when it runs out
//! of connections (it closes idle keep-alive connections to make room) and what
//! Envoy's connection limit does (it closes what is over), with one difference: a
//! connection still sending its headers gives way too. A health endpoint's clients
//! send their request in one packet as soon as they connect, so the oldest connection
//! with nothing to answer is a slow, idle or abandoned one, and a fresh probe must
//! not wait behind a thousand of them for their header timeout.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The open connections, up to a limit.
#[derive(Debug)]
pub(super) struct Open {
    limit: usize,
    /// By the order they were accepted in, oldest first.
    slots: Mutex<BTreeMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
}

impl Open {
    pub(super) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit,
            slots: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
        })
    }

    /// A slot for a new connection, making room by closing the oldest quiet one when
    /// the limit is reached; `None` when every open connection is answering a request.
    pub(super) fn admit(self: &Arc<Self>) -> Option<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots.len() >= self.limit && !evict_oldest_quiet(&mut slots) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity::new());
        slots.insert(id, Arc::clone(&activity));
        Some(Slot {
            open: Arc::clone(self),
            id,
            activity,
        })
    }

    /// Closes the oldest connection with no request being answered, to free its file
    /// descriptor; whether there was one.
    pub(super) fn evict_one(&self) -> bool {
        evict_oldest_quiet(&mut self.slots.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// How many connections are open.
    pub(super) fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Takes the oldest connection with no request in flight out of `slots` and tells it
/// to close; whether there was one.
fn evict_oldest_quiet(slots: &mut BTreeMap<u64, Arc<Activity>>) -> bool {
    let Some(id) = slots
        .iter()
        .find(|(_, activity)| activity.in_flight() == 0)
        .map(|(&id, _)| id)
    else {
        return false;
    };
    if let Some(activity) = slots.remove(&id) {
        // A stored permit: the connection closes even if it is not waiting yet.
        activity.evicted.notify_one();
    }
    true
}

/// One admitted connection's place among the open ones, given back when dropped.
#[derive(Debug)]
pub(super) struct Slot {
    open: Arc<Open>,
    id: u64,
    activity: Arc<Activity>,
}

impl Slot {
    /// What the connection is doing, for its I/O and its requests to report.
    pub(super) fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// What one connection is doing: when a byte last moved, how many of its requests
/// are being answered, and whether it must give way.
#[derive(Debug)]
pub(super) struct Activity {
    opened: Instant,
    /// Milliseconds from `opened` to the last byte read or written.
    last_moved: AtomicU64,
    in_flight: AtomicUsize,
    evicted: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            last_moved: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            evicted: Notify::new(),
        }
    }

    /// Notes that a byte was read or written now.
    pub(super) fn moved(&self) {
        let since_opened = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_moved.store(since_opened, Ordering::Relaxed);
    }

    /// Counts a request as being answered until the guard is dropped.
    pub(super) fn answering(self: &Arc<Self>) -> Answering {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Answering(Arc::clone(self))
    }

    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Resolves when the connection must give way to a new one.
    pub(super) async fn evicted(&self) {
        self.evicted.notified().await;
    }

    /// Resolves once no byte has moved for `idle` while no request was being
    /// answered: a request that takes long (a slow check) is not idleness.
    pub(super) async fn idle_for(&self, idle: Duration) {
        loop {
            let last_moved =
                self.opened + Duration::from_millis(self.last_moved.load(Ordering::Relaxed));
            let now = Instant::now();
            let deadline = if self.in_flight() > 0 {
                now + idle
            } else if now >= last_moved + idle {
                return;
            } else {
                last_moved + idle
            };
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A request being answered on a connection; see [`Activity::answering`].
#[derive(Debug)]
pub(super) struct Answering(Arc<Activity>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        // The answer is bytes that moved: idleness counts from it.
        self.0.moved();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_limit_the_oldest_quiet_connection_gives_way() {
        let open = Open::new(2);
        let first = open.admit().expect("room");
        let second = open.admit().expect("room");
        let _busy = first.activity().answering();
        let third = open.admit().expect("the second is quiet");
        assert_eq!(open.len(), 2);
        assert!(
            second.activity().evicted.notified().now_or_never(),
            "the second was told to close"
        );
        let _also_busy = third.activity().answering();
        assert!(open.admit().is_none(), "every connection is answering");
        drop(second);
        assert_eq!(open.len(), 2, "an evicted slot is already given back");
        drop(third);
        assert_eq!(open.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_idle_once_nothing_moved_and_nothing_is_answered() {
        let activity = Arc::new(Activity::new());
        let idle = Duration::from_secs(10);
        let answering = activity.answering();
        let waited = Instant::now();
        tokio::time::timeout(Duration::from_secs(60), activity.idle_for(idle))
            .await
            .expect_err("a request being answered is not idleness");
        drop(answering);
        let answered = Instant::now();
        activity.idle_for(idle).await;
        assert_eq!(Instant::now() - answered, idle);
        assert!(answered - waited >= Duration::from_secs(60));
    }

    /// `Future::now_or_never` for a `Notified`, without the futures crate.
    trait NowOrNever {
        fn now_or_never(self) -> bool;
    }

    impl NowOrNever for tokio::sync::futures::Notified<'_> {
        fn now_or_never(self) -> bool {
            let mut notified = std::pin::pin!(self);
            notified.as_mut().enable()
        }
    }
}
