//! `checks::DiskUsage` on the machine's real file systems.
use std::path::Path;

use healthz::checks::DiskUsage;
use healthz::{ErrorKind, HealthCheck};

/// The percentage in a `disk <mount> <percent>% full (…)` message.
fn percent_in(message: &str) -> f64 {
    let before = message.split("% full").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_root_file_system_within_its_thresholds_works() {
    let check = DiskUsage::new("/").warn_at(100.0).fail_at(100.0);
    assert_eq!(check.identifier(), "DiskUsage");
    assert_eq!(check.component_type(), "system");
    check.check().await.unwrap();
}

#[tokio::test]
async fn above_the_warning_threshold_is_a_warning() {
    let error = DiskUsage::new("/")
        .warn_at(0.0)
        .fail_at(100.0)
        .check()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Warning);
    let message = error.message();
    assert!(message.starts_with("disk / "), "{message}");
    assert!(message.ends_with("% full (warn at 0%)"), "{message}");
    let percent = percent_in(message);
    assert!((0.0..=100.0).contains(&percent), "{message}");
}

#[tokio::test]
async fn above_the_failure_threshold_is_unavailable() {
    let error = DiskUsage::new("/").fail_at(0.0).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(
        error.message().ends_with("% full (fail at 0%)"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn the_message_names_the_mount_point_above_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let error = DiskUsage::new(dir.path())
        .warn_at(0.0)
        .fail_at(100.0)
        .check()
        .await
        .unwrap_err();
    let message = error.message();
    let mount = message
        .strip_prefix("disk ")
        .and_then(|rest| rest.rsplit_once("% full"))
        .and_then(|(before, _)| before.rsplit_once(' '))
        .map(|(mount, _)| mount)
        .unwrap();
    let canonical = dir.path().canonicalize().unwrap();
    assert!(canonical.starts_with(Path::new(mount)), "{message}");
}

#[tokio::test]
async fn a_missing_path_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("data");
    let error = DiskUsage::new(&missing).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        format!("path {} does not exist", missing.display())
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_file_system_without_a_size_is_an_unexpected_result() {
    let error = DiskUsage::new("/proc/self").check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedResult);
    assert_eq!(error.message(), "file system /proc reports a size of zero");
}

/// The percentage is `df`'s `Use%` (which `df` rounds up to a whole number).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_percentage_agrees_with_df() {
    let output = std::process::Command::new("df")
        .args(["-P", "/"])
        .output()
        .expect("df runs");
    let text = String::from_utf8(output.stdout).unwrap();
    let capacity = text
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().nth(4))
        .and_then(|field| field.strip_suffix('%'))
        .and_then(|field| field.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("unexpected df output: {text}"));
    let error = DiskUsage::new("/")
        .warn_at(0.0)
        .fail_at(100.0)
        .check()
        .await
        .unwrap_err();
    let ours = percent_in(error.message());
    // Other processes write between the two readings: allow a point either way.
    assert!(
        (ours.ceil() - capacity).abs() <= 1.0,
        "df says {capacity}%, the check {ours}%"
    );
}

#[tokio::test]
async fn the_usage_is_an_observed_value() {
    let registry = healthz::Registry::builder()
        .check(DiskUsage::new("/").warn_at(0.0))
        .build()
        .unwrap();
    let report = registry.run(&healthz::Selection::all()).await.unwrap();
    let check = &report.checks[0];
    let [usage] = check.observations.as_slice() else {
        panic!("{:?}", check.observations)
    };
    assert_eq!(usage.measurement, "usage");
    assert_eq!(usage.unit.as_deref(), Some("percent"));
    let healthz::ObservedValue::Number(percent) = usage.value else {
        panic!("{usage:?}")
    };
    let message = check.outcome.message().unwrap();
    assert!(
        (percent - percent_in(message)).abs() < 0.05,
        "{percent} vs {message}"
    );
}
