//! Logging to stderr through `tracing-subscriber`; the library only emits events.

use std::ffi::OsString;
use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::cli::{Color, Command};

/// Installs the subscriber: `RUST_LOG` when set, else `info` for `serve` (a server's
/// log is its story) and `error` for the one-shot commands, whose report on stdout
/// already says what the log's warnings about failing checks would. The checks' own
/// warnings stay on for them: they tell what no report does, such as the probe object
/// of an interrupted S3 check that could not be removed before the binary exited.
///
/// The log is coloured as `color` says, `NO_COLOR` read for [`Color::Auto`].
pub(crate) fn init(command: &Command, color: Color) {
    let default = match command {
        Command::Serve(_) => "info",
        Command::Check(_) | Command::Config(_) | Command::Probe(_) => "error,healthz::checks=warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = colored(
        color,
        std::env::var_os("NO_COLOR"),
        std::io::stderr().is_terminal(),
    );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

/// Whether to colour: as `--color` says, and in `auto` mode only on a terminal and
/// without `NO_COLOR` (<https://no-color.org>: set to anything but the empty string).
fn colored(color: Color, no_color: Option<OsString>, terminal: bool) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal && no_color.is_none_or(|value| value.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_auto_off_and_the_flag_wins() {
        let set = || Some(OsString::from("1"));
        assert!(colored(Color::Auto, None, true));
        assert!(!colored(Color::Auto, None, false));
        assert!(!colored(Color::Auto, set(), true));
        assert!(colored(Color::Auto, Some(OsString::new()), true));
        assert!(colored(Color::Always, set(), false));
        assert!(!colored(Color::Never, None, true));
    }
}
