//! The whole file, validated in one step: its top level, `[server]`, every
//! `[[check]]` and every `[[notify]]` in, a built [`Config`] out.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use healthz::{Endpoint, Registry, Secret};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::check::{self, Added};
use super::diagnostic::{ConfigError, Diagnostics};
use super::interpolate::Env;
use super::notify::{self, Declared};
use super::server::{Server, ServerKeys};
use super::table::{Table, names_of};
use crate::notify::Target;

/// A validated config: the endpoint, built, and where to serve it.
#[derive(Debug)]
pub(crate) struct Config {
    /// `server.bind`.
    pub(crate) bind: SocketAddr,
    /// `server.path`, normalized to end with `/`.
    pub(crate) path: String,
    /// The endpoint, with its registry of checks.
    pub(crate) endpoint: Endpoint,
    /// The names of the checks the file declares, in order (the registry also holds
    /// each notification target's delivery check).
    pub(crate) checks: Vec<String>,
    /// The names of the checks that run in the background, on their own schedule.
    pub(crate) background: Vec<String>,
    /// Directories the checks expect to exist: storage directories and the parents of
    /// database files.
    pub(crate) expected_dirs: Vec<PathBuf>,
    /// `server.drain`: how long `ready` fails before the server stops.
    pub(crate) drain: Duration,
    /// `server.probes`: whether `/livez`, `/readyz` and `/startupz` are served.
    pub(crate) probes: bool,
    /// The notification targets.
    pub(crate) notify: Vec<Target>,
}

/// The top-level key holding the checks, which are read one table at a time.
const CHECK: &str = "check";

/// The top-level key holding the notification targets, read the same way.
const NOTIFY: &str = "notify";

/// The top level, once the checks and the notification targets are taken out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TopKeys {
    /// `[server]`.
    #[serde(default)]
    server: ServerKeys,
}

/// Validates the parsed (and interpolated) file and builds its endpoint; `env` gives
/// the values of the variables the notification targets name.
///
/// # Errors
///
/// Returns the first [`ConfigError`]: at the top level, then in `[server]`, then in
/// each check in turn, then in each target, then a rule of the registry that a check
/// or a target broke.
pub(super) fn build(
    tree: Spanned<DeTable<'_>>,
    diagnostics: &Diagnostics<'_>,
    base_dir: &Path,
    env: Env<'_>,
) -> Result<Config, ConfigError> {
    let mut root = Table::new(tree.span(), tree.into_inner());
    let mut top = names_of::<TopKeys>().to_vec();
    top.extend([CHECK, NOTIFY]);
    if let Some((key, span)) = root.unknown_key(&top) {
        return Err(diagnostics.unknown_key(key, span, "at the top level", &top, None));
    }
    let tables = match root.remove(CHECK) {
        Some(checks) => array_tables(CHECK, "check", checks, diagnostics)?,
        None => Vec::new(),
    };
    let notify_tables = match root.remove(NOTIFY) {
        Some(targets) => array_tables(NOTIFY, "target", targets, diagnostics)?,
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
    let mut targets: Vec<Declared> = Vec::with_capacity(notify_tables.len());
    for (index, table) in notify_tables.into_iter().enumerate() {
        let service = server.service.as_deref();
        let (next, declared) = notify::add(builder, index + 1, table, diagnostics, env, service)?;
        builder = next;
        targets.push(declared);
    }
    // The registry's own rules (unique names, characters a name may hold, tags, the
    // options' ranges), with each broken one located at the key that caused it. Each
    // `[[check]]` registers one check, then each `[[notify]]` one, so the
    // registration's index says which.
    let registry = builder.build().map_err(|error| {
        if let Some(check) = checks.get(error.index) {
            return check::broken_rule(&error, check, diagnostics);
        }
        match targets.get(error.index - checks.len()) {
            Some(target) => notify::broken_rule(&error, target, checks.len(), diagnostics),
            None => diagnostics.error(0..0, error),
        }
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
        background: checks
            .iter()
            .filter(|check| check.is_background())
            .map(|check| check.name.clone())
            .collect(),
        checks: checks.into_iter().map(|check| check.name).collect(),
        drain: server.drain,
        probes: server.probes,
        notify: targets
            .into_iter()
            .map(|declared| declared.target)
            .collect(),
    })
}

/// The tables of `key` (`check`, `notify`), which must be an array of tables:
/// `[[check]]`, or an array of inline tables; each is a `noun` in messages.
fn array_tables<'i>(
    key: &str,
    noun: &str,
    value: Spanned<DeValue<'i>>,
    diagnostics: &Diagnostics<'_>,
) -> Result<Vec<Table<'i>>, ConfigError> {
    let span = value.span();
    let items = match value.into_inner() {
        DeValue::Array(items) => items,
        // `[check]`, a single table, is the likely slip: say what to write instead.
        DeValue::Table(_) => {
            return Err(diagnostics.error(
                span,
                format!("`[{key}]` is a single table: write each {noun} as an array table, `[[{key}]]`, with double brackets"),
            ));
        }
        other => {
            return Err(diagnostics.error(
                span,
                format!(
                    "`{key}`: must be {noun}s written as `[[{key}]]` tables, not a {}",
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
                        "{key} #{}: must be a table (`[[{key}]]`), not a {}",
                        index + 1,
                        other.type_str()
                    ),
                )),
            }
        })
        .collect()
}
