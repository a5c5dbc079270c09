//! `kind = "postgres"` and `kind = "mysql"` (named DatabaseBackend): `SELECT 1` on a
//! connection of the check's own, and optionally a write that is rolled back.

use healthz::checks::{MySql, Postgres};
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use crate::config::diagnostic::ConfigError;
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
    type Keys = SqlKeys;

    fn build(keys: SqlKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        Ok(cx.url(&keys.url, Self::new)?.write_probe(keys.write_probe))
    }
}

impl Kind for MySql {
    const NAME: &'static str = "mysql";
    type Keys = SqlKeys;

    fn build(keys: SqlKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        Ok(cx.url(&keys.url, Self::new)?.write_probe(keys.write_probe))
    }
}
