//! `healthz probe URL`: ask a running endpoint whether it is healthy, for a Docker
//! `HEALTHCHECK` in an image without curl. Exit 0 on a `2xx`, 1 otherwise.

use std::process::ExitCode;

use anyhow::Context as _;
use healthz::checks::HttpEndpoint;
use healthz::redact::redact_url;
use healthz::{Registry, Selection};

use crate::cli::ProbeArgs;
use crate::runtime;

/// The exit code of an endpoint that answers anything but `2xx`, or not at all.
const UNHEALTHY: u8 = 1;

/// GETs the URL once, through the library's [`HttpEndpoint`] check with `--timeout`.
///
/// Exits 0 when it answers `2xx`; otherwise prints why on stderr (the URL without its
/// password) and exits 1.
///
/// # Errors
///
/// Fails on a URL the check cannot use (exit 2).
pub(crate) fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let shown = redact_url(&args.url);
    let endpoint = HttpEndpoint::new(&args.url)?;
    let registry = Registry::builder()
        .default_timeout(args.timeout)
        .check(endpoint)
        .build()
        .context("cannot set up the probe")?;
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
            ExitCode::from(UNHEALTHY)
        }
    })
}
