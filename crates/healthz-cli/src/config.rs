//! The config file: TOML in, a [`Config`] (an endpoint and where to serve it) out.
//!
//! Loading runs in steps:
//!
//! 1. the TOML is parsed into a tree that remembers where every key and value is;
//! 2. [`interpolate`] replaces `${VAR}` in its string values;
//! 3. [`document`] validates the tree and builds the endpoint, in one step: the top
//!    level, [`server`], then each [`check`], whose table is read in parts ([`table`]):
//!    the keys every check takes (with those of its freshness and damping,
//!    [`policy`]), then those of its kind, a serde struct of its own in [`kinds`] next
//!    to the code that builds the library's check from it; then each [`notify`]
//!    target.
//!
//! Every error is a [`ConfigError`] naming the file, the line and the key, which
//! [`diagnostic`] finds from the spans of the tree.
//!
//! The modules depend on each other in one direction only: each imports only from
//! the lines below its own.
//!
//! ```text
//! document
//! server  check  notify
//!         kinds  policy
//! registrar  table  values
//! diagnostic
//! interpolate  suggest
//! ```

mod check;
mod diagnostic;
mod document;
mod interpolate;
mod kinds;
mod notify;
mod policy;
mod registrar;
mod server;
mod suggest;
mod table;
mod values;

use std::path::Path;

use anyhow::Context as _;
use toml::de::DeTable;

use crate::cli::Example;
pub(crate) use diagnostic::ConfigError;
use diagnostic::Diagnostics;
pub(crate) use document::Config;
use interpolate::Env;
pub(crate) use server::ConnectionLimits;

/// The built-in config: checks that need no server, on a data directory it creates.
pub(crate) const DEFAULT: &str = include_str!("default.toml");

/// What the built-in config is called in error messages.
const DEFAULT_NAME: &str = "<built-in config>";

/// The commented reference config, printed by `healthz config`.
pub(crate) const REFERENCE: &str = include_str!("../reference.toml");

/// A starter config, printed by `healthz config --example`: small and commented, it
/// works once its URLs are filled in. The README shows the same files.
pub(crate) fn example(example: Example) -> &'static str {
    match example {
        Example::Minimal => include_str!("../examples/minimal.toml"),
        Example::WebApp => include_str!("../examples/web-app.toml"),
        Example::Workers => include_str!("../examples/workers.toml"),
    }
}

/// Loads the config file at `file`, or the built-in one, whose data directories are
/// created.
///
/// # Errors
///
/// Fails when the file cannot be read, when it is not a valid config (a
/// [`ConfigError`]) or when the built-in config's directories cannot be created.
pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Config> {
    let env: Env<'_> = &|name| std::env::var(name);
    let Some(file) = file else {
        let config = parse(DEFAULT, DEFAULT_NAME, Path::new(""), env)?;
        for dir in &config.expected_dirs {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        }
        return Ok(config);
    };
    let bytes = std::fs::read(file)
        .with_context(|| format!("cannot read the config file {}", file.display()))?;
    let name = file.display().to_string();
    let text = std::str::from_utf8(&bytes)
        .map_err(|error| Diagnostics::not_utf8(&name, &bytes, &error))?;
    let base_dir = file.parent().unwrap_or(Path::new(""));
    Ok(parse(text, &name, base_dir, env)?)
}

/// Parses and validates a config; `file` names it in errors, relative paths in it are
/// relative to `base_dir`.
///
/// # Errors
///
/// Returns the first [`ConfigError`] in the file.
pub(crate) fn parse(
    text: &str,
    file: &str,
    base_dir: &Path,
    env: Env<'_>,
) -> Result<Config, ConfigError> {
    let mut tree = DeTable::parse(text).map_err(|error| Diagnostics::syntax(file, text, &error))?;
    // The failing variable is named, not its value; the values interpolated before it
    // (a check's `kind` in its section's name, say) are redacted like any other.
    let (interpolated, failure) = interpolate::document(tree.get_mut(), env);
    let diagnostics = Diagnostics::new(file, text, tree.get_ref().clone(), interpolated);
    if let Some((span, error)) = failure {
        let location = diagnostics.locate(&span);
        return Err(diagnostics.error(span, format!("{location}: {error}")));
    }
    document::build(tree, &diagnostics, base_dir, env)
}

#[cfg(test)]
mod tests;
