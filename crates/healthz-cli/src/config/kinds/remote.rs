//! `kind = "remote"` (named RemoteHealth): another service's health endpoint, working
//! when all of its checks are.

use healthz::checks::RemoteHealth;

use super::context::Context;
use super::kind::Kind;
use super::shared::{BearerToken, UrlKeys};
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;

impl Kind for RemoteHealth {
    const NAME: &'static str = "remote";
    type Keys = With<UrlKeys, BearerToken>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let remote = cx.url(&keys.own.url, Self::new)?;
        keys.shared.apply(cx, remote, Self::bearer_token)
    }
}
