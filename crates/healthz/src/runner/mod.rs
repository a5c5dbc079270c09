//! Runs checks: concurrently, each under its timeout, panics caught, and concurrent
//! requests sharing each check's run (single-flight per check); serves cached and
//! background results; damps flapping checks; tells subscribers of state changes; and
//! knows the service's lifecycle (startup, shutdown).
//!
//! The runner owns everything that changes while checks run (each check's results,
//! history and run in flight); the registry only describes the checks.

mod execute;
mod history;
mod lifecycle;
mod notify;
mod policy;
mod schedule;
mod shared;
mod single_flight;
mod state;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::SystemTime;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::registration::{Freshness, Registration};
use crate::report::{HealthStatus, Report};
use execute::{Run, run_check};
use lifecycle::Lifecycle;
pub(crate) use lifecycle::{READY, STARTUP};
use notify::Notifier;
pub use notify::Transition;
use shared::{Selected, Shared};
use state::Tracked;

pub(crate) struct Runner {
    checks: Vec<Tracked>,
    warnings_as_errors: bool,
    lifecycle: Lifecycle,
    notifier: Notifier,
    /// Whether the background checks' tasks were spawned.
    scheduled: AtomicBool,
    /// How many results it has recorded: a report made before the latest is outdated.
    generation: AtomicU64,
    /// The latest report that requests which run nothing may share.
    shared: Shared,
}

impl Runner {
    /// A runner for the registrations, each keeping its last `history_len` runs.
    pub(crate) fn new(
        registrations: Vec<Registration>,
        history_len: usize,
        warnings_as_errors: bool,
    ) -> Self {
        Self {
            checks: registrations
                .into_iter()
                .map(|registration| Tracked::new(registration, history_len))
                .collect(),
            warnings_as_errors,
            lifecycle: Lifecycle::default(),
            notifier: Notifier::default(),
            scheduled: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            shared: Shared::default(),
        }
    }

    /// The checks it runs, in registration order.
    pub(crate) fn registrations(&self) -> impl Iterator<Item = &Registration> + Clone {
        self.checks.iter().map(|check| &check.registration)
    }

    /// Starts the background checks on the current Tokio runtime, once; returns whether
    /// they run (`false` outside a runtime: the first run inside one starts them).
    pub(crate) fn start(self: &Arc<Self>) -> bool {
        if self.scheduled.load(Ordering::Acquire) {
            return true;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return false;
        }
        if !self.scheduled.swap(true, Ordering::AcqRel) {
            schedule::spawn(self);
        }
        true
    }

    /// A receiver of every state change from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Transition> {
        self.notifier.subscribe()
    }

    /// From now on the `ready` group fails: the service is shutting down.
    pub(crate) fn begin_shutdown(&self) {
        self.lifecycle.begin_shutdown();
    }

    /// Whether a shutdown has begun.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.lifecycle.is_shutting_down()
    }

    /// Reports the checks at `indices`, of the selection of `group`, in registration
    /// order: each one's fresh run (which concurrent requests share), cached result or
    /// latest background result, as its freshness says. All the runs it waits for
    /// proceed concurrently.
    ///
    /// Each check runs at most once at a time, whatever the selections of the requests
    /// that ask for it, so the load on a backend never grows with the request rate, nor
    /// with how many different `?check=` filters clients send. A request that runs
    /// nothing may get the report of an earlier one (see [`shared`]).
    pub(crate) async fn run(
        self: Arc<Self>,
        indices: Vec<usize>,
        group: Option<&str>,
    ) -> Arc<Report> {
        self.start();
        // Read before any result: a result recorded from now on outdates the report.
        let generation = self.generation.load(Ordering::Acquire);
        // Once startup is over, the startup probe passes without running anything.
        let started = group == Some(STARTUP) && self.startup_is_over();
        let waits: Vec<_> = indices
            .iter()
            .map(|&index| (!started).then(|| self.wait_for(index)).flatten())
            .collect();
        let shutting_down = group == Some(READY) && self.is_shutting_down();
        let shareable = waits.iter().all(Option::is_none).then_some(Selected {
            indices: &indices,
            group,
            started,
            shutting_down,
        });
        if let Some(selection) = shareable
            && let Some(report) = self.shared.get(selection, generation)
        {
            return report;
        }
        let started_at = SystemTime::now();
        let start = Instant::now();
        for (&index, wait) in indices.iter().zip(waits) {
            if let Some(wait) = wait
                && wait.published().await.is_none()
            {
                self.rerun(index).await;
            }
        }
        let checks = indices
            .iter()
            .map(|&index| {
                let mut report = self.checks[index].report(self.warnings_as_errors);
                if started {
                    report.status = HealthStatus::Healthy;
                }
                report
            })
            .collect();
        let report = Report::new(checks, started_at, start.elapsed());
        // A shutdown may have begun while the checks ran.
        let shutting_down = group == Some(READY) && self.is_shutting_down();
        let report = Arc::new(if shutting_down {
            report.shutting_down()
        } else {
            report
        });
        if let Some(selection) = shareable {
            let selection = Selected {
                shutting_down,
                ..selection
            };
            self.shared.keep(selection, generation, &report);
        }
        report
    }

    /// Whether every check tagged `startup` has worked once (then or before).
    fn startup_is_over(&self) -> bool {
        self.lifecycle.started(|| {
            self.checks
                .iter()
                .filter(|check| check.registration.tags.iter().any(|tag| tag == STARTUP))
                .all(Tracked::has_worked)
        })
    }

    /// What a request must wait for before it reports check `index`: a run it joins
    /// or starts, or nothing when the latest result will do.
    fn wait_for(self: &Arc<Self>, index: usize) -> Option<single_flight::Receiver<()>> {
        let check = &self.checks[index];
        match check.registration.freshness {
            Freshness::OnRequest => Some(self.join_or_start(index)),
            Freshness::Cached { ttl, serve_stale } => match check.age() {
                Some(age) if age < ttl => None,
                Some(_) if serve_stale => {
                    // The run refreshes the result for the next requests; this one gets
                    // the previous result, marked with its age.
                    drop(self.join_or_start(index));
                    None
                }
                _ => Some(self.join_or_start(index)),
            },
            Freshness::Background { .. } => None,
        }
    }

    /// Joins the check's run in flight, or starts one.
    fn join_or_start(self: &Arc<Self>, index: usize) -> single_flight::Receiver<()> {
        let runner = Arc::clone(self);
        self.checks[index]
            .in_flight
            .join_or_start(move || async move {
                let run = run_check(&runner.checks[index].registration).await;
                runner.record(index, &run);
            })
    }

    /// Runs the check now, or joins its run in flight, and waits for it.
    async fn refresh(self: &Arc<Self>, index: usize) {
        if self.join_or_start(index).published().await.is_none() {
            self.rerun(index).await;
        }
    }

    /// Runs a check whose shared run ended without a result (its task was dropped with a
    /// runtime that is shutting down): in a fresh shared run if one can start, else
    /// right here.
    async fn rerun(self: &Arc<Self>, index: usize) {
        if self.join_or_start(index).published().await.is_some() {
            return;
        }
        let run = run_check(&self.checks[index].registration).await;
        self.record(index, &run);
    }

    /// Keeps a run's result, and tells of the state change it makes, if any.
    fn record(&self, index: usize, run: &Run) {
        let check = &self.checks[index];
        let name = &check.registration.name;
        let change = check.record(run);
        self.generation.fetch_add(1, Ordering::AcqRel);
        match change {
            Some(change) => self.notifier.send(
                Transition {
                    check: name.clone(),
                    from: change.from,
                    to: change.to.state(),
                    outcome: change.to,
                    critical: check.registration.critical,
                    at: run.finished_at,
                },
                &run.result,
            ),
            None => notify::log_unchanged(name, &run.result),
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
        let one = Selection::all().check("Counted");
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
