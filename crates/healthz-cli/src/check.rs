//! `healthz check`: run the checks once, print the report, exit 0 or 1.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use healthz::{Format, HealthStatus, Report, Selection, SelectionError};

use crate::cli::{CheckArgs, OutputFormat};
use crate::{config, runtime};

/// The exit code of an unhealthy report.
const UNHEALTHY: u8 = 1;

/// Runs the selected checks once and prints the report.
///
/// The exit code is 1 when the report is unhealthy (a critical check failed, or warned
/// with `warnings-as-errors`) and 0 otherwise, degraded included.
///
/// # Errors
///
/// Fails on a config error or an unknown `--check` name.
pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let config = config::load(args.config.as_deref())?;
    let runtime = runtime::current_thread()?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Text
    });
    let selection = args
        .checks
        .iter()
        .fold(Selection::all(), |selection, name| selection.check(name));
    let report = runtime.block_on(config.endpoint.registry().run(&selection));
    // The report goes out first; the shutdown then takes at most a few seconds, even
    // with a check stuck in a system call.
    let exit = report
        .map_err(|error| selection_error(&error, &config.checks))
        .and_then(|report| print(&report, format));
    runtime::shut_down(runtime, config);
    exit
}

/// Prints the report in `format`; the exit code follows its status.
fn print(report: &Report, format: OutputFormat) -> anyhow::Result<ExitCode> {
    let output = match format {
        OutputFormat::Table => table(report),
        OutputFormat::Text => healthz::render(Format::Text, report),
        OutputFormat::Json => healthz::render(Format::Json, report),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(output.as_bytes())?;
    if !output.ends_with('\n') {
        stdout.write_all(b"\n")?;
    }
    stdout.flush()?;
    Ok(match report.status() {
        HealthStatus::Unhealthy => ExitCode::from(UNHEALTHY),
        HealthStatus::Healthy | HealthStatus::Degraded => ExitCode::SUCCESS,
    })
}

/// An unknown `--check` name, with the names there are.
fn selection_error(error: &SelectionError, names: &[String]) -> anyhow::Error {
    match error {
        SelectionError::UnknownCheck(_) => {
            anyhow!("{error} (the checks are: {})", names.join(", "))
        }
        _ => anyhow!("{error}"),
    }
}

/// The report as aligned columns, then a summary line:
///
/// ```text
/// NAME             STATUS       DURATION  MESSAGE
/// DatabaseBackend  working        1.2 ms
/// StorageBackend   unavailable    0.3 ms  directory does not exist
///
/// unhealthy: 1 of 2 checks working in 1.2 ms
/// ```
fn table(report: &Report) -> String {
    let rows: Vec<[String; 4]> = report
        .checks
        .iter()
        .map(|check| {
            let status = check
                .outcome
                .error_kind()
                .map_or("working", |kind| kind.as_str());
            let message = check.outcome.message().unwrap_or_default();
            [
                check.name.clone(),
                status.to_owned(),
                milliseconds(check.duration),
                message.to_owned(),
            ]
        })
        .collect();
    let header = ["NAME", "STATUS", "DURATION", "MESSAGE"].map(str::to_owned);
    let mut widths = [0; 3];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for [name, status, duration, message] in std::iter::once(&header).chain(&rows) {
        let [name_width, status_width, duration_width] = widths;
        let line = format!(
            "{name:<name_width$}  {status:<status_width$}  {duration:>duration_width$}  {message}"
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let working = report
        .checks
        .iter()
        .filter(|check| check.outcome.is_working())
        .count();
    let total = report.checks.len();
    let noun = if total == 1 { "check" } else { "checks" };
    let took = milliseconds(report.duration);
    let status = report.status().as_str();
    out.push('\n');
    let _ = writeln!(
        out,
        "{status}: {working} of {total} {noun} working in {took}"
    );
    out
}

/// `1.2 ms`: checks are fast, so milliseconds with one decimal read best.
fn milliseconds(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use healthz::{CheckError, CheckResult, HealthCheck, Registry};

    use super::*;

    struct Fine;
    impl HealthCheck for Fine {
        async fn check(&self) -> CheckResult {
            Ok(())
        }
    }

    struct Broken;
    impl HealthCheck for Broken {
        async fn check(&self) -> CheckResult {
            Err(CheckError::unavailable("connection refused"))
        }
    }

    #[tokio::test]
    async fn the_table_aligns_columns_and_sums_up() {
        let registry = Registry::builder()
            .check(Fine)
            .check(Broken)
            .build()
            .unwrap();
        let mut report = (*registry.run(&Selection::all()).await.unwrap()).clone();
        for check in &mut report.checks {
            check.duration = Duration::from_micros(1200);
        }
        report.duration = Duration::from_micros(1200);
        report.started_at = SystemTime::UNIX_EPOCH;
        assert_eq!(
            table(&report),
            "\
NAME    STATUS       DURATION  MESSAGE
Fine    working        1.2 ms
Broken  unavailable    1.2 ms  connection refused

unhealthy: 1 of 2 checks working in 1.2 ms
"
        );
    }
}
