//! `kind = "rabbitmq"` (named RabbitMQBackend): a message published to a private
//! queue and consumed back.

use healthz::checks::RabbitMq;

use super::context::Context;
use super::kind::Kind;
use super::shared::UrlKeys;
use crate::config::diagnostic::ConfigError;

impl Kind for RabbitMq {
    const NAME: &'static str = "rabbitmq";
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        cx.url(&keys.url, Self::new)
    }
}
