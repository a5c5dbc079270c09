//! `RabbitMQBackend`: [`RabbitMq`], a message's round trip through an AMQP 0-9-1 broker.

use std::borrow::Cow;

use amqprs::BasicProperties;
use amqprs::channel::{BasicConsumeArguments, BasicPublishArguments, QueueDeclareArguments};

use super::InvalidUrl;
use super::amqp::{self, Channel, Endpoint, Failure, Session};
use super::kept::Kept;
#[cfg(feature = "rustls")]
use super::tls::Tls;
use crate::{CheckResult, HealthCheck};

/// What the broker shows as the check's connections' name (RabbitMQ's management UI
/// lists it), so that an operator can tell them apart.
const CONNECTION_NAME: &str = "healthz RabbitMQBackend";

/// Checks a RabbitMQ (or other AMQP 0-9-1) broker with a real message: opens a channel,
/// declares an exclusive, auto-deleted, server-named queue, publishes a unique payload
/// to it through the default exchange, consumes it back, compares, and closes the
/// channel. Named `RabbitMQBackend`.
///
/// The connection is made when the check first runs and kept while it works. The queue
/// goes when its consumer does, with the channel, and it is exclusive to the
/// connection besides: when the runner's timeout drops the check half-way, the
/// connection is closed and the broker deletes the queue (as it does when the process
/// dies and the socket closes). No other queue or exchange is touched: the default
/// exchange only routes to the queue it names. A refused login is reported at once in
/// the broker's words: `cannot connect: ACCESS_REFUSED - Login was refused using
/// authentication mechanism PLAIN. For details see the broker logfile.`
///
/// ```no_run
/// use healthz::checks::RabbitMq;
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(RabbitMq::new("amqp://app:secret@rabbitmq.internal:5672/%2f")?)
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RabbitMq {
    endpoint: Endpoint,
    connection: Kept<Session>,
}

impl RabbitMq {
    /// Checks the broker at `url`: `amqp://[user[:password]@]host[:port][/vhost]`, or
    /// `amqps://` for TLS (Amazon MQ, CloudAMQP), verified with the system's trust
    /// store and the bundled web roots unless [`tls`](RabbitMq::tls) says otherwise.
    ///
    /// The user and password default to `guest`, the port to 5672 (5671 for `amqps`),
    /// and the virtual host to `/` (written `%2f`; a missing or empty path means `/`
    /// too). Query parameters such as `heartbeat` are ignored. Building the check never
    /// touches the network.
    ///
    /// ```
    /// use healthz::checks::RabbitMq;
    ///
    /// let check = RabbitMq::new("amqp://app:s3cr3t@127.0.0.1/orders")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the URL does not parse, has another scheme, has no
    /// host, or is an `amqps://` URL in a build without the `rustls` feature.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        Ok(Self {
            endpoint: Endpoint::parse(url, &amqp::SCHEMES, CONNECTION_NAME)?,
            connection: Kept::default(),
        })
    }

    /// Speaks TLS, verified as `tls` says: a private CA, a client certificate for a
    /// broker that requires one, `verify-ca` for a broker reached by an address its
    /// certificate does not name. Its options win over the defaults of an `amqps://`
    /// URL; on an `amqp://` URL it turns TLS on (the default port stays 5672 then: name
    /// the TLS port).
    ///
    /// ```
    /// use healthz::checks::{RabbitMq, Tls};
    ///
    /// let check = RabbitMq::new("amqps://app:secret@mq.internal/%2f")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/mq-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.endpoint.set_tls(tls);
        self
    }
}

impl HealthCheck for RabbitMq {
    async fn check(&self) -> CheckResult {
        self.connection
            .run(
                async || self.endpoint.connect("connect").await,
                |session| Box::pin(round_trip(session)),
                // The broker restarted since the last run: a new connection may work.
                Failure::is_connection_lost,
            )
            .await
            .map_err(|failure| failure.into_check_error(self.endpoint.redactor()))
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("RabbitMQBackend")
    }
}

/// The message's round trip on a channel of its own, closed afterwards.
async fn round_trip(session: &mut Session) -> Result<(), Failure> {
    let channel = session.channel().await?;
    let sent = send_and_receive(&channel).await;
    // Closed even after a failure: the broker then deletes the queue at once.
    let closed = channel.close().await;
    sent?;
    closed
}

async fn send_and_receive(channel: &Channel) -> Result<(), Failure> {
    let declare = QueueDeclareArguments::new("")
        .exclusive(true)
        .auto_delete(true)
        .finish();
    let (queue, _, _) = channel
        .amqp()
        .queue_declare(declare)
        .await
        .map_err(channel.failure("declare a queue"))?
        .ok_or_else(|| Failure::Unexpected("the broker did not name the queue".to_owned()))?;
    let consume = BasicConsumeArguments::new(&queue, "")
        .auto_ack(true)
        .exclusive(true)
        .finish();
    let (_tag, mut deliveries) = channel
        .amqp()
        .basic_consume_rx(consume)
        .await
        .map_err(channel.failure("consume from its queue"))?;
    let payload = format!("healthz {:032x}", fastrand::u128(..)).into_bytes();
    channel
        .amqp()
        .basic_publish(
            BasicProperties::default(),
            payload.clone(),
            BasicPublishArguments::new("", &queue),
        )
        .await
        .map_err(channel.failure("publish a message"))?;
    let Some(delivery) = deliveries.recv().await else {
        return Err(channel.consumer_gone("receive the message"));
    };
    if delivery.content.as_deref() != Some(payload.as_slice()) {
        return Err(Failure::Unexpected(
            "the message that came back is not the one it published".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_schemes_and_hostless_urls_are_refused_without_showing_the_password() {
        for url in ["redis://u:s3cr3t@127.0.0.1", "amqp://u:s3cr3t@"] {
            let error = RabbitMq::new(url).unwrap_err();
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }
        let tls = RabbitMq::new("amqps://u:s3cr3t@127.0.0.1");
        assert_eq!(tls.is_ok(), cfg!(feature = "rustls"));
    }

    #[test]
    fn debug_shows_the_url_redacted_and_no_password() {
        let check = RabbitMq::new("amqp://app:s3cr3t@127.0.0.1/%2f").unwrap();
        let debug = format!("{check:?}");
        assert!(
            debug.contains(r#""amqp://app:***@127.0.0.1/%2f""#),
            "{debug}"
        );
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert_eq!(check.identifier(), "RabbitMQBackend");
    }
}
