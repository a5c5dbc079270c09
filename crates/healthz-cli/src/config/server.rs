//! `[server]`: where and how the endpoint answers. [`ServerKeys`] as written,
//! [`Server`] validated.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use healthz::{DEFAULT_HISTORY_LEN, Secret, Unauthorized};
use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics};
use super::values::{duration, duration_up_to, non_empty, within};

/// `bind` unless the file sets it.
const DEFAULT_BIND: &str = "127.0.0.1:8000";
/// `path` unless the file sets it.
const DEFAULT_PATH: &str = "/ht/";
/// The largest `history`: it is kept in memory for every check (the page draws the
/// last 60 runs).
const MAX_HISTORY: usize = 1000;
/// `drain` unless the file sets it: long enough for a load balancer or Kubernetes'
/// endpoints controller to see `ready` fail and stop sending traffic.
const DEFAULT_DRAIN: Duration = Duration::from_secs(5);
/// The longest `drain`: Kubernetes kills a pod 30 s after SIGTERM unless told
/// otherwise, and no orchestrator waits for hours.
const LONGEST_DRAIN: Duration = Duration::from_secs(60 * 60);

/// The keys of `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct ServerKeys {
    bind: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    failure_status: Option<Spanned<u16>>,
    degraded_status: Option<Spanned<u16>>,
    warnings_as_errors: Option<bool>,
    max_age: Option<Spanned<String>>,
    history: Option<Spanned<usize>>,
    tokens: Option<Spanned<Vec<Spanned<Secret>>>>,
    unauthorized: Option<Spanned<String>>,
    drain: Option<Spanned<String>>,
    probes: Option<bool>,
    service: Option<Spanned<String>>,
}

/// `[server]`, validated.
#[derive(Debug)]
pub(super) struct Server {
    pub(super) bind: SocketAddr,
    pub(super) path: String,
    pub(super) failure_status: StatusCode,
    pub(super) degraded_status: StatusCode,
    pub(super) warnings_as_errors: bool,
    pub(super) max_age: Option<Duration>,
    pub(super) history: usize,
    /// The bearer tokens; empty when the endpoint is open.
    pub(super) tokens: Vec<Secret>,
    pub(super) unauthorized: Unauthorized,
    /// How long `ready` fails before the server stops, after a shutdown signal.
    pub(super) drain: Duration,
    /// Whether `/livez`, `/readyz` and `/startupz` serve the three groups too.
    pub(super) probes: bool,
    /// The service's name, which notifications carry.
    pub(super) service: Option<String>,
}

impl Server {
    /// Validates the keys of `[server]`.
    ///
    /// # Errors
    ///
    /// Returns the first invalid value, located at its key.
    pub(super) fn validate(
        keys: &ServerKeys,
        diagnostics: &Diagnostics<'_>,
    ) -> Result<Self, ConfigError> {
        let bind = match &keys.bind {
            Some(bind) => bind.get_ref().parse().map_err(|_| {
                diagnostics.invalid(
                    bind.span(),
                    format!(
                        "must be an IP address and port (like `127.0.0.1:8000` or `[::]:8000`), not {}",
                        diagnostics.shown(bind)
                    ),
                )
            })?,
            None => DEFAULT_BIND.parse().expect("the default address is valid"),
        };
        let path = match &keys.path {
            Some(path) => normalize_path(path.get_ref()).ok_or_else(|| {
                diagnostics.invalid(
                    path.span(),
                    format!(
                        "must be a URL path like `/ht/` (segments of letters, digits, `-`, `_`, `.` and `~`), not {}",
                        diagnostics.shown(path)
                    ),
                )
            })?,
            None => DEFAULT_PATH.to_owned(),
        };
        let status = |value: &Option<Spanned<u16>>, default, allowed: &[u16]| {
            let Some(value) = value else {
                return Ok(default);
            };
            let code = *value.get_ref();
            match StatusCode::from_u16(code) {
                Ok(status) if allowed.contains(&(code / 100)) => Ok(status),
                _ => {
                    let classes: Vec<String> = allowed.iter().map(|c| format!("{c}xx")).collect();
                    Err(diagnostics.invalid(
                        value.span(),
                        format!("must be a {} status code, not {code}", classes.join(" or ")),
                    ))
                }
            }
        };
        let failure_status = status(
            &keys.failure_status,
            StatusCode::INTERNAL_SERVER_ERROR,
            &[4, 5],
        )?;
        // A degraded service still serves: the health+json draft reads any status but
        // 2xx and 3xx as a failure, and the library refuses those (issue #10).
        let degraded_status = status(&keys.degraded_status, StatusCode::OK, &[2, 3])?;
        let max_age = keys
            .max_age
            .as_ref()
            .map(|max_age| duration(max_age, diagnostics))
            .transpose()?;
        let history = keys
            .history
            .as_ref()
            .map(|history| within(history, 1..=MAX_HISTORY, diagnostics))
            .transpose()?
            .unwrap_or(DEFAULT_HISTORY_LEN);
        let tokens = tokens(keys, diagnostics)?;
        let unauthorized = match &keys.unauthorized {
            None => Unauthorized::Forbidden,
            Some(value) if tokens.is_empty() => {
                return Err(diagnostics.invalid(
                    value.span(),
                    "only applies with `tokens`; set them or remove this key",
                ));
            }
            Some(value) => match value.get_ref().as_str() {
                "forbidden" => Unauthorized::Forbidden,
                "status-only" => Unauthorized::StatusOnly,
                _ => {
                    return Err(diagnostics.invalid(
                        value.span(),
                        format!(
                            "must be `forbidden` or `status-only`, not {}",
                            diagnostics.shown(value)
                        ),
                    ));
                }
            },
        };
        let drain = keys
            .drain
            .as_ref()
            .map(|drain| duration_up_to(drain, LONGEST_DRAIN, diagnostics))
            .transpose()?
            .unwrap_or(DEFAULT_DRAIN);
        let service = keys
            .service
            .as_ref()
            .map(|service| non_empty(service, diagnostics).map(str::to_owned))
            .transpose()?;
        Ok(Self {
            bind,
            path,
            failure_status,
            degraded_status,
            warnings_as_errors: keys.warnings_as_errors.unwrap_or(false),
            max_age,
            history,
            tokens,
            unauthorized,
            drain,
            probes: keys.probes.unwrap_or(false),
            service,
        })
    }
}

/// `tokens`: at least one, none empty or with characters a client cannot send after
/// `Bearer `. The errors say which token, never what it holds.
fn tokens(keys: &ServerKeys, diagnostics: &Diagnostics<'_>) -> Result<Vec<Secret>, ConfigError> {
    let Some(list) = &keys.tokens else {
        return Ok(Vec::new());
    };
    if list.get_ref().is_empty() {
        return Err(diagnostics.invalid(
            list.span(),
            "must list at least one token; remove the key to serve without one",
        ));
    }
    for (index, token) in list.get_ref().iter().enumerate() {
        let value = token.get_ref().expose();
        let problem = if value.is_empty() {
            "is empty"
        } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            "holds whitespace or a control character, which a client cannot send"
        } else {
            continue;
        };
        return Err(diagnostics.invalid(token.span(), format!("token #{} {problem}", index + 1)));
    }
    Ok(list
        .get_ref()
        .iter()
        .map(|token| token.get_ref().clone())
        .collect())
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
