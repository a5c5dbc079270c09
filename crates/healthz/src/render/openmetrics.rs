//! OpenMetrics text exposition (`application/openmetrics-text`), for Prometheus.
//!
//! Every metric is a gauge, one sample per check labelled `check="<name>"`:
//!
//! | metric | value |
//! |--------|-------|
//! | `healthz_up{check}` | 1 when the check works or only warns, 0 when it fails |
//! | `healthz_warning{check}` | 1 when the check warns, else 0 |
//! | `healthz_duration_seconds{check}` | how long the check took, in seconds |
//! | `healthz_healthy` | 1 unless a critical check fails (the endpoint's 200) |
//! | `healthz_degraded` | 1 when a check warns or a non-critical check fails |
//!
//! A warning is not "down", so alerting on `healthz_up == 0` pages only for real
//! failures, while `healthz_warning` can feed a quieter alert. The endpoint answers
//! this format with 200 whatever the report says, so the scrape itself succeeds.

use crate::error::ErrorKind;
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

pub(crate) fn render(report: &Report) -> String {
    let per_check = |value: fn(&CheckReport) -> String| {
        report.checks.iter().map(move |check| {
            let labels = format!("{{check=\"{}\"}}", escape_label_value(&check.name));
            (labels, value(check))
        })
    };
    let status = report.status();
    let mut out = String::new();
    UP.write(&mut out, per_check(|check| flag(!fails(check))));
    WARNING.write(&mut out, per_check(|check| flag(warns(check))));
    DURATION.write(
        &mut out,
        per_check(|check| check.duration.as_secs_f64().to_string()),
    );
    write_overall(&mut out, status);
    out.push_str("# EOF\n");
    out
}

/// Only the overall gauges, for a client that may see the status but not the checks.
pub(crate) fn render_overall(status: HealthStatus) -> String {
    let mut out = String::new();
    write_overall(&mut out, status);
    out.push_str("# EOF\n");
    out
}

fn write_overall(out: &mut String, status: HealthStatus) {
    let overall = |value: bool| [(String::new(), flag(value))];
    HEALTHY.write(out, overall(status != HealthStatus::Unhealthy));
    DEGRADED.write(out, overall(status == HealthStatus::Degraded));
}

/// A gauge metric family. The spec wants a unit repeated as the suffix of the name.
struct Family {
    name: &'static str,
    unit: Option<&'static str>,
    help: &'static str,
}

impl Family {
    /// Writes the metadata, then one sample per `(labels, value)`.
    fn write(&self, out: &mut String, samples: impl IntoIterator<Item = (String, String)>) {
        let name = self.name;
        *out += &format!("# TYPE {name} gauge\n");
        if let Some(unit) = self.unit {
            *out += &format!("# UNIT {name} {unit}\n");
        }
        *out += &format!("# HELP {name} {}\n", self.help);
        for (labels, value) in samples {
            *out += &format!("{name}{labels} {value}\n");
        }
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
        render(&fixtures::report(checks))
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
healthz_up{check=\"Cache\"} 1
healthz_up{check=\"Disk\"} 1
healthz_up{check=\"Db\"} 0
# TYPE healthz_warning gauge
# HELP healthz_warning Whether the check reports a warning.
healthz_warning{check=\"Cache\"} 0
healthz_warning{check=\"Disk\"} 1
healthz_warning{check=\"Db\"} 0
# TYPE healthz_duration_seconds gauge
# UNIT healthz_duration_seconds seconds
# HELP healthz_duration_seconds How long the check took.
healthz_duration_seconds{check=\"Cache\"} 0.012
healthz_duration_seconds{check=\"Disk\"} 0.012
healthz_duration_seconds{check=\"Db\"} 0.012
# TYPE healthz_healthy gauge
# HELP healthz_healthy Whether no critical check fails.
healthz_healthy 0
# TYPE healthz_degraded gauge
# HELP healthz_degraded Whether a check warns or a non-critical check fails.
healthz_degraded 0
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
        assert!(degraded.contains("\nhealthz_up{check=\"a\"} 0\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let text = render_checks(vec![check("a\"b\\c\nd", true, None)]);
        assert!(text.contains("healthz_up{check=\"a\\\"b\\\\c\\nd\"} 1\n"));
        // Every sample stays on its own line.
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("healthz_up{"))
                .count(),
            1
        );
    }
}
