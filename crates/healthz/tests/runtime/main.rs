//! The production runtime through the public API, on Tokio's paused clock: freshness
//! modes (cache, serve-stale, background, pending, stale), flap damping, the
//! lifecycle (startup, shutdown), state-change notifications and observed values; and,
//! on real time over real connections, a check that panics on every run under load.

mod damping;
mod foreign_text;
mod freshness;
mod lifecycle;
mod notifications;
mod observations;
#[cfg(feature = "axum")]
mod panics;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use healthz::{
    CheckError, CheckOptions, CheckReport, CheckResult, HealthCheck, Registry, Selection,
};

/// A check that answers from a script, one result per run (then keeps the last), after
/// taking `takes`, and counts its runs.
#[derive(Clone)]
struct Script {
    results: Arc<Mutex<VecDeque<Result<(), &'static str>>>>,
    runs: Arc<AtomicUsize>,
    takes: Duration,
}

impl Script {
    fn new(results: impl IntoIterator<Item = Result<(), &'static str>>) -> Self {
        Self {
            results: Arc::new(Mutex::new(results.into_iter().collect())),
            runs: Arc::default(),
            takes: Duration::ZERO,
        }
    }

    /// Works on every run.
    fn working() -> Self {
        Self::new([Ok(())])
    }

    fn taking(mut self, takes: Duration) -> Self {
        self.takes = takes;
        self
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// What the next runs answer, replacing the rest of the script.
    fn then(&self, results: impl IntoIterator<Item = Result<(), &'static str>>) {
        *self.results.lock().unwrap() = results.into_iter().collect();
    }
}

impl HealthCheck for Script {
    async fn check(&self) -> CheckResult {
        self.runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.takes).await;
        let result = {
            let mut results = self.results.lock().unwrap();
            if results.len() > 1 {
                results.pop_front().unwrap()
            } else {
                results.front().copied().unwrap_or(Ok(()))
            }
        };
        result.map_err(CheckError::unavailable)
    }
}

/// A registry of one check with these options.
fn registry_of(check: &Script, options: CheckOptions) -> Registry {
    Registry::builder()
        .check_with(check.clone(), options.name("Script"))
        .build()
        .unwrap()
}

/// The report of the one check of `registry` on a request for everything.
async fn one(registry: &Registry) -> CheckReport {
    registry.run(&Selection::all()).await.unwrap().checks[0].clone()
}

/// Lets spawned tasks run until they wait on the clock.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}
