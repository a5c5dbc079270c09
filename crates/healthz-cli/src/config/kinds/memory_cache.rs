//! `kind = "memory-cache"` (named CacheBackend): a round trip through an in-process
//! cache. It takes no key of its own.

use healthz::checks::MemoryCache;
use serde::Deserialize;

use super::context::Context;
use super::kind::Kind;
use crate::config::diagnostic::ConfigError;

/// The keys of a `memory-cache` check: none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct MemoryCacheKeys {}

impl Kind for MemoryCache {
    const NAME: &'static str = "memory-cache";
    type Keys = MemoryCacheKeys;

    fn build(_keys: MemoryCacheKeys, _cx: &Context<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new())
    }
}
