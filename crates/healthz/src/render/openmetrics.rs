//! OpenMetrics text exposition (`application/openmetrics-text`), for Prometheus, and
//! the same metrics in the older Prometheus text format 0.0.4 (`text/plain;
//! version=0.0.4`): no `# UNIT` lines and no `# EOF`.
//!
//! Every metric is a gauge, one sample per check labelled `check="<name>"` and
//! `critical="true|false"`:
//!
//! | metric | value |
//! |--------|-------|
//! | `healthz_up{check,critical}` | 1 when the check works or only warns, 0 when it fails or is pending |
//! | `healthz_warning{check,critical}` | 1 when the check warns, else 0 |
//! | `healthz_duration_seconds{check,critical}` | how long the run of its result took |
//! | `healthz_age_seconds{check,critical}` | how old its result is (absent while pending) |
//! | `healthz_last_success_timestamp_seconds{check,critical}` | when it last worked (absent until it has) |
//! | `healthz_observed{check,critical,measurement,unit}` | each number the check observed |
//! | `healthz_healthy` | 1 unless a critical check fails (the endpoint's 200) |
//! | `healthz_degraded` | 1 when a check warns or a non-critical check fails, whatever the rest does |
//!
//! A warning is not "down", so alerting on `healthz_up{critical="true"} == 0` pages only
//! for failures that take the service down, while `healthz_warning` and the
//! non-critical checks can feed a quieter alert. The endpoint answers this format with
//! 200 whatever the report says, so the scrape itself succeeds.

use std::time::UNIX_EPOCH;

use crate::error::ErrorKind;
use crate::observe::ObservedValue;
use crate::report::{CheckReport, HealthStatus, Report};

const UP: Family = Family {
    name: "healthz_up",
    unit: None,
    help: "Whether the check works (a warning counts as up).",
};
const WARNING: Family = Family {
    name: "healthz_warning",
    unit: None,
    help: "Whether the check reports a warning.",
};
const DURATION: Family = Family {
    name: "healthz_duration_seconds",
    unit: Some("seconds"),
    help: "How long the check took.",
};
const AGE: Family = Family {
    name: "healthz_age_seconds",
    unit: Some("seconds"),
    help: "How old the check's result is.",
};
const LAST_SUCCESS: Family = Family {
    name: "healthz_last_success_timestamp_seconds",
    unit: Some("seconds"),
    help: "When the check last worked, in seconds since the Unix epoch.",
};
const OBSERVED: Family = Family {
    name: "healthz_observed",
    unit: None,
    help: "A number the check observed (its unit is the unit label).",
};
const HEALTHY: Family = Family {
    name: "healthz_healthy",
    unit: None,
    help: "Whether no critical check fails.",
};
const DEGRADED: Family = Family {
    name: "healthz_degraded",
    unit: None,
    help: "Whether a check warns or a non-critical check fails.",
};

/// Which text exposition format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    OpenMetrics,
    Prometheus,
}

pub(crate) fn render(report: &Report, dialect: Dialect) -> String {
    let per_check = |value: fn(&CheckReport) -> Option<String>| {
        report
            .checks
            .iter()
            .filter_map(move |check| Some((labels(check, &[]), value(check)?)))
    };
    let mut out = Exposition::new(dialect);
    UP.write(&mut out, per_check(|check| Some(flag(!fails(check)))));
    WARNING.write(&mut out, per_check(|check| Some(flag(warns(check)))));
    DURATION.write(
        &mut out,
        per_check(|check| Some(check.duration.as_secs_f64().to_string())),
    );
    AGE.write(
        &mut out,
        per_check(|check| {
            let _ = check.finished_at?;
            Some(check.age.as_secs_f64().to_string())
        }),
    );
    LAST_SUCCESS.write(
        &mut out,
        per_check(|check| {
            let at = check.last_success?.duration_since(UNIX_EPOCH).ok()?;
            Some(at.as_secs_f64().to_string())
        }),
    );
    OBSERVED.write(&mut out, report.checks.iter().flat_map(observed));
    write_overall(&mut out, report);
    out.finish()
}

/// `{check="Db",critical="true"}`, with `extra` labels after those.
fn labels(check: &CheckReport, extra: &[(&str, &str)]) -> String {
    let critical = if check.critical { "true" } else { "false" };
    let mut labels = format!(
        "check=\"{}\",critical=\"{critical}\"",
        escape_label_value(&check.name)
    );
    for (name, value) in extra {
        labels += &format!(",{name}=\"{}\"", escape_label_value(value));
    }
    format!("{{{labels}}}")
}

/// The check's observed numbers, one sample each; text observations are left to the
/// detailed formats, since a label per value would make a series per value.
fn observed(check: &CheckReport) -> impl Iterator<Item = (String, String)> + '_ {
    check.observations.iter().filter_map(move |observation| {
        let ObservedValue::Number(number) = observation.value else {
            return None;
        };
        let unit = observation.unit.as_deref().unwrap_or("");
        let labels = labels(
            check,
            &[("measurement", &observation.measurement), ("unit", unit)],
        );
        Some((labels, number.to_string()))
    })
}

/// Only the overall gauges, for a client that may see the status but not the checks.
pub(crate) fn render_overall(status: HealthStatus, dialect: Dialect) -> String {
    let mut out = Exposition::new(dialect);
    write_gauges(
        &mut out,
        status != HealthStatus::Unhealthy,
        status == HealthStatus::Degraded,
    );
    out.finish()
}

/// The overall gauges: degraded is whether any check degrades the report, so that it
/// still reads 1 when a critical failure also makes the report unhealthy.
fn write_overall(out: &mut Exposition, report: &Report) {
    let degraded = report
        .checks
        .iter()
        .any(|check| check.status == HealthStatus::Degraded);
    write_gauges(out, report.status() != HealthStatus::Unhealthy, degraded);
}

fn write_gauges(out: &mut Exposition, healthy: bool, degraded: bool) {
    let overall = |value: bool| [(String::new(), flag(value))];
    HEALTHY.write(out, overall(healthy));
    DEGRADED.write(out, overall(degraded));
}

/// A gauge metric family. The spec wants a unit repeated as the suffix of the name.
struct Family {
    name: &'static str,
    unit: Option<&'static str>,
    help: &'static str,
}

impl Family {
    /// Writes the metadata, then one sample per `(labels, value)`.
    fn write(&self, out: &mut Exposition, samples: impl IntoIterator<Item = (String, String)>) {
        let name = self.name;
        let text = &mut out.text;
        *text += &format!("# TYPE {name} gauge\n");
        // Prometheus' 0.0.4 format has no unit line: the name's suffix says it.
        if let (Some(unit), Dialect::OpenMetrics) = (self.unit, out.dialect) {
            *text += &format!("# UNIT {name} {unit}\n");
        }
        *text += &format!("# HELP {name} {}\n", self.help);
        for (labels, value) in samples {
            *text += &format!("{name}{labels} {value}\n");
        }
    }
}

/// The text being written, in one dialect.
struct Exposition {
    dialect: Dialect,
    text: String,
}

impl Exposition {
    fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            text: String::new(),
        }
    }

    /// The text, ended as the dialect wants: OpenMetrics with `# EOF`.
    fn finish(mut self) -> String {
        if self.dialect == Dialect::OpenMetrics {
            self.text.push_str("# EOF\n");
        }
        self.text
    }
}

/// True when the check failed with anything but a warning.
fn fails(check: &CheckReport) -> bool {
    matches!(check.outcome.error_kind(), Some(kind) if kind != ErrorKind::Warning)
}

fn warns(check: &CheckReport) -> bool {
    check.outcome.error_kind() == Some(ErrorKind::Warning)
}

fn flag(value: bool) -> String {
    u8::from(value).to_string()
}

/// Escapes a label value as the exposition format requires: `\`, `"` and newline.
fn escape_label_value(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', r#"\""#)
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{self, failed};
    use crate::report::{CheckReport, Outcome};

    fn check(name: &str, critical: bool, kind: Option<ErrorKind>) -> CheckReport {
        let outcome = kind.map_or(Outcome::Working, |kind| failed(kind, "m"));
        if critical {
            fixtures::check(name, outcome)
        } else {
            fixtures::non_critical(name, outcome)
        }
    }

    fn render_checks(checks: Vec<CheckReport>) -> String {
        render(&fixtures::report(checks), Dialect::OpenMetrics)
    }

    #[test]
    fn the_prometheus_dialect_has_no_unit_lines_and_no_eof() {
        let report = fixtures::report(vec![check("Db", true, None)]);
        let text = render(&report, Dialect::Prometheus);
        assert!(!text.contains("# UNIT"), "{text}");
        assert!(!text.contains("# EOF"), "{text}");
        assert!(
            text.contains("# TYPE healthz_duration_seconds gauge\n# HELP healthz_duration_seconds")
        );
        assert!(text.ends_with("healthz_degraded 0\n"), "{text}");
        let overall = render_overall(HealthStatus::Healthy, Dialect::Prometheus);
        assert!(overall.ends_with("healthz_degraded 0\n"));
    }

    #[test]
    fn exposes_every_family_and_ends_with_eof() {
        let text = render_checks(vec![
            check("Cache", true, None),
            check("Disk", true, Some(ErrorKind::Warning)),
            check("Db", true, Some(ErrorKind::Unavailable)),
        ]);
        let expected = "\
# TYPE healthz_up gauge
# HELP healthz_up Whether the check works (a warning counts as up).
healthz_up{check=\"Cache\",critical=\"true\"} 1
healthz_up{check=\"Disk\",critical=\"true\"} 1
healthz_up{check=\"Db\",critical=\"true\"} 0
# TYPE healthz_warning gauge
# HELP healthz_warning Whether the check reports a warning.
healthz_warning{check=\"Cache\",critical=\"true\"} 0
healthz_warning{check=\"Disk\",critical=\"true\"} 1
healthz_warning{check=\"Db\",critical=\"true\"} 0
# TYPE healthz_duration_seconds gauge
# UNIT healthz_duration_seconds seconds
# HELP healthz_duration_seconds How long the check took.
healthz_duration_seconds{check=\"Cache\",critical=\"true\"} 0.012
healthz_duration_seconds{check=\"Disk\",critical=\"true\"} 0.012
healthz_duration_seconds{check=\"Db\",critical=\"true\"} 0.012
# TYPE healthz_age_seconds gauge
# UNIT healthz_age_seconds seconds
# HELP healthz_age_seconds How old the check's result is.
healthz_age_seconds{check=\"Cache\",critical=\"true\"} 0
healthz_age_seconds{check=\"Disk\",critical=\"true\"} 0
healthz_age_seconds{check=\"Db\",critical=\"true\"} 0
# TYPE healthz_last_success_timestamp_seconds gauge
# UNIT healthz_last_success_timestamp_seconds seconds
# HELP healthz_last_success_timestamp_seconds When the check last worked, in seconds since the Unix epoch.
# TYPE healthz_observed gauge
# HELP healthz_observed A number the check observed (its unit is the unit label).
# TYPE healthz_healthy gauge
# HELP healthz_healthy Whether no critical check fails.
healthz_healthy 0
# TYPE healthz_degraded gauge
# HELP healthz_degraded Whether a check warns or a non-critical check fails.
healthz_degraded 1
# EOF
";
        assert_eq!(text, expected);
    }

    #[test]
    fn overall_gauges_follow_the_report_status() {
        let healthy = render_checks(vec![check("a", true, None)]);
        assert!(healthy.contains("\nhealthz_healthy 1\n"));
        assert!(healthy.contains("\nhealthz_degraded 0\n"));
        let degraded = render_checks(vec![check("a", false, Some(ErrorKind::Unavailable))]);
        assert!(degraded.contains("\nhealthz_healthy 1\n"));
        assert!(degraded.contains("\nhealthz_degraded 1\n"));
        assert!(degraded.contains("\nhealthz_up{check=\"a\",critical=\"false\"} 0\n"));
        // A warning degrades even when a critical failure makes the report unhealthy.
        let both = render_checks(vec![
            check("db", true, Some(ErrorKind::Unavailable)),
            check("disk", true, Some(ErrorKind::Warning)),
        ]);
        assert!(both.contains("\nhealthz_healthy 0\n"));
        assert!(both.contains("\nhealthz_degraded 1\n"), "{both}");
    }

    #[test]
    fn ages_last_successes_and_observations_are_series_of_their_own() {
        use crate::observe::Observation;
        use std::time::{Duration, SystemTime};
        let mut working = check("Disk", false, None)
            .age(Duration::from_millis(1500))
            .observations(vec![
                Observation::number("usage", 91.5).unit("percent"),
                Observation::text("mount", "/var"),
            ]);
        working.last_success = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let pending = CheckReport::new("Slow", Outcome::Pending);
        let pending = CheckReport {
            finished_at: None,
            ..pending
        };
        let text = render_checks(vec![working, pending]);
        for line in [
            "healthz_age_seconds{check=\"Disk\",critical=\"false\"} 1.5\n",
            "healthz_last_success_timestamp_seconds{check=\"Disk\",critical=\"false\"} 1700000000\n",
            "healthz_observed{check=\"Disk\",critical=\"false\",measurement=\"usage\",unit=\"percent\"} 91.5\n",
            "healthz_up{check=\"Slow\",critical=\"true\"} 0\n",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(
            !text.contains("healthz_age_seconds{check=\"Slow\""),
            "no age while pending"
        );
        assert!(!text.contains("mount"), "text observations are not series");
    }

    #[test]
    fn label_values_are_escaped() {
        let text = render_checks(vec![check("a\"b\\c\nd", true, None)]);
        assert!(text.contains("healthz_up{check=\"a\\\"b\\\\c\\nd\",critical=\"true\"} 1\n"));
        // Every sample stays on its own line.
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("healthz_up{"))
                .count(),
            1
        );
    }
}
