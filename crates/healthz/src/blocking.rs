//! Runs the blocking part of a check on Tokio's blocking thread pool, one thread at a
//! time per check: [`run_blocking`] and its [`BlockingGuard`].
//!
//! A blocking call cannot be cancelled. When it hangs (a `statvfs` on an unreachable
//! NFS mount, a synchronous client stuck on a dead socket), the runner's timeout reports
//! the check as timed out, but the thread stays stuck. Starting a new thread on every
//! run would then take one more of the pool's threads per probe until the pool (512
//! threads) is exhausted, and with it `tokio::fs`, `lookup_host` and every other
//! blocking task of the service. So while a check's previous call is still running,
//! the next run reports that instead of starting another.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::CheckError;
use crate::observe::Observations;

/// When the blocking call of a check started, while it runs; one per check.
///
/// A clone is a guard of its own, for another check: cloning a check makes a second
/// check with runs of its own.
#[derive(Default)]
pub(crate) struct BlockingGuard {
    started: Arc<Mutex<Option<Instant>>>,
}

impl BlockingGuard {
    /// Marks a call as running, or says since when the previous one is.
    fn enter(&self) -> Result<Running, Duration> {
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(since) = *started {
            return Err(since.elapsed());
        }
        *started = Some(Instant::now());
        Ok(Running(Arc::clone(&self.started)))
    }
}

impl Clone for BlockingGuard {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl fmt::Debug for BlockingGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let running = self
            .started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        f.debug_struct("BlockingGuard")
            .field("running", &running)
            .finish()
    }
}

/// A call in progress: dropping it, on the blocking thread when the call returns or
/// unwinds (or with the closure, if the runtime shuts down before running it), lets
/// the next run start one.
struct Running(Arc<Mutex<Option<Instant>>>);

impl Drop for Running {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Runs `f` on Tokio's blocking pool and waits for it, unless the previous call of the
/// same check (same `guard`) is still running: then it returns at once with
/// `unavailable: the previous run is still running after …`, and starts no thread.
///
/// A panic in `f` becomes [`CheckError::from_panic`], its text kept for the log, as the
/// runner reports a panicking async check.
pub(crate) async fn run_blocking<T, F>(guard: &BlockingGuard, f: F) -> Result<T, CheckError>
where
    F: FnOnce() -> Result<T, CheckError> + Send + 'static,
    T: Send + 'static,
{
    let running = guard.enter().map_err(|elapsed| {
        CheckError::unavailable(format!(
            "the previous run is still running after {}",
            humantime::format_duration(truncate(elapsed))
        ))
    })?;
    // The check's observations, made on the blocking thread, go to its run.
    let observations = Observations::current();
    let call = tokio::task::spawn_blocking(move || {
        let _running = running;
        Observations::on_this_thread(observations, f)
    });
    call.await
        .unwrap_or_else(|join_error| Err(CheckError::from_join_error(join_error)))
}

/// Whole seconds, or whole milliseconds under a second: `12s`, not `12s 345ms 6us`.
fn truncate(elapsed: Duration) -> Duration {
    if elapsed < Duration::from_secs(1) {
        Duration::from_millis(elapsed.subsec_millis().into())
    } else {
        Duration::from_secs(elapsed.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;
    use crate::ErrorKind;

    #[tokio::test]
    async fn a_second_call_waits_for_no_thread_while_the_first_is_stuck() {
        let guard = Arc::new(BlockingGuard::default());
        let (release, released) = mpsc::channel::<()>();
        let first = tokio::spawn({
            let guard = Arc::clone(&guard);
            async move {
                run_blocking(&guard, move || {
                    released.recv().unwrap();
                    Ok(1)
                })
                .await
            }
        });
        while guard.started.lock().unwrap().is_none() {
            tokio::task::yield_now().await;
        }
        let error = run_blocking(&guard, || Ok(2)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert!(
            error
                .message()
                .starts_with("the previous run is still running after "),
            "{error:?}"
        );
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        assert_eq!(run_blocking(&guard, || Ok(3)).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_panic_keeps_its_text_and_frees_the_guard() {
        let guard = BlockingGuard::default();
        let error = run_blocking::<(), _>(&guard, || panic!("statvfs exploded"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownError);
        assert_eq!(error.message(), "check panicked: statvfs exploded");
        assert_eq!(run_blocking(&guard, || Ok("again")).await.unwrap(), "again");
    }

    #[test]
    fn clones_are_guards_of_their_own() {
        let guard = BlockingGuard::default();
        let _running = guard.enter().unwrap();
        assert!(guard.enter().is_err());
        assert!(guard.clone().enter().is_ok());
    }

    #[test]
    fn elapsed_times_are_shown_short() {
        let shown = |d| humantime::format_duration(truncate(d)).to_string();
        assert_eq!(shown(Duration::from_micros(123_456)), "123ms");
        assert_eq!(shown(Duration::from_millis(12_345)), "12s");
        assert_eq!(shown(Duration::from_secs(125)), "2m 5s");
    }
}
