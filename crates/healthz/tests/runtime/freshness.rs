//! When checks run: on request (shared), cached with a TTL (with or without
//! serve-stale), or in the background (pending, stale, jitter).

use std::sync::Arc;
use std::time::Duration;

use healthz::{CheckOptions, HealthStatus, Mode, Outcome, Selection};
use tokio::time::{Instant, advance};

use crate::{Script, one, registry_of, settle};

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn a_cached_result_is_served_until_its_ttl_then_refreshed_once() {
    let check = Script::working().taking(SECOND);
    let registry = registry_of(
        &check,
        CheckOptions::new().cache_ttl(Duration::from_secs(30)),
    );
    let first = one(&registry).await;
    assert_eq!((check.runs(), first.age), (1, Duration::ZERO));
    assert_eq!(
        first.mode,
        Mode::Cached {
            ttl: Duration::from_secs(30)
        }
    );

    advance(Duration::from_secs(10)).await;
    let cached = one(&registry).await;
    assert_eq!(check.runs(), 1, "served from memory");
    assert_eq!(cached.age, Duration::from_secs(10));
    assert_eq!(cached.finished_at, first.finished_at);

    advance(Duration::from_secs(25)).await;
    // Expired: concurrent requests wait for one shared run.
    let (a, b) = tokio::join!(one(&registry), one(&registry));
    assert_eq!(check.runs(), 2);
    assert_eq!((a.age, b.age), (Duration::ZERO, Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn serve_stale_answers_at_once_with_the_old_result_while_one_run_refreshes_it() {
    let check = Script::working().taking(Duration::from_secs(2));
    let options = CheckOptions::new()
        .cache_ttl(Duration::from_secs(30))
        .serve_stale(true);
    let registry = registry_of(&check, options);
    one(&registry).await;
    check.then([Err("connection refused")]);
    advance(Duration::from_secs(40)).await;

    let start = Instant::now();
    let stale = one(&registry).await;
    assert_eq!(start.elapsed(), Duration::ZERO, "no wait for the backend");
    assert!(stale.outcome.is_working(), "the previous result");
    assert_eq!(stale.age, Duration::from_secs(40));
    let again = one(&registry).await;
    assert_eq!(again.age, Duration::from_secs(40));
    settle().await;
    assert_eq!(check.runs(), 2, "one refresh for both requests");

    advance(Duration::from_secs(2)).await;
    settle().await;
    let fresh = one(&registry).await;
    assert_eq!(fresh.outcome.text(), "unavailable: connection refused");
    assert_eq!(fresh.age, Duration::ZERO);
    assert_eq!(check.runs(), 2);
}

#[tokio::test(start_paused = true)]
async fn serve_stale_waits_when_there_is_no_result_yet() {
    let check = Script::working().taking(SECOND);
    let options = CheckOptions::new().cache_ttl(SECOND).serve_stale(true);
    let registry = registry_of(&check, options);
    let start = Instant::now();
    assert!(one(&registry).await.outcome.is_working());
    assert_eq!(start.elapsed(), SECOND);
}

#[tokio::test(start_paused = true)]
async fn a_background_check_is_pending_then_read_without_waiting() {
    let check = Script::working().taking(Duration::from_secs(2));
    let registry = registry_of(
        &check,
        CheckOptions::new().interval(Duration::from_secs(10)),
    );
    settle().await;
    assert_eq!(check.runs(), 1, "started with the registry");

    let start = Instant::now();
    let pending = one(&registry).await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(pending.outcome, Outcome::Pending);
    assert_eq!(pending.outcome.text(), "pending");
    assert_eq!(
        pending.status,
        HealthStatus::Unhealthy,
        "pending counts as failing"
    );
    assert_eq!(pending.finished_at, None);
    assert_eq!(
        pending.mode,
        Mode::Background {
            interval: Duration::from_secs(10)
        }
    );

    advance(Duration::from_secs(2)).await;
    settle().await;
    let done = one(&registry).await;
    assert!(done.outcome.is_working());
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(check.runs(), 1, "requests never run it");
}

#[tokio::test(start_paused = true)]
async fn requests_that_run_nothing_share_a_report_until_a_new_result_or_10_ms() {
    let check = Script::working();
    let registry = registry_of(
        &check,
        CheckOptions::new().interval(Duration::from_secs(10)),
    );
    let all = Selection::all();
    registry.run(&all).await.unwrap();
    settle().await;
    let first = registry.run(&all).await.unwrap();
    assert!(first.checks[0].outcome.is_working());
    let second = registry.run(&all).await.unwrap();
    assert!(Arc::ptr_eq(&first, &second), "the same report, shared");
    let filtered = registry
        .run(&Selection::all().check("Script"))
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&first, &filtered), "the same checks selected");

    advance(Duration::from_millis(10)).await;
    let later = registry.run(&all).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &later), "made again after 10 ms");
    assert_eq!(later.checks[0].age, Duration::from_millis(10));

    // The next background result (9 to 11 s after the first, with the jitter): a new
    // report at once, with the new result.
    check.then([Err("connection refused")]);
    let shared = registry.run(&all).await.unwrap();
    advance(Duration::from_secs(11) - Duration::from_millis(10)).await;
    settle().await;
    assert_eq!(check.runs(), 2);
    let renewed = registry.run(&all).await.unwrap();
    assert!(!Arc::ptr_eq(&shared, &renewed));
    assert_eq!(
        renewed.checks[0].outcome.text(),
        "unavailable: connection refused"
    );
}

#[tokio::test(start_paused = true)]
async fn requests_that_run_a_check_never_share_a_report() {
    let check = Script::working();
    let registry = registry_of(&check, CheckOptions::new());
    let all = Selection::all();
    let first = registry.run(&all).await.unwrap();
    let second = registry.run(&all).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(check.runs(), 2);
}

#[tokio::test(start_paused = true)]
async fn background_runs_follow_the_interval_with_jitter_not_the_requests() {
    let check = Script::working();
    let registry = registry_of(
        &check,
        CheckOptions::new().interval(Duration::from_secs(10)),
    );
    settle().await;
    for _ in 0..100 {
        one(&registry).await;
    }
    assert_eq!(check.runs(), 1);
    // Each wait is 9 to 11 seconds: after 8 s no second run, after 100 s 9 to 11 runs.
    advance(Duration::from_secs(8)).await;
    settle().await;
    assert_eq!(check.runs(), 1);
    for _ in 0..92 {
        advance(SECOND).await;
        settle().await;
    }
    assert!(
        (10..=12).contains(&check.runs()),
        "{} runs in 100 s",
        check.runs()
    );
}

#[tokio::test(start_paused = true)]
async fn a_stale_result_says_how_old_it_is() {
    // A run that outlasts `stale-after`: the result before it goes stale.
    let check = Script::working();
    let slow = Script::new([Ok(())]).taking(Duration::from_secs(100));
    let registry = healthz::Registry::builder()
        .check_with(
            check.clone(),
            CheckOptions::new()
                .name("Fast")
                .interval(Duration::from_secs(10)),
        )
        .check_with(
            slow.clone(),
            CheckOptions::new()
                .name("Slow")
                .interval(Duration::from_secs(10))
                .stale_after(Duration::from_secs(30))
                .timeout(Duration::from_secs(200)),
        )
        .build()
        .unwrap();
    settle().await;
    advance(Duration::from_secs(100)).await;
    settle().await;
    // Slow finished its first run at 100 s and started its second around 110 s.
    advance(Duration::from_secs(47)).await;
    settle().await;
    let report = registry.run(&healthz::Selection::all()).await.unwrap();
    let slow_report = &report.checks[1];
    assert_eq!(
        slow_report.outcome.text(),
        "unavailable: stale: last result 47s ago"
    );
    assert_eq!(report.status(), HealthStatus::Unhealthy);
    assert!(report.checks[0].outcome.is_working());
}

#[tokio::test]
async fn options_that_contradict_each_other_are_build_errors() {
    use healthz::{BuildRule, Registry};
    let cases = [
        (
            CheckOptions::new().cache_ttl(SECOND).interval(SECOND),
            "cache_ttl",
        ),
        (CheckOptions::new().interval(Duration::ZERO), "interval"),
        (CheckOptions::new().serve_stale(true), "serve_stale"),
        (CheckOptions::new().stale_after(SECOND), "stale_after"),
        (
            CheckOptions::new()
                .interval(Duration::from_secs(10))
                .stale_after(SECOND),
            "stale_after",
        ),
        (
            CheckOptions::new().failure_threshold(0),
            "failure_threshold",
        ),
        (
            CheckOptions::new().success_threshold(0),
            "success_threshold",
        ),
    ];
    for (options, expected) in cases {
        let error = Registry::builder()
            .check_with(Script::working(), options)
            .build()
            .unwrap_err();
        assert!(
            matches!(error.rule, BuildRule::InvalidOption { option, .. } if option == expected),
            "{error}"
        );
    }
}
