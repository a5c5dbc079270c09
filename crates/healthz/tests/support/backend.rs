//! Setup shared by the backend integration tests: where the test servers are, the
//! opt-out, the check that a server answers, running one check, and the failure-mode
//! tests every backend check goes through.

// Each test binary includes this file and uses only some of it.
#![allow(dead_code)]

use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use healthz::{CheckOptions, HealthCheck, Registry, Report, Selection};

/// The variable that opts out of backend tests: a comma-separated list of services, or
/// `all`. CI never sets it.
pub(crate) const SKIP_VAR: &str = "HEALTHZ_SKIP_BACKEND_TESTS";

/// How to start most test servers, for [`require`].
pub(crate) const START: &str = "Start it with scripts/services.sh.";

/// The value of the variable `var`, or `default` when it is not set.
pub(crate) fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// Whether the tests of `service` are explicitly opted out (and says so).
pub(crate) fn skipped(service: &str) -> bool {
    let skip = std::env::var(SKIP_VAR).unwrap_or_default();
    let skipped = skip
        .split(',')
        .any(|s| s.trim() == service || s.trim() == "all");
    if skipped {
        eprintln!("skipped: {SKIP_VAR}={skip}");
    }
    skipped
}

/// The server of `service`: the value of `var` (`default` when unset), or `None` when
/// these tests are explicitly opted out.
pub(crate) fn server(service: &str, var: &str, default: &str) -> Option<String> {
    if skipped(service) {
        return None;
    }
    Some(env_or(var, default))
}

/// Fails the test, naming the service, unless `probe` succeeds within 10 s; returns
/// what it made. `at` is where the service was looked for, `var` the variable that
/// sets it, and `start` the sentence that says how to start it.
pub(crate) async fn require<T, E: Display>(
    service: &str,
    at: impl Display,
    var: &str,
    start: &str,
    probe: impl Future<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(Duration::from_secs(10), probe).await {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => panic!("{service} is not usable at {at} ({var}): {error}. {start}"),
        Err(_) => panic!("{service} at {at} ({var}) did not answer within 10 s"),
    }
}

/// `url` with the database and the user replaced.
pub(crate) fn with_user_and_database(url: &str, user_info: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = host_and_path.split(['/', '?']).next().unwrap();
    format!("{scheme}://{user_info}@{host}/{database}")
}

/// Runs `check` alone under `timeout`; returns the report and how long the run took.
pub(crate) async fn run_one(check: impl HealthCheck, timeout: Duration) -> (Arc<Report>, Duration) {
    let registry = Registry::builder()
        .check_with(check, CheckOptions::new().timeout(timeout))
        .build()
        .unwrap();
    let start = Instant::now();
    let report = registry.run(&Selection::all()).await.unwrap();
    (report, start.elapsed())
}

/// The outcome of the report's first check.
pub(crate) fn text(report: &Report) -> String {
    report.checks[0].outcome.text()
}

/// The outcome of `check` run alone under a 5 s timeout.
pub(crate) async fn outcome(check: impl HealthCheck) -> String {
    let (report, _) = run_one(check, Duration::from_secs(5)).await;
    text(&report)
}

/// Serves `router` on a free loopback port for the rest of the test.
pub(crate) async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Runs `check`, pointed where nothing listens, under a 10 s timeout and fails the
/// test unless it gave up within 5 s; returns its outcome.
pub(crate) async fn nothing_listening(check: impl HealthCheck) -> String {
    let (report, took) = run_one(check, Duration::from_secs(10)).await;
    eprintln!("nothing listening: {took:?}: {}", text(&report));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    text(&report)
}

/// Fails the test unless `text` says the connection was refused.
pub(crate) fn assert_refused(text: &str) {
    assert!(text.starts_with("unavailable: cannot connect: "), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
}

/// Runs `hung_check` (named `<name>[hung]`, pointed at a hung listener) next to the
/// working `check` (named `name`) twice, and fails the test unless the hung one times
/// out after 1 s while the other works, the hung `server` (what the message calls it)
/// was reached (`hung_accepted` counts its connections), and a run of only the working
/// check is not held up by anything left over (it takes less than `free_within`).
/// With `explain`, the working check's outcome is in the failure messages.
pub(crate) async fn assert_hung_times_out_and_frees_the_runner(
    hung_accepted: impl Fn() -> usize,
    hung_check: impl HealthCheck,
    check: impl HealthCheck,
    name: &str,
    server: &str,
    free_within: Duration,
    explain: bool,
) {
    let registry = Registry::builder()
        .check_with(
            hung_check,
            CheckOptions::new()
                .name(format!("{name}[hung]"))
                .timeout(Duration::from_secs(1)),
        )
        .check(check)
        .build()
        .unwrap();
    for _ in 0..2 {
        let start = Instant::now();
        let report = registry.run(&Selection::all()).await.unwrap();
        let took = start.elapsed();
        eprintln!("hung: {took:?}: {}", text(&report));
        assert!(took < Duration::from_secs(5), "took {took:?}");
        assert_eq!(text(&report), "unavailable: timed out after 1s");
        if explain {
            assert!(
                report.checks[1].outcome.is_working(),
                "{}",
                report.checks[1].outcome.text()
            );
        } else {
            assert!(report.checks[1].outcome.is_working());
        }
    }
    assert!(
        hung_accepted() >= 1,
        "the check did reach the hung {server}"
    );

    // A run of only the working check is not held up by anything left over.
    let start = Instant::now();
    let report = registry.run(&Selection::all().check(name)).await.unwrap();
    if explain {
        assert!(report.checks[0].outcome.is_working(), "{}", text(&report));
    } else {
        assert!(report.checks[0].outcome.is_working());
    }
    assert!(start.elapsed() < free_within);
}

/// How many established TCP connections to `port` this machine has (Linux).
pub(crate) fn established_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<_> = line.split_whitespace().collect();
            // `rem_address` is `IP:PORT` in hex; state 01 is ESTABLISHED.
            fields.get(2).and_then(|remote| remote.rsplit(':').next())
                == Some(format!("{port:04X}").as_str())
                && fields.get(3) == Some(&"01")
        })
        .count()
}

/// Asserts that every check of the report works, naming the first that does not.
pub(crate) fn assert_all_working(report: &Report) {
    for check in &report.checks {
        assert!(
            check.outcome.is_working(),
            "{}: {}",
            check.name,
            check.outcome.text()
        );
    }
}
