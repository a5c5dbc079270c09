//! `healthz`: serve a health endpoint for the backends in a TOML file, or check
//! them once.
//!
//! `main` only parses the command line, installs logging and dispatches to one module
//! per subcommand; exit codes follow ripgrep's: 0 healthy (or degraded), 1 unhealthy,
//! 2 for any error, usage and config errors included.

mod check;
mod cli;
mod config;
mod config_command;
mod logging;
mod notify;
mod probe;
mod runtime;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;

use cli::{Cli, Command};

/// The exit code of every error: usage, config, I/O.
const ERROR: u8 = 2;

fn main() -> ExitCode {
    // Usage errors exit 2 from here, `--help` and `--version` 0.
    let cli = Cli::parse();
    logging::init(&cli.command);
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Check(args) => check::run(args),
        Command::Config(args) => config_command::run(args),
        Command::Probe(args) => probe::run(args),
    };
    result.unwrap_or_else(|error| {
        eprintln!("healthz: {error:#}");
        ExitCode::from(ERROR)
    })
}
