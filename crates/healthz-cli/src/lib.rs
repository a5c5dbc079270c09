//! `healthz`: serve a health endpoint for the backends in a TOML file, or check
//! them once.
//!
//! This library is the binary's inside, not an API: `main.rs` calls [`run`], and the
//! fuzz targets in `fuzz/` reach the config loader through the hidden `fuzzing`
//! module (the `fuzzing` feature). Use the `healthz` crate to embed health checks.
//!
//! [`run`] only parses the command line, installs logging and dispatches to one module
//! per subcommand; exit codes follow ripgrep's: 0 healthy (or degraded), 1 unhealthy,
//! 2 for any error, usage and config errors included. `probe` is the exception: it
//! exits 1 for every error, since Docker reserves 2 in a `HEALTHCHECK`.

mod bind;
mod check;
mod cli;
mod config;
mod config_command;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod logging;
mod notify;
mod probe;
mod runtime;
mod serve;
mod throttle;

use std::process::ExitCode;

use clap::Parser as _;

use cli::{Cli, Command};

/// The exit code of every error but `probe`'s: usage, config, I/O.
const ERROR: u8 = 2;

/// The whole `healthz` command: parses the command line, runs the subcommand and
/// returns its exit code.
#[must_use]
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => {
            // `--help` and `--version` go to stdout and exit 0.
            let _ = usage.print();
            return if !usage.use_stderr() {
                ExitCode::SUCCESS
            } else if Cli::runs_probe(std::env::args_os()) {
                ExitCode::from(probe::FAILED)
            } else {
                ExitCode::from(ERROR)
            };
        }
    };
    logging::init(&cli.command, cli.color);
    let (result, error_code) = match cli.command {
        Command::Serve(args) => (serve::run(args), ERROR),
        Command::Check(args) => (check::run(args), ERROR),
        Command::Config(args) => (config_command::run(args), ERROR),
        Command::Probe(args) => (probe::run(args), probe::FAILED),
    };
    result.unwrap_or_else(|error| {
        eprintln!("healthz: {error:#}");
        ExitCode::from(error_code)
    })
}
