//! `[server]`: where and how the endpoint answers. [`ServerKeys`] as written,
//! [`Server`] validated.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use healthz::{DEFAULT_HISTORY_LEN, Secret, ServiceInfo, Unauthorized};
use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics};
use super::values::{duration_up_to, non_empty, positive_duration_up_to, within};
use crate::bind;

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
/// The longest `max-age`: a health result cached for longer than an hour is no longer
/// news, and a value of years is a slip that clients would obey.
const LONGEST_MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// `header-timeout` unless the file sets it: a probe sends its request in one packet
/// as soon as it connects, and a client that takes longer is slow or hostile.
const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// `idle-timeout` unless the file sets it.
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// `keepalive` unless the file sets it: a peer that vanished (a crashed client, a
/// dropped NAT entry) is noticed within about two minutes rather than Linux's two
/// hours.
const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(60);
/// `max-connections` unless the file sets it: far more than the probes, load
/// balancers and scrapers of one service open, and below the 1024 file descriptors
/// many systems give a process.
const DEFAULT_MAX_CONNECTIONS: usize = 1000;
/// `shutdown-timeout` unless the file sets it: well inside the 30 s Kubernetes waits
/// after SIGTERM, with the default `drain` of 5 s before it.
const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest of the connection timeouts and of `keepalive`: a connection kept for
/// hours against a client that sends nothing is what they exist to prevent.
const LONGEST_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// The most `max-connections`.
const MOST_CONNECTIONS: usize = 1_000_000;

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
    shutdown_timeout: Option<Spanned<String>>,
    header_timeout: Option<Spanned<String>>,
    idle_timeout: Option<Spanned<String>>,
    keepalive: Option<Spanned<String>>,
    max_connections: Option<Spanned<usize>>,
    probes: Option<bool>,
    service: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    release_id: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
}

/// What `serve` allows each connection, and how long it waits for them at the end:
/// the keys that keep slow, idle and vanished clients from holding the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectionLimits {
    /// `header-timeout`: how long a client has to send a request's headers, counted
    /// from the moment the server waits for them (the connection opened, or the
    /// previous response went out); the connection is closed after it.
    pub(crate) header_timeout: Duration,
    /// `idle-timeout`: how long a connection may go without a byte read or written
    /// while no request of its is being answered (a client that stops reading its
    /// response, a body that never ends); it is closed after it.
    pub(crate) idle_timeout: Duration,
    /// `keepalive`: how long a connection may be silent before TCP keepalive probes
    /// ask whether its peer is still there; `None` sends none.
    pub(crate) keepalive: Option<Duration>,
    /// `max-connections`: how many connections are open at once, at most.
    pub(crate) max_connections: usize,
    /// `shutdown-timeout`: how long, after it stops accepting, the server waits for
    /// the requests in flight before it closes the connections left.
    pub(crate) shutdown_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            keepalive: Some(DEFAULT_KEEPALIVE),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

impl ConnectionLimits {
    /// Validates the keys of `[server]` that set the limits.
    ///
    /// # Errors
    ///
    /// Returns the first invalid value, located at its key.
    fn validate(keys: &ServerKeys, diagnostics: &Diagnostics<'_>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let timeout = |value: &Option<Spanned<String>>, default| {
            value
                .as_ref()
                .map(|value| {
                    positive_duration_up_to(value, LONGEST_CONNECTION_TIMEOUT, diagnostics)
                })
                .transpose()
                .map(|value| value.unwrap_or(default))
        };
        let keepalive = match &keys.keepalive {
            // "0s" turns it off, as in most servers' settings.
            Some(value) => Some(duration_up_to(
                value,
                LONGEST_CONNECTION_TIMEOUT,
                diagnostics,
            )?)
            .filter(|keepalive| !keepalive.is_zero()),
            None => defaults.keepalive,
        };
        Ok(Self {
            header_timeout: timeout(&keys.header_timeout, defaults.header_timeout)?,
            idle_timeout: timeout(&keys.idle_timeout, defaults.idle_timeout)?,
            keepalive,
            max_connections: keys
                .max_connections
                .as_ref()
                .map(|value| within(value, 1..=MOST_CONNECTIONS, diagnostics))
                .transpose()?
                .unwrap_or(defaults.max_connections),
            shutdown_timeout: keys
                .shutdown_timeout
                .as_ref()
                .map(|value| duration_up_to(value, LONGEST_CONNECTION_TIMEOUT, diagnostics))
                .transpose()?
                .unwrap_or(defaults.shutdown_timeout),
        })
    }
}

/// `[server]`, validated.
#[derive(Debug)]
pub(super) struct Server {
    pub(super) bind: SocketAddr,
    pub(super) path: String,
    /// `failure-status` where it is written, for the endpoint's rules (which say what
    /// a status may be used for) to be located at the key.
    pub(super) failure_status: Option<Spanned<StatusCode>>,
    /// `degraded-status`, likewise.
    pub(super) degraded_status: Option<Spanned<StatusCode>>,
    pub(super) warnings_as_errors: bool,
    pub(super) max_age: Option<Duration>,
    pub(super) history: usize,
    /// The bearer tokens; empty when the endpoint is open.
    pub(super) tokens: Vec<Secret>,
    pub(super) unauthorized: Unauthorized,
    /// How long `ready` fails before the server stops, after a shutdown signal.
    pub(super) drain: Duration,
    /// How the server treats its connections.
    pub(super) connections: ConnectionLimits,
    /// Whether `/livez`, `/readyz` and `/startupz` serve the three groups too.
    pub(super) probes: bool,
    /// The service's name, which notifications carry.
    pub(super) service: Option<String>,
    /// What health+json says of the service: its name as `serviceId`, and the rest.
    pub(super) info: ServiceInfo,
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
            Some(bind) => bind::parse(bind.get_ref()).ok_or_else(|| {
                diagnostics.invalid(
                    bind.span(),
                    format!(
                        "must be {}, not {}",
                        bind::EXPECTED,
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
        let status = |value: &Option<Spanned<u16>>| {
            value
                .as_ref()
                .map(|value| {
                    let code = *value.get_ref();
                    let status = StatusCode::from_u16(code).map_err(|_| {
                        diagnostics.invalid(
                            value.span(),
                            format!("must be an HTTP status code (100 to 999), not {code}"),
                        )
                    })?;
                    Ok(Spanned::new(value.span(), status))
                })
                .transpose()
        };
        let failure_status = status(&keys.failure_status)?;
        let degraded_status = status(&keys.degraded_status)?;
        let max_age = keys
            .max_age
            .as_ref()
            .map(|max_age| duration_up_to(max_age, LONGEST_MAX_AGE, diagnostics))
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
        let connections = ConnectionLimits::validate(keys, diagnostics)?;
        let text = |value: &Option<Spanned<String>>| {
            value
                .as_ref()
                .map(|value| non_empty(value, diagnostics).map(str::to_owned))
                .transpose()
        };
        let service = text(&keys.service)?;
        let mut info = ServiceInfo::new();
        if let Some(service) = &service {
            info = info.service_id(service);
        }
        if let Some(version) = text(&keys.version)? {
            info = info.version(version);
        }
        if let Some(release_id) = text(&keys.release_id)? {
            info = info.release_id(release_id);
        }
        if let Some(description) = text(&keys.description)? {
            info = info.description(description);
        }
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
            connections,
            probes: keys.probes.unwrap_or(false),
            service,
            info,
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
