//! `healthz check`: run the checks once, print the report, exit 0 or 1.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use healthz::{CheckReport, Format, HealthStatus, Registry, Report, Selection, SelectionError};

use crate::cli::{CheckArgs, OutputFormat};
use crate::{config, runtime};

/// The exit code of an unhealthy report.
const UNHEALTHY: u8 = 1;

/// Runs the selected checks once and prints the report, as the server would answer
/// once every background check has its first result.
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
    let selection = if args.checks.is_empty() {
        // The notification targets' delivery checks report on what `serve` sends; a
        // one-shot check sends nothing.
        config
            .notify
            .iter()
            .fold(Selection::all(), |selection, target| {
                selection.exclude(&target.check_name)
            })
    } else {
        args.checks
            .iter()
            .fold(Selection::all(), |selection, name| selection.check(name))
    };
    let background: Vec<&str> = config
        .background
        .iter()
        .filter(|name| args.checks.is_empty() || args.checks.contains(name))
        .map(String::as_str)
        .collect();
    let registry = config.endpoint.registry();
    let report = runtime.block_on(async {
        first_results(registry, &background).await;
        registry.run(&selection).await
    });
    // The report goes out first; the shutdown then takes at most a few seconds, even
    // with a check stuck in a system call.
    let exit = report
        .map_err(|error| selection_error(&error, &config.checks))
        .and_then(|report| print(&report, format));
    runtime::shut_down(runtime, config);
    exit
}

/// Starts the registry's background checks and waits until each of `names` has its
/// first result, so that the report shows them rather than `pending`. Each first run
/// starts at once and its timeout bounds it, so the wait ends.
async fn first_results(registry: &Registry, names: &[&str]) {
    if names.is_empty() {
        return;
    }
    // Subscribed before they start: every first result is a change from `pending`.
    let mut transitions = registry.subscribe();
    registry.start();
    let mut waiting: HashSet<&str> = names.iter().copied().collect();
    while !waiting.is_empty() {
        match transitions.recv().await {
            Ok(transition) => {
                waiting.remove(transition.check.as_str());
            }
            // More changes at once than the channel holds: the report shows where
            // each check is.
            Err(_) => return,
        }
    }
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

/// The report as aligned columns, each check's observed values on lines of their
/// own below its status, then a summary line:
///
/// ```text
/// NAME             DURATION  STATUS
/// DatabaseBackend    1.2 ms  working (1 of 3 failures)
/// StorageBackend     0.3 ms  unavailable: directory does not exist
/// DiskUsage          0.1 ms  working
///                            usage 42.1 percent
/// Queue                      pending
///
/// unhealthy: 2 of 4 checks working in 1.2 ms
/// ```
fn table(report: &Report) -> String {
    let header = ["NAME", "DURATION", "STATUS"].map(str::to_owned);
    let rows: Vec<[String; 3]> = report
        .checks
        .iter()
        .map(|check| [check.name.clone(), duration_of(check), check.outcome_text()])
        .collect();
    let mut widths = [0; 2];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let [name_width, duration_width] = widths;
    let indent = name_width + 2 + duration_width + 2;
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(format!(
        "{:<name_width$}  {:>duration_width$}  {}",
        header[0], header[1], header[2]
    ));
    for (check, [name, duration, status]) in report.checks.iter().zip(&rows) {
        line(format!(
            "{name:<name_width$}  {duration:>duration_width$}  {status}"
        ));
        for observation in &check.observations {
            line(format!("{:indent$}{observation}", ""));
        }
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

/// How long the check's result took; nothing while it is pending.
fn duration_of(check: &CheckReport) -> String {
    match check.finished_at {
        Some(_) => milliseconds(check.duration),
        None => String::new(),
    }
}

/// `1.2 ms`: checks are fast, so milliseconds with one decimal read best.
fn milliseconds(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use healthz::{Damping, ErrorKind, Observation, Outcome};

    use super::*;

    #[test]
    fn the_table_aligns_columns_shows_details_and_sums_up() {
        let took = Duration::from_micros(1200);
        let mut pending = CheckReport::new("Queue", Outcome::Pending);
        pending.finished_at = None;
        let report = Report::new(
            vec![
                CheckReport::new("DatabaseBackend", Outcome::Working)
                    .duration(took)
                    .damping(Damping::Failures {
                        failures: 1,
                        threshold: 3,
                    }),
                CheckReport::new(
                    "StorageBackend",
                    Outcome::failed(ErrorKind::Unavailable, "directory does not exist"),
                )
                .duration(Duration::from_micros(300)),
                CheckReport::new("DiskUsage", Outcome::Working)
                    .duration(Duration::from_micros(100))
                    .observations(vec![
                        Observation::number("usage", 42.1).unit("percent"),
                        Observation::text("mount", "/"),
                    ]),
                pending,
            ],
            SystemTime::UNIX_EPOCH,
            took,
        );
        assert_eq!(
            table(&report),
            "\
NAME             DURATION  STATUS
DatabaseBackend    1.2 ms  working (1 of 3 failures)
StorageBackend     0.3 ms  unavailable: directory does not exist
DiskUsage          0.1 ms  working
                           usage 42.1 percent
                           mount /
Queue                      pending

unhealthy: 2 of 4 checks working in 1.2 ms
"
        );
    }
}
