//! `RedisBackend`: [`RedisPing`], Redis as a server rather than as a cache.

use std::borrow::Cow;

use redis::aio::ConnectionManager;

use super::{Conn, Failure, RedisTarget};
use crate::checks::InvalidUrl;
#[cfg(feature = "rustls")]
use crate::checks::Tls;
use crate::{CheckResult, HealthCheck};

/// Checks a Redis server: `PING` must answer `PONG`, and `INFO server` must answer with
/// the server's description (its `redis_version` line). Named `RedisBackend`.
///
/// It writes nothing; use [`RedisCache`](super::RedisCache) to prove that the server
/// stores and returns data.
///
/// ```no_run
/// use healthz::checks::RedisPing;
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(RedisPing::new("redis://broker.internal:6379")?)
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RedisPing(RedisTarget);

impl RedisPing {
    /// Checks on the check's own connection to `url`, made when the check first runs
    /// and kept while it works. Building the check never touches the network. The URL
    /// is read as [`RedisCache::new`](super::RedisCache::new) reads it: `redis://`, or
    /// `rediss://` for TLS.
    ///
    /// ```
    /// let check = healthz::checks::RedisPing::new("redis://:s3cr3t@localhost")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] as [`RedisCache::new`](super::RedisCache::new) does.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        RedisTarget::from_url(url).map(Self)
    }

    /// Speaks TLS to the server, verified as `tls` says, as
    /// [`RedisCache::tls`](super::RedisCache::tls) does.
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(self, tls: Tls) -> Self {
        Self(self.0.tls(tls))
    }

    /// Checks through the application's connection manager.
    ///
    /// ```no_run
    /// # async fn demo() -> redis::RedisResult<()> {
    /// let client = redis::Client::open("redis://127.0.0.1/")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?;
    /// let check = healthz::checks::RedisPing::from_client(manager.clone());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn from_client(manager: ConnectionManager) -> Self {
        Self(RedisTarget::from_manager(manager))
    }
}

impl HealthCheck for RedisPing {
    async fn check(&self) -> CheckResult {
        self.0.run(|conn| Box::pin(ping_info(conn))).await
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("RedisBackend")
    }

    fn component_type(&self) -> &'static str {
        "datastore"
    }
}

/// `PING` and `INFO server`, pipelined: one round trip.
async fn ping_info(conn: &mut Conn) -> Result<(), Failure> {
    let (pong, info): (String, String) = redis::pipe()
        .cmd("PING")
        .cmd("INFO")
        .arg("server")
        .query_async(conn)
        .await
        .map_err(Failure::redis("PING"))?;
    if pong != "PONG" {
        return Err(Failure::Unexpected(format!(
            "PING answered {pong:?} instead of \"PONG\""
        )));
    }
    if !info.lines().any(|line| line.starts_with("redis_version:")) {
        return Err(Failure::Unexpected(
            "INFO server answered without a redis_version".to_owned(),
        ));
    }
    Ok(())
}
