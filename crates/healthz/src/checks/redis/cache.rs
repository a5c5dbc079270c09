//! `CacheBackend` on Redis: [`RedisCache`].

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::{Conn, Failure, RedisTarget};
use crate::checks::InvalidUrl;
use crate::{CheckResult, HealthCheck};

/// How long a probe key lives if the check is stopped before it deletes it.
const PROBE_TTL: Duration = Duration::from_secs(10);

/// Checks a Redis cache: sets a unique key (`healthz:<random hex>`) that expires
/// after 10 seconds, reads it back, compares and deletes it. Named `CacheBackend`.
///
/// The three commands go in one `MULTI`/`EXEC` transaction: one round trip, no other
/// client ever sees the key, and once the transaction reaches the server the key is
/// deleted even if the runner's timeout stops the check before the answer arrives.
/// `SET … NX` never overwrites a key; no other key is read or written.
///
/// ```no_run
/// use healthz::checks::RedisCache;
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(RedisCache::new("redis://:secret@cache.internal:6379/0")?)
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
pub struct RedisCache(RedisTarget);

impl RedisCache {
    /// Checks on the check's own connection to `url` (`redis://[:password@]host[:port][/db]`),
    /// made when the check first runs and kept while it works. Building the check never
    /// touches the network.
    ///
    /// ```
    /// let check = healthz::checks::RedisCache::new("redis://:secret@localhost/1")?;
    /// assert!(!format!("{check:?}").contains("secret"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when redis-rs cannot use the URL (TLS URLs included: this
    /// build has no TLS).
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        RedisTarget::from_url(url).map(Self)
    }

    /// Checks through the application's connection manager.
    ///
    /// ```no_run
    /// # async fn demo() -> redis::RedisResult<()> {
    /// let client = redis::Client::open("redis://127.0.0.1/")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?;
    /// let check = healthz::checks::RedisCache::from_client(manager.clone());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn from_client(manager: ConnectionManager) -> Self {
        Self(RedisTarget::from_manager(manager))
    }
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("target", &self.0.target)
            .finish()
    }
}

impl HealthCheck for RedisCache {
    async fn check(&self) -> CheckResult {
        self.0.run(|conn| Box::pin(round_trip(conn))).await
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("CacheBackend")
    }

    fn component_type(&self) -> &'static str {
        "datastore"
    }
}

async fn round_trip(conn: &mut Conn) -> Result<(), Failure> {
    let key = format!("healthz:{:032x}", fastrand::u128(..));
    let value = format!("{:032x}", fastrand::u128(..));
    let (set, read, deleted): (Option<String>, Option<String>, i64) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(&key)
        .arg(&value)
        .arg("NX")
        .arg("EX")
        .arg(PROBE_TTL.as_secs())
        .cmd("GET")
        .arg(&key)
        .cmd("DEL")
        .arg(&key)
        .query_async(conn)
        .await
        .map_err(Failure::redis("set, get and delete a key"))?;
    if set.as_deref() != Some("OK") {
        return Err(Failure::Unexpected(format!(
            "SET answered {set:?} instead of \"OK\""
        )));
    }
    match read {
        Some(read) if read == value => {}
        Some(_) => {
            return Err(Failure::Unexpected(
                "read back another value than it wrote".to_owned(),
            ));
        }
        None => return Err(Failure::Unexpected("the key it set was missing".to_owned())),
    }
    if deleted != 1 {
        return Err(Failure::Unexpected(format!(
            "DEL removed {deleted} keys instead of 1"
        )));
    }
    Ok(())
}
