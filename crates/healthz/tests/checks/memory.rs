//! `checks::MemoryUsage` on the machine's real memory.
use healthz::checks::MemoryUsage;
use healthz::{ErrorKind, HealthCheck};

/// The percentage in a `memory <percent>% used (…)` message.
fn percent_in(message: &str) -> f64 {
    message
        .strip_prefix("memory ")
        .and_then(|rest| rest.split("% used").next())
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn within_its_thresholds_it_works() {
    let check = MemoryUsage::new().warn_at(100.0).fail_at(100.0);
    assert_eq!(check.identifier(), "MemoryUsage");
    assert_eq!(check.component_type(), "system");
    check.check().await.unwrap();
}

#[tokio::test]
async fn above_the_warning_threshold_is_a_warning() {
    let error = MemoryUsage::new()
        .warn_at(0.0)
        .fail_at(100.0)
        .check()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Warning);
    assert!(
        error.message().ends_with("% used (warn at 0%)"),
        "{}",
        error.message()
    );
    let percent = percent_in(error.message());
    assert!(percent > 0.0 && percent < 100.0, "{}", error.message());
}

#[tokio::test]
async fn above_the_failure_threshold_is_unavailable() {
    let error = MemoryUsage::new().fail_at(0.0).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(
        error.message().ends_with("% used (fail at 0%)"),
        "{}",
        error.message()
    );
}

/// Used is `MemTotal - MemAvailable` from the kernel.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_percentage_agrees_with_proc_meminfo() {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let field = |name: &str| -> f64 {
        meminfo
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/meminfo"))
    };
    let expected = (field("MemTotal:") - field("MemAvailable:")) / field("MemTotal:") * 100.0;
    let error = MemoryUsage::new()
        .warn_at(0.0)
        .fail_at(100.0)
        .check()
        .await
        .unwrap_err();
    let ours = percent_in(error.message());
    // Other processes allocate between the two readings.
    assert!(
        (ours - expected).abs() < 2.0,
        "meminfo {expected:.1}%, check {ours}%"
    );
}

#[tokio::test]
async fn the_usage_is_an_observed_value() {
    let registry = healthz::Registry::builder()
        .check(MemoryUsage::new().warn_at(0.0))
        .build()
        .unwrap();
    let report = registry.run(&healthz::Selection::all()).await.unwrap();
    let check = &report.checks[0];
    let [usage] = check.observations.as_slice() else {
        panic!("{:?}", check.observations)
    };
    assert_eq!(usage.to_string().split(' ').next(), Some("usage"));
    let healthz::ObservedValue::Number(percent) = usage.value else {
        panic!("{usage:?}")
    };
    let message = check.outcome.message().unwrap();
    assert!(
        (percent - percent_in(message)).abs() < 0.05,
        "{percent} vs {message}"
    );
}
