//! `kind = "redis"` (named CacheBackend: a key set, read back and deleted) and
//! `kind = "redis-ping"` (named RedisBackend: `PING` and `INFO server`, no write).

use healthz::checks::{RedisCache, RedisPing};

use super::context::Context;
use super::kind::Kind;
use super::shared::UrlKeys;
use crate::config::diagnostic::ConfigError;

impl Kind for RedisCache {
    const NAME: &'static str = "redis";
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        cx.url(&keys.url, Self::new)
    }
}

impl Kind for RedisPing {
    const NAME: &'static str = "redis-ping";
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        cx.url(&keys.url, Self::new)
    }
}
