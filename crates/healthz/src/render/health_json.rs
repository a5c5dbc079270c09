//! IETF `application/health+json` (draft-inadarei-api-health-check): the detailed
//! machine format, with each check's status, duration and time.
//!
//! ```json
//! {
//!   "status": "fail",
//!   "description": "health of the service's dependencies",
//!   "checks": {
//!     "DatabaseBackend:responseTime": [{
//!       "status": "fail",
//!       "componentType": "datastore",
//!       "observedValue": 12.5,
//!       "observedUnit": "ms",
//!       "time": "2025-01-01T12:00:00.000Z",
//!       "output": "unavailable: connection refused"
//!     }]
//!   }
//! }
//! ```
//!
//! `output` is the seed's text (`<kind>: <message>`), so the failure kind survives; it
//! is left out for a working check, as the draft asks. Each value a check observed is a
//! key of its own, `<name>:<measurement>` (`DiskUsage:usage`), with its
//! `observedValue` and `observedUnit`. Check names cannot hold `:` (the registry
//! refuses them), so every key splits at its last `:` into the check and what it
//! measures. While the service shuts down, the top level carries `output`.

use serde::{Serialize, Serializer};

use super::ServiceInfo;
use crate::observe::{Observation, ObservedValue};
use crate::report::{CheckReport, HealthStatus, Report};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Health<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    release_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'static str>,
    description: &'a str,
    checks: Checks<'a>,
}

/// The `checks` object, keyed `<name>:responseTime` in registration order.
struct Checks<'a>(&'a [CheckReport]);

impl Serialize for Checks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().flat_map(|check| {
            // The draft makes every entry an array, for components with several nodes.
            let response_time = (
                format!("{}:responseTime", check.name),
                [Component::new(check)],
            );
            let observed = check.observations.iter().map(move |observation| {
                let key = format!("{}:{}", check.name, observation.measurement);
                (key, [Component::observed(check, observation)])
            });
            std::iter::once(response_time).chain(observed)
        }))
    }
}

/// A value in `observedValue`: the draft allows any JSON value.
#[derive(Serialize)]
#[serde(untagged)]
enum Value<'a> {
    Number(f64),
    Text(&'a str),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Component<'a> {
    status: &'static str,
    component_type: &'static str,
    observed_value: Value<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observed_unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
}

impl<'a> Component<'a> {
    fn new(check: &'a CheckReport) -> Self {
        Self {
            status: status(check.status),
            component_type: check.component_type,
            // Microsecond precision, so the number stays short.
            observed_value: Value::Number(check.duration.as_micros() as f64 / 1000.0),
            observed_unit: Some("ms"),
            time: check
                .finished_at
                .map(|time| humantime::format_rfc3339_millis(time).to_string()),
            output: (!check.outcome.is_working() || check.damping.is_some())
                .then(|| check.outcome_text()),
        }
    }

    /// An observed value of `check`, with the check's status and time.
    fn observed(check: &'a CheckReport, observation: &'a Observation) -> Self {
        Self {
            observed_value: match &observation.value {
                ObservedValue::Number(number) => Value::Number(*number),
                ObservedValue::Text(text) => Value::Text(text),
            },
            observed_unit: observation.unit.as_deref(),
            output: None,
            ..Self::new(check)
        }
    }
}

/// The draft's status values.
pub(crate) fn status(status: HealthStatus) -> &'static str {
    match status {
        HealthStatus::Healthy => "pass",
        HealthStatus::Degraded => "warn",
        HealthStatus::Unhealthy => "fail",
    }
}

pub(crate) fn render(report: &Report, service: &ServiceInfo) -> String {
    let health = Health {
        status: status(report.status()),
        version: service.version.as_deref(),
        release_id: service.release_id.as_deref(),
        service_id: service.service_id.as_deref(),
        output: report.shutting_down.then_some("shutting down"),
        description: service
            .description
            .as_deref()
            .unwrap_or("health of the service's dependencies"),
        checks: Checks(&report.checks),
    };
    serde_json::to_string(&health).expect("the health+json wire types always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::report::Outcome;
    use crate::report::fixtures::{self, failed};
    use serde_json::{Value, json};
    use std::time::{Duration, SystemTime};

    fn check(name: &str, critical: bool, outcome: Outcome) -> CheckReport {
        let check = if critical {
            fixtures::check(name, outcome)
        } else {
            fixtures::non_critical(name, outcome)
        };
        CheckReport {
            component_type: "datastore",
            duration: Duration::from_micros(12_345),
            finished_at: Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250)),
            ..check
        }
    }

    fn render_value(checks: Vec<CheckReport>) -> Value {
        serde_json::from_str(&render(&fixtures::report(checks), &ServiceInfo::default())).unwrap()
    }

    #[test]
    fn describes_each_check() {
        let value = render_value(vec![
            check("Cache", true, Outcome::Working),
            check("Db", true, failed(ErrorKind::Unavailable, "refused")),
        ]);
        assert_eq!(value["status"], "fail");
        assert_eq!(
            value["checks"]["Cache:responseTime"],
            json!([{
                "status": "pass",
                "componentType": "datastore",
                "observedValue": 12.345,
                "observedUnit": "ms",
                "time": "2023-11-14T22:13:20.250Z",
            }])
        );
        let db = &value["checks"]["Db:responseTime"][0];
        assert_eq!(db["status"], "fail");
        assert_eq!(db["output"], "unavailable: refused");
    }

    #[test]
    fn warnings_and_non_critical_failures_warn() {
        let value = render_value(vec![
            check("Disk", true, failed(ErrorKind::Warning, "90% full")),
            check("Replica", false, failed(ErrorKind::Unavailable, "down")),
        ]);
        assert_eq!(value["status"], "warn");
        assert_eq!(value["checks"]["Disk:responseTime"][0]["status"], "warn");
        assert_eq!(value["checks"]["Replica:responseTime"][0]["status"], "warn");
        assert_eq!(render_value(vec![])["status"], "pass");
    }

    #[test]
    fn keeps_registration_order() {
        let report = Report::new(
            vec![
                check("b", true, Outcome::Working),
                check("a", true, Outcome::Working),
            ],
            SystemTime::UNIX_EPOCH,
            Duration::ZERO,
        );
        let body = render(&report, &ServiceInfo::default());
        let position = |key: &str| body.find(key).expect("every check is listed");
        assert!(position("\"b:responseTime\"") < position("\"a:responseTime\""));
        assert!(body.starts_with(r#"{"status":"pass","description":"#));
    }

    #[test]
    fn observations_are_keys_of_their_own_and_a_shutdown_has_its_output() {
        use crate::observe::Observation;
        let disk = check("DiskUsage", true, Outcome::Working).observations(vec![
            Observation::number("usage", 91.5).unit("percent"),
            Observation::text("mount", "/var"),
        ]);
        let text = render(
            &fixtures::report(vec![disk]).shutting_down(),
            &ServiceInfo::default(),
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["output"], "shutting down");
        assert_eq!(value["status"], "fail");
        let usage = &value["checks"]["DiskUsage:usage"][0];
        assert_eq!(usage["observedValue"], 91.5);
        assert_eq!(usage["observedUnit"], "percent");
        assert_eq!(usage["status"], "pass");
        let mount = &value["checks"]["DiskUsage:mount"][0];
        assert_eq!(mount["observedValue"], "/var");
        assert!(mount.get("observedUnit").is_none());
        let position = |key: &str| text.find(&format!("\"{key}\"")).unwrap();
        assert!(position("DiskUsage:responseTime") < position("DiskUsage:usage"));
        assert!(position("DiskUsage:usage") < position("DiskUsage:mount"));
    }

    #[test]
    fn the_service_describes_itself() {
        let service = ServiceInfo::new()
            .version("2")
            .release_id("2.4.1")
            .service_id("orders-api")
            .description("orders");
        let text = render(&fixtures::report(vec![]), &service);
        assert_eq!(
            text,
            r#"{"status":"pass","version":"2","releaseId":"2.4.1","serviceId":"orders-api","description":"orders","checks":{}}"#
        );
    }
}
