//! Logging to stderr through `tracing-subscriber`; the library only emits events.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::cli::Command;

/// Installs the subscriber: `RUST_LOG` when set, else `info` for `serve` (a server's
/// log is its story) and `error` for the one-shot commands, whose report on stdout
/// already says what the log's warnings about failing checks would.
///
/// Either default leaves out lapin (the Celery check's AMQP client): it logs every
/// refused login or lost connection as errors from a thread of its own, where the
/// check cannot quiet it, and the check's result already says what went wrong.
pub(crate) fn init(command: &Command) {
    let default = match command {
        Command::Serve(_) => "info,lapin=off",
        Command::Check(_) | Command::Config(_) | Command::Probe(_) => "error,lapin=off",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
