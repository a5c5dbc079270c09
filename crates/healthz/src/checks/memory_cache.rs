//! `CacheBackend` in process: [`MemoryStore`] and its check, [`MemoryCache`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::{CheckError, CheckResult, HealthCheck};

/// How long a probe key lives if a run never gets to delete it.
const PROBE_TTL: Duration = Duration::from_secs(10);

/// A small in-process key/value store with a time to live per entry. Cloning it is
/// cheap and every clone shares the same entries.
///
/// Expired entries count as absent; they are removed when next touched, and a sweep
/// whenever the store has doubled in size since the last one keeps keys that are never
/// read again from piling up.
///
/// ```
/// use std::time::Duration;
/// use healthz::checks::MemoryStore;
///
/// let store = MemoryStore::new();
/// store.set("greeting", b"hello".to_vec(), Duration::from_secs(60));
/// assert_eq!(store.get("greeting").as_deref(), Some(&b"hello"[..]));
/// assert!(store.delete("greeting"));
/// assert_eq!(store.get("greeting"), None);
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// The size at which `set` sweeps out expired entries next.
    sweep_at: usize,
}

struct Entry {
    value: Vec<u8>,
    expires_at: Instant,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        now < self.expires_at
    }
}

/// The store's size below which `set` never sweeps.
const MIN_SWEEP_AT: usize = 64;

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    pub fn set(&self, key: impl Into<String>, value: Vec<u8>, ttl: Duration) {
        let now = Instant::now();
        // An absurdly long TTL saturates at "practically never" instead of panicking.
        let expires_at = now
            .checked_add(ttl)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 60 * 60));
        let mut entries = self.lock();
        entries.map.insert(key.into(), Entry { value, expires_at });
        if entries.map.len() >= entries.sweep_at {
            entries.map.retain(|_, entry| entry.is_live(now));
            entries.sweep_at = (entries.map.len() * 2).max(MIN_SWEEP_AT);
        }
    }

    /// The value under `key`, unless it is absent or expired.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        let mut entries = self.lock();
        match entries.map.get(key) {
            Some(entry) if entry.is_live(now) => Some(entry.value.clone()),
            Some(_) => {
                entries.map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Removes `key`; returns whether a live entry was there.
    pub fn delete(&self, key: &str) -> bool {
        let now = Instant::now();
        self.lock()
            .map
            .remove(key)
            .is_some_and(|entry| entry.is_live(now))
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Every critical section leaves the map consistent, so a panic elsewhere while
        // holding the lock does not make the data unusable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    /// Shows the size only: the values are the application's data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.lock().map.len())
            .finish_non_exhaustive()
    }
}

/// Checks an in-process cache: the seed's `CacheBackend` without a server.
///
/// Each run sets a unique key (`healthz:<random hex>`) with random bytes and a
/// short TTL, reads it back, compares, deletes it and confirms it is gone. It never
/// touches any other key.
///
/// ```
/// use healthz::Registry;
/// use healthz::checks::{MemoryCache, MemoryStore};
///
/// let sessions = MemoryStore::new(); // also handed to the application
/// let registry = Registry::builder()
///     .check(MemoryCache::with_store(sessions.clone()))
///     .build()
///     .expect("unique names");
/// # drop(registry);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryCache {
    store: MemoryStore,
}

impl MemoryCache {
    /// Checks a store of its own.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks `store`, which the application uses too.
    #[must_use]
    pub fn with_store(store: MemoryStore) -> Self {
        Self { store }
    }
}

impl HealthCheck for MemoryCache {
    async fn check(&self) -> CheckResult {
        // No `.await` below: the runner's timeout cannot stop the round trip half-way,
        // so the probe key is always deleted (and expires anyway).
        let key = format!("healthz:{:016x}", fastrand::u64(..));
        let mut value = vec![0_u8; 16];
        fastrand::fill(&mut value);
        self.store.set(key.as_str(), value.clone(), PROBE_TTL);
        let read = self.store.get(&key);
        let deleted = self.store.delete(&key);
        match read {
            None => {
                return Err(CheckError::unexpected_result(format!(
                    "key {key} was missing right after it was set"
                )));
            }
            Some(read) if read != value => {
                return Err(CheckError::unexpected_result(format!(
                    "key {key} read back a different value"
                )));
            }
            Some(_) => {}
        }
        if !deleted {
            return Err(CheckError::unexpected_result(format!(
                "key {key} was missing when deleted"
            )));
        }
        if self.store.get(&key).is_some() {
            return Err(CheckError::unexpected_result(format!(
                "key {key} is still there after it was deleted"
            )));
        }
        Ok(())
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("CacheBackend")
    }

    fn component_type(&self) -> &'static str {
        "datastore"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_ttl() {
        let store = MemoryStore::new();
        store.set("a", b"1".to_vec(), Duration::from_secs(2));
        tokio::time::advance(Duration::from_millis(1999)).await;
        assert_eq!(store.get("a").as_deref(), Some(&b"1"[..]));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(store.get("a"), None);
        assert!(!store.delete("a"), "an expired entry is absent");
    }

    #[tokio::test(start_paused = true)]
    async fn expired_entries_are_swept_as_the_store_grows() {
        let store = MemoryStore::new();
        // The first `set` sweeps (an empty store) and puts the next sweep at
        // `MIN_SWEEP_AT` entries.
        for i in 0..MIN_SWEEP_AT - 2 {
            store.set(format!("old{i}"), Vec::new(), Duration::from_secs(1));
        }
        store.set("keep", b"k".to_vec(), Duration::from_secs(60));
        tokio::time::advance(Duration::from_secs(2)).await;
        // Reaching the threshold sweeps: only the live entries remain.
        store.set("new", Vec::new(), Duration::from_secs(60));
        assert_eq!(store.lock().map.len(), 2);
        assert_eq!(store.get("keep").as_deref(), Some(&b"k"[..]));
    }

    #[test]
    fn a_huge_ttl_does_not_panic() {
        let store = MemoryStore::new();
        store.set("a", Vec::new(), Duration::MAX);
        assert!(store.get("a").is_some());
    }

    #[test]
    fn debug_shows_no_values() {
        let store = MemoryStore::new();
        store.set("secret", b"hunter2".to_vec(), Duration::from_secs(60));
        let shown = format!("{store:?}");
        assert_eq!(shown, "MemoryStore { entries: 1, .. }");
    }
}
