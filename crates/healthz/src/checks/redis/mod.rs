//! The Redis checks, [`RedisCache`] and [`RedisPing`], and the connection handling
//! they share: where the connection comes from, how a broken one is replaced, and how a
//! failure is described without a secret.

mod cache;
mod ping;

use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisError, RedisFuture, Value};

use super::InvalidUrl;
use super::kept::Kept;
use crate::CheckResult;
use crate::check::BoxFuture;
use crate::error::CheckError;
use crate::redact::{Redactor, redact_url};

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
    /// Redis answered something other than what the probe expected.
    Unexpected(String),
}

impl Failure {
    /// A closure for `map_err` that names what was being done.
    pub(super) fn redis(doing: &'static str) -> impl FnOnce(RedisError) -> Self {
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
pub(super) enum Conn {
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
pub(super) struct RedisTarget {
    source: Source,
    redactor: Redactor,
    /// What `Debug` shows: the redacted URL, or that the application's manager is used.
    pub(super) target: String,
}

impl RedisTarget {
    pub(super) fn from_manager(manager: ConnectionManager) -> Self {
        Self {
            source: Source::Manager(manager),
            redactor: Redactor::default(),
            target: "the application's connection manager".to_owned(),
        }
    }

    pub(super) fn from_url(url: &str) -> Result<Self, InvalidUrl> {
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
    pub(super) async fn run(&self, probe: Probe) -> CheckResult {
        self.run_inner(probe)
            .await
            .map_err(|failure| failure.into_check_error(&self.redactor))
    }

    async fn run_inner(&self, probe: Probe) -> Result<(), Failure> {
        match &self.source {
            Source::Manager(manager) => {
                let mut conn = Conn::Manager(manager.clone());
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
                        probe,
                        Failure::is_broken_connection,
                    )
                    .await
            }
        }
    }
}
