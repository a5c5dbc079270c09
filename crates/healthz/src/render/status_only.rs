//! Status-only bodies: the overall status and nothing about the checks, for a client
//! without a valid token on an endpoint configured to tell it that much.
//!
//! Custom renderers are not used here: they are written against the full report, which
//! such a client must not see.
//!
//! The status is said with words that no keyword monitor can confuse: `up`,
//! `degraded` and `down` (the full report's `healthy` is part of `unhealthy`, so a
//! monitor looking for "healthy" would pass on an outage).

use crate::report::HealthStatus;

use super::{Format, health_json, openmetrics};

/// The body of a status-only response in `format`.
pub(crate) fn render(format: Format, status: HealthStatus) -> String {
    let name = word(status);
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

/// `up`, `degraded` or `down`: none is a part of another.
const fn word(status: HealthStatus) -> &'static str {
    match status {
        HealthStatus::Healthy => "up",
        HealthStatus::Degraded => "degraded",
        HealthStatus::Unhealthy => "down",
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
        assert_eq!(
            render(Format::Json, HealthStatus::Unhealthy),
            r#"{"status":"down"}"#
        );
        let metrics = render(Format::OpenMetrics, status);
        assert!(metrics.contains("healthz_degraded 1\n"), "{metrics}");
        assert!(!metrics.contains("check=\""), "{metrics}");
        assert!(metrics.ends_with("# EOF\n"));
    }

    #[test]
    fn no_status_word_is_part_of_another() {
        let statuses = [
            HealthStatus::Healthy,
            HealthStatus::Degraded,
            HealthStatus::Unhealthy,
        ];
        for status in statuses {
            let body = render(Format::Text, status);
            for other in statuses.into_iter().filter(|&other| other != status) {
                assert!(
                    !body.contains(word(other)),
                    "{body:?} contains {}",
                    word(other)
                );
            }
        }
    }
}
