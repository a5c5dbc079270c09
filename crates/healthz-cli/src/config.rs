//! The config file: TOML in, a [`Config`] (an endpoint and where to serve it) out.
//!
//! Loading runs in steps, one module each:
//!
//! 1. the TOML is parsed into a tree that remembers where every key and value is;
//! 2. [`interpolate`] replaces `${VAR}` in its string values;
//! 3. the tree is deserialized into the plain serde data of [`raw`], which rejects
//!    unknown keys and wrong types;
//! 4. [`validate`] turns that data into a registry and an endpoint, in one step, with
//!    the kinds of check of [`kind`], each built from its own keys ([`keys`]).
//!
//! Every error is a [`ConfigError`] naming the file, the line and the key, which
//! [`diagnostic`] finds from the spans of the tree.

mod diagnostic;
mod interpolate;
mod keys;
mod kind;
mod raw;
mod validate;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use healthz::Endpoint;
use serde::Deserialize as _;
use toml::de::DeTable;

pub(crate) use diagnostic::ConfigError;
use diagnostic::Diagnostics;
use interpolate::Env;

/// The built-in config: checks that need no server, on a data directory it creates.
pub(crate) const DEFAULT: &str = include_str!("default.toml");

/// What the built-in config is called in error messages.
const DEFAULT_NAME: &str = "<built-in config>";

/// The commented reference config, printed by `healthz config`.
pub(crate) const REFERENCE: &str = include_str!("../reference.toml");

/// A validated config: the endpoint, built, and where to serve it.
#[derive(Debug)]
pub(crate) struct Config {
    /// `server.bind`.
    pub(crate) bind: SocketAddr,
    /// `server.path`, normalized to end with `/`.
    pub(crate) path: String,
    /// The endpoint, with its registry of checks.
    pub(crate) endpoint: Endpoint,
    /// The check names, in order.
    pub(crate) checks: Vec<String>,
    /// Directories the checks expect to exist: storage directories and the parents of
    /// database files.
    pub(crate) expected_dirs: Vec<PathBuf>,
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
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the config file {}", file.display()))?;
    let base_dir = file.parent().unwrap_or(Path::new(""));
    Ok(parse(&text, &file.display().to_string(), base_dir, env)?)
}

/// Parses and validates a config; `file` names it in errors, relative paths in it are
/// relative to `base_dir`.
///
/// # Errors
///
/// Returns the first [`ConfigError`] in the file.
fn parse(text: &str, file: &str, base_dir: &Path, env: Env<'_>) -> Result<Config, ConfigError> {
    let mut tree = DeTable::parse(text).map_err(|error| Diagnostics::syntax(file, text, &error))?;
    let (interpolated, failure) = match interpolate::document(tree.get_mut(), env) {
        Ok(interpolated) => (interpolated, None),
        // The failing variable is named, no value is shown: nothing to redact.
        Err(failure) => (interpolate::Interpolated::default(), Some(failure)),
    };
    let diagnostics = Diagnostics::new(file, text, tree.get_ref().clone(), interpolated);
    if let Some((span, error)) = failure {
        let location = diagnostics.locate(&span);
        return Err(diagnostics.error(span, format!("{location}: {error}")));
    }
    let raw = raw::RawConfig::deserialize(toml::de::Deserializer::from(tree))
        .map_err(|error| diagnostics.deserialize(&error))?;
    validate::validate(raw, &diagnostics, base_dir)
}

#[cfg(test)]
mod tests;
