//! The whole file, validated in one step: its top level, `[server]`, every
//! `[[check]]` and every `[[notify]]` in, a built [`Config`] out.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::StatusCode;
use healthz::{Endpoint, InvalidStatus, Registry, Secret};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::check::{self, Added};
use super::diagnostic::{ConfigError, Diagnostics};
use super::interpolate::Env;
use super::notify::{self, Declared};
use super::server::{ConnectionLimits, Server, ServerKeys};
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
    /// The `[server]` keys that limit connections and bound the shutdown.
    pub(crate) connections: ConnectionLimits,
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
/// or a target broke, then a `[server]` status that the endpoint refuses, then a file
/// without a check.
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
    let endpoint = Endpoint::new(registry).service(server.info);
    let endpoint = status(
        endpoint,
        server.failure_status.as_ref(),
        Endpoint::failure_status,
        diagnostics,
    )?;
    let mut endpoint = status(
        endpoint,
        server.degraded_status.as_ref(),
        Endpoint::degraded_status,
        diagnostics,
    )?;
    // An endpoint without a check is always healthy, so a load balancer would trust
    // it for nothing: most likely a file that has yet to be written.
    if checks.is_empty() {
        return Err(diagnostics.whole_file(
            "no check: add a `[[check]]` table for each backend; `healthz config --example minimal` (or `web-app`, `workers`) prints a config to start from",
        ));
    }
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
        connections: server.connections,
        probes: server.probes,
        notify: targets
            .into_iter()
            .map(|declared| declared.target)
            .collect(),
    })
}

/// Sets a `[server]` status, if written, with `set`: the endpoint's own setter, whose
/// rules say which statuses fit their use; a refusal is located at the key.
fn status(
    endpoint: Endpoint,
    status: Option<&Spanned<StatusCode>>,
    set: fn(Endpoint, StatusCode) -> Result<Endpoint, InvalidStatus>,
    diagnostics: &Diagnostics<'_>,
) -> Result<Endpoint, ConfigError> {
    match status {
        Some(status) => set(endpoint, *status.get_ref())
            .map_err(|refused| diagnostics.invalid(status.span(), refused)),
        None => Ok(endpoint),
    }
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
