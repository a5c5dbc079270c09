//! `kind = "mqtt"` (named MqttBackend): a QoS 1 message to a unique topic and back.

use healthz::checks::Mqtt;

use super::context::Context;
use super::kind::Kind;
use super::shared::UrlKeys;
use crate::config::diagnostic::ConfigError;

impl Kind for Mqtt {
    const NAME: &'static str = "mqtt";
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        cx.url(&keys.url, Self::new)
    }
}
