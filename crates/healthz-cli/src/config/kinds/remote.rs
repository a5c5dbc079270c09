//! `kind = "remote"` (named RemoteHealth): another service's health endpoint, working
//! when all of its checks are.

use healthz::checks::RemoteHealth;

use super::context::Context;
use super::kind::Kind;
use super::shared::{BearerToken, ProxyKey, TlsKeys, UrlKeys};
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;

impl Kind for RemoteHealth {
    const NAME: &'static str = "remote";
    type Keys = With<With<With<UrlKeys, BearerToken>, TlsKeys>, ProxyKey>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own, shared: proxy } = keys;
        let With { own, shared: tls } = own;
        let With { own, shared: token } = own;
        let mut remote = cx.url(&own.url, Self::new)?;
        if let Some(tls) = tls.read_for_https(Some(&own.url), cx)? {
            remote = remote.tls(tls);
        }
        let remote = proxy.apply(cx, remote, Self::proxy, Self::no_proxy)?;
        token.apply(cx, remote, Self::bearer_token)
    }
}
