//! Background clean-ups of interrupted checks, and [`wait_for_cleanup`] for programs
//! that exit soon after a run.
//!
//! A check cut short by the runner's timeout may leave probe data behind (an S3 probe
//! object, a Celery reply queue on Redis). It removes it from a task spawned when the
//! run is dropped. A long-running service gives that task time; a short-lived program
//! does not: dropping its runtime cancels the task at its next `.await`, and the probe
//! data stays. So the tasks are tracked here, for such a program to wait on.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

/// The clean-ups spawned and not known to have finished.
static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Spawns `cleanup` on the current Tokio runtime and tracks it for
/// [`wait_for_cleanup`]. Without a runtime (the process is shutting down) there is
/// nothing to run it on, and it is dropped.
#[cfg_attr(not(any(feature = "s3", feature = "celery")), allow(dead_code))]
pub(crate) fn spawn_cleanup(cleanup: impl Future<Output = ()> + Send + 'static) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let handle = runtime.spawn(cleanup);
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    pending.retain(|handle| !handle.is_finished());
    pending.push(handle);
}

/// Waits until the background clean-ups of interrupted checks have finished, or until
/// `timeout` has passed.
///
/// When the runner's timeout stops a check half-way, some checks (`S3Storage`,
/// `Celery` on Redis) remove their probe data from a task spawned on the Tokio runtime,
/// bounded by a timeout of its own (10 s). A service that keeps running needs nothing
/// more. A short-lived program, such as the CLI's `healthz check`, should await
/// this before it returns from `main` (and so drops its runtime), or the clean-ups are
/// cancelled and probe data is left behind:
///
/// ```no_run
/// use std::time::Duration;
/// # async fn demo(registry: healthz::Registry) {
/// let report = registry.run(&healthz::Selection::all()).await;
/// healthz::checks::wait_for_cleanup(Duration::from_secs(15)).await;
/// # }
/// ```
///
/// It returns at once when there is nothing to wait for. A clean-up still running when
/// `timeout` passes is logged and left running.
pub async fn wait_for_cleanup(timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    // A run the runner's timeout just stopped is dropped, and spawns its clean-up,
    // when the scheduler next gets to its aborted task: let it, before looking.
    tokio::task::yield_now().await;
    loop {
        // Taken out of the list, so that a clean-up spawned meanwhile is waited for
        // in the next round.
        let mut handles: VecDeque<_> =
            std::mem::take(&mut *PENDING.lock().unwrap_or_else(PoisonError::into_inner)).into();
        if handles.is_empty() {
            return;
        }
        while let Some(mut handle) = handles.pop_front() {
            if tokio::time::timeout_at(deadline, &mut handle)
                .await
                .is_err()
            {
                handles.push_front(handle);
                tracing::warn!(
                    unfinished = handles.len(),
                    "the clean-up of interrupted checks did not finish in time"
                );
                // Kept for a later call.
                PENDING
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(handles);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    // One test only: the list is global, and tests in this binary run side by side.
    #[tokio::test(start_paused = true)]
    async fn waiting_covers_every_pending_clean_up_and_gives_up_at_the_timeout() {
        let done = Arc::new(AtomicUsize::new(0));
        for delay in [1, 3, 2] {
            let done = Arc::clone(&done);
            spawn_cleanup(async move {
                tokio::time::sleep(Duration::from_secs(delay)).await;
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        wait_for_cleanup(Duration::from_secs(10)).await;
        assert_eq!(done.load(Ordering::SeqCst), 3);

        spawn_cleanup(std::future::pending());
        let start = tokio::time::Instant::now();
        wait_for_cleanup(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        // The unfinished one is kept for a later call.
        assert!(!PENDING.lock().unwrap().is_empty());
    }
}
