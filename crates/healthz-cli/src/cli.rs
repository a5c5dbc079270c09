//! The command line, parsed by clap: [`Cli`].

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum};

use crate::bind;

/// Health checks for the backends a service depends on: serve a status page and JSON
/// for load balancers, Kubernetes and uptime robots, or check once.
///
/// Without `--config` (or `$HEALTHZ_CONFIG`), a built-in config checks a SQLite
/// database, a storage directory, an in-process cache, disk and memory, in
/// `./healthz-data` (`$HEALTHZ_DATA_DIR`). `healthz config --example minimal` prints a
/// starter config; `healthz config` the commented reference.
///
/// Exit status: 0 healthy (or degraded), 1 unhealthy, 2 usage or config error (`probe`:
/// 0 or 1 only).
#[derive(Debug, Parser)]
#[command(name = "healthz", version)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
    /// When the log on stderr is coloured: `auto` on a terminal unless `NO_COLOR` is
    /// set, `always` or `never`.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    pub(crate) color: Color,
}

impl Cli {
    /// Whether the command line `args` (the program's name first) runs `probe`, even
    /// when it is not a valid one: a usage error of `probe` exits 1 like its other
    /// failures, since Docker reserves 2 in a `HEALTHCHECK`.
    pub(crate) fn runs_probe(args: impl IntoIterator<Item = OsString>) -> bool {
        Self::command()
            .ignore_errors(true)
            .try_get_matches_from(args)
            .is_ok_and(|matches| matches.subcommand_name() == Some("probe"))
    }
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
    /// notification is sent. The command ends at most 2 s after the checks' timeouts:
    /// the clean-up of a check that timed out gets that long, and a probe object it
    /// could not remove is named in a warning on stderr.
    Check(CheckArgs),
    /// Print the commented reference config or a starter config, or validate FILE.
    Config(ConfigArgs),
    /// GET a running endpoint's URL; exit 0 when it answers 2xx, 1 otherwise, usage
    /// errors included (for a Docker HEALTHCHECK in an image without curl, where 2 is
    /// reserved).
    Probe(ProbeArgs),
}

/// `healthz serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The config file (TOML); the built-in config without it.
    #[arg(long, short, value_name = "FILE", env = "HEALTHZ_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// The address to listen on, instead of the config's `server.bind`: `0.0.0.0:8000`
    /// (every IPv4 interface, as a container needs), `[::]:8000`, `localhost:8000`;
    /// port 0 picks a free port.
    #[arg(long, value_name = "ADDR", env = "HEALTHZ_BIND", value_parser = bind::parse_arg)]
    pub(crate) bind: Option<SocketAddr>,
}

/// `healthz check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The config file (TOML); the built-in config without it.
    #[arg(long, short, value_name = "FILE", env = "HEALTHZ_CONFIG")]
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
    /// Print a small commented config to start from instead: `minimal` (the service's
    /// own URL and its disk), `web-app` (PostgreSQL, Redis, S3) or `workers` (Celery,
    /// RabbitMQ).
    #[arg(long, value_enum, value_name = "NAME", conflicts_with = "file")]
    pub(crate) example: Option<Example>,
}

/// The starter configs of `healthz config --example`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Example {
    /// The service's own URL and its disk: no backend to name.
    Minimal,
    /// A web service on PostgreSQL, Redis and S3.
    WebApp,
    /// Celery workers and their RabbitMQ broker.
    Workers,
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
    /// A header to send, like `X-Api-Key: …` (repeat for several).
    #[arg(long = "header", short = 'H', value_name = "NAME:VALUE", value_parser = header)]
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// Send `Authorization: Bearer <token>`, the token read from the environment
    /// variable VAR: never from the command line, where `ps` shows it.
    #[arg(long, value_name = "VAR")]
    pub(crate) token_env: Option<String>,
}

/// When the log is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    /// On a terminal, unless `NO_COLOR` is set to anything but the empty string.
    Auto,
    /// Always, `NO_COLOR` or not.
    Always,
    /// Never.
    Never,
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

/// `NAME:VALUE` (`X-Api-Key: …`, spaces around the value ignored) for `--header`; the
/// value is marked sensitive, since it may be a credential.
fn header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or("must be `NAME:VALUE`, like `X-Api-Key: …`")?;
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a header name"))?;
    let mut value = HeaderValue::from_str(value.trim())
        .map_err(|_| "the value holds characters a header cannot carry")?;
    value.set_sensitive(true);
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn headers_are_name_colon_value() {
        let (name, value) = header("X-Api-Key:  k3y ").unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("x-api-key", "k3y")
        );
        assert!(value.is_sensitive());
        assert_eq!(
            header("X-Api-Key").unwrap_err(),
            "must be `NAME:VALUE`, like `X-Api-Key: …`"
        );
        assert_eq!(
            header("X Key: 1").unwrap_err(),
            "`X Key` is not a header name"
        );
        assert_eq!(
            header("X-Key: a\x01b").unwrap_err(),
            "the value holds characters a header cannot carry"
        );
    }

    #[test]
    fn a_probe_is_recognized_even_when_its_arguments_are_wrong() {
        let runs_probe = |args: &[&str]| {
            Cli::runs_probe(
                std::iter::once("healthz")
                    .chain(args.iter().copied())
                    .map(OsString::from),
            )
        };
        assert!(runs_probe(&["probe", "http://127.0.0.1:8000/ht/"]));
        assert!(runs_probe(&["probe"]));
        assert!(runs_probe(&["probe", "--timeout", "soon", "http://x/"]));
        assert!(runs_probe(&["--color", "never", "probe", "--bogus"]));
        assert!(!runs_probe(&["check", "--check", "probe"]));
        assert!(!runs_probe(&["check", "--bogus"]));
        assert!(!runs_probe(&["probes"]));
        assert!(!runs_probe(&[]));
    }
}
