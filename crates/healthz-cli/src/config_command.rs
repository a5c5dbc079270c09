//! `healthz config`: print the reference config, or validate a file.

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::ConfigArgs;
use crate::config;

/// Prints the reference config, or validates `FILE` and says `FILE: ok (N checks)`,
/// with `, M notification targets` when it has any.
///
/// # Errors
///
/// Fails when the file cannot be read or is not a valid config.
pub(crate) fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    let Some(file) = args.file else {
        stdout.write_all(config::REFERENCE.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    };
    let config = config::load(Some(&file))?;
    let mut counts = counted(config.checks.len(), "check");
    if !config.notify.is_empty() {
        counts = format!(
            "{counts}, {}",
            counted(config.notify.len(), "notification target")
        );
    }
    writeln!(stdout, "{}: ok ({counts})", file.display())?;
    Ok(ExitCode::SUCCESS)
}

/// `1 check`, `2 checks`.
fn counted(count: usize, noun: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {noun}{plural}")
}
