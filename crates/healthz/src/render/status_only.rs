//! Status-only bodies: the overall status and nothing about the checks, for a client
//! without a valid token on an endpoint configured to tell it that much.
//!
//! Custom renderers are not used here: they are written against the full report, which
//! such a client must not see.

use crate::report::HealthStatus;

use super::{Format, health_json, openmetrics};

/// The body of a status-only response in `format`.
pub(crate) fn render(format: Format, status: HealthStatus) -> String {
    let name = status.as_str();
    match format {
        Format::Html => format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>System status</title>\n</head>\n<body>\n<h1>System status</h1>\n\
             <p>Status: {name}</p>\n</body>\n</html>\n"
        ),
        Format::Json => format!(r#"{{"status":"{name}"}}"#),
        Format::HealthJson => format!(r#"{{"status":"{}"}}"#, health_json::status(status)),
        Format::Text => format!("status: {name}\n"),
        Format::OpenMetrics => {
            openmetrics::render_overall(status, openmetrics::Dialect::OpenMetrics)
        }
        Format::Prometheus => openmetrics::render_overall(status, openmetrics::Dialect::Prometheus),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_carries_only_the_status() {
        let status = HealthStatus::Degraded;
        assert_eq!(render(Format::Json, status), r#"{"status":"degraded"}"#);
        assert_eq!(render(Format::HealthJson, status), r#"{"status":"warn"}"#);
        assert_eq!(render(Format::Text, status), "status: degraded\n");
        assert!(render(Format::Html, status).contains("<p>Status: degraded</p>"));
        let metrics = render(Format::OpenMetrics, status);
        assert!(metrics.contains("healthz_degraded 1\n"), "{metrics}");
        assert!(!metrics.contains("check=\""), "{metrics}");
        assert!(metrics.ends_with("# EOF\n"));
    }
}
