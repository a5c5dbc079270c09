//! Runs checks: concurrently, each under its timeout, panics caught, and concurrent
//! requests sharing each check's run (single-flight per check).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::{CheckError, ErrorKind};
use crate::redact::Redactor;
use crate::registry::Entry;
use crate::report::{CheckReport, HistoryEntry, Outcome, Report, check_status};

/// The pending result of a check's run in flight, which every request that needs the
/// check waits on; `None` between runs.
#[derive(Default)]
pub(crate) struct InFlight(Mutex<Option<watch::Receiver<Option<CheckReport>>>>);

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<watch::Receiver<Option<CheckReport>>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct Runner {
    entries: Vec<Entry>,
    warnings_as_errors: bool,
}

impl Runner {
    pub(crate) fn new(entries: Vec<Entry>, warnings_as_errors: bool) -> Self {
        Self {
            entries,
            warnings_as_errors,
        }
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Runs the selected entries concurrently and reports them in registration order.
    ///
    /// Each check runs at most once at a time, whatever the selections of the requests
    /// that ask for it: a request joins the check's run in flight, or starts one. So the
    /// load on a backend never grows with the request rate, nor with how many different
    /// `?check=` filters clients send.
    pub(crate) async fn run_shared(self: Arc<Self>, indices: Vec<usize>) -> Arc<Report> {
        let started_at = SystemTime::now();
        let start = Instant::now();
        // Join or start every run first, so that they all proceed concurrently.
        let receivers: Vec<_> = indices
            .iter()
            .map(|&index| self.join_or_lead(index))
            .collect();
        let mut checks = Vec::with_capacity(indices.len());
        for (&index, receiver) in indices.iter().zip(receivers) {
            checks.push(Arc::clone(&self).result(index, receiver).await);
        }
        Arc::new(Report::new(checks, started_at, start.elapsed()))
    }

    /// The receiver of the check's run in flight, starting a run when there is none.
    ///
    /// The run is a spawned task, so a client that disconnects does not cancel the run
    /// that other requests are waiting on.
    fn join_or_lead(self: &Arc<Self>, index: usize) -> watch::Receiver<Option<CheckReport>> {
        let mut in_flight = self.entries[index].in_flight.lock();
        if let Some(receiver) = in_flight.as_ref() {
            return receiver.clone();
        }
        let (sender, receiver) = watch::channel(None);
        *in_flight = Some(receiver.clone());
        tokio::spawn(Arc::clone(self).lead(index, sender));
        receiver
    }

    async fn result(
        self: Arc<Self>,
        index: usize,
        receiver: watch::Receiver<Option<CheckReport>>,
    ) -> CheckReport {
        if let Some(report) = published(receiver).await {
            return report;
        }
        // The leading task was dropped unfinished (its runtime is shutting down) and
        // its guard emptied the slot: share a fresh run if one can start, else run here.
        if let Some(report) = published(self.join_or_lead(index)).await {
            return report;
        }
        let entry = &self.entries[index];
        let (result, duration, finished_at) = run_check(entry).await;
        self.record(entry, &result, duration, finished_at)
    }

    /// Runs the check, records it, and publishes the report to the waiting requests.
    async fn lead(self: Arc<Self>, index: usize, sender: watch::Sender<Option<CheckReport>>) {
        // Clears the slot however the run ends, cancellation included: a slot left
        // pointing at a dead run would make every later request wait on it in vain.
        let clear = ClearOnDrop {
            runner: Arc::clone(&self),
            index,
        };
        let entry = &self.entries[index];
        let (result, duration, finished_at) = run_check(entry).await;
        let report = self.record(entry, &result, duration, finished_at);
        // Leave the slot before publishing: a request arriving from now on starts a
        // fresh run instead of reading this finished one.
        drop(clear);
        sender.send_replace(Some(report));
    }

    fn record(
        &self,
        entry: &Entry,
        result: &Result<(), CheckError>,
        duration: Duration,
        finished_at: SystemTime,
    ) -> CheckReport {
        let outcome = Outcome::from_result(result);
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

/// The report a run publishes; `None` when its task ended without one.
async fn published(mut receiver: watch::Receiver<Option<CheckReport>>) -> Option<CheckReport> {
    let report = receiver.wait_for(Option::is_some).await.ok()?;
    report.clone()
}

/// Empties an entry's in-flight slot when dropped.
struct ClearOnDrop {
    runner: Arc<Runner>,
    index: usize,
}

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        *self.runner.entries[self.index].in_flight.lock() = None;
    }
}

/// Runs one check under its timeout, with a panic caught by the check's own task;
/// returns the result, how long it took and when it finished.
async fn run_check(entry: &Entry) -> (Result<(), CheckError>, Duration, SystemTime) {
    let check = Arc::clone(&entry.check);
    let start = Instant::now();
    let task = AbortOnDrop(tokio::spawn(async move { check.check_boxed().await }));
    let result = match tokio::time::timeout(entry.timeout, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join_error)) => Err(CheckError::from_join_error(join_error)),
        // Dropping the task aborted the check: its connection attempt stops here.
        Err(_elapsed) => Err(CheckError::unavailable(format!(
            "timed out after {}",
            humantime::format_duration(entry.timeout)
        ))),
    };
    (result, start.elapsed(), SystemTime::now())
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

/// Logs every change of state, so that a log tells when a backend went down and came
/// back. An unknown error's text, shown nowhere else, is logged (redacted) when the
/// check starts failing with it, and at debug level on the runs after.
fn log_result(entry: &Entry, result: &Result<(), CheckError>, previous: Option<Option<ErrorKind>>) {
    let check = entry.name.as_str();
    let now = result.as_ref().err().map(CheckError::kind);
    let changed = previous != Some(now);
    match result {
        Ok(()) if changed => tracing::info!(check, "check is working"),
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::UnknownError => {
            let redactor = Redactor::default();
            let text = redactor.redact(error.message());
            let source = error
                .source()
                .map(|source| redactor.redact(&source.to_string()));
            if changed {
                tracing::error!(check, error = %text, source, "check is failing with an unknown error");
            } else {
                tracing::debug!(check, error = %text, source, "check is still failing with an unknown error");
            }
        }
        Err(error) if changed => {
            tracing::warn!(check, kind = %error.kind(), message = error.public_message(), "check is failing");
        }
        Err(_) => {}
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
        let first = &reports[0].checks[0];
        assert!(
            reports
                .iter()
                .all(|r| r.checks[0].finished_at == first.finished_at)
        );
        assert_eq!(first.history.len(), 1, "one run recorded");

        // A request after the run finished starts a fresh one.
        registry.run(&Selection::all()).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn overlapping_selections_share_each_checks_run() {
        let (check, runs, _) = counted(Duration::from_secs(1));
        let registry = Registry::builder()
            .check(check)
            .check(Sleep(Duration::ZERO))
            .build()
            .unwrap();
        let all = Selection::all();
        let one = Selection::all().only("Counted");
        let excluding = Selection::all().exclude("Sleep");
        let (a, b, c) = tokio::join!(
            registry.run(&all),
            registry.run(&one),
            registry.run(&excluding)
        );
        assert_eq!(a.unwrap().checks.len(), 2);
        assert_eq!(b.unwrap().checks.len(), 1);
        assert_eq!(c.unwrap().checks.len(), 1);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "filters cannot multiply the load on a backend"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn finish_times_are_each_checks_own() {
        let registry = Registry::builder()
            .check_with(Sleep(Duration::from_secs(5)), named("slow"))
            .check_with(Sleep(Duration::ZERO), named("fast"))
            .build()
            .unwrap();
        let report = registry.run(&Selection::all()).await.unwrap();
        let (slow, fast) = (&report.checks[0], &report.checks[1]);
        // The paused clock does not move SystemTime, so compare the order of the real
        // finish times: the fast check finished before the slow one, although it is
        // reported after it.
        assert!(fast.finished_at <= slow.finished_at);
        assert_eq!(fast.duration, Duration::ZERO);
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

    #[test]
    fn a_run_cut_off_by_its_runtime_shutting_down_leaves_single_flight_working() {
        let (check, runs, _) = counted(Duration::from_millis(300));
        let registry = Registry::builder().check(check).build().unwrap();
        let first = tokio::runtime::Runtime::new().unwrap();
        first.block_on(async {
            let all = Selection::all();
            let cut_short = tokio::time::timeout(Duration::from_millis(50), registry.run(&all));
            assert!(cut_short.await.is_err());
        });
        // Dropping the runtime drops the leading task half-way through its run.
        drop(first);

        let second = tokio::runtime::Runtime::new().unwrap();
        second.block_on(async {
            let requests: Vec<_> = (0..10)
                .map(|_| {
                    let registry = registry.clone();
                    tokio::spawn(async move { registry.run(&Selection::all()).await.unwrap() })
                })
                .collect();
            for request in requests {
                assert!(request.await.unwrap().checks[0].outcome.is_working());
            }
        });
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "the cut-off run, then one run shared by the ten requests"
        );
    }
}
