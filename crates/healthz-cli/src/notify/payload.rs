//! What a target is sent: an [`Event`] (a state change, from the library's
//! [`Transition`]), written as the generic webhook's JSON or as a Slack message.
//!
//! The webhook's JSON, one object per state change:
//!
//! ```json
//! {"check":"DatabaseBackend","from":"working","to":"failing",
//!  "outcome":"unavailable: connection refused","critical":true,
//!  "time":"2025-06-01T12:00:00.123Z","service":"orders"}
//! ```
//!
//! `from` and `to` are `pending`, `working`, `warning` or `failing`; `outcome` is the
//! check's status text as the endpoint's JSON shows it; `time` is when the run that
//! changed the state finished (RFC 3339, UTC); `service` is `[server] service`, absent
//! unless set. Slack gets `{"text": ":red_circle: DatabaseBackend is failing:
//! unavailable: connection refused"}`.

use std::time::SystemTime;

use healthz::{CheckState, Outcome, Transition};
use hyper::body::Bytes;
use serde::Serialize;

use super::target::Format;

/// A change of what a check reports, as the targets are told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) check: String,
    pub(crate) from: CheckState,
    pub(crate) to: CheckState,
    /// What the check reports now.
    pub(crate) outcome: Outcome,
    pub(crate) critical: bool,
    /// When the run that changed it finished.
    pub(crate) at: SystemTime,
}

impl From<&Transition> for Event {
    fn from(transition: &Transition) -> Self {
        Self {
            check: transition.check.clone(),
            from: transition.from,
            to: transition.to,
            outcome: transition.outcome.clone(),
            critical: transition.critical,
            at: transition.at,
        }
    }
}

impl Event {
    /// Whether anyone wants to hear of it: a check's first result that finds it
    /// working is what every start-up brings, and would page for each check on each
    /// restart; a first result that finds it failing is news.
    pub(crate) fn is_news(&self) -> bool {
        !(self.from == CheckState::Pending && self.to == CheckState::Working)
    }
}

/// The generic webhook's JSON.
#[derive(Debug, Serialize)]
struct Webhook<'a> {
    check: &'a str,
    from: &'static str,
    to: &'static str,
    outcome: String,
    critical: bool,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
}

/// A Slack incoming webhook's message.
#[derive(Debug, Serialize)]
struct Slack {
    text: String,
}

/// The request body that tells a target of `event`.
pub(crate) fn body(format: Format, event: &Event, service: Option<&str>) -> Bytes {
    let json = match format {
        Format::Webhook => serde_json::to_vec(&Webhook {
            check: &event.check,
            from: event.from.as_str(),
            to: event.to.as_str(),
            outcome: event.outcome.text(),
            critical: event.critical,
            time: humantime::format_rfc3339_millis(event.at).to_string(),
            service,
        }),
        Format::Slack => serde_json::to_vec(&Slack {
            text: slack_text(event, service),
        }),
    };
    Bytes::from(json.expect("a struct of strings and booleans serializes"))
}

/// One readable line: `:red_circle: DatabaseBackend is failing: unavailable:
/// connection refused`, with the service in front when set and ` (not critical)` at
/// the end for a check that does not fail the endpoint.
fn slack_text(event: &Event, service: Option<&str>) -> String {
    let (emoji, what) = match (event.to, &event.outcome) {
        (CheckState::Working, _) => (":large_green_circle:", "is working".to_owned()),
        (CheckState::Warning, outcome) => (
            ":large_yellow_circle:",
            format!("warns: {}", outcome.message().unwrap_or_default()),
        ),
        // Failing: no check goes back to pending.
        (to, outcome) => (":red_circle:", format!("is {to}: {}", outcome.text())),
    };
    let subject = match service {
        Some(service) => format!("{service}: {}", event.check),
        None => event.check.clone(),
    };
    let note = if event.critical {
        ""
    } else {
        " (not critical)"
    };
    format!("{emoji} {} {}{note}", escape(&subject), escape(&what))
}

/// Slack reads `&`, `<` and `>` as markup (links, mentions): a check's message is
/// shown as written, never as a `<!channel>` mention.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use healthz::ErrorKind;

    use super::*;

    /// A check that went from `from` to failing with `message`, at 2025-06-01 12:00.
    pub(crate) fn event(check: &str, from: CheckState, outcome: Outcome) -> Event {
        Event {
            check: check.to_owned(),
            from,
            to: outcome.state(),
            outcome,
            critical: true,
            at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_748_779_200_123),
        }
    }

    pub(crate) fn refused() -> Outcome {
        Outcome::failed(ErrorKind::Unavailable, "connection refused")
    }

    fn text(bytes: &Bytes) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_webhook_gets_the_documented_json() {
        let failing = event("DatabaseBackend", CheckState::Working, refused());
        assert_eq!(
            text(&body(Format::Webhook, &failing, Some("orders"))),
            r#"{"check":"DatabaseBackend","from":"working","to":"failing","outcome":"unavailable: connection refused","critical":true,"time":"2025-06-01T12:00:00.123Z","service":"orders"}"#
        );
        let working = event("DatabaseBackend", CheckState::Failing, Outcome::Working);
        assert_eq!(
            text(&body(Format::Webhook, &working, None)),
            r#"{"check":"DatabaseBackend","from":"failing","to":"working","outcome":"working","critical":true,"time":"2025-06-01T12:00:00.123Z"}"#
        );
    }

    #[test]
    fn slack_gets_one_readable_line() {
        let failing = event("DatabaseBackend", CheckState::Working, refused());
        assert_eq!(
            text(&body(Format::Slack, &failing, None)),
            r#"{"text":":red_circle: DatabaseBackend is failing: unavailable: connection refused"}"#
        );
        let mut warning = event(
            "DiskUsage",
            CheckState::Working,
            Outcome::failed(ErrorKind::Warning, "91% used <!channel> & more"),
        );
        warning.critical = false;
        assert_eq!(
            slack_text(&warning, Some("orders")),
            ":large_yellow_circle: orders: DiskUsage warns: 91% used &lt;!channel&gt; &amp; more (not critical)"
        );
        let working = event("DatabaseBackend", CheckState::Failing, Outcome::Working);
        assert_eq!(
            slack_text(&working, None),
            ":large_green_circle: DatabaseBackend is working"
        );
    }

    #[test]
    fn a_first_result_that_works_is_no_news() {
        assert!(!event("Db", CheckState::Pending, Outcome::Working).is_news());
        assert!(event("Db", CheckState::Pending, refused()).is_news());
        assert!(event("Db", CheckState::Failing, Outcome::Working).is_news());
    }
}
