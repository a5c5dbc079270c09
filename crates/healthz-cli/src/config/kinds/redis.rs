//! `kind = "redis"` (named CacheBackend: a key set, read back and deleted) and
//! `kind = "redis-ping"` (named RedisBackend: `PING` and `INFO server`, no write).

use healthz::checks::{RedisCache, RedisPing};

use super::context::Context;
use super::kind::Kind;
use super::shared::{TlsKeys, UrlKeys};
use super::url_tls::REDIS;
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;

impl Kind for RedisCache {
    const NAME: &'static str = "redis";
    type Keys = With<UrlKeys, TlsKeys>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let check = cx.url(&keys.own.url, Self::new)?;
        Ok(match keys.shared.read_for(&keys.own.url, &REDIS, cx)? {
            Some(tls) => check.tls(tls),
            None => check,
        })
    }
}

impl Kind for RedisPing {
    const NAME: &'static str = "redis-ping";
    type Keys = With<UrlKeys, TlsKeys>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let check = cx.url(&keys.own.url, Self::new)?;
        Ok(match keys.shared.read_for(&keys.own.url, &REDIS, cx)? {
            Some(tls) => check.tls(tls),
            None => check,
        })
    }
}
