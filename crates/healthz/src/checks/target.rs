//! The connection layer of the network checks: [`InvalidUrl`], the error of a target
//! that a check cannot use.

use std::fmt;

use crate::redact::{Redactor, redact_url};

/// A connection URL that a check cannot use. Its text shows the URL redacted.
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// use healthz::checks::Postgres;
///
/// let error = Postgres::new("mysql://root:s3cr3t@db/test").unwrap_err();
/// assert!(!error.to_string().contains("s3cr3t"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid connection URL `{url}`: {reason}")]
#[non_exhaustive]
pub struct InvalidUrl {
    /// The URL, redacted.
    pub url: String,
    /// Why it cannot be used, redacted.
    pub reason: String,
}

impl InvalidUrl {
    /// An error about `url`; both the URL and the reason are redacted here.
    #[cfg_attr(
        not(any(
            feature = "postgres",
            feature = "mysql",
            feature = "redis",
            feature = "memcached"
        )),
        allow(dead_code)
    )]
    pub(crate) fn new(url: &str, reason: impl fmt::Display) -> Self {
        Self {
            url: redact_url(url),
            reason: Redactor::for_url(url).redact(&reason.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_url_errors_show_no_password() {
        let error = InvalidUrl::new("postgres://u:hunter2@h/db", "bad port in hunter2");
        assert_eq!(
            error.to_string(),
            "invalid connection URL `postgres://u:***@h/db`: bad port in ***"
        );
    }
}
