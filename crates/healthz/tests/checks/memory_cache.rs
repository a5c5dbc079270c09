//! `checks::MemoryCache` and the `MemoryStore` it checks.

use std::time::Duration;

use healthz::checks::{MemoryCache, MemoryStore};
use healthz::{HealthCheck, Registry, Selection};

#[tokio::test]
async fn its_own_store_works() {
    let check = MemoryCache::new();
    assert_eq!(check.identifier(), "CacheBackend");
    assert_eq!(check.component_type(), "datastore");
    check.check().await.unwrap();
}

#[tokio::test]
async fn the_applications_keys_survive_many_runs_and_no_probe_key_is_left() {
    let store = MemoryStore::new();
    let hour = Duration::from_secs(3600);
    store.set("session:1", b"alice".to_vec(), hour);
    store.set("session:2", b"bob".to_vec(), hour);
    // The application's own key that merely looks like a probe: never touched.
    store.set("healthz:mine", b"not a probe".to_vec(), hour);

    let check = MemoryCache::with_store(store.clone());
    for _ in 0..100 {
        check.check().await.unwrap();
    }

    assert_eq!(store.get("session:1").as_deref(), Some(&b"alice"[..]));
    assert_eq!(store.get("session:2").as_deref(), Some(&b"bob"[..]));
    assert_eq!(
        store.get("healthz:mine").as_deref(),
        Some(&b"not a probe"[..])
    );
    // Debug shows the number of entries: the three above and no probe key.
    assert_eq!(format!("{store:?}"), "MemoryStore { entries: 3, .. }");
}

#[tokio::test]
async fn clones_share_the_store() {
    let store = MemoryStore::new();
    let clone = store.clone();
    clone.set("k", b"v".to_vec(), Duration::from_secs(60));
    assert_eq!(store.get("k").as_deref(), Some(&b"v"[..]));
    assert!(store.delete("k"));
    assert!(!clone.delete("k"), "already gone");
    assert_eq!(clone.get("k"), None);
}

#[tokio::test(start_paused = true)]
async fn the_runner_reports_the_cache_by_its_seed_name() {
    let registry = Registry::builder()
        .check(MemoryCache::new())
        .build()
        .unwrap();
    let report = registry.run(&Selection::all()).await.unwrap();
    assert_eq!(report.checks[0].name, "CacheBackend");
    assert!(report.checks[0].outcome.is_working());
}
