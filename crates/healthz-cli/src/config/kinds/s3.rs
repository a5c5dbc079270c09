//! `kind = "s3"` (named S3StorageBackend): an object put under a prefix, read back,
//! compared and deleted, on S3 or an S3-compatible server.

use healthz::Secret;
use healthz::checks::S3Storage;
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use crate::config::diagnostic::ConfigError;
use crate::config::values::Url;

/// The keys of an `s3` check: `bucket`, and the others over the library's defaults
/// (which read the standard `AWS_*` environment variables).
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
}

impl Kind for S3Storage {
    const NAME: &'static str = "s3";
    type Keys = S3Keys;

    fn build(keys: S3Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let mut s3 = Self::new(cx.non_empty(&keys.bucket)?);
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
        if let Some((id, secret)) = credentials(&keys, cx)? {
            s3 = s3.credentials(id, secret);
        }
        if let Some(prefix) = keys.prefix {
            s3 = s3.prefix(prefix);
        }
        Ok(s3)
    }
}

/// `access-key-id` and `secret-access-key`: both or neither.
fn credentials(keys: &S3Keys, cx: &Context<'_>) -> Result<Option<(String, String)>, ConfigError> {
    const EITHER: &str =
        "(set both, or neither to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
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
