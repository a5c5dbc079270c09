//! `healthz config`: print the reference config, or validate a file.

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::ConfigArgs;
use crate::config;

/// Prints the reference config, or validates `FILE` and says `FILE: ok (N checks)`.
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
    let count = config.checks.len();
    let noun = if count == 1 { "check" } else { "checks" };
    writeln!(stdout, "{}: ok ({count} {noun})", file.display())?;
    Ok(ExitCode::SUCCESS)
}
