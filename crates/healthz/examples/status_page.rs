//! Serves a status page with a check in every state, for looking at the page and for
//! the browser test in `tests/browser/`.
//!
//! ```text
//! cargo run -p healthz --example status_page -- 8000
//! ```
//!
//! The port is the first argument (0, the default, picks a free one); the address is
//! printed as `listening on http://ADDR/ht/` once the server accepts connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use healthz::{
    CheckError, CheckOptions, CheckResult, Endpoint, HealthCheck, Observation, Registry, Selection,
    observe,
};

/// How many runs happen before serving, so every sparkline has a history to draw.
const WARM_UP_RUNS: usize = 20;

/// Works, after a few milliseconds of pretend work, and observes a value.
struct Working;

impl HealthCheck for Working {
    async fn check(&self) -> CheckResult {
        pretend_work().await;
        observe(Observation::number("connections", 42.0).unit("open"));
        Ok(())
    }
}

/// Works for its first runs, then fails with its error on every run after: the page
/// is the same on every request, and the sparklines show the change.
struct BreaksAfter {
    working_runs: usize,
    runs: AtomicUsize,
    error: fn() -> CheckError,
}

impl BreaksAfter {
    fn new(working_runs: usize, error: fn() -> CheckError) -> Self {
        Self {
            working_runs,
            runs: AtomicUsize::new(0),
            error,
        }
    }
}

impl HealthCheck for BreaksAfter {
    async fn check(&self) -> CheckResult {
        pretend_work().await;
        if self.runs.fetch_add(1, Ordering::Relaxed) < self.working_runs {
            Ok(())
        } else {
            Err((self.error)())
        }
    }
}

async fn pretend_work() {
    tokio::time::sleep(Duration::from_millis(fastrand::u64(1..40))).await;
}

#[tokio::main]
async fn main() {
    let port: u16 = match std::env::args().nth(1) {
        Some(port) => port.parse().expect("the first argument is a port number"),
        None => 0,
    };
    let registry = Registry::builder()
        .check_with(
            Working,
            CheckOptions::new()
                .name("DatabaseBackend")
                .tags(["ready", "db"]),
        )
        .check_with(
            BreaksAfter::new(8, || CheckError::warning("91% of the disk is used")),
            CheckOptions::new().name("DiskUsage"),
        )
        .check_with(
            BreaksAfter::new(15, || {
                CheckError::unavailable(concat!(
                    r#"<script>alert(1)</script> & "quotes" in a long message: "#,
                    "connection-refused-by-cache-1.internal.example.com:6379-after-3-retries",
                ))
            }),
            CheckOptions::new().name("CacheBackend"),
        )
        .check_with(
            BreaksAfter::new(0, || CheckError::unexpected_result("read back other bytes")),
            CheckOptions::new().name("<b>Tricky</b>").critical(false),
        )
        .check_with(
            // Fails on its first and only run (the rest of the page's life is served
            // from the cache): reported working, its failure counted.
            BreaksAfter::new(0, || CheckError::unavailable("connection reset by peer")),
            CheckOptions::new()
                .name("Queue")
                .failure_threshold(3)
                .cache_ttl(Duration::from_secs(3600)),
        )
        .check_with(
            Working,
            CheckOptions::new()
                .name("Replica")
                .critical(false)
                .interval(Duration::from_secs(2)),
        )
        .build()
        .expect("the names are unique");
    for _ in 0..WARM_UP_RUNS {
        registry
            .run(&Selection::all())
            .await
            .expect("every check is selected");
    }
    let app = Endpoint::new(registry).router("/ht/");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    let address = listener
        .local_addr()
        .expect("a bound socket has an address");
    println!("listening on http://{address}/ht/");
    axum::serve(listener, app).await.expect("the server runs");
}
