//! How a check fails: [`CheckError`] and its [`ErrorKind`].

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;

/// The kind of a failed check, mirroring django-health-check's exceptions.
///
/// The kind decides how a failure counts: a [`Warning`](ErrorKind::Warning) makes the
/// report degraded, every other kind makes a critical check fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The backend cannot be reached or refuses to work (connection refused, timed out,
    /// wrong credentials).
    Unavailable,
    /// The backend answered, but not what the check expected.
    UnexpectedResult,
    /// The backend works, but something needs attention soon (for example a disk that is
    /// filling up).
    Warning,
    /// A panic or an error the check did not classify. Its text is logged, never shown.
    UnknownError,
}

impl ErrorKind {
    /// The kind as the seed's JSON writes it: `unavailable`, `unexpected result`,
    /// `warning` or `unknown error`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::UnexpectedResult => "unexpected result",
            Self::Warning => "warning",
            Self::UnknownError => "unknown error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The public text of every [`ErrorKind::UnknownError`]: the real text goes to the log.
pub(crate) const UNKNOWN_ERROR_MESSAGE: &str = "internal error, see the service's logs";

/// A failed check: a kind and a message.
///
/// Build one with [`CheckError::unavailable`], [`CheckError::unexpected_result`] or
/// [`CheckError::warning`]. The `?` operator turns any other error into an
/// [`ErrorKind::UnknownError`], whose text is logged but never shown on the endpoint;
/// [`ResultExt`] classifies it instead.
///
/// `CheckError` deliberately does not implement [`std::error::Error`], so that the
/// blanket `From` impl for every error type can exist (as with `anyhow::Error`).
pub struct CheckError {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl CheckError {
    /// A failure of the given kind with a public message.
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The backend cannot be reached or refuses to work.
    #[must_use]
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// The backend answered something other than what the check expected.
    #[must_use]
    pub fn unexpected_result(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnexpectedResult, message)
    }

    /// The backend works, but needs attention soon; reported as degraded.
    #[must_use]
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Warning, message)
    }

    /// An error the check did not classify: its text is kept for the log only.
    #[must_use]
    pub fn unknown(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        let source = error.into();
        Self {
            kind: ErrorKind::UnknownError,
            message: source.to_string(),
            source: Some(source),
        }
    }

    /// Attaches the underlying error, kept for the log.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message as the check wrote it. For [`ErrorKind::UnknownError`] this is the
    /// foreign error's text, which is never shown publicly: use [`public_message`]
    /// for anything a client sees.
    ///
    /// [`public_message`]: CheckError::public_message
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message safe to show on the endpoint.
    #[must_use]
    pub fn public_message(&self) -> &str {
        match self.kind {
            ErrorKind::UnknownError => UNKNOWN_ERROR_MESSAGE,
            _ => &self.message,
        }
    }

    /// The underlying error, if one was attached.
    #[must_use]
    pub fn source(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// A check's task that panicked (with the panic's text, for the log) or was
    /// cancelled.
    pub(crate) fn from_join_error(join_error: tokio::task::JoinError) -> Self {
        match join_error.try_into_panic() {
            Ok(payload) => Self::from_panic(payload.as_ref()),
            Err(join_error) => Self::unknown(join_error),
        }
    }

    /// A check that panicked, with the panic's payload text for the log.
    pub(crate) fn from_panic(payload: &(dyn Any + Send)) -> Self {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a non-string payload".to_owned());
        Self::new(ErrorKind::UnknownError, format!("check panicked: {text}"))
    }
}

impl fmt::Debug for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for CheckError {
    /// Writes `<kind>: <public message>`, the seed's JSON value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.public_message())
    }
}

impl<E> From<E> for CheckError
where
    E: StdError + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Self::unknown(error)
    }
}

/// Classifies errors inside a check: `client.ping().await.unavailable("redis ping")?`.
///
/// The public message is `"<context>: <error>"`. Use it only on errors whose text
/// carries no secret; the bundled checks redact connection URLs themselves.
pub trait ResultExt<T> {
    /// Maps the error to [`ErrorKind::Unavailable`].
    ///
    /// # Errors
    ///
    /// Returns the classified error when `self` is `Err`.
    fn unavailable(self, context: &str) -> Result<T, CheckError>;

    /// Maps the error to [`ErrorKind::UnexpectedResult`].
    ///
    /// # Errors
    ///
    /// Returns the classified error when `self` is `Err`.
    fn unexpected_result(self, context: &str) -> Result<T, CheckError>;
}

impl<T, E> ResultExt<T> for Result<T, E>
where
    E: StdError + Send + Sync + 'static,
{
    fn unavailable(self, context: &str) -> Result<T, CheckError> {
        self.map_err(|e| CheckError::unavailable(format!("{context}: {e}")).with_source(e))
    }

    fn unexpected_result(self, context: &str) -> Result<T, CheckError> {
        self.map_err(|e| CheckError::unexpected_result(format!("{context}: {e}")).with_source(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<u32, CheckError> {
        Ok(text.parse::<u32>()?)
    }

    #[test]
    fn question_mark_turns_foreign_errors_into_unknown_errors_with_a_hidden_text() {
        let error = parse("nope").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownError);
        assert_eq!(error.message(), "invalid digit found in string");
        assert_eq!(error.public_message(), UNKNOWN_ERROR_MESSAGE);
        assert!(!error.to_string().contains("invalid digit"));
    }

    #[test]
    fn display_is_the_seed_json_value() {
        let error = CheckError::unavailable("connection refused");
        assert_eq!(error.to_string(), "unavailable: connection refused");
        let error = CheckError::unexpected_result("read back other bytes");
        assert_eq!(
            error.to_string(),
            "unexpected result: read back other bytes"
        );
        assert_eq!(CheckError::warning("x").to_string(), "warning: x");
    }

    #[test]
    fn result_ext_classifies_with_context() {
        let result: Result<(), _> =
            Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let error = result.unavailable("connect").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert_eq!(error.message(), "connect: connection refused");
        assert!(error.source().is_some());
    }

    #[test]
    fn panic_payloads_are_kept_for_the_log() {
        let error = CheckError::from_panic(&"boom");
        assert_eq!(error.message(), "check panicked: boom");
        let error = CheckError::from_panic(&String::from("bang"));
        assert_eq!(error.message(), "check panicked: bang");
        assert_eq!(error.public_message(), UNKNOWN_ERROR_MESSAGE);
    }
}
