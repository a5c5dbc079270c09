//! `CacheBackend` on Redis: [`RedisCache`].

use std::borrow::Cow;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::{Conn, Failure, RedisTarget};
use crate::checks::InvalidUrl;
#[cfg(feature = "rustls")]
use crate::checks::Tls;
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
#[derive(Debug)]
pub struct RedisCache(RedisTarget);

impl RedisCache {
    /// Checks on the check's own connection to `url`, made when the check first runs
    /// and kept while it works. Building the check never touches the network.
    ///
    /// The URL is redis-rs's: `redis://[[user]:password@]host[:port][/db]`, and
    /// `rediss://…` for TLS (Upstash, ElastiCache with in-transit encryption), verified
    /// against the system's trust store and the bundled web roots. A TLS URL also takes
    /// redis-rs's `#insecure` (nothing verified) and the query parameters of redis-py
    /// and Celery: `ssl_cert_reqs=required|optional|none`, `ssl_check_hostname=false`
    /// (the chain is verified, the host name is not), `ssl_ca_certs=<CA file>`,
    /// `ssl_certfile=<client certificate>&ssl_keyfile=<its key>`. `valkey://` and
    /// `valkeys://` are the same. [`tls`](Self::tls) sets the same options in code. A
    /// server that does not answer the TLS handshake within 2 seconds is reported as
    /// one without TLS (Redis without TLS never answers it).
    ///
    /// ```
    /// use healthz::checks::RedisCache;
    ///
    /// let check = RedisCache::new("redis://:s3cr3t@localhost/1")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// # #[cfg(feature = "rustls")]
    /// let upstash = RedisCache::new("rediss://default:secret@eu1-example.upstash.io:6379")?;
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] for another scheme, a URL redis-rs cannot use (a bad
    /// database number), TLS options on a `redis://` URL or ones it does not know, and
    /// a TLS URL when this build has no TLS (the `rustls` feature).
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        RedisTarget::from_url(url).map(Self)
    }

    /// Speaks TLS to the server, verified as `tls` says: with a private CA, a client
    /// certificate, or another verification mode. It replaces what the URL says about
    /// TLS (`#insecure`, `ssl_*` parameters), and makes even a `redis://` URL use TLS.
    /// A check made by [`from_client`](Self::from_client) uses the application's
    /// connection manager as it is, and ignores this.
    ///
    /// ```
    /// use healthz::checks::{RedisCache, Tls};
    ///
    /// let check = RedisCache::new("rediss://cache.internal:6379/0")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/cache-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
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
    /// let check = healthz::checks::RedisCache::from_client(manager.clone());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn from_client(manager: ConnectionManager) -> Self {
        Self(RedisTarget::from_manager(manager))
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
