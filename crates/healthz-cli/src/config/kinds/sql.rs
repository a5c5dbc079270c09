//! `kind = "postgres"` and `kind = "mysql"` (named DatabaseBackend): `SELECT 1` on a
//! connection of the check's own, and optionally a write that is rolled back.

use healthz::checks::{MySql, Postgres};
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use super::shared::TlsKeys;
use super::url_tls::{MYSQL, POSTGRES};
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;
use crate::config::values::Url;

/// The keys of a `postgres` or a `mysql` check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct SqlKeys {
    /// The connection URL; required.
    url: Spanned<Url>,
    /// Whether to prove that the database takes writes; false unless set.
    #[serde(default)]
    write_probe: bool,
}

impl Kind for Postgres {
    const NAME: &'static str = "postgres";
    type Keys = With<SqlKeys, TlsKeys>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own, shared } = keys;
        let check = cx.url(&own.url, Self::new)?.write_probe(own.write_probe);
        Ok(match shared.read_for(&own.url, &POSTGRES, cx)? {
            Some(tls) => check.tls(tls),
            None => check,
        })
    }
}

impl Kind for MySql {
    const NAME: &'static str = "mysql";
    type Keys = With<SqlKeys, TlsKeys>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own, shared } = keys;
        let check = cx.url(&own.url, Self::new)?.write_probe(own.write_probe);
        Ok(match shared.read_for(&own.url, &MYSQL, cx)? {
            Some(tls) => check.tls(tls),
            None => check,
        })
    }
}
