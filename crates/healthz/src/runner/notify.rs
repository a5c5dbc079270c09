//! State changes: one [`Transition`] per change of what a check reports (after
//! damping), sent to every subscriber and logged as one `tracing` event, never one per
//! request or per run.

use std::time::SystemTime;

use tokio::sync::broadcast;

use crate::error::{CheckError, ErrorKind};
use crate::redact::Redactor;
use crate::report::{CheckState, Outcome};
use crate::sanitize;

/// How many transitions a slow subscriber may fall behind before it misses some (and
/// is told so by [`broadcast::error::RecvError::Lagged`]).
const CAPACITY: usize = 256;

/// A change of what a check reports: from working to failing, from pending to working…
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transition {
    /// The check's name.
    pub check: String,
    /// What it reported before.
    pub from: CheckState,
    /// What it reports now.
    pub to: CheckState,
    /// The outcome it reports now (its message is the reason).
    pub outcome: Outcome,
    /// Whether the check is critical.
    pub critical: bool,
    /// When the run that changed it finished.
    pub at: SystemTime,
}

/// Sends transitions to the subscribers and the log.
#[derive(Debug)]
pub(super) struct Notifier(broadcast::Sender<Transition>);

impl Default for Notifier {
    fn default() -> Self {
        Self(broadcast::channel(CAPACITY).0)
    }
}

impl Notifier {
    /// A receiver of the transitions from now on.
    pub(super) fn subscribe(&self) -> broadcast::Receiver<Transition> {
        self.0.subscribe()
    }

    /// Logs the transition and sends it to the subscribers; `result` is the raw result
    /// of the run that made it, whose unknown error text is logged (redacted) here and
    /// shown nowhere else.
    pub(super) fn send(&self, transition: Transition, result: &Result<(), CheckError>) {
        log(&transition, result);
        // No subscriber is not an error: the log line above is the record.
        let _ = self.0.send(transition);
    }
}

/// One event per transition: `info` when a check works again, `warn` when it starts
/// warning or failing, `error` with the underlying text for an unknown error.
fn log(transition: &Transition, result: &Result<(), CheckError>) {
    let check = transition.check.as_str();
    let from = transition.from.as_str();
    match (&transition.outcome, result) {
        (Outcome::Working, _) => tracing::info!(check, from, "check is working"),
        (_, Err(error)) if error.kind() == ErrorKind::UnknownError => {
            let text = log_text(error.message());
            let source = error.source().map(|source| log_text(&source.to_string()));
            tracing::error!(check, from, error = %text, source, "check is failing with an unknown error");
        }
        (outcome, _) => tracing::warn!(
            check,
            from,
            to = transition.to.as_str(),
            outcome = %outcome.text(),
            "check changed state"
        ),
    }
}

/// A raw result that did not change what the check reports, at debug level: damped
/// failures and repeated ones.
pub(super) fn log_unchanged(check: &str, result: &Result<(), CheckError>) {
    match result {
        Ok(()) => tracing::trace!(check, "check worked"),
        Err(error) if error.kind() == ErrorKind::UnknownError => {
            let text = log_text(error.message());
            tracing::debug!(check, error = %text, "check is still failing with an unknown error");
        }
        Err(error) => {
            let outcome = log_text(&error.to_string());
            tracing::debug!(check, outcome = %outcome, "check failed");
        }
    }
}

/// A foreign error's text as the log may show it: URLs' passwords masked, control
/// characters out, bounded.
fn log_text(text: &str) -> String {
    sanitize::clean(
        &Redactor::default().redact(text),
        sanitize::MAX_MESSAGE_CHARS,
    )
}
