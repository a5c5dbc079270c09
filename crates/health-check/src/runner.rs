//! Runs checks: concurrently, each under its timeout, panics caught, and concurrent
//! requests for the same checks sharing one run (single-flight).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::{CheckError, ErrorKind};
use crate::registry::Entry;
use crate::report::{CheckReport, HistoryEntry, Outcome, Report, check_status};

/// The result channel of one in-flight run, keyed by the selected entry indices.
type InFlight = HashMap<Vec<usize>, watch::Receiver<Option<Arc<Report>>>>;

pub(crate) struct Runner {
    entries: Vec<Entry>,
    warnings_as_errors: bool,
    in_flight: Mutex<InFlight>,
}

impl Runner {
    pub(crate) fn new(entries: Vec<Entry>, warnings_as_errors: bool) -> Self {
        Self {
            entries,
            warnings_as_errors,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Runs the selected entries, or joins the run already in flight for them.
    ///
    /// The run itself is a spawned task, so a client that disconnects does not cancel
    /// the run that other requests are waiting on.
    pub(crate) async fn run_shared(self: Arc<Self>, indices: Vec<usize>) -> Arc<Report> {
        let mut receiver = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match in_flight.get(&indices) {
                Some(receiver) => receiver.clone(),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    in_flight.insert(indices.clone(), receiver.clone());
                    tokio::spawn(Arc::clone(&self).lead_run(indices.clone(), sender));
                    receiver
                }
            }
        };
        let shared = receiver
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|r| r.clone());
        match shared {
            Some(report) => report,
            // The leading task cannot panic (each check's panic is caught), but if the
            // runtime shuts it down, run here rather than fail the request.
            None => Arc::new(self.run(&indices).await),
        }
    }

    async fn lead_run(
        self: Arc<Self>,
        indices: Vec<usize>,
        sender: watch::Sender<Option<Arc<Report>>>,
    ) {
        let report = Arc::new(self.run(&indices).await);
        // Leave the map before publishing: a request arriving from now on starts a
        // fresh run instead of reading this finished one.
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&indices);
        sender.send_replace(Some(report));
    }

    /// Runs the selected entries concurrently, without sharing.
    pub(crate) async fn run(&self, indices: &[usize]) -> Report {
        let started_at = SystemTime::now();
        let start = Instant::now();
        let tasks: Vec<_> = indices
            .iter()
            .map(|&index| AbortOnDrop(spawn_check(&self.entries[index])))
            .collect();
        let mut checks = Vec::with_capacity(tasks.len());
        for (&index, mut task) in indices.iter().zip(tasks) {
            let (result, duration) = (&mut task.0).await.unwrap_or_else(|join_error| {
                (Err(CheckError::unknown(join_error)), start.elapsed())
            });
            checks.push(self.record(&self.entries[index], &result, duration));
        }
        Report::new(checks, started_at, start.elapsed())
    }

    fn record(
        &self,
        entry: &Entry,
        result: &Result<(), CheckError>,
        duration: std::time::Duration,
    ) -> CheckReport {
        let outcome = Outcome::from_result(result);
        let finished_at = SystemTime::now();
        let (previous, history) = entry.history.record(HistoryEntry {
            error_kind: outcome.error_kind(),
            duration,
            finished_at,
        });
        log_result(entry, result, previous.map(|p| p.error_kind));
        CheckReport {
            name: entry.name.clone(),
            component_type: entry.check.component_type(),
            critical: entry.critical,
            tags: entry.tags.clone(),
            status: check_status(&outcome, entry.critical, self.warnings_as_errors),
            outcome,
            duration,
            finished_at,
            history,
        }
    }
}

/// Spawns one check under its timeout. The task itself never panics: a panicking check
/// is caught by its own inner task.
fn spawn_check(entry: &Entry) -> JoinHandle<(Result<(), CheckError>, std::time::Duration)> {
    let check = Arc::clone(&entry.check);
    let timeout = entry.timeout;
    tokio::spawn(async move {
        let start = Instant::now();
        let inner = AbortOnDrop(tokio::spawn(async move { check.check_boxed().await }));
        let result = match tokio::time::timeout(timeout, inner).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => match join_error.try_into_panic() {
                Ok(payload) => Err(CheckError::from_panic(payload.as_ref())),
                Err(join_error) => Err(CheckError::unknown(join_error)),
            },
            // Dropping `inner` aborted the check: its connection attempt stops here.
            Err(_elapsed) => Err(CheckError::unavailable(format!(
                "timed out after {}",
                humantime::format_duration(timeout)
            ))),
        };
        (result, start.elapsed())
    })
}

/// Aborts the task when dropped, so a cancelled run leaves no check running.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

/// Logs unknown errors in full (their text is shown nowhere else) and every change of
/// state, so that a log tells when a backend went down and came back.
fn log_result(entry: &Entry, result: &Result<(), CheckError>, previous: Option<Option<ErrorKind>>) {
    let check = entry.name.as_str();
    if let Err(error) = result
        && error.kind() == ErrorKind::UnknownError
    {
        tracing::error!(check, error = error.message(), source = ?error.source(), "check failed with an unknown error");
    }
    let now = result.as_ref().err().map(CheckError::kind);
    match (previous, result) {
        (Some(before), _) if before == now => {}
        (_, Ok(())) => tracing::info!(check, "check is working"),
        (_, Err(error)) => {
            tracing::warn!(check, kind = %error.kind(), message = error.public_message(), "check is failing")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckOptions, CheckResult, HealthCheck, HealthStatus, Registry, Selection};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    struct Sleep(Duration);
    impl HealthCheck for Sleep {
        async fn check(&self) -> CheckResult {
            tokio::time::sleep(self.0).await;
            Ok(())
        }
    }

    struct Panics;
    impl HealthCheck for Panics {
        async fn check(&self) -> CheckResult {
            panic!("boom")
        }
    }

    /// Counts how often its body runs, and notices when its future is dropped early.
    struct Counted {
        runs: Arc<AtomicUsize>,
        dropped_early: Arc<AtomicUsize>,
        takes: Duration,
    }
    impl HealthCheck for Counted {
        async fn check(&self) -> CheckResult {
            struct Guard(Arc<AtomicUsize>, bool);
            impl Drop for Guard {
                fn drop(&mut self) {
                    if !self.1 {
                        self.0.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            self.runs.fetch_add(1, Ordering::SeqCst);
            let mut guard = Guard(Arc::clone(&self.dropped_early), false);
            tokio::time::sleep(self.takes).await;
            guard.1 = true;
            Ok(())
        }
    }

    fn counted(takes: Duration) -> (Counted, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let check = Counted {
            runs: Arc::clone(&runs),
            dropped_early: Arc::clone(&dropped),
            takes,
        };
        (check, runs, dropped)
    }

    fn named(name: &str) -> CheckOptions {
        CheckOptions::new().name(name)
    }

    #[tokio::test(start_paused = true)]
    async fn checks_run_concurrently() {
        let registry = Registry::builder()
            .check_with(Sleep(Duration::from_secs(3)), named("a"))
            .check_with(Sleep(Duration::from_secs(2)), named("b"))
            .check_with(Sleep(Duration::from_secs(1)), named("c"))
            .build()
            .unwrap();
        let start = Instant::now();
        let report = registry.run(&Selection::all()).await.unwrap();
        // The slowest check, not the sum of all three (6 s).
        assert_eq!(start.elapsed().as_secs(), 3);
        assert_eq!(report.status(), HealthStatus::Healthy);
        let names: Vec<_> = report.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["a", "b", "c"],
            "registration order, not finishing order"
        );
        assert_eq!(report.checks[2].duration.as_secs(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_runner_enforces_the_timeout_and_drops_the_check() {
        let (check, runs, dropped_early) = counted(Duration::from_secs(60));
        let registry = Registry::builder()
            .check_with(
                check,
                CheckOptions::new().timeout(Duration::from_millis(1500)),
            )
            .build()
            .unwrap();
        let start = Instant::now();
        let report = registry.run(&Selection::all()).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
        assert_eq!(
            report.checks[0].outcome.text(),
            "unavailable: timed out after 1s 500ms"
        );
        assert_eq!(report.status(), HealthStatus::Unhealthy);
        tokio::task::yield_now().await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(
            dropped_early.load(Ordering::SeqCst),
            1,
            "the check's future was dropped"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_is_an_unknown_error_and_the_runner_lives_on() {
        let registry = Registry::builder()
            .check(Panics)
            .check(Sleep(Duration::ZERO))
            .build()
            .unwrap();
        for _ in 0..2 {
            let report = registry.run(&Selection::all()).await.unwrap();
            assert_eq!(
                report.checks[0].outcome.text(),
                "unknown error: internal error, see the service's logs"
            );
            assert!(report.checks[1].outcome.is_working());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_one_run() {
        let (check, runs, _) = counted(Duration::from_secs(1));
        let registry = Registry::builder().check(check).build().unwrap();
        let requests: Vec<_> = (0..50)
            .map(|_| {
                let registry = registry.clone();
                tokio::spawn(async move { registry.run(&Selection::all()).await.unwrap() })
            })
            .collect();
        let mut reports = Vec::new();
        for request in requests {
            reports.push(request.await.unwrap());
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "50 concurrent requests, one run"
        );
        assert!(reports.iter().all(|r| Arc::ptr_eq(r, &reports[0])));

        // A request after the run finished starts a fresh one.
        registry.run(&Selection::all()).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn different_selections_do_not_share_a_run() {
        let (check, runs, _) = counted(Duration::from_secs(1));
        let registry = Registry::builder()
            .check(check)
            .check(Sleep(Duration::ZERO))
            .build()
            .unwrap();
        let all = Selection::all();
        let one = Selection::all().only("Counted");
        let (a, b) = tokio::join!(registry.run(&all), registry.run(&one));
        assert_eq!(a.unwrap().checks.len(), 2);
        assert_eq!(b.unwrap().checks.len(), 1);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_request_does_not_cancel_the_shared_run() {
        let (check, runs, dropped_early) = counted(Duration::from_secs(2));
        let registry = Registry::builder().check(check).build().unwrap();
        let first = tokio::spawn({
            let registry = registry.clone();
            async move { registry.run(&Selection::all()).await }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let second = tokio::spawn({
            let registry = registry.clone();
            async move { registry.run(&Selection::all()).await }
        });
        first.abort();
        let report = second.await.unwrap().unwrap();
        assert!(report.checks[0].outcome.is_working());
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(dropped_early.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn history_is_bounded_and_ordered() {
        let registry = Registry::builder()
            .history_len(3)
            .check(Sleep(Duration::from_millis(10)))
            .build()
            .unwrap();
        let mut last = None;
        for _ in 0..5 {
            last = Some(registry.run(&Selection::all()).await.unwrap());
        }
        let history = &last.unwrap().checks[0].history;
        assert_eq!(history.len(), 3);
        assert!(
            history
                .windows(2)
                .all(|w| w[0].finished_at <= w[1].finished_at)
        );
    }
}
