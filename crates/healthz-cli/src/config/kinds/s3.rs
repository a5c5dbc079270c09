//! `kind = "s3"` (named S3StorageBackend): an object put under a prefix, read back,
//! compared and deleted, on S3 or an S3-compatible server.

use healthz::Secret;
use healthz::checks::S3Storage;
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use super::shared::{ProxyKey, TlsKeys};
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;
use crate::config::values::Url;

/// The keys of an `s3` check besides [`TlsKeys`] and [`ProxyKey`]: `bucket`, and the
/// others over the library's defaults (which read the standard `AWS_*` environment
/// variables).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct S3Keys {
    /// The bucket, which must exist; required.
    bucket: Spanned<String>,
    /// The server's base URL; AWS unless set.
    endpoint: Option<Spanned<Url>>,
    /// The bucket's region, for the signature.
    region: Option<Spanned<String>>,
    /// Path-style or virtual-hosted addressing.
    path_style: Option<bool>,
    /// The credentials to sign with: both or neither.
    access_key_id: Option<Spanned<String>>,
    secret_access_key: Option<Spanned<Secret>>,
    /// Where probe objects go.
    prefix: Option<String>,
    /// Unsigned requests, for a public bucket; false unless set.
    #[serde(default)]
    anonymous: bool,
}

impl Kind for S3Storage {
    const NAME: &'static str = "s3";
    type Keys = With<With<S3Keys, TlsKeys>, ProxyKey>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own, shared: proxy } = keys;
        let With {
            own: keys,
            shared: tls,
        } = own;
        let mut s3 = Self::new(cx.non_empty(&keys.bucket)?);
        if let Some(tls) = tls.read_for_https(keys.endpoint.as_ref(), cx)? {
            s3 = s3.tls(tls);
        }
        s3 = proxy.apply(cx, s3, Self::proxy, Self::no_proxy)?;
        if let Some(endpoint) = &keys.endpoint {
            s3 = cx.url(endpoint, |url| {
                // The library's advice names its builder method, not the config's keys.
                s3.endpoint(url).map_err(|mut error| {
                    error.reason = error.reason.replace(
                        "use `credentials`",
                        "use `access-key-id` and `secret-access-key`",
                    );
                    error
                })
            })?;
        }
        if let Some(region) = &keys.region {
            s3 = s3.region(cx.non_empty(region)?);
        }
        if let Some(path_style) = keys.path_style {
            s3 = s3.path_style(path_style);
        }
        match credentials(&keys, cx)? {
            Some(_) if keys.anonymous => {
                let span = keys.access_key_id.as_ref().map_or(0..0, Spanned::span);
                return Err(cx.invalid(
                    span,
                    "cannot be set with `anonymous = true`, which signs nothing",
                ));
            }
            Some((id, secret)) => s3 = s3.credentials(id, secret),
            None if keys.anonymous => s3 = s3.anonymous(),
            None => {}
        }
        if let Some(prefix) = keys.prefix {
            s3 = s3.prefix(prefix);
        }
        Ok(s3)
    }
}

/// `access-key-id` and `secret-access-key`: both or neither.
fn credentials(keys: &S3Keys, cx: &Context<'_>) -> Result<Option<(String, String)>, ConfigError> {
    const EITHER: &str = "(set both, or neither to use the standard AWS credential chain)";
    match (&keys.access_key_id, &keys.secret_access_key) {
        (Some(id), Some(secret)) => {
            let id = cx.non_empty(id)?;
            Ok(Some((id.to_owned(), cx.secret(secret)?)))
        }
        (None, None) => Ok(None),
        (Some(id), None) => {
            Err(cx.invalid(id.span(), format!("needs `secret-access-key` too {EITHER}")))
        }
        (None, Some(secret)) => {
            Err(cx.invalid(secret.span(), format!("needs `access-key-id` too {EITHER}")))
        }
    }
}
