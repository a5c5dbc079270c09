//! Flap damping through the registry: reported outcomes, the damping note, the raw
//! history.

use healthz::{CheckOptions, Damping, HealthStatus};

use crate::{Script, one, registry_of};

#[tokio::test(start_paused = true)]
async fn failures_are_damped_until_the_threshold_and_the_history_keeps_them_all() {
    let check = Script::new([
        Err("connection refused"),
        Err("connection refused"),
        Err("connection refused"),
        Ok(()),
        Ok(()),
    ]);
    let options = CheckOptions::new()
        .failure_threshold(3)
        .success_threshold(2);
    let registry = registry_of(&check, options);

    let first = one(&registry).await;
    assert!(first.outcome.is_working());
    assert_eq!(first.status, HealthStatus::Healthy);
    assert_eq!(
        first.damping,
        Some(Damping::Failures {
            failures: 1,
            threshold: 3
        })
    );
    assert_eq!(first.outcome_text(), "working (1 of 3 failures)");
    assert_eq!(
        one(&registry).await.outcome_text(),
        "working (2 of 3 failures)"
    );

    let failing = one(&registry).await;
    assert_eq!(failing.outcome_text(), "unavailable: connection refused");
    assert_eq!(failing.status, HealthStatus::Unhealthy);

    let recovering = one(&registry).await;
    assert_eq!(
        recovering.outcome_text(),
        "unavailable: connection refused (1 of 2 successes)"
    );
    assert_eq!(recovering.status, HealthStatus::Unhealthy);
    let working = one(&registry).await;
    assert_eq!(working.outcome_text(), "working");

    let kinds: Vec<bool> = working
        .history
        .iter()
        .map(|run| run.error_kind.is_none())
        .collect();
    assert_eq!(kinds, [false, false, false, true, true], "every raw result");
}
