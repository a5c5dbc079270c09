//! The one validating step: [`RawConfig`] in, [`Config`] (a built endpoint and where to
//! serve it) out, every error located in the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::StatusCode;
use healthz::{
    BuildError, BuildRule, CheckOptions, DEFAULT_HISTORY_LEN, DEFAULT_TIMEOUT, Endpoint,
    HealthCheck, Registry, RegistryBuilder, Unauthorized,
};
use toml::Spanned;

use super::Config;
use super::diagnostic::{ConfigError, Diagnostics, REDACTED, Section};
use super::keys::KindKeys;
use super::kind::Kind;
use super::raw::{RawCheck, RawConfig, RawServer};

/// `bind` unless the file sets it.
pub(super) const DEFAULT_BIND: &str = "127.0.0.1:8000";
/// `path` unless the file sets it.
pub(super) const DEFAULT_PATH: &str = "/ht/";
/// The largest `history`: it is kept in memory for every check (the page draws the
/// last 60 runs).
const MAX_HISTORY: usize = 1000;

/// Validates the raw config and builds its endpoint.
///
/// # Errors
///
/// Returns the first [`ConfigError`], in file order within `[server]` and then each
/// check.
pub(super) fn validate(
    raw: RawConfig,
    diagnostics: &Diagnostics<'_>,
    base_dir: &Path,
) -> Result<Config, ConfigError> {
    let server = Server::validate(&raw.server, diagnostics)?;
    let mut builder = Registry::builder()
        .warnings_as_errors(server.warnings_as_errors)
        .history_len(server.history);
    let mut checks = Vec::with_capacity(raw.check.len());
    let mut expected_dirs = Vec::new();
    for (index, check) in raw.check.iter().enumerate() {
        let registered = register(builder, index + 1, check, diagnostics, base_dir)?;
        builder = registered.builder;
        checks.push(registered.name);
        expected_dirs.extend(registered.expected_dir);
    }
    // The registry's own rules (unique names, characters a name may hold, tags), with
    // each broken one located at the key that caused it.
    let registry = builder
        .build()
        .map_err(|error| build_error(&error, &raw, diagnostics))?;
    let mut endpoint = Endpoint::new(registry)
        .failure_status(server.failure_status)
        .degraded_status(server.degraded_status);
    if let Some(max_age) = server.max_age {
        endpoint = endpoint.max_age(max_age);
    }
    if !server.tokens.is_empty() {
        endpoint = endpoint
            .bearer_tokens(server.tokens)
            .unauthorized(server.unauthorized);
    }
    Ok(Config {
        bind: server.bind,
        path: server.path,
        endpoint,
        checks,
        expected_dirs,
    })
}

/// `[server]`, validated.
struct Server {
    bind: SocketAddr,
    path: String,
    failure_status: StatusCode,
    degraded_status: StatusCode,
    warnings_as_errors: bool,
    max_age: Option<Duration>,
    history: usize,
    /// The bearer tokens; empty when the endpoint is open.
    tokens: Vec<String>,
    unauthorized: Unauthorized,
}

impl Server {
    fn validate(raw: &RawServer, diagnostics: &Diagnostics<'_>) -> Result<Self, ConfigError> {
        let invalid = |key: &str, span, problem: String| {
            diagnostics.error(span, format!("[server]: `{key}`: {problem}"))
        };
        let bind = match &raw.bind {
            Some(bind) => bind.get_ref().parse().map_err(|_| {
                invalid(
                    "bind",
                    bind.span(),
                    format!(
                        "must be an IP address and port (like `127.0.0.1:8000` or `[::]:8000`), not {}",
                        diagnostics.shown(bind)
                    ),
                )
            })?,
            None => DEFAULT_BIND.parse().expect("the default address is valid"),
        };
        let path = match &raw.path {
            Some(path) => normalize_path(path.get_ref()).ok_or_else(|| {
                invalid(
                    "path",
                    path.span(),
                    format!(
                        "must be a URL path like `/ht/` (segments of letters, digits, `-`, `_`, `.` and `~`), not {}",
                        diagnostics.shown(path)
                    ),
                )
            })?,
            None => DEFAULT_PATH.to_owned(),
        };
        let status = |key: &str, value: &Option<Spanned<u16>>, default, allowed: &[u16]| {
            let Some(value) = value else {
                return Ok(default);
            };
            let code = *value.get_ref();
            match StatusCode::from_u16(code) {
                Ok(status) if allowed.contains(&(code / 100)) => Ok(status),
                _ => {
                    let classes: Vec<String> = allowed.iter().map(|c| format!("{c}xx")).collect();
                    Err(invalid(
                        key,
                        value.span(),
                        format!("must be a {} status code, not {code}", classes.join(" or ")),
                    ))
                }
            }
        };
        let failure_status = status(
            "failure-status",
            &raw.failure_status,
            StatusCode::INTERNAL_SERVER_ERROR,
            &[4, 5],
        )?;
        let degraded_status = status(
            "degraded-status",
            &raw.degraded_status,
            StatusCode::OK,
            &[2, 4, 5],
        )?;
        let max_age = raw
            .max_age
            .as_ref()
            .map(|max_age| duration("max-age", max_age, &Section::Server, diagnostics))
            .transpose()?;
        let history = match &raw.history {
            Some(history) if !(1..=MAX_HISTORY).contains(history.get_ref()) => {
                return Err(invalid(
                    "history",
                    history.span(),
                    format!("must be from 1 to {MAX_HISTORY}, not {}", history.get_ref()),
                ));
            }
            Some(history) => *history.get_ref(),
            None => DEFAULT_HISTORY_LEN,
        };
        let tokens = tokens(raw, &invalid)?;
        let unauthorized = match &raw.unauthorized {
            None => Unauthorized::Forbidden,
            Some(value) if tokens.is_empty() => {
                return Err(invalid(
                    "unauthorized",
                    value.span(),
                    "only applies with `tokens`; set them or remove this key".to_owned(),
                ));
            }
            Some(value) => match value.get_ref().as_str() {
                "forbidden" => Unauthorized::Forbidden,
                "status-only" => Unauthorized::StatusOnly,
                _ => {
                    return Err(invalid(
                        "unauthorized",
                        value.span(),
                        format!(
                            "must be `forbidden` or `status-only`, not {}",
                            diagnostics.shown(value)
                        ),
                    ));
                }
            },
        };
        Ok(Self {
            bind,
            path,
            failure_status,
            degraded_status,
            warnings_as_errors: raw.warnings_as_errors.unwrap_or(false),
            max_age,
            history,
            tokens,
            unauthorized,
        })
    }
}

/// `[server] tokens`: at least one, none empty or with characters a client cannot send
/// after `Bearer `. The errors say which token, never what it holds.
fn tokens(
    raw: &RawServer,
    invalid: &impl Fn(&str, std::ops::Range<usize>, String) -> ConfigError,
) -> Result<Vec<String>, ConfigError> {
    let Some(list) = &raw.tokens else {
        return Ok(Vec::new());
    };
    if list.get_ref().is_empty() {
        return Err(invalid(
            "tokens",
            list.span(),
            "must list at least one token; remove the key to serve without one".to_owned(),
        ));
    }
    let mut tokens = Vec::with_capacity(list.get_ref().len());
    for (index, token) in list.get_ref().iter().enumerate() {
        let value = &token.get_ref().0;
        let problem = if value.is_empty() {
            Some("is empty")
        } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("holds whitespace or a control character, which a client cannot send")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(invalid(
                "tokens",
                token.span(),
                format!("token #{} {problem}", index + 1),
            ));
        }
        tokens.push(value.clone());
    }
    Ok(tokens)
}

/// `/ht` → `/ht/`; `None` unless it is an absolute path of plain segments.
fn normalize_path(path: &str) -> Option<String> {
    if path == "/" {
        return Some(path.to_owned());
    }
    let inner = path.strip_prefix('/')?;
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    let valid_segment = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
    };
    inner
        .split('/')
        .all(valid_segment)
        .then(|| format!("/{inner}/"))
}

/// A humantime duration (`2s`, `1500ms`, `1m 30s`).
pub(super) fn duration(
    key: &str,
    value: &Spanned<String>,
    section: &Section,
    diagnostics: &Diagnostics<'_>,
) -> Result<Duration, ConfigError> {
    humantime::parse_duration(value.get_ref()).map_err(|_| {
        diagnostics.error(
            value.span(),
            format!(
                "{section}: `{key}`: must be a duration like `2s` or `500ms`, not {}",
                diagnostics.shown(value)
            ),
        )
    })
}

/// Adds one check to the builder, under the name the registry will use.
pub(super) struct Registrar {
    builder: RegistryBuilder,
    options: CheckOptions,
    naming: Naming,
}

/// How a check is named: explicitly, or by its identifier and an optional alias.
enum Naming {
    Name(String),
    Alias(Option<String>),
}

impl Registrar {
    /// Registers the check.
    pub(super) fn add(self, check: impl HealthCheck) -> Registered {
        let name = match self.naming {
            Naming::Name(name) => name,
            Naming::Alias(None) => check.identifier().into_owned(),
            Naming::Alias(Some(alias)) => format!("{}[{alias}]", check.identifier()),
        };
        Registered {
            builder: self
                .builder
                .check_with(check, self.options.name(name.clone())),
            name,
            expected_dir: None,
        }
    }
}

/// A registered check.
pub(super) struct Registered {
    builder: RegistryBuilder,
    name: String,
    expected_dir: Option<PathBuf>,
}

impl Registered {
    /// Notes the directory the check expects to exist, which the built-in default
    /// config creates.
    pub(super) fn expecting_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.expected_dir = dir;
        self
    }
}

fn register(
    builder: RegistryBuilder,
    number: usize,
    check: &Spanned<RawCheck>,
    diagnostics: &Diagnostics<'_>,
    base_dir: &Path,
) -> Result<Registered, ConfigError> {
    let header = check.span();
    let check = check.get_ref();
    let Some(kind) = Kind::from_name(check.kind.get_ref()) else {
        let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
        return Err(diagnostics.error(
            check.kind.span(),
            format!(
                "check #{number}: `kind`: unknown kind {} (expected one of: {})",
                diagnostics.shown(&check.kind),
                names.join(", ")
            ),
        ));
    };
    let section = Section::Check {
        number,
        kind: Some(kind.name().to_owned()),
    };
    if let Some((key, span)) = check
        .kind_specific_keys()
        .into_iter()
        .find(|(key, _)| !kind.keys().contains(key))
    {
        let accepted = match kind.keys() {
            [] => "it takes none".to_owned(),
            keys => format!("it takes: {}", keys.join(", ")),
        };
        return Err(diagnostics.error(
            span,
            format!(
                "{section}: key `{key}` does not apply to kind `{}` ({accepted})",
                kind.name()
            ),
        ));
    }
    let naming = match (&check.name, &check.alias) {
        (Some(_), Some(alias)) => {
            return Err(diagnostics.error(
                alias.span(),
                format!(
                    "{section}: `name` and `alias` cannot be used together (`alias` gives `Identifier[alias]`, `name` replaces the whole name)"
                ),
            ));
        }
        (Some(name), None) => Naming::Name(non_empty("name", name, &section, diagnostics)?),
        (None, Some(alias)) => {
            Naming::Alias(Some(non_empty("alias", alias, &section, diagnostics)?))
        }
        (None, None) => Naming::Alias(None),
    };
    let mut options = CheckOptions::new().critical(check.critical.unwrap_or(true));
    let mut timeout = DEFAULT_TIMEOUT;
    if let Some(value) = &check.timeout {
        timeout = duration("timeout", value, &section, diagnostics)?;
        if timeout.is_zero() {
            return Err(diagnostics.error(
                value.span(),
                format!("{section}: `timeout`: must be more than zero"),
            ));
        }
        options = options.timeout(timeout);
    }
    if let Some(tags) = &check.tags {
        options = options.tags(tags.get_ref().iter().map(|tag| tag.get_ref().clone()));
    }
    let keys = KindKeys {
        check,
        timeout,
        header,
        section: &section,
        diagnostics,
        base_dir,
    };
    let registrar = Registrar {
        builder,
        options,
        naming,
    };
    kind.register(&keys, registrar)
}

fn non_empty(
    key: &str,
    value: &Spanned<String>,
    section: &Section,
    diagnostics: &Diagnostics<'_>,
) -> Result<String, ConfigError> {
    if value.get_ref().trim().is_empty() {
        return Err(diagnostics.error(
            value.span(),
            format!("{section}: `{key}`: must not be empty"),
        ));
    }
    Ok(value.get_ref().clone())
}

/// Where a check's name comes from: `name`, else `alias`, else `kind`.
fn naming_span(check: &RawCheck) -> std::ops::Range<usize> {
    check
        .name
        .as_ref()
        .or(check.alias.as_ref())
        .unwrap_or(&check.kind)
        .span()
}

/// Locates a rule of the registry that a check broke. Each `[[check]]` registers one
/// check, so the registration's index is the check's.
fn build_error(error: &BuildError, raw: &RawConfig, diagnostics: &Diagnostics<'_>) -> ConfigError {
    let Some(check) = raw.check.get(error.index) else {
        return diagnostics.error(0..0, error);
    };
    let section = Section::Check {
        number: error.index + 1,
        kind: Kind::from_name(check.get_ref().kind.get_ref()).map(|kind| kind.name().to_owned()),
    };
    let check_span = check.span();
    let check = check.get_ref();
    let naming = naming_span(check);
    // The name may have come from an interpolated value: then it is not shown.
    let name = if diagnostics.is_interpolated(&naming) {
        REDACTED.to_owned()
    } else {
        format!("`{}`", error.name.escape_debug())
    };
    let (span, problem) = match &error.rule {
        BuildRule::DuplicateName { first } => (
            naming,
            format!(
                "check #{} has the same name {name}; give one of them an `alias` or a `name`",
                first + 1
            ),
        ),
        BuildRule::NameCharacter { .. } | BuildRule::EmptyName => (
            naming,
            format!("the name {name} is not valid: {}", error.rule),
        ),
        BuildRule::InvalidTag { tag } => match &check.tags {
            Some(tags) => {
                // The message shows the tag, or `***` when it was interpolated.
                let shown = tags
                    .get_ref()
                    .iter()
                    .find(|t| t.get_ref() == tag)
                    .map_or_else(|| format!("`{tag}`"), |t| diagnostics.shown(t));
                let problem = if tag.is_empty() {
                    "a tag is empty".to_owned()
                } else {
                    format!("{shown} is not a valid tag")
                };
                (
                    tags.span(),
                    format!(
                        "`tags`: {problem}; tags are non-empty and use only letters, digits, `-`, `_` and `.`"
                    ),
                )
            }
            None => (check_span, error.rule.to_string()),
        },
        _ => (check_span, error.rule.to_string()),
    };
    diagnostics.error(span, format!("{section}: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_with_a_trailing_slash() {
        assert_eq!(normalize_path("/ht/").as_deref(), Some("/ht/"));
        assert_eq!(normalize_path("/ht").as_deref(), Some("/ht/"));
        assert_eq!(normalize_path("/").as_deref(), Some("/"));
        assert_eq!(normalize_path("/a/b-c.d/").as_deref(), Some("/a/b-c.d/"));
        for bad in ["ht", "", "//", "/a//b", "/a/../b", "/a b", "/a?x", "/%20"] {
            assert_eq!(normalize_path(bad), None, "{bad:?}");
        }
    }
}
