//! `kind = "nats"` (named NatsBackend): a request to a unique subject, answered by
//! the check's own subscription.

use healthz::checks::Nats;
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use crate::config::diagnostic::ConfigError;
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
    type Keys = NatsKeys;

    fn build(keys: NatsKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        Ok(cx.url(&keys.url, Self::new)?.jetstream(keys.jetstream))
    }
}
