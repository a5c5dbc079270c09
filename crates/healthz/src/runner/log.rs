//! What the runner logs: one event per change of a check's state, never one per run.

use crate::error::{CheckError, ErrorKind};
use crate::redact::Redactor;

/// Logs a change of state, so that a log tells when a backend went down and came back.
/// `previous` is the kind of the run before (`Some(None)` when it worked, `None` when
/// there was none). An unknown error's text, shown nowhere else, is logged (redacted)
/// when the check starts failing with it, and at debug level on the runs after.
pub(super) fn log_result(
    check: &str,
    result: &Result<(), CheckError>,
    previous: Option<Option<ErrorKind>>,
) {
    let now = result.as_ref().err().map(CheckError::kind);
    let changed = previous != Some(now);
    match result {
        Ok(()) if changed => tracing::info!(check, "check is working"),
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::UnknownError => {
            let redactor = Redactor::default();
            let text = redactor.redact(error.message());
            let source = error
                .source()
                .map(|source| redactor.redact(&source.to_string()));
            if changed {
                tracing::error!(check, error = %text, source, "check is failing with an unknown error");
            } else {
                tracing::debug!(check, error = %text, source, "check is still failing with an unknown error");
            }
        }
        Err(error) if changed => {
            tracing::warn!(check, kind = %error.kind(), message = error.public_message(), "check is failing");
        }
        Err(_) => {}
    }
}
