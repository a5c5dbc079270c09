//! A blocking check that hangs holds one thread of Tokio's blocking pool, not one per
//! run: while its call is stuck, later runs report so at once and start no thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use healthz::{BlockingHealthCheck, CheckOptions, CheckResult, Registry, Selection};

/// Blocks on a channel until the test sends, counting the calls that entered.
struct Stuck {
    release: Mutex<mpsc::Receiver<()>>,
    entered: Arc<AtomicUsize>,
}

impl BlockingHealthCheck for Stuck {
    fn check_blocking(&self) -> CheckResult {
        self.entered.fetch_add(1, Ordering::SeqCst);
        // A closed channel (the test ended) releases too.
        let _ = self.release.lock().unwrap().recv();
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_blocking_check_starts_no_new_thread_until_it_returns() {
    let (release, released) = mpsc::channel();
    let entered = Arc::new(AtomicUsize::new(0));
    let check = Stuck {
        release: Mutex::new(released),
        entered: Arc::clone(&entered),
    };
    let registry = Registry::builder()
        .blocking_with(
            check,
            CheckOptions::new().timeout(Duration::from_millis(100)),
        )
        .build()
        .unwrap();

    let mut outcomes = Vec::new();
    for _ in 0..5 {
        let report = registry.run(&Selection::all()).await.unwrap();
        outcomes.push(report.checks[0].outcome.text());
    }
    assert_eq!(outcomes[0], "unavailable: timed out after 100ms");
    for later in &outcomes[1..] {
        assert!(
            later.starts_with("unavailable: the previous run is still running after "),
            "{outcomes:#?}"
        );
    }
    assert_eq!(
        entered.load(Ordering::SeqCst),
        1,
        "runs started threads while the first was stuck"
    );

    // Released, the stuck call returns and frees the check for the next run.
    release.send(()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let outcome = loop {
        release.send(()).unwrap();
        let report = registry.run(&Selection::all()).await.unwrap();
        let outcome = report.checks[0].outcome.text();
        if outcome == "working" || tokio::time::Instant::now() > deadline {
            break outcome;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(outcome, "working");
    assert_eq!(entered.load(Ordering::SeqCst), 2);
}
