//! `healthz probe URL`: ask a running endpoint whether it is healthy, for a Docker
//! `HEALTHCHECK` in an image without curl. Exit 0 on a `2xx`, 1 otherwise.

use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use healthz::checks::HttpEndpoint;
use healthz::redact::redact_url;
use healthz::{Registry, Selection};

use crate::cli::ProbeArgs;
use crate::runtime;

/// The exit code of an endpoint that answers anything but `2xx`, or not at all, and of
/// every error of `probe`: Docker reserves 2 in a `HEALTHCHECK`.
pub(crate) const FAILED: u8 = 1;

/// GETs the URL once, through the library's [`HttpEndpoint`] check with `--timeout`,
/// the `--header`s and the bearer token of `--token-env`.
///
/// Exits 0 when it answers `2xx`; otherwise prints why on stderr (the URL without its
/// password) and exits 1.
///
/// # Errors
///
/// Fails on a URL the check cannot use, an unset `--token-env` variable or a
/// `--timeout` the library refuses (exit 1 all the same).
pub(crate) fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let shown = redact_url(&args.url);
    let mut endpoint = HttpEndpoint::new(&args.url)?;
    for (name, value) in args.headers {
        endpoint = endpoint.header(name, value);
    }
    if let Some(var) = &args.token_env {
        let token = std::env::var(var)
            .ok()
            .filter(|token| !token.is_empty())
            .ok_or_else(|| anyhow!("--token-env: the environment variable `{var}` is not set"))?;
        endpoint = endpoint.bearer_token(token);
    }
    // The probe's only option is its timeout: a rule of the registry it breaks is
    // about that flag, and says so rather than naming the check inside.
    let registry = Registry::builder()
        .default_timeout(args.timeout)
        .check(endpoint)
        .build()
        .map_err(|error| {
            let timeout = humantime::format_duration(args.timeout);
            anyhow!("--timeout {timeout}: {}", error.rule)
        })?;
    let runtime = runtime::current_thread()?;
    let report = runtime.block_on(registry.run(&Selection::all()));
    let failure = report.context("cannot run the probe").map(|report| {
        report
            .checks
            .iter()
            .find(|check| !check.outcome.is_working())
            .map(|check| check.outcome.text())
    });
    runtime::shut_down(runtime, registry);
    Ok(match failure? {
        None => ExitCode::SUCCESS,
        Some(why) => {
            eprintln!("healthz: {shown}: {why}");
            ExitCode::from(FAILED)
        }
    })
}
