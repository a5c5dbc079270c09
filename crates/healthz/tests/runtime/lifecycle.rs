//! The lifecycle groups: `startup` passes for good once its checks have worked once;
//! `ready` fails once a shutdown begins, while `live` keeps passing.

use std::time::Duration;

use healthz::{CheckOptions, HealthStatus, Registry, Selection};

use crate::Script;

fn lifecycle_registry(startup: &Script, ready: &Script) -> Registry {
    Registry::builder()
        .check_with(
            startup.clone(),
            CheckOptions::new().name("Migrations").tag("startup"),
        )
        .check_with(
            ready.clone(),
            CheckOptions::new().name("Database").tag("ready"),
        )
        .build()
        .unwrap()
}

/// The status of a request for `group`, or for every check with `None`.
async fn status(registry: &Registry, group: Option<&str>) -> HealthStatus {
    let selection = match group {
        Some(group) => Selection::all().group(group),
        None => Selection::all(),
    };
    registry.run(&selection).await.unwrap().status()
}

#[tokio::test(start_paused = true)]
async fn startup_passes_once_its_checks_worked_once_and_then_stops_running_them() {
    let startup = Script::new([Err("not migrated"), Ok(()), Err("database gone")]);
    let ready = Script::working();
    let registry = lifecycle_registry(&startup, &ready);

    assert_eq!(
        status(&registry, Some("startup")).await,
        HealthStatus::Unhealthy
    );
    assert_eq!(
        status(&registry, Some("startup")).await,
        HealthStatus::Healthy
    );
    assert_eq!(startup.runs(), 2);
    for _ in 0..5 {
        assert_eq!(
            status(&registry, Some("startup")).await,
            HealthStatus::Healthy
        );
    }
    assert_eq!(
        startup.runs(),
        2,
        "startup is over: nothing runs for its probe"
    );
    // The check itself still runs, and fails, on other requests.
    assert_eq!(status(&registry, None).await, HealthStatus::Unhealthy);
}

#[tokio::test(start_paused = true)]
async fn a_pending_background_check_keeps_startup_failing() {
    let slow = Script::working().taking(Duration::from_secs(2));
    let registry = Registry::builder()
        .check_with(
            slow.clone(),
            CheckOptions::new()
                .tag("startup")
                .interval(Duration::from_secs(60)),
        )
        .build()
        .unwrap();
    crate::settle().await;
    assert_eq!(
        status(&registry, Some("startup")).await,
        HealthStatus::Unhealthy
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    crate::settle().await;
    let report = registry
        .run(&Selection::all().group("startup"))
        .await
        .unwrap();
    assert_eq!(report.status(), HealthStatus::Healthy, "{report:?}");
}

#[tokio::test(start_paused = true)]
async fn once_shutdown_begins_ready_fails_and_live_passes() {
    let registry = lifecycle_registry(&Script::working(), &Script::working());
    assert_eq!(
        status(&registry, Some("ready")).await,
        HealthStatus::Healthy
    );
    assert!(!registry.is_shutting_down());

    registry.clone().begin_shutdown();
    assert!(registry.is_shutting_down());
    let ready = registry
        .run(&Selection::all().group("ready"))
        .await
        .unwrap();
    assert!(ready.shutting_down);
    assert_eq!(ready.status(), HealthStatus::Unhealthy);
    assert_eq!(status(&registry, Some("live")).await, HealthStatus::Healthy);
    assert_eq!(
        status(&registry, Some("startup")).await,
        HealthStatus::Healthy
    );
}
