//! Single-flight: concurrent callers share one run in flight instead of starting their
//! own, so the load a check puts on its backend never grows with the request rate.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// The result of the run in flight, which every caller that needs it waits on; `None`
/// between runs.
pub(super) struct SingleFlight<T>(Mutex<Option<watch::Receiver<Option<T>>>>);

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<T: Clone + Send + Sync + 'static> SingleFlight<T> {
    /// The receiver of the run in flight; when there is none, starts `run()` as a task
    /// of its own and returns its receiver.
    ///
    /// The run is a spawned task, so a caller that goes away (a client that
    /// disconnects) does not cancel the run that others are waiting on.
    pub(super) fn join_or_start<F>(self: &Arc<Self>, run: impl FnOnce() -> F) -> Receiver<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let mut slot = self.lock();
        if let Some(receiver) = slot.as_ref() {
            return Receiver(receiver.clone());
        }
        let (sender, receiver) = watch::channel(None);
        *slot = Some(receiver.clone());
        let run = run();
        // Clears the slot however the run ends, cancellation included: a slot left
        // pointing at a dead run would make every later caller wait on it in vain.
        let clear = ClearOnDrop(Arc::clone(self));
        tokio::spawn(async move {
            let value = run.await;
            // Leave the slot before publishing: a caller arriving from now on starts
            // a fresh run instead of reading this finished one.
            drop(clear);
            sender.send_replace(Some(value));
        });
        Receiver(receiver)
    }

    fn lock(&self) -> MutexGuard<'_, Option<watch::Receiver<Option<T>>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where one caller waits for the result of a run.
pub(super) struct Receiver<T>(watch::Receiver<Option<T>>);

impl<T: Clone> Receiver<T> {
    /// The run's result; `None` when its task ended without one (its runtime shut down
    /// half-way through).
    pub(super) async fn published(mut self) -> Option<T> {
        let value = self.0.wait_for(Option::is_some).await.ok()?;
        value.clone()
    }
}

/// Empties the slot when dropped.
struct ClearOnDrop<T>(Arc<SingleFlight<T>>);

impl<T> Drop for ClearOnDrop<T> {
    fn drop(&mut self) {
        *self.0.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
