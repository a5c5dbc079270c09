//! The whole file, validated in one step: its top level, `[server]` and every
//! `[[check]]` in, a built [`Config`] out.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use healthz::{Endpoint, Registry, Secret};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::check::{self, Added};
use super::diagnostic::{ConfigError, Diagnostics};
use super::server::{Server, ServerKeys};
use super::table::{Table, names_of};

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

/// The top-level key holding the checks, which are read one table at a time.
const CHECK: &str = "check";

/// The top level, once the checks are taken out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TopKeys {
    /// `[server]`.
    #[serde(default)]
    server: ServerKeys,
}

/// Validates the parsed (and interpolated) file and builds its endpoint.
///
/// # Errors
///
/// Returns the first [`ConfigError`]: at the top level, then in `[server]`, then in
/// each check in turn, then a rule of the registry that a check broke.
pub(super) fn build(
    tree: Spanned<DeTable<'_>>,
    diagnostics: &Diagnostics<'_>,
    base_dir: &Path,
) -> Result<Config, ConfigError> {
    let mut root = Table::new(tree.span(), tree.into_inner());
    let mut top = names_of::<TopKeys>().to_vec();
    top.push(CHECK);
    if let Some((key, span)) = root.unknown_key(&top) {
        return Err(diagnostics.unknown_key(key, span, "at the top level", &top, None));
    }
    let tables = match root.remove(CHECK) {
        Some(checks) => check_tables(checks, diagnostics)?,
        None => Vec::new(),
    };
    let server = names_of::<ServerKeys>();
    if let Some((key, span)) = root.unknown_key_under("server", server) {
        return Err(diagnostics.unknown_key(key, span, "in [server]", server, None));
    }
    let top: TopKeys = root
        .read()
        .map_err(|error| diagnostics.deserialize(&error))?;
    let server = Server::validate(&top.server, diagnostics)?;
    let mut builder = Registry::builder()
        .warnings_as_errors(server.warnings_as_errors)
        .history_len(server.history);
    let mut checks: Vec<Added> = Vec::with_capacity(tables.len());
    for (index, table) in tables.into_iter().enumerate() {
        let (next, added) = check::add(builder, index + 1, table, diagnostics, base_dir)?;
        builder = next;
        checks.push(added);
    }
    // The registry's own rules (unique names, characters a name may hold, tags), with
    // each broken one located at the key that caused it. Each `[[check]]` registers
    // one check, so the registration's index is the check's.
    let registry = builder
        .build()
        .map_err(|error| match checks.get(error.index) {
            Some(check) => check::broken_rule(&error, check, diagnostics),
            None => diagnostics.error(0..0, error),
        })?;
    // `server` checked both statuses against the library's rules, at their keys.
    let mut endpoint = Endpoint::new(registry)
        .failure_status(server.failure_status)
        .and_then(|endpoint| endpoint.degraded_status(server.degraded_status))
        .expect("[server] statuses are validated with their keys");
    if let Some(max_age) = server.max_age {
        endpoint = endpoint.max_age(max_age);
    }
    if !server.tokens.is_empty() {
        endpoint = endpoint
            .bearer_tokens(server.tokens.into_iter().map(Secret::into_inner))
            .unauthorized(server.unauthorized);
    }
    Ok(Config {
        bind: server.bind,
        path: server.path,
        endpoint,
        expected_dirs: checks
            .iter()
            .filter_map(|check| check.expected_dir.clone())
            .collect(),
        checks: checks.into_iter().map(|check| check.name).collect(),
    })
}

/// The tables of `check`, which must be an array of tables: `[[check]]`, or an array
/// of inline tables.
fn check_tables<'i>(
    checks: Spanned<DeValue<'i>>,
    diagnostics: &Diagnostics<'_>,
) -> Result<Vec<Table<'i>>, ConfigError> {
    let span = checks.span();
    let items = match checks.into_inner() {
        DeValue::Array(items) => items,
        // `[check]`, a single table, is the likely slip: say what to write instead.
        DeValue::Table(_) => {
            return Err(diagnostics.error(
                span,
                "`[check]` is a single table: write each check as an array table, `[[check]]`, with double brackets",
            ));
        }
        other => {
            return Err(diagnostics.error(
                span,
                format!(
                    "`check`: must be checks written as `[[check]]` tables, not a {}",
                    other.type_str()
                ),
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let span = item.span();
            match item.into_inner() {
                DeValue::Table(table) => Ok(Table::new(span, table)),
                other => Err(diagnostics.error(
                    span,
                    format!(
                        "check #{}: must be a table (`[[check]]`), not a {}",
                        index + 1,
                        other.type_str()
                    ),
                )),
            }
        })
        .collect()
}
