//! `CeleryBackend`: [`Celery`], Celery workers asked over their broker.

mod amqp;
mod protocol;
mod redis;
mod tally;

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use self::protocol::Broadcast;
use self::tally::Tally;
use super::InvalidUrl;
// The AMQP side's failures; the Redis side reports its own the same way.
use super::amqp::Failure;
use super::kept::Kept;
#[cfg(feature = "rustls")]
use super::tls::Tls;
use crate::redact::{Redactor, redact_url};
use crate::{CheckResult, HealthCheck};

/// The broker URLs it takes, as its error says.
const EXPECTED_SCHEMES: &str = "expected amqp://, amqps://, pyamqp:// or pyamqps:// (RabbitMQ), \
     or redis:// or rediss:// (Redis)";

/// How long the check waits for replies unless told otherwise.
const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// Checks that Celery workers are alive, the way `celery inspect ping` does: it
/// broadcasts the control command `ping` through the broker and counts the workers
/// that reply. Named `CeleryBackend`.
///
/// It works with real Python Celery 5 workers on a RabbitMQ (AMQP) or Redis broker,
/// speaking kombu's remote-control protocol: the command goes to the fanout exchange
/// `celery.pidbox`, the replies come back through `reply.celery.pidbox` to a reply
/// queue of the check's own.
///
/// - It is healthy as soon as [`min_workers`](Celery::min_workers) workers (1 unless
///   set) have replied, and unavailable when fewer reply within the
///   [`reply_timeout`](Celery::reply_timeout) (1 s unless set): `no celery worker
///   replied within 1s`. The runner's timeout still bounds the whole run, connecting
///   included.
/// - With [`queues`](Celery::queues), each named queue must be consumed by a worker
///   that replied. The check then broadcasts `active_queues` instead of `ping` (what
///   `celery inspect active_queues` does, on both brokers), and a queue nobody
///   consumes is named: `no worker consumes queue "emails"`. It can only know that
///   once every worker had its chance to reply, so a missing queue costs the whole
///   reply timeout.
///
/// It never sends a task, so busy workers do not make it fail (control commands are
/// answered by the worker's main process, not by its pool). It leaves nothing on the
/// broker beyond what Celery's own clients and workers create: on RabbitMQ its reply
/// queue is exclusive and auto-deleted; on Redis it removes its reply binding and
/// list, even when the runner's timeout stops it half-way.
///
/// ```no_run
/// use std::time::Duration;
///
/// use healthz::checks::Celery;
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(
///         Celery::new("amqp://guest:secret@rabbitmq.internal:5672//")?
///             .min_workers(2)
///             .reply_timeout(Duration::from_millis(500))
///             .queues(["default", "emails"]),
///     )
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
///
/// Workers must accept JSON control messages and reply in JSON, Celery's defaults
/// (`accept_content` and `task_serializer`). Its `Debug` output and its messages show
/// the broker URL with the password masked.
pub struct Celery {
    broker: Broker,
    /// The broker URL, redacted.
    target: String,
    redactor: Redactor,
    namespace: String,
    min_workers: usize,
    reply_timeout: Duration,
    queues: Vec<String>,
}

/// The broker and the check's connection to it.
enum Broker {
    Amqp(amqp::AmqpBroker),
    Redis(redis::RedisBroker),
}

impl Celery {
    /// Asks the workers through the broker at `url`, Celery's `broker_url`: RabbitMQ
    /// (AMQP 0-9-1) with scheme `amqp://` or `pyamqp://`
    /// (`amqp://user:password@host:5672/vhost`; an empty vhost is `/`, as in Celery),
    /// or over TLS with `amqps://` or `pyamqps://` (port 5671 unless named; see
    /// [`tls`](Celery::tls)), or Redis with scheme `redis://`
    /// (`redis://[:password@]host[:port][/db]`; Redis 6 or later), or `rediss://` for
    /// TLS, with the `ssl_*` parameters Celery takes there
    /// (`?ssl_cert_reqs=required&ssl_ca_certs=/etc/ssl/redis-ca.pem`; see
    /// [`RedisCache::new`](super::RedisCache::new)). The connection is made when the
    /// check first runs and kept while it works.
    ///
    /// ```
    /// let amqp = healthz::checks::Celery::new("amqp://guest:secret@localhost//")?;
    /// assert!(!format!("{amqp:?}").contains("secret"));
    /// let redis = healthz::checks::Celery::new("redis://:secret@localhost:6379/0")?;
    /// assert!(!format!("{redis:?}").contains("secret"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the URL names another broker, or one its client
    /// cannot use (TLS URLs included when this build lacks the `rustls` feature).
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        let broker = match scheme {
            Some("amqp" | "amqps" | "pyamqp" | "pyamqps") => {
                Broker::Amqp(amqp::AmqpBroker::new(url)?)
            }
            Some("redis" | "rediss") => Broker::Redis(redis::RedisBroker::new(url)?),
            _ => return Err(InvalidUrl::new(url, EXPECTED_SCHEMES)),
        };
        Ok(Self::with_broker(url, broker))
    }

    fn with_broker(url: &str, broker: Broker) -> Self {
        Self {
            broker,
            target: redact_url(url),
            redactor: Redactor::for_url(url),
            namespace: "celery".to_owned(),
            min_workers: 1,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            queues: Vec::new(),
        }
    }

    /// How many workers must reply (default 1). The check returns as soon as that
    /// many have; `0` only checks that the broker takes the broadcast.
    #[must_use]
    pub fn min_workers(mut self, workers: usize) -> Self {
        self.min_workers = workers;
        self
    }

    /// How long the check waits for replies after broadcasting (default 1 s), like
    /// the `--timeout` of `celery inspect ping`. Keep it below the check's timeout in
    /// the registry, which bounds the whole run.
    #[must_use]
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// Task queues that must each be consumed by at least one worker that replies.
    #[must_use]
    pub fn queues<I, S>(mut self, queues: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.queues = queues.into_iter().map(Into::into).collect();
        self
    }

    /// Celery's `control_exchange` setting (default `celery`), for workers of an app
    /// that changed it: the check then uses the exchanges `<name>.pidbox` and
    /// `reply.<name>.pidbox`.
    #[must_use]
    pub fn control_exchange(mut self, name: impl Into<String>) -> Self {
        self.namespace = name.into();
        self
    }

    /// Speaks TLS to the broker, verified as `tls` says: a private CA, a client
    /// certificate, `verify-ca`. Its options win over the defaults of an `amqps://` or
    /// `rediss://` URL (the system's trust store and the bundled web roots,
    /// `verify-full`) and over a `rediss://` URL's `ssl_*` parameters; on a plain URL
    /// it turns TLS on (the default port stays the plain one then: name the TLS port).
    ///
    /// ```
    /// use healthz::checks::{Celery, Tls};
    ///
    /// let check = Celery::new("amqps://app:secret@mq.internal//")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/mq-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        match &mut self.broker {
            Broker::Amqp(broker) => broker.set_tls(tls),
            Broker::Redis(broker) => broker.set_tls(tls),
        }
        self
    }

    /// Broadcasts the command and tallies the replies until enough came or the reply
    /// timeout passed.
    async fn ask(&self) -> Result<Tally<'_>, Failure> {
        let method = if self.queues.is_empty() {
            "ping"
        } else {
            "active_queues"
        };
        let broadcast = Broadcast::new(&self.namespace, method, self.reply_timeout);
        let mut tally = Tally::new(self.min_workers, &self.queues);
        let window = self.reply_timeout;
        match &self.broker {
            Broker::Amqp(broker) => broker.broadcast(&broadcast, window, &mut tally).await?,
            Broker::Redis(broker) => broker.broadcast(&broadcast, window, &mut tally).await?,
        }
        Ok(tally)
    }
}

impl fmt::Debug for Celery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Celery")
            .field("broker", &self.target)
            .field("control_exchange", &self.namespace)
            .field("min_workers", &self.min_workers)
            .field("reply_timeout", &self.reply_timeout)
            .field("queues", &self.queues)
            .finish()
    }
}

impl HealthCheck for Celery {
    async fn check(&self) -> CheckResult {
        let tally = self
            .ask()
            .await
            .map_err(|failure| failure.into_check_error(&self.redactor))?;
        tracing::debug!(
            replied = tally.replied(),
            broker = %self.target,
            "celery workers replied"
        );
        tally.verdict(self.reply_timeout)
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("CeleryBackend")
    }
}

/// The ticket of the broadcast that [`judge_redis_replies`] reads replies to.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) const FUZZ_TICKET: &str = "5b8f0e9c-4e7a-4d2b-9a3f-0c1d2e3f4a5b";

/// The verdict on `replies` as kombu's Redis transport stores them, read the way the
/// check reads them until it has what it waits for (`min_workers` workers consuming
/// `queues`), as answers to a broadcast with the ticket [`FUZZ_TICKET`]: what workers
/// can make the check say, for the fuzz targets and property tests.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn judge_redis_replies(
    replies: &[&[u8]],
    min_workers: usize,
    queues: &[String],
) -> CheckResult {
    let window = Duration::from_secs(1);
    let method = if queues.is_empty() {
        "ping"
    } else {
        "active_queues"
    };
    let mut broadcast = Broadcast::new("celery", method, window);
    broadcast.ticket = FUZZ_TICKET.to_owned();
    let mut tally = Tally::new(min_workers, queues);
    for raw in replies {
        if tally.is_complete() {
            break;
        }
        protocol::Reply::from_redis_envelope(raw)
            .map_err(Failure::Unexpected)
            .and_then(|reply| tally.record(&broadcast, &reply))
            .map_err(|failure| failure.into_check_error(&Redactor::default()))?;
    }
    tally.verdict(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_is_lazy_and_debug_hides_the_password() {
        let check = Celery::new("amqp://guest:s3cr3t@127.0.0.1:1//")
            .unwrap()
            .min_workers(2)
            .queues(["a", "b"])
            .control_exchange("app");
        let debug = format!("{check:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("amqp://guest:***@127.0.0.1:1//"), "{debug}");
        assert_eq!(check.identifier(), "CeleryBackend");
        assert_eq!(check.component_type(), "component");
        let redis = Celery::new("redis://:s3cr3t@127.0.0.1:1/5").unwrap();
        assert!(!format!("{redis:?}").contains("s3cr3t"));
    }

    #[test]
    fn urls_of_other_brokers_are_refused() {
        for url in ["http://h/", "not a url"] {
            let error = Celery::new(url).unwrap_err();
            assert!(
                error.to_string().starts_with("invalid connection URL"),
                "{url}"
            );
        }
        let error = Celery::new("http://u:s3cr3t@h/").unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"));
        assert!(error.to_string().ends_with(EXPECTED_SCHEMES));
        assert_eq!(Celery::new("amqps://h//").is_ok(), cfg!(feature = "rustls"));
        assert_eq!(
            Celery::new("rediss://h/0").is_ok(),
            cfg!(feature = "rustls")
        );
    }
}
