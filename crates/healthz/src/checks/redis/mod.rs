//! The Redis checks, [`RedisCache`] and [`RedisPing`], and the connection handling
//! they share: where the connection comes from, how a broken one is replaced, and how a
//! failure is described without a secret.

mod cache;
mod ping;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

use super::InvalidUrl;
use super::kept::Kept;
use super::redis_client::{ConnectError, RedisClient, RedisConnection, error_text};
#[cfg(feature = "rustls")]
use super::tls::Tls;
use crate::check::BoxFuture;
use crate::error::CheckError;
use crate::redact::Redactor;
use crate::{CheckResult, Secret};

pub use cache::RedisCache;
pub use ping::RedisPing;

/// What a Redis check does on its connection: one round trip of commands.
type Probe = for<'a> fn(&'a mut Conn) -> BoxFuture<'a, Result<(), Failure>>;

/// Why a Redis probe failed, before its text is redacted.
pub(super) enum Failure {
    /// A command failed while doing what `doing` says.
    Redis {
        doing: &'static str,
        error: RedisError,
    },
    /// The TLS handshake failed: the whole public message.
    Tls(String),
    /// Redis answered something other than what the probe expected.
    Unexpected(String),
}

impl Failure {
    /// A closure for `map_err` that names what was being done.
    pub(super) fn redis(doing: &'static str) -> impl FnOnce(RedisError) -> Self {
        move |error| Self::Redis { doing, error }
    }

    fn connect(error: ConnectError) -> Self {
        match error {
            ConnectError::Tls(message) => Self::Tls(message),
            ConnectError::Redis(error) => Self::redis("connect")(error),
        }
    }

    fn is_broken_connection(&self) -> bool {
        matches!(self, Self::Redis { error, .. } if error.is_io_error() || error.is_connection_dropped())
    }

    fn into_check_error(self, redactor: &Redactor) -> CheckError {
        match self {
            // With TLS 1.3 the server judges the client's certificate after the
            // client's side of the handshake, so its verdict comes with the first
            // reply, inside redis-rs's error.
            Self::Redis { error, .. } if let Some(tls) = super::tls_failure(&error) => {
                CheckError::unavailable(tls)
            }
            Self::Redis { doing, error } => {
                let message = format!("cannot {doing}: {}", redactor.redact(&error_text(&error)));
                match error.kind() {
                    redis::ErrorKind::Parse | redis::ErrorKind::UnexpectedReturnType => {
                        CheckError::unexpected_result(message)
                    }
                    _ => CheckError::unavailable(message),
                }
            }
            Self::Tls(message) => CheckError::unavailable(message),
            Self::Unexpected(message) => CheckError::unexpected_result(redactor.redact(&message)),
        }
    }
}

/// Where a Redis check's connection comes from.
// One per check, built once and never moved on a hot path: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Source {
    /// The application's connection manager (its `Debug` would show the server's
    /// address and user).
    Manager(Secret<ConnectionManager>),
    /// The check's own connection, made on first use and kept while it works: always
    /// a [`Conn::Own`].
    Own {
        client: RedisClient,
        connection: Kept<Conn>,
    },
}

/// The connection of a Redis check, either kind.
pub(super) enum Conn {
    Manager(ConnectionManager),
    Own(RedisConnection),
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

/// What the Redis checks share: where the connection comes from.
#[derive(Debug)]
pub(super) struct RedisTarget(Source);

impl RedisTarget {
    pub(super) fn from_manager(manager: ConnectionManager) -> Self {
        Self(Source::Manager(Secret::new(manager)))
    }

    pub(super) fn from_url(url: &str) -> Result<Self, InvalidUrl> {
        Ok(Self(Source::Own {
            client: RedisClient::new(url)?,
            connection: Kept::default(),
        }))
    }

    /// Speaks TLS on the check's own connection; the application's manager keeps its
    /// own settings.
    #[cfg(feature = "rustls")]
    pub(super) fn tls(self, tls: Tls) -> Self {
        match self.0 {
            Source::Own { client, connection } => Self(Source::Own {
                client: client.tls(tls),
                connection,
            }),
            manager @ Source::Manager(_) => Self(manager),
        }
    }

    /// Runs `probe` on a connection; once more on a fresh one if a kept connection
    /// turns out broken (the server restarted since the last run).
    pub(super) async fn run(&self, probe: Probe) -> CheckResult {
        let redactor = match &self.0 {
            Source::Manager(_) => &Redactor::default(),
            Source::Own { client, .. } => client.redactor(),
        };
        self.run_inner(probe)
            .await
            .map_err(|failure| failure.into_check_error(redactor))
    }

    async fn run_inner(&self, probe: Probe) -> Result<(), Failure> {
        match &self.0 {
            Source::Manager(manager) => {
                let mut conn = Conn::Manager(manager.expose().clone());
                match probe(&mut conn).await {
                    // The manager reconnects in the background after a broken
                    // connection; the second try waits for that.
                    Err(failure) if failure.is_broken_connection() => probe(&mut conn).await,
                    result => result,
                }
            }
            // If the runner's timeout drops this future, the connection goes with it.
            Source::Own { client, connection } => {
                connection
                    .run(
                        async || {
                            client
                                .connect()
                                .await
                                .map(Conn::Own)
                                .map_err(Failure::connect)
                        },
                        probe,
                        Failure::is_broken_connection,
                    )
                    .await
            }
        }
    }
}
