//! `CacheBackend` on Redis: [`RedisCache`]; and the connection handling it shares with
//! [`RedisPing`](super::RedisPing).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisError, RedisFuture, Value};

use super::kept::Kept;
use crate::error::CheckError;
use crate::redact::{InvalidUrl, Redactor, redact_url};
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
///     .check(RedisCache::connect("redis://:secret@cache.internal:6379/0")?)
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
pub struct RedisCache(RedisTarget);

impl RedisCache {
    /// Checks through the application's connection manager.
    ///
    /// ```no_run
    /// # async fn demo() -> redis::RedisResult<()> {
    /// let client = redis::Client::open("redis://127.0.0.1/")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?;
    /// let check = healthz::checks::RedisCache::new(manager.clone());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(manager: ConnectionManager) -> Self {
        Self(RedisTarget::from_manager(manager))
    }

    /// Checks on the check's own connection to `url` (`redis://[:password@]host[:port][/db]`),
    /// made when the check first runs and kept while it works. Building the check never
    /// touches the network.
    ///
    /// ```
    /// let check = healthz::checks::RedisCache::connect("redis://:secret@localhost/1")?;
    /// assert!(!format!("{check:?}").contains("secret"));
    /// # Ok::<(), healthz::redact::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when redis-rs cannot use the URL (TLS URLs included: this
    /// build has no TLS).
    pub fn connect(url: &str) -> Result<Self, InvalidUrl> {
        RedisTarget::from_url(url).map(Self)
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
        self.0.run(Probe::RoundTrip).await
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

/// Why a Redis probe failed, before its text is redacted.
pub(crate) enum Failure {
    /// A command failed while doing what `doing` says.
    Redis {
        doing: &'static str,
        error: RedisError,
    },
    /// Redis answered something other than what the probe expected.
    Unexpected(String),
}

impl Failure {
    /// A closure for `map_err` that names what was being done.
    pub(crate) fn redis(doing: &'static str) -> impl FnOnce(RedisError) -> Self {
        move |error| Self::Redis { doing, error }
    }

    fn is_broken_connection(&self) -> bool {
        matches!(self, Self::Redis { error, .. } if error.is_io_error() || error.is_connection_dropped())
    }

    fn into_check_error(self, redactor: &Redactor) -> CheckError {
        match self {
            Self::Redis { doing, error } => {
                let message = format!("cannot {doing}: {}", redactor.redact(&error_text(&error)));
                match error.kind() {
                    redis::ErrorKind::Parse | redis::ErrorKind::UnexpectedReturnType => {
                        CheckError::unexpected_result(message)
                    }
                    _ => CheckError::unavailable(message),
                }
            }
            Self::Unexpected(message) => CheckError::unexpected_result(redactor.redact(&message)),
        }
    }
}

/// The error's text without redis-rs's debug noise: `Password authentication failed`
/// rather than `Password authentication failed - AuthenticationFailed`, and server
/// errors as Redis writes them (`OOM command not allowed…`).
fn error_text(error: &RedisError) -> String {
    let text = error.to_string();
    if error.is_io_error() {
        // As `describe_io` writes I/O errors: `connection refused`.
        return super::describe_io_text(&text);
    }
    match (text.split_once(" - "), error.code(), error.detail()) {
        // redis-rs's own errors: `<description> - <Kind>[: <detail>]`.
        (Some((description, _)), _, Some(detail)) => format!("{description}: {detail}"),
        (Some((description, _)), _, None) => description.to_owned(),
        // The server's errors: `<Kind>: <detail>`.
        (None, Some(code), Some(detail)) => format!("{code} {detail}"),
        _ => text,
    }
}

/// Where a Redis check's connection comes from.
// One per check, built once and never moved on a hot path: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Source {
    /// The application's connection manager.
    Manager(ConnectionManager),
    /// The check's own connection, made on first use and kept while it works: always
    /// a [`Conn::Own`].
    Own {
        client: redis::Client,
        connection: Kept<Conn>,
    },
}

/// The connection of a Redis check, either kind.
pub(crate) enum Conn {
    Manager(ConnectionManager),
    Own(MultiplexedConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Manager(conn) => conn.req_packed_command(cmd),
            Self::Own(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Manager(conn) => conn.req_packed_commands(cmd, offset, count),
            Self::Own(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Manager(conn) => conn.get_db(),
            Self::Own(conn) => conn.get_db(),
        }
    }
}

/// What the Redis checks share: the connection source and the redaction of messages.
pub(crate) struct RedisTarget {
    source: Source,
    redactor: Redactor,
    /// What `Debug` shows: the redacted URL, or that the application's manager is used.
    pub(crate) target: String,
}

impl RedisTarget {
    pub(crate) fn from_manager(manager: ConnectionManager) -> Self {
        Self {
            source: Source::Manager(manager),
            redactor: Redactor::default(),
            target: "the application's connection manager".to_owned(),
        }
    }

    pub(crate) fn from_url(url: &str) -> Result<Self, InvalidUrl> {
        let redactor = Redactor::for_url(url);
        let client =
            redis::Client::open(url).map_err(|error| InvalidUrl::new(url, error_text(&error)))?;
        Ok(Self {
            source: Source::Own {
                client,
                connection: Kept::default(),
            },
            redactor,
            target: redact_url(url),
        })
    }

    /// Runs `probe` on a connection; once more on a fresh one if a kept connection
    /// turns out broken (the server restarted since the last run).
    pub(crate) async fn run(&self, probe: Probe) -> CheckResult {
        self.run_inner(probe)
            .await
            .map_err(|failure| failure.into_check_error(&self.redactor))
    }

    async fn run_inner(&self, probe: Probe) -> Result<(), Failure> {
        match &self.source {
            Source::Manager(manager) => {
                let mut conn = Conn::Manager(manager.clone());
                match probe.run(&mut conn).await {
                    // The manager reconnects in the background after a broken
                    // connection; the second try waits for that.
                    Err(failure) if failure.is_broken_connection() => probe.run(&mut conn).await,
                    result => result,
                }
            }
            // If the runner's timeout drops this future, the connection goes with it.
            Source::Own { client, connection } => {
                connection
                    .run(
                        async || {
                            // The runner owns the timeout: no connection or response
                            // timeout here, so a hung server reports `timed out after
                            // …` like every other check.
                            let config = AsyncConnectionConfig::new()
                                .set_connection_timeout(None)
                                .set_response_timeout(None);
                            client
                                .get_multiplexed_async_connection_with_config(&config)
                                .await
                                .map(Conn::Own)
                                .map_err(Failure::redis("connect"))
                        },
                        |conn| Box::pin(probe.run(conn)),
                        Failure::is_broken_connection,
                    )
                    .await
            }
        }
    }
}

/// What a Redis check does on its connection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Probe {
    /// [`RedisCache`]: set, get and delete a unique key.
    RoundTrip,
    /// [`RedisPing`](super::RedisPing): `PING` and `INFO server`.
    PingInfo,
}

impl Probe {
    async fn run(self, conn: &mut Conn) -> Result<(), Failure> {
        match self {
            Self::RoundTrip => round_trip(conn).await,
            Self::PingInfo => super::redis_ping::ping_info(conn).await,
        }
    }
}
