//! The seed's flat JSON object (`application/json`): one key per check, in
//! registration order, whose value is `"working"` or `"<kind>: <message>"`.
//!
//! ```json
//! {"CacheBackend":"working","DatabaseBackend":"unavailable: connection refused"}
//! ```

use serde::{Serialize, Serializer};

use crate::report::{CheckReport, Report};

/// The wire type: serialized as a map straight from the checks, because
/// `serde_json::Map` would sort the keys and lose the registration order.
struct SeedJson<'a>(&'a [CheckReport]);

impl Serialize for SeedJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .iter()
                .map(|check| (&check.name, check.outcome.text())),
        )
    }
}

pub(crate) fn render(report: &Report) -> String {
    serde_json::to_string(&SeedJson(&report.checks)).expect("a map of strings always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::report::Outcome;
    use crate::report::fixtures::{check, report};

    #[test]
    fn is_the_seed_object_in_registration_order() {
        let failed = Outcome::Failed {
            kind: ErrorKind::Unavailable,
            message: "connection refused".into(),
        };
        let report = report(vec![
            check("DatabaseBackend", failed),
            check("CacheBackend", Outcome::Working),
        ]);
        assert_eq!(
            render(&report),
            r#"{"DatabaseBackend":"unavailable: connection refused","CacheBackend":"working"}"#
        );
    }

    #[test]
    fn escapes_names_and_messages() {
        let failed = Outcome::Failed {
            kind: ErrorKind::Warning,
            message: "a \"b\"\n".into(),
        };
        let report = report(vec![check("x\"\\", failed)]);
        let parsed: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(parsed["x\"\\"], "warning: a \"b\"\n");
    }

    #[test]
    fn no_checks_is_an_empty_object() {
        assert_eq!(render(&report(vec![])), "{}");
    }
}
