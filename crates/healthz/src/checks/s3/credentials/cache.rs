//! Temporary credentials kept until shortly before they expire, refreshed without
//! holding up a check that still has working ones.
//!
//! A run takes the cached credentials while more than [`REFRESH_BEFORE`] is left.
//! Within that window it still takes them, and starts a refresh in the background;
//! only a run with no credentials that work waits for a fetch. Fetches run in a task
//! of their own, one at a time, so that a run the runner's timeout stops does not
//! cancel a fetch the next run can use.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusty_s3::Credentials;
use tokio::time::Instant;

use super::fetch::{Fetch, Fetched};
use super::unavailable;
use crate::CheckError;

/// How long before they expire credentials are refreshed: instance metadata has new
/// ones ready at least this long before the old ones expire, as AWS documents; STS and
/// the container endpoints hand out new ones at any time.
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// How long credentials must still work to sign with: a request signed just before
/// they expire may reach S3 after they did.
const USABLE_FOR: Duration = Duration::from_secs(60);

/// The credentials of one source, fetched when needed.
pub(super) struct Cache<S> {
    source: S,
    current: Mutex<Option<Fetched>>,
    /// Held by the fetch under way, so that there is one at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl<S: Fetch> Cache<S> {
    pub(super) fn new(source: S) -> Self {
        Self {
            source,
            current: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The source as messages name it.
    pub(super) fn source(&self) -> String {
        self.source.source()
    }

    /// Credentials that work: the cached ones, or fresh ones.
    ///
    /// # Errors
    ///
    /// `unavailable: cannot get AWS credentials from <source>: …` when there are no
    /// cached credentials that still work and the fetch fails.
    pub(super) async fn get(self: &Arc<Self>) -> Result<Credentials, CheckError> {
        let now = Instant::now();
        let current = self.current();
        let seen = current.as_ref().map(|current| current.credentials.clone());
        if let Some(current) = current {
            if !needs_refresh(&current, now) {
                return Ok(current.credentials);
            }
            if current
                .expires
                .is_some_and(|expires| expires > now + USABLE_FOR)
            {
                let cache = Arc::clone(self);
                tokio::spawn(async move {
                    if let Err(reason) = cache.refresh(seen).await {
                        tracing::warn!(
                            source = %cache.source(),
                            %reason,
                            "cannot refresh AWS credentials; the current ones are used until they expire"
                        );
                    }
                });
                return Ok(current.credentials);
            }
        }
        let cache = Arc::clone(self);
        match tokio::spawn(async move { cache.refresh(seen).await }).await {
            Ok(Ok(credentials)) => Ok(credentials),
            Ok(Err(reason)) => Err(unavailable(&self.source(), &reason)),
            Err(join_error) => Err(CheckError::from_join_error(join_error)),
        }
    }

    fn current(&self) -> Option<Fetched> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Fetches and keeps fresh credentials in place of those `seen` by the run that
    /// asked, unless a fetch that finished while this one waited for its turn already
    /// replaced them.
    async fn refresh(&self, seen: Option<Credentials>) -> Result<Credentials, String> {
        let _turn = self.fetching.lock().await;
        if let Some(current) = self.current()
            && Some(&current.credentials) != seen.as_ref()
        {
            return Ok(current.credentials);
        }
        let fetched = self.source.fetch().await?;
        let credentials = fetched.credentials.clone();
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(fetched);
        Ok(credentials)
    }
}

/// Whether credentials are due for a refresh at `now`.
fn needs_refresh(fetched: &Fetched, now: Instant) -> bool {
    fetched
        .expires
        .is_some_and(|expires| expires <= now + REFRESH_BEFORE)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;

    const LIFETIME: Duration = Duration::from_secs(3600);

    /// A source whose fetches take `delay`, hand out `K1`, `K2`… for an hour, and fail
    /// while `failing` is set.
    struct Source {
        fetches: AtomicUsize,
        delay: Duration,
        failing: AtomicBool,
    }

    impl Fetch for Source {
        fn source(&self) -> String {
            "the test's source".to_owned()
        }

        async fn fetch(&self) -> Result<Fetched, String> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(self.delay).await;
            if self.failing.load(Ordering::SeqCst) {
                return Err("refused".to_owned());
            }
            Ok(Fetched {
                credentials: Credentials::new(format!("K{n}"), "secret"),
                expires: Some(Instant::now() + LIFETIME),
            })
        }
    }

    fn cache(delay: Duration) -> Arc<Cache<Source>> {
        Arc::new(Cache::new(Source {
            fetches: AtomicUsize::new(0),
            delay,
            failing: AtomicBool::new(false),
        }))
    }

    async fn key(cache: &Arc<Cache<Source>>) -> String {
        cache.get().await.unwrap().key().to_owned()
    }

    fn fetches(cache: &Cache<Source>) -> usize {
        cache.source.fetches.load(Ordering::SeqCst)
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_are_kept_until_a_few_minutes_before_they_expire() {
        let cache = cache(Duration::from_secs(1));
        assert_eq!(key(&cache).await, "K1");
        tokio::time::advance(LIFETIME - REFRESH_BEFORE - Duration::from_secs(2)).await;
        assert_eq!(key(&cache).await, "K1");
        assert_eq!(fetches(&cache), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_never_holds_up_a_run_that_has_working_credentials() {
        // Each fetch takes 30 s, far longer than the runs below may wait.
        let cache = cache(Duration::from_secs(30));
        assert_eq!(key(&cache).await, "K1");
        tokio::time::advance(LIFETIME - REFRESH_BEFORE).await;
        let run = tokio::time::timeout(Duration::from_millis(1), key(&cache));
        assert_eq!(run.await.unwrap(), "K1");
        tokio::task::yield_now().await;
        assert_eq!(fetches(&cache), 2, "no refresh started");
        // Runs during the refresh take the current credentials too, and start no other
        // fetch: they wait for their turn and find the refreshed credentials.
        assert_eq!(key(&cache).await, "K1");
        tokio::time::sleep(Duration::from_secs(31)).await;
        assert_eq!(key(&cache).await, "K2");
        assert_eq!(fetches(&cache), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn runs_without_working_credentials_share_one_fetch() {
        let cache = cache(Duration::from_secs(1));
        let (a, b) = tokio::join!(key(&cache), key(&cache));
        assert_eq!((a.as_str(), b.as_str()), ("K1", "K1"));
        assert_eq!(fetches(&cache), 1);
        // Expired: the next run waits for a fetch.
        tokio::time::advance(LIFETIME - USABLE_FOR).await;
        assert_eq!(key(&cache).await, "K2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_keeps_the_current_credentials_until_they_expire() {
        let cache = cache(Duration::ZERO);
        assert_eq!(key(&cache).await, "K1");
        cache.source.failing.store(true, Ordering::SeqCst);
        tokio::time::advance(LIFETIME - REFRESH_BEFORE).await;
        assert_eq!(key(&cache).await, "K1");
        tokio::time::advance(REFRESH_BEFORE - USABLE_FOR).await;
        let error = cache.get().await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "unavailable: cannot get AWS credentials from the test's source: refused"
        );
        cache.source.failing.store(false, Ordering::SeqCst);
        assert!(key(&cache).await.starts_with('K'));
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetch_outlives_the_run_that_started_it() {
        let cache = cache(Duration::from_secs(3));
        // The runner's timeout stops the first run during its fetch…
        let cut = tokio::time::timeout(Duration::from_secs(1), key(&cache)).await;
        assert!(cut.is_err());
        // …which the next run takes over when it finishes.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(key(&cache).await, "K1");
        assert_eq!(fetches(&cache), 1);
    }
}
