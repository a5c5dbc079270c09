//! Keys that several kinds take, declared once: structs that are a kind's keys
//! alone, and groups that a kind takes besides its own with
//! [`With`](crate::config::table::With).

use healthz::Secret;
use healthz::checks::{InvalidUrl, Tls, TlsMode};
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::url_tls::{Conventions, Said};
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

/// `proxy`, which the HTTP-based kinds take: the HTTP proxy of every request
/// (`http://[user:password@]host:port`), or `none` to ignore the one the environment
/// names (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), which is used unless set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct ProxyKey {
    proxy: Option<Spanned<Url>>,
}

impl ProxyKey {
    /// What `proxy` turns the proxy off with, as curl's `--noproxy` does.
    const NONE: &'static str = "none";

    /// `check` with the proxy, if set, through its `proxy` builder, or its `no_proxy`
    /// one for `none`.
    pub(super) fn apply<C>(
        &self,
        cx: &Context<'_>,
        check: C,
        proxy: fn(C, &str) -> Result<C, InvalidUrl>,
        no_proxy: fn(C) -> C,
    ) -> Result<C, ConfigError> {
        match &self.proxy {
            None => Ok(check),
            Some(url) if url.get_ref().expose() == Self::NONE => Ok(no_proxy(check)),
            Some(url) => cx.url(url, |url| proxy(check, url)),
        }
    }
}

/// `tls`, `tls-ca`, `tls-cert` and `tls-key`, which every network kind takes the same
/// way: how the server's certificate is verified, a CA bundle to trust besides the
/// system's, and a client certificate for servers that require one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct TlsKeys {
    /// `verify-full` (chain and host name), `verify-ca` (chain only) or `insecure`.
    tls: Option<Spanned<String>>,
    /// A PEM file of CA certificates to trust, relative to the config file's directory.
    tls_ca: Option<Spanned<String>>,
    /// A PEM file with the client certificate chain, for mutual TLS.
    tls_cert: Option<Spanned<String>>,
    /// A PEM file with the client certificate's private key.
    tls_key: Option<Spanned<String>>,
}

impl TlsKeys {
    /// The TLS options these keys set for a check on `url`, whose own TLS parameters
    /// follow `conventions`; `None` when no key is set. A key and a URL parameter that
    /// disagree (the URL turns TLS off, or names another mode or file) are an error
    /// naming both.
    pub(super) fn read_for(
        &self,
        url: &Spanned<Url>,
        conventions: &Conventions,
        cx: &Context<'_>,
    ) -> Result<Option<Tls>, ConfigError> {
        let Some(tls) = self.read(cx)? else {
            return Ok(None);
        };
        let said = conventions.read(url.get_ref().expose());
        let disagree = |key: &Spanned<String>, name: &str, param: &str| {
            cx.invalid(
                key.span(),
                format!(
                    "disagrees with the URL's `{param}`: set {name} in one place (the key, or \
                     the URL)"
                ),
            )
        };
        if let Some((param, Said::Off)) = &said.mode {
            let key = self
                .first_set()
                .expect("a key is set, or there would be no options");
            return Err(cx.invalid(
                key.span(),
                format!("the URL's `{param}` turns TLS off: remove one or the other"),
            ));
        }
        if let (Some(key), Some((param, url_mode))) = (&self.tls, &said.mode)
            && *url_mode != Said::Mode(tls.verification())
        {
            return Err(disagree(key, "the verification", param));
        }
        let files = [
            (&self.tls_ca, &said.ca, "the CA file"),
            (&self.tls_cert, &said.cert, "the client certificate"),
            (&self.tls_key, &said.key, "the client key"),
        ];
        for (key, from_url, name) in files {
            if let (Some(key), Some((param, value))) = (key, from_url)
                && key.get_ref() != value
            {
                return Err(disagree(key, name, param));
            }
        }
        Ok(Some(tls))
    }

    /// The TLS options these keys set for a check whose requests go to `url`, an HTTP
    /// URL (`None` for S3's default endpoint, which is `https`); `None` when no key is
    /// set. On an `http://` URL, which TLS never touches, a key is an error.
    pub(super) fn read_for_https(
        &self,
        url: Option<&Spanned<Url>>,
        cx: &Context<'_>,
    ) -> Result<Option<Tls>, ConfigError> {
        let tls = self.read(cx)?;
        let plain = url.is_some_and(|url| {
            let text = url.get_ref().expose();
            text.get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
        });
        if let (Some(_), true) = (&tls, plain) {
            let key = self
                .first_set()
                .expect("a key is set, or there would be no options");
            return Err(cx.invalid(
                key.span(),
                "applies to https:// URLs only, and the URL is http://: use https://, or remove \
                 the TLS keys",
            ));
        }
        Ok(tls)
    }

    /// The first TLS key set, for an error about them all.
    fn first_set(&self) -> Option<&Spanned<String>> {
        [&self.tls, &self.tls_ca, &self.tls_cert, &self.tls_key]
            .into_iter()
            .flatten()
            .min_by_key(|key| key.span().start)
    }

    /// The TLS options these keys set; `None` when none is set. The files are read when
    /// the check connects, not here.
    pub(super) fn read(&self, cx: &Context<'_>) -> Result<Option<Tls>, ConfigError> {
        if self.tls.is_none()
            && self.tls_ca.is_none()
            && self.tls_cert.is_none()
            && self.tls_key.is_none()
        {
            return Ok(None);
        }
        let mut tls = Tls::new();
        if let Some(mode) = &self.tls {
            let Some(parsed) = TlsMode::from_name(mode.get_ref()) else {
                let modes: Vec<&str> = TlsMode::ALL.iter().map(|mode| mode.as_str()).collect();
                return Err(cx.invalid(
                    mode.span(),
                    format!(
                        "must be one of {}, not {}",
                        modes.join(", "),
                        cx.diagnostics().shown(mode)
                    ),
                ));
            };
            tls = tls.mode(parsed);
        }
        if let Some(ca) = &self.tls_ca {
            tls = tls.ca_file(cx.path(ca)?);
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => tls = tls.client_cert(cx.path(cert)?, cx.path(key)?),
            (None, None) => {}
            (Some(cert), None) => {
                return Err(cx.invalid(
                    cert.span(),
                    "needs `tls-key` too: the client certificate's private key",
                ));
            }
            (None, Some(key)) => {
                return Err(cx.invalid(
                    key.span(),
                    "needs `tls-cert` too: the client certificate it belongs to",
                ));
            }
        }
        Ok(Some(tls))
    }
}
