//! Keys that several kinds take, declared once: structs that are a kind's keys
//! alone, and groups that a kind takes besides its own with
//! [`With`](crate::config::table::With).

use healthz::Secret;
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use crate::config::diagnostic::ConfigError;
use crate::config::values::Url;

/// The keys of the kinds that take a URL and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct UrlKeys {
    /// The server's URL; required.
    pub(super) url: Spanned<Url>,
}

/// The keys of the kinds that take a path and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct PathKeys {
    /// A file or a directory, relative to the config file's; required.
    pub(super) path: Spanned<String>,
}

/// The keys of the kinds that take a server's address and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct AddrKeys {
    /// The server's address, `host:port`; required.
    pub(super) addr: Spanned<String>,
}

/// `bearer-token`, which the HTTP-based kinds take: sent as
/// `Authorization: Bearer <token>`, never shown.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct BearerToken {
    bearer_token: Option<Spanned<Secret>>,
}

impl BearerToken {
    /// `check` with the token, if set, through its `bearer_token` builder. The token
    /// must not be blank and must fit in an `Authorization` header.
    pub(super) fn apply<C>(
        &self,
        cx: &Context<'_>,
        check: C,
        bearer_token: fn(C, String) -> C,
    ) -> Result<C, ConfigError> {
        let Some(token) = &self.bearer_token else {
            return Ok(check);
        };
        let secret = cx.secret(token)?;
        let problem = if secret.trim() != secret {
            "must not start or end with white space"
        } else if axum::http::HeaderValue::from_str(&format!("Bearer {secret}")).is_err() {
            "holds characters an HTTP header cannot carry (a line break, a control character)"
        } else {
            return Ok(bearer_token(check, secret));
        };
        Err(cx.invalid(token.span(), problem))
    }
}
