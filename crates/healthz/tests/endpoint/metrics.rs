//! Both metrics formats parsed by the reference parsers (Python's prometheus_client,
//! installed by `scripts/metrics-parser.sh install`, which `scripts/test.sh` runs), label
//! values with quotes, backslashes and newlines included.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use healthz::{
    CheckError, CheckOptions, CheckResult, Endpoint, HealthCheck, Observation, Registry, observe,
};
use serde_json::Value;

use crate::frameworks::{Framework, Tower};

/// A name every format must carry through unharmed. The registry refuses it (a line
/// break forges lines elsewhere), but a custom handler may render any report.
const TRICKY: &str = "Quote\"Back\\slash[new\nline]";

/// Fails with a warning and observes a value, so every family has samples.
struct Observing;
impl HealthCheck for Observing {
    async fn check(&self) -> CheckResult {
        observe(Observation::number("usage", 91.5).unit("percent"));
        Err(CheckError::warning("91.5% used"))
    }
}

fn endpoint() -> Endpoint {
    Endpoint::new(
        Registry::builder()
            .check_with(
                crate::support::Working,
                CheckOptions::new().name("DatabaseBackend"),
            )
            .check_with(Observing, CheckOptions::new().name("Disk").critical(false))
            .build()
            .unwrap(),
    )
}

/// The venv's Python with the parsers, which the test script installs.
fn python() -> PathBuf {
    let venv = std::env::var_os("HEALTHZ_METRICS_VENV").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/healthz/metrics-venv"),
        PathBuf::from,
    );
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "the reference metrics parsers are not installed at {} (HEALTHZ_METRICS_VENV): \
         run scripts/metrics-parser.sh install",
        venv.display()
    );
    python
}

/// The samples of `text` as the reference parser of `dialect` reads them.
fn parse(dialect: &str, text: &str) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/metrics/parse.py");
    let mut child = Command::new(python())
        .args([script, dialect])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the {dialect} parser refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The value of the sample `name` labelled `check`.
fn sample(samples: &[Value], name: &str, check: &str) -> f64 {
    samples
        .iter()
        .find(|sample| sample["name"] == name && sample["labels"]["check"] == check)
        .unwrap_or_else(|| panic!("no {name} for {check:?} in {samples:?}"))["value"]
        .as_f64()
        .unwrap()
}

/// The endpoint's answer in `format`.
async fn exposition(format: &str) -> String {
    let answer = Tower::mount(endpoint())
        .get(&format!("/ht/?format={format}"), &[])
        .await;
    answer.body
}

#[tokio::test]
async fn both_exposition_formats_parse_with_the_reference_parsers() {
    for (format, dialect) in [("openmetrics", "openmetrics"), ("prometheus", "prometheus")] {
        let text = exposition(format).await;
        let samples = parse(dialect, &text);
        assert_eq!(sample(&samples, "healthz_up", "DatabaseBackend"), 1.0);
        assert_eq!(sample(&samples, "healthz_warning", "Disk"), 1.0);
        assert_eq!(sample(&samples, "healthz_observed", "Disk"), 91.5);
        let up = samples
            .iter()
            .find(|sample| sample["name"] == "healthz_up" && sample["labels"]["check"] == "Disk")
            .unwrap();
        assert_eq!(up["labels"]["critical"], "false");
        let healthy = samples
            .iter()
            .find(|s| s["name"] == "healthz_healthy")
            .unwrap();
        assert_eq!(healthy["value"], 1.0);
    }
}

#[test]
fn label_values_with_quotes_backslashes_and_newlines_round_trip() {
    let report = healthz::Report::new(
        vec![healthz::CheckReport::new(TRICKY, healthz::Outcome::Working)],
        std::time::SystemTime::UNIX_EPOCH,
        std::time::Duration::ZERO,
    );
    for (format, dialect) in [
        (healthz::Format::OpenMetrics, "openmetrics"),
        (healthz::Format::Prometheus, "prometheus"),
    ] {
        let samples = parse(dialect, &healthz::render(format, &report));
        assert_eq!(sample(&samples, "healthz_up", TRICKY), 1.0, "{dialect}");
    }
}
