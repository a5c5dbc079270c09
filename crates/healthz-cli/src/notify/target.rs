//! Where notifications go: a [`Target`], as its `[[notify]]` table configures it, and
//! the [`Format`] of what is posted there.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Uri};
use healthz::redact::redact_url;

use super::status::Delivery;

/// How many times a notification is sent before it is given up, unless set.
pub(crate) const DEFAULT_TRIES: u32 = 3;

/// How long one request may take, unless set.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a target is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A JSON object describing the transition (`kind = "webhook"`).
    Webhook,
    /// A Slack incoming webhook's `{"text": "…"}` (`kind = "slack"`).
    Slack,
}

impl Format {
    /// Every format, in the order messages list them.
    pub(crate) const ALL: [Self; 2] = [Self::Webhook, Self::Slack];

    /// The format's `kind = "…"`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Slack => "slack",
        }
    }

    /// The format of `kind = "…"`, if any.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.as_str() == name)
    }

    /// A target's URL as logs and messages show it. A webhook URL is redacted as every
    /// URL is (its password and secret-looking query values masked); a Slack URL
    /// carries its token in its path, so only its scheme and host are shown.
    pub(crate) fn shown_url(self, url: &str) -> String {
        let redacted = redact_url(url);
        match self {
            Self::Webhook => redacted,
            Self::Slack => {
                let Some(start) = redacted.find("://").map(|at| at + 3) else {
                    return "***".to_owned();
                };
                let host_end = redacted[start..]
                    .find(['/', '?', '#'])
                    .map_or(redacted.len(), |at| start + at);
                format!("{}/***", &redacted[..host_end])
            }
        }
    }
}

/// An HTTP header sent with every notification, its value from the environment.
#[derive(Clone)]
pub(crate) struct Header {
    pub(crate) name: HeaderName,
    /// Marked sensitive, so that hyper never logs it.
    pub(crate) value: HeaderValue,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ***", self.name)
    }
}

/// A `[[notify]]` target, validated.
pub(crate) struct Target {
    /// The target's name, in logs and in its delivery check's name.
    pub(crate) name: String,
    pub(crate) format: Format,
    /// The URL, a secret: only [`Target::shown_url`] is ever shown.
    pub(crate) url: Uri,
    /// The URL as logs show it.
    pub(crate) shown_url: String,
    pub(crate) header: Option<Header>,
    /// Transitions of one check within this time of the last one sent for it are held
    /// back, and the latest is sent once it has passed.
    pub(crate) min_interval: Option<Duration>,
    /// How long one request may take.
    pub(crate) timeout: Duration,
    /// How many times a notification is sent before it is given up.
    pub(crate) tries: u32,
    /// The service's name, sent with each notification.
    pub(crate) service: Option<String>,
    /// The name of the check that reports this target's deliveries: a transition of
    /// that check is not sent here, where it could only fail again.
    pub(crate) check_name: String,
    /// How deliveries went, shared with that check.
    pub(crate) delivery: Arc<Delivery>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("url", &self.shown_url)
            .field("header", &self.header)
            .field("min_interval", &self.min_interval)
            .field("timeout", &self.timeout)
            .field("tries", &self.tries)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slack_url_is_shown_without_its_path() {
        let url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
        assert_eq!(Format::Slack.shown_url(url), "https://hooks.slack.com/***");
        assert_eq!(
            Format::Slack.shown_url("http://u:pw@127.0.0.1:9/x?token=t"),
            "http://u:***@127.0.0.1:9/***"
        );
        assert_eq!(Format::Slack.shown_url("not a url/secret"), "***");
        assert_eq!(
            Format::Webhook.shown_url("https://ops.example/hook?token=abc"),
            "https://ops.example/hook?token=***"
        );
    }

    #[test]
    fn formats_are_named_by_their_kind() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.as_str()), Some(format));
        }
        assert_eq!(Format::from_name("email"), None);
    }
}
