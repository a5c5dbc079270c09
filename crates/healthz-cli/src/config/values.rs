//! Values that more than one table takes, with their readers: each reader checks a
//! value and, when it is wrong, says so at its line, naming its key, without showing
//! a value that came from `${VAR}`.
//!
//! The keys' structs keep these values as written (durations and paths as strings) so
//! that `${VAR}` works in them and their errors read the same as every other
//! validation error.

use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::time::Duration;

use healthz::redact::redact_url;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics, REDACTED};

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

/// An invalid URL or address (`noun`) at `span`, whose text is `value`: the error
/// names the key and says why, with the shape expected, and never shows the value.
///
/// A URL's redacted form is not safe to show either: redaction finds a password only
/// where a URL keeps it, and a libpq keyword string (`host=db password=…`), a URL
/// without a scheme or a user name that is itself a key is not such a URL. The
/// reason is shown with every part of it that quotes the value masked, and with the
/// value itself masked if it came from `${VAR}`.
pub(super) fn invalid_url(
    diagnostics: &Diagnostics<'_>,
    span: Range<usize>,
    noun: &str,
    value: &str,
    reason: &str,
) -> ConfigError {
    let reason = mask_quoted(&diagnostics.redact(&span, reason), value);
    diagnostics.invalid(span, format!("invalid {noun}: {reason}"))
}

/// `text` with every `quoted` part that comes from `value` replaced by `***`.
fn mask_quoted(text: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else if !part.is_empty() && value.contains(part) {
            out.push_str(REDACTED);
        } else {
            out.push('`');
            out.push_str(part);
            out.push('`');
        }
    }
    out
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

/// A humantime duration no longer than `longest`: a value of thousands of years is a
/// slip, and would overflow the clock arithmetic of the schedules it sets.
///
/// # Errors
///
/// Fails when the value is not a duration, or is longer than `longest`.
pub(super) fn duration_up_to(
    value: &Spanned<String>,
    longest: Duration,
    diagnostics: &Diagnostics<'_>,
) -> Result<Duration, ConfigError> {
    let parsed = duration(value, diagnostics)?;
    if parsed > longest {
        return Err(diagnostics.invalid(
            value.span(),
            format!(
                "must be at most {}, not {}",
                humantime::format_duration(longest),
                diagnostics.shown(value)
            ),
        ));
    }
    Ok(parsed)
}

/// A duration more than zero and no longer than `longest`.
///
/// # Errors
///
/// Fails when the value is not a duration, is zero or is longer than `longest`.
pub(super) fn positive_duration_up_to(
    value: &Spanned<String>,
    longest: Duration,
    diagnostics: &Diagnostics<'_>,
) -> Result<Duration, ConfigError> {
    let parsed = duration_up_to(value, longest, diagnostics)?;
    if parsed.is_zero() {
        return Err(diagnostics.invalid(value.span(), "must be more than zero"));
    }
    Ok(parsed)
}

/// A number from `range`'s start to its end.
///
/// # Errors
///
/// Fails when the value is outside the range.
pub(super) fn within<T: Copy + PartialOrd + fmt::Display>(
    value: &Spanned<T>,
    range: RangeInclusive<T>,
    diagnostics: &Diagnostics<'_>,
) -> Result<T, ConfigError> {
    let number = *value.get_ref();
    if !range.contains(&number) {
        return Err(diagnostics.invalid(
            value.span(),
            format!(
                "must be from {} to {}, not {number}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(number)
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
    fn quoted_parts_are_masked() {
        let value = "memcache://cache:hunter2";
        assert_eq!(
            mask_quoted("`hunter2` is not a port number", value),
            "*** is not a port number"
        );
        assert_eq!(
            mask_quoted("use `secret-access-key`, not `cache`", value),
            "use `secret-access-key`, not ***"
        );
        assert_eq!(mask_quoted("no quotes", value), "no quotes");
    }

    #[test]
    fn urls_are_masked_in_debug_output() {
        let url = Url("postgres://app:hunter2@db/orders".to_owned());
        assert_eq!(format!("{url:?}"), "\"postgres://app:***@db/orders\"");
        assert_eq!(url.expose(), "postgres://app:hunter2@db/orders");
    }
}
