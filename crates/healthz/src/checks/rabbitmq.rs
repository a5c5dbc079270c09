//! `RabbitMQBackend`: [`RabbitMq`], a message's round trip through an AMQP 0-9-1 broker.
//!
//! It speaks AMQP through `amqprs` rather than `lapin`: lapin runs each connection on an
//! OS thread of its own that outlives a dropped connect future, so every run stopped by
//! the runner's timeout against a hung broker would leave a thread and a socket behind.
//! amqprs does its handshake inside the future and closes the connection when it is
//! dropped, on Tokio alone, with a few small crates (amqp_serde, serde_bytes, async-trait).

use std::borrow::Cow;
use std::fmt;

use amqprs::BasicProperties;
use amqprs::channel::{BasicConsumeArguments, BasicPublishArguments, QueueDeclareArguments};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::error::Error as AmqpError;
use percent_encoding::percent_decode_str;
use url::Url;

use super::InvalidUrl;
use crate::error::CheckError;
use crate::redact::{Redactor, redact_url};
use crate::{CheckResult, HealthCheck};

/// The AMQP port, when the URL names none.
const DEFAULT_PORT: u16 = 5672;

/// What the broker shows as the connection's name (RabbitMQ's management UI lists it),
/// so that an operator can tell the check's short-lived connections apart.
const CONNECTION_NAME: &str = "healthz RabbitMQBackend";

/// Checks a RabbitMQ (or other AMQP 0-9-1) broker with a real message: connects, opens a
/// channel, declares an exclusive, auto-deleted, server-named queue, publishes a unique
/// payload to it through the default exchange, consumes it back, compares, and closes
/// the connection. Named `RabbitMQBackend`.
///
/// The queue belongs to the check's connection, so the broker deletes it when the
/// connection closes, including when the runner's timeout drops the check half-way (the
/// connection is then closed) or the process dies (the socket is). No other queue or
/// exchange is touched: the default exchange only routes to the queue it names.
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
pub struct RabbitMq {
    arguments: OpenConnectionArguments,
    /// The URL as `Debug` shows it: redacted.
    target: String,
    redactor: Redactor,
}

impl RabbitMq {
    /// Checks the broker at `url`: `amqp://[user[:password]@]host[:port][/vhost]`.
    ///
    /// The user and password default to `guest`, the port to 5672, and the virtual host
    /// to `/` (written `%2f`; a missing or empty path means `/` too). Query parameters
    /// such as `heartbeat` are ignored: the check's connection lives for one round trip.
    /// Building the check never touches the network: each run opens its own connection.
    ///
    /// ```
    /// use healthz::checks::RabbitMq;
    ///
    /// let check = RabbitMq::new("amqp://app:s3cr3t@127.0.0.1/orders")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// assert!(RabbitMq::new("amqps://rabbitmq.internal").is_err());
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the URL does not parse, has another scheme (`amqps`
    /// included: this build has no TLS for AMQP), or has no host.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        let invalid = |reason: &str| InvalidUrl::new(url, reason);
        let parsed = Url::parse(url).map_err(|error| invalid(&error.to_string()))?;
        match parsed.scheme() {
            "amqp" => {}
            "amqps" => return Err(invalid("TLS (amqps) is not supported, use amqp")),
            other => return Err(invalid(&format!("the scheme is `{other}`, not `amqp`"))),
        }
        let host = parsed
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| invalid("it names no host"))?;
        let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
        let user = match parsed.username() {
            "" => "guest".to_owned(),
            user => decode(user),
        };
        let password = parsed.password().map_or_else(|| "guest".to_owned(), decode);
        let vhost = match parsed.path().strip_prefix('/').unwrap_or(parsed.path()) {
            "" => "/".to_owned(),
            path => decode(path),
        };
        let mut arguments = OpenConnectionArguments::new(
            host,
            parsed.port().unwrap_or(DEFAULT_PORT),
            &user,
            &password,
        );
        arguments
            .virtual_host(&vhost)
            .connection_name(CONNECTION_NAME);
        let mut redactor = Redactor::for_url(url);
        redactor.add_secret(&password);
        Ok(Self {
            arguments,
            target: redact_url(url),
            redactor,
        })
    }

    async fn round_trip(&self, connection: &Connection) -> Result<(), Failure> {
        let channel = connection
            .open_channel(None)
            .await
            .map_err(Failure::amqp("open a channel"))?;
        let declare = QueueDeclareArguments::new("")
            .exclusive(true)
            .auto_delete(true)
            .finish();
        let (queue, _, _) = channel
            .queue_declare(declare)
            .await
            .map_err(Failure::amqp("declare a queue"))?
            .ok_or(Failure::Unexpected("the broker did not name the queue"))?;
        let consume = BasicConsumeArguments::new(&queue, "")
            .auto_ack(true)
            .exclusive(true)
            .finish();
        let (_tag, mut deliveries) = channel
            .basic_consume_rx(consume)
            .await
            .map_err(Failure::amqp("consume from its queue"))?;
        let payload = format!("healthz {:032x}", fastrand::u128(..)).into_bytes();
        channel
            .basic_publish(
                BasicProperties::default(),
                payload.clone(),
                BasicPublishArguments::new("", &queue),
            )
            .await
            .map_err(Failure::amqp("publish a message"))?;
        let delivery = deliveries.recv().await.ok_or(Failure::Unexpected(
            "the channel closed before the message came back",
        ))?;
        if delivery.content.as_deref() != Some(payload.as_slice()) {
            return Err(Failure::Unexpected(
                "the message that came back is not the one it published",
            ));
        }
        channel
            .close()
            .await
            .map_err(Failure::amqp("close the channel"))
    }
}

impl fmt::Debug for RabbitMq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RabbitMq")
            .field("url", &self.target)
            .finish()
    }
}

impl HealthCheck for RabbitMq {
    async fn check(&self) -> CheckResult {
        let connection = Connection::open(&self.arguments)
            .await
            .map_err(|error| open_error(&error, &self.redactor))?;
        let round_trip = self.round_trip(&connection).await;
        // Closed even after a failed round trip: the broker then deletes the queue at once.
        let closed = connection.close().await;
        round_trip.map_err(|failure| failure.into_check_error(&self.redactor))?;
        closed.map_err(|error| {
            Failure::Amqp {
                doing: "close the connection",
                error,
            }
            .into_check_error(&self.redactor)
        })
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("RabbitMQBackend")
    }
}

/// Why the round trip failed, before its text is redacted.
enum Failure {
    Amqp {
        doing: &'static str,
        error: AmqpError,
    },
    Unexpected(&'static str),
}

impl Failure {
    fn amqp(doing: &'static str) -> impl FnOnce(AmqpError) -> Self {
        move |error| Self::Amqp { doing, error }
    }

    fn into_check_error(self, redactor: &Redactor) -> CheckError {
        match self {
            Self::Amqp { doing, error } => CheckError::unavailable(format!(
                "cannot {doing}: {}",
                redactor.redact(&describe(&error))
            )),
            Self::Unexpected(message) => CheckError::unexpected_result(message),
        }
    }
}

/// Classifies a failed `Connection::open`.
///
/// AMQP 0-9-1 has the broker close the socket, without a word, when it refuses the
/// credentials (RabbitMQ sends a reason only to clients that announce a capability
/// amqprs does not): a connection that was accepted and then dropped during the
/// handshake is reported as an authentication failure, as Pika and Kombu do.
fn open_error(error: &AmqpError, redactor: &Redactor) -> CheckError {
    let text = redactor.redact(&describe(error));
    let dropped = [
        "peer shutdown",
        "reset by peer",
        "broken pipe",
        "unexpected end of file",
    ];
    let access_refused = text.contains("ACCESS_REFUSED");
    if access_refused || dropped.iter().any(|sign| text.contains(sign)) {
        return CheckError::unavailable(format!(
            "authentication failed: the broker closed the connection during the login ({text}); \
             check the user name and password"
        ));
    }
    CheckError::unavailable(format!("cannot connect: {text}"))
}

/// An amqprs error as a short phrase: the broker's reply text when it sent one (amqprs
/// puts it inside a dump of the frame), otherwise the error without amqprs's prefixes
/// and the OS error number.
fn describe(error: &AmqpError) -> String {
    let text = match error {
        AmqpError::NetworkError(text)
        | AmqpError::ConnectionOpenError(text)
        | AmqpError::ConnectionCloseError(text)
        | AmqpError::ConnectionUseError(text)
        | AmqpError::ChannelOpenError(text)
        | AmqpError::ChannelCloseError(text)
        | AmqpError::ChannelUseError(text)
        | AmqpError::InternalChannelError(text) => text.clone(),
        other => other.to_string(),
    };
    if let Some(reply) = reply_text(&text) {
        return reply.to_owned();
    }
    let text = text.strip_prefix("network io error: ").unwrap_or(&text);
    let text = text.find(" (os error").map_or(text, |end| &text[..end]);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The `reply_text` of a `Close` frame in amqprs's `Debug` dump of it:
/// `… reply_text: ShortStr(34, "NOT_ALLOWED - vhost nope not found") …`.
fn reply_text(text: &str) -> Option<&str> {
    let start = text.find("reply_text: ShortStr(")?;
    let rest = &text[start..];
    let open = rest.find('"')? + 1;
    let close = rest[open..].find('"')? + open;
    Some(&rest[open..close])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_connection_arguments() {
        let check =
            RabbitMq::new("amqp://app:p%40ss@127.0.0.1:5673/orders%2Feu?heartbeat=5").unwrap();
        let arguments = &check.arguments;
        assert_eq!(arguments.get_host(), "127.0.0.1");
        assert_eq!(arguments.get_port(), 5673);
        assert_eq!(arguments.get_virtual_host(), "orders/eu");
        assert_eq!(arguments.get_connection_name(), Some(CONNECTION_NAME));

        for (url, vhost) in [
            ("amqp://127.0.0.1", "/"),
            ("amqp://127.0.0.1/", "/"),
            ("amqp://127.0.0.1/%2f", "/"),
            ("amqp://[::1]:5672/%2F", "/"),
        ] {
            let check = RabbitMq::new(url).unwrap();
            assert_eq!(check.arguments.get_virtual_host(), vhost, "{url}");
            assert_eq!(check.arguments.get_port(), DEFAULT_PORT, "{url}");
        }
    }

    #[test]
    fn other_schemes_and_hostless_urls_are_refused_without_showing_the_password() {
        for url in [
            "amqps://u:s3cr3t@127.0.0.1",
            "redis://u:s3cr3t@127.0.0.1",
            "amqp://u:s3cr3t@",
        ] {
            let error = RabbitMq::new(url).unwrap_err();
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }
    }

    #[test]
    fn debug_shows_the_url_redacted() {
        let check = RabbitMq::new("amqp://app:s3cr3t@127.0.0.1/%2f").unwrap();
        assert_eq!(
            format!("{check:?}"),
            r#"RabbitMq { url: "amqp://app:***@127.0.0.1/%2f" }"#
        );
    }

    #[test]
    fn amqprs_errors_are_described_by_the_broker_reply_or_a_short_phrase() {
        let closed = AmqpError::ConnectionOpenError(
            "failed to open connection, reason: Close(MethodHeader { class_id: 10, method_id: 50 }, \
             Close { reply_code: 530, reply_text: ShortStr(34, \"NOT_ALLOWED - vhost nope not found\"), \
             class_id: 10, method_id: 40 })"
                .to_owned(),
        );
        assert_eq!(describe(&closed), "NOT_ALLOWED - vhost nope not found");
        let refused = AmqpError::NetworkError(
            "network io error: Connection refused (os error 111)".to_owned(),
        );
        assert_eq!(describe(&refused), "connection refused");
    }

    #[test]
    fn a_connection_dropped_during_the_login_is_an_authentication_failure() {
        let redactor = Redactor::default();
        let reset = AmqpError::NetworkError(
            "network io error: Connection reset by peer (os error 104)".to_owned(),
        );
        let error = open_error(&reset, &redactor);
        assert_eq!(error.kind(), crate::ErrorKind::Unavailable);
        assert!(
            error.message().starts_with("authentication failed: "),
            "{error}"
        );
        let refused = AmqpError::NetworkError(
            "network io error: Connection refused (os error 111)".to_owned(),
        );
        assert_eq!(
            open_error(&refused, &redactor).message(),
            "cannot connect: connection refused"
        );
    }
}
