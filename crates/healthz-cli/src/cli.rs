//! The command line, parsed by clap: [`Cli`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Health checks for the backends a service depends on: serve a status page and JSON
/// for load balancers, Kubernetes and uptime robots, or check once.
///
/// Without `--config`, a built-in config checks a SQLite database, a storage
/// directory, an in-process cache, disk and memory, in `./healthz-data`
/// (`$HEALTHZ_DATA_DIR`). `healthz config` prints a commented config file.
///
/// Exit status: 0 healthy (or degraded), 1 unhealthy, 2 usage or config error.
#[derive(Debug, Parser)]
#[command(name = "healthz", version)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the health endpoint over HTTP until SIGTERM or Ctrl-C, and a drain.
    ///
    /// State changes are posted to the config's `[[notify]]` webhooks. On SIGTERM or
    /// Ctrl-C the `ready` group fails while the server keeps serving for `[server]
    /// drain` (5s), then it stops; a second signal stops it at once.
    Serve(ServeArgs),
    /// Run the checks once; exit 0 when healthy or degraded, 1 when unhealthy.
    ///
    /// A background check (`interval`) is reported with its first result. No
    /// notification is sent.
    Check(CheckArgs),
    /// Print the commented reference config, or validate FILE.
    Config(ConfigArgs),
    /// GET a running endpoint's URL; exit 0 when it answers 2xx, 1 otherwise (for a
    /// Docker HEALTHCHECK in an image without curl).
    Probe(ProbeArgs),
}

/// `healthz serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The config file (TOML); the built-in config without it.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The address to listen on, instead of the config's `server.bind`
    /// (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub(crate) bind: Option<SocketAddr>,
}

/// `healthz check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The config file (TOML); the built-in config without it.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The output format; `table` on a terminal, `text` otherwise.
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<OutputFormat>,
    /// Run only this check (repeat for several); the others are skipped.
    #[arg(long = "check", value_name = "NAME")]
    pub(crate) checks: Vec<String>,
}

/// `healthz config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// The config file to validate; without it, the reference config is printed.
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
}

/// `healthz probe`.
#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// The endpoint's URL (`http://…`).
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// How long to wait for the answer (`500ms`, `5s`).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) timeout: Duration,
}

/// How `check` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned columns: name, status, duration, message; then a summary.
    Table,
    /// One `name: status` line per check, as the endpoint's text format.
    Text,
    /// The endpoint's JSON: `{"name": "working", …}`.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
