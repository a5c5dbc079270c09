//! `kind = "mqtt"` (named MqttBackend): a QoS 1 message to a unique topic and back.

use healthz::checks::Mqtt;

use super::context::Context;
use super::kind::Kind;
use super::shared::{TlsKeys, UrlKeys};
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;

impl Kind for Mqtt {
    const NAME: &'static str = "mqtt";
    type Keys = With<UrlKeys, TlsKeys>;

    /// The URL's scheme says whether it speaks TLS; the TLS keys, how (and turn it on
    /// over the plain scheme).
    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let check = cx.url(&keys.own.url, Self::new)?;
        Ok(match keys.shared.read(cx)? {
            Some(tls) => check.tls(tls),
            None => check,
        })
    }
}
