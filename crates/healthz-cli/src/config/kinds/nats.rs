//! `kind = "nats"` (named NatsBackend): a request to a unique subject, answered by
//! the check's own subscription.

use healthz::checks::Nats;
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use super::shared::TlsKeys;
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;
use crate::config::values::Url;

/// The keys of a `nats` check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct NatsKeys {
    /// The server's URL; required.
    url: Spanned<Url>,
    /// Whether to ask for the account's JetStream info too; false unless set.
    #[serde(default)]
    jetstream: bool,
}

impl Kind for Nats {
    const NAME: &'static str = "nats";
    type Keys = With<NatsKeys, TlsKeys>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own, shared } = keys;
        let check = cx.url(&own.url, Self::new)?.jetstream(own.jetstream);
        Ok(match shared.read(cx)? {
            Some(tls) => check.tls(tls),
            None => check,
        })
    }
}
