//! Values that more than one table takes, with their readers: each reader checks a
//! value and, when it is wrong, says so at its line, naming its key, without showing
//! a value that came from `${VAR}`.
//!
//! The keys' structs keep these values as written (durations and paths as strings) so
//! that `${VAR}` works in them and their errors read the same as every other
//! validation error.

use std::fmt;
use std::time::Duration;

use healthz::redact::redact_url;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics};

/// A URL that may hold a password: `Debug` shows it with the password masked, so that
/// the structs holding one can derive `Debug`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(super) struct Url(String);

impl Url {
    /// The URL as written, password included, for the library's constructors.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

/// A humantime duration (`2s`, `1500ms`, `1m 30s`).
///
/// # Errors
///
/// Fails when the value is not a duration.
pub(super) fn duration(
    value: &Spanned<String>,
    diagnostics: &Diagnostics<'_>,
) -> Result<Duration, ConfigError> {
    humantime::parse_duration(value.get_ref()).map_err(|_| {
        diagnostics.invalid(
            value.span(),
            format!(
                "must be a duration like `2s` or `500ms`, not {}",
                diagnostics.shown(value)
            ),
        )
    })
}

/// A string that must not be blank.
///
/// # Errors
///
/// Fails when the value is empty or only white space.
pub(super) fn non_empty<'v>(
    value: &'v Spanned<String>,
    diagnostics: &Diagnostics<'_>,
) -> Result<&'v str, ConfigError> {
    if value.get_ref().trim().is_empty() {
        return Err(diagnostics.invalid(value.span(), "must not be empty"));
    }
    Ok(value.get_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_masked_in_debug_output() {
        let url = Url("postgres://app:hunter2@db/orders".to_owned());
        assert_eq!(format!("{url:?}"), "\"postgres://app:***@db/orders\"");
        assert_eq!(url.expose(), "postgres://app:hunter2@db/orders");
    }
}
