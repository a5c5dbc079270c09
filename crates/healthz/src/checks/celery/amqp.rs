//! The broadcast on RabbitMQ (AMQP 0-9-1, through lapin).

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use lapin::message::Delivery;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::uri::AMQPUri;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::protocol::{Broadcast, CLOCK, JSON, Reply};
use super::{Failure, Kept, Tally};
use crate::checks::InvalidUrl;
use crate::checks::describe_io;

/// `x-expires` of the reply queue in milliseconds, Celery's `control_queue_expires`:
/// the broker drops the queue this long after its last consumer, should the
/// exclusive and auto-delete flags ever not apply.
const REPLY_QUEUE_EXPIRES_MS: i32 = 10_000;

/// AMQP's `reply-success` code, for closing a channel normally.
const REPLY_SUCCESS: u16 = 200;

/// The check's side of a RabbitMQ broker.
pub(super) struct AmqpBroker {
    uri: AMQPUri,
    connection: Kept<Connection>,
    /// The connection attempt in flight. lapin drives each connection from a thread
    /// of its own, which a dropped `connect` future does not stop while a hung broker
    /// holds the socket open. So an attempt outlives the run that the runner's timeout
    /// stopped, and the next run waits for it instead of starting another: a hung
    /// broker costs one thread and one socket, not one per run.
    connecting: Mutex<Option<JoinHandle<lapin::Result<Connection>>>>,
}

impl AmqpBroker {
    /// Parses Celery's AMQP broker URL; connects only when the check runs.
    pub(super) fn new(url: &str) -> Result<Self, InvalidUrl> {
        // `pyamqp://` is Celery's name for the same transport.
        let amqp_url = match url.strip_prefix("pyamqp://") {
            Some(rest) => format!("amqp://{rest}"),
            None => url.to_owned(),
        };
        if !amqp_url.starts_with("amqp://") {
            return Err(InvalidUrl::new(
                url,
                "not an amqp:// URL (this build has no TLS for amqps://)",
            ));
        }
        let mut uri: AMQPUri = amqp_url
            .parse()
            .map_err(|reason: String| InvalidUrl::new(url, reason))?;
        // kombu reads `amqp://host/` as the default vhost, where lapin reads "".
        if uri.vhost.is_empty() {
            uri.vhost = "/".to_owned();
        }
        Ok(Self {
            uri,
            connection: Kept::default(),
            connecting: Mutex::new(None),
        })
    }

    /// Broadcasts on the kept connection, or on a new one when there is none or it
    /// turns out broken (the broker restarted since the last run).
    pub(super) async fn broadcast(
        &self,
        broadcast: &Broadcast,
        window: Duration,
        tally: &mut Tally<'_>,
    ) -> Result<(), Failure> {
        if let Some(connection) = self.connection.take() {
            match self.ask(connection, broadcast, window, tally).await {
                Err(failure) if failure.is_connection_lost() => {}
                result => return result,
            }
        }
        let connection = self.connect().await?;
        self.ask(connection, broadcast, window, tally).await
    }

    /// Connects, or waits for the attempt an earlier run started. The runner owns the
    /// timeout: no connection timeout here, so a hung broker reports `timed out after
    /// …` like every other check.
    async fn connect(&self) -> Result<Connection, Failure> {
        let mut connecting = self.connecting.lock().await;
        let attempt = connecting.get_or_insert_with(|| {
            let uri = self.uri.clone();
            let properties = ConnectionProperties::default()
                .with_connection_name("healthz CeleryBackend".into());
            tokio::spawn(Connection::connect_uri(uri, properties))
        });
        let connected = attempt.await;
        *connecting = None;
        match connected {
            Ok(connected) => connected.map_err(failure("connect to the broker")),
            Err(join_error) => Err(Failure::Broker {
                doing: "connect to the broker",
                error: join_error.to_string(),
                connection_lost: false,
            }),
        }
    }

    /// Runs the broadcast on a channel of its own, then keeps the connection unless
    /// it broke.
    async fn ask(
        &self,
        connection: Connection,
        broadcast: &Broadcast,
        window: Duration,
        tally: &mut Tally<'_>,
    ) -> Result<(), Failure> {
        let channel = connection
            .create_channel()
            .await
            .map_err(failure("open a channel"))?;
        let result = ask_on(&channel, broadcast, window, tally).await;
        // Closing the channel cancels the consumer, and the broker deletes the
        // auto-delete reply queue with it. A channel the broker already closed after
        // an error has nothing left to close.
        let _ = channel.close(REPLY_SUCCESS, "OK".into()).await;
        if !result.as_ref().is_err_and(Failure::is_connection_lost) {
            self.connection.put_back(connection);
        }
        result
    }
}

async fn ask_on(
    channel: &Channel,
    broadcast: &Broadcast,
    window: Duration,
    tally: &mut Tally<'_>,
) -> Result<(), Failure> {
    // Both exchanges are declared exactly as kombu declares them (non-durable, kept),
    // so that declaring is a no-op when a worker or a Celery client did it first.
    let transient = ExchangeDeclareOptions::default();
    channel
        .exchange_declare(
            broadcast.reply_exchange.as_str().into(),
            ExchangeKind::Direct,
            transient,
            FieldTable::default(),
        )
        .await
        .map_err(failure("declare the reply exchange"))?;
    let reply_queue = broadcast.reply_queue();
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-expires".into(),
        AMQPValue::LongInt(REPLY_QUEUE_EXPIRES_MS),
    );
    let private = QueueDeclareOptions {
        exclusive: true,
        auto_delete: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(reply_queue.as_str().into(), private, arguments)
        .await
        .map_err(failure("declare the reply queue"))?;
    channel
        .queue_bind(
            reply_queue.as_str().into(),
            broadcast.reply_exchange.as_str().into(),
            broadcast.reply_key.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(failure("bind the reply queue"))?;
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..BasicConsumeOptions::default()
    };
    let mut replies = channel
        .basic_consume(
            reply_queue.as_str().into(),
            "".into(),
            no_ack,
            FieldTable::default(),
        )
        .await
        .map_err(failure("consume the reply queue"))?;
    channel
        .exchange_declare(
            broadcast.exchange.as_str().into(),
            ExchangeKind::Fanout,
            transient,
            FieldTable::default(),
        )
        .await
        .map_err(failure("declare the control exchange"))?;
    channel
        .basic_publish(
            broadcast.exchange.as_str().into(),
            "".into(),
            BasicPublishOptions::default(),
            &broadcast.body(),
            properties(broadcast),
        )
        .await
        .map_err(failure("broadcast the command"))?;

    let deadline = Instant::now() + window;
    while !tally.is_complete() {
        let next = poll_fn(|cx| Pin::new(&mut replies).poll_next(cx));
        let delivery = match tokio::time::timeout_at(deadline, next).await {
            Err(_) => break,
            Ok(Some(delivery)) => delivery.map_err(failure("receive the replies"))?,
            Ok(None) => {
                return Err(Failure::Broker {
                    doing: "receive the replies",
                    error: "the broker cancelled the consumer".to_owned(),
                    connection_lost: false,
                });
            }
        };
        tally.record(broadcast, &reply(delivery))?;
    }
    Ok(())
}

/// The properties kombu gives a broadcast: JSON, and the `clock` and `expires` headers.
fn properties(broadcast: &Broadcast) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("clock".into(), AMQPValue::LongLongInt(CLOCK));
    headers.insert("expires".into(), AMQPValue::Double(broadcast.expires));
    BasicProperties::default()
        .with_content_type(JSON.into())
        .with_content_encoding("utf-8".into())
        .with_headers(headers)
        // What Celery 5.7 sends; nothing is stored, the queues are not durable.
        .with_delivery_mode(2)
        .with_priority(0)
}

fn reply(delivery: Delivery) -> Reply {
    let ticket = delivery.properties.headers().as_ref().and_then(|headers| {
        match headers.inner().get("ticket")? {
            AMQPValue::LongString(ticket) => Some(ticket.to_string()),
            AMQPValue::ShortString(ticket) => Some(ticket.as_str().to_owned()),
            _ => None,
        }
    });
    Reply {
        ticket,
        content_type: delivery
            .properties
            .content_type()
            .as_ref()
            .map(|content_type| content_type.as_str().to_owned()),
        body: delivery.data,
    }
}

/// A closure for `map_err` that names what was being done.
fn failure(doing: &'static str) -> impl FnOnce(lapin::Error) -> Failure {
    move |error| {
        let connection_lost = error.is_io_error()
            || error.is_amqp_hard_error()
            || matches!(
                error.kind(),
                lapin::ErrorKind::InvalidConnectionState(_)
                    | lapin::ErrorKind::MissingHeartbeatError
            );
        let error = match error.kind() {
            lapin::ErrorKind::IOError(io) => describe_io(io),
            lapin::ErrorKind::ProtocolError(amqp) => amqp.to_string(),
            _ => error.to_string(),
        };
        Failure::Broker {
            doing,
            error,
            connection_lost,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn celery_urls_are_read_as_kombu_reads_them() {
        let vhost = |url| AmqpBroker::new(url).unwrap().uri.vhost;
        assert_eq!(vhost("amqp://guest:guest@127.0.0.1:5672//"), "/");
        assert_eq!(vhost("amqp://guest:guest@127.0.0.1:5672/"), "/");
        assert_eq!(vhost("amqp://127.0.0.1"), "/");
        assert_eq!(vhost("amqp://127.0.0.1/%2f"), "/");
        assert_eq!(vhost("pyamqp://127.0.0.1:5672/orders"), "orders");
        let uri = AmqpBroker::new("amqp://app:pw@mq.internal:5673//")
            .unwrap()
            .uri;
        assert_eq!(uri.authority.host, "mq.internal");
        assert_eq!(uri.authority.port, 5673);
        assert_eq!(uri.authority.userinfo.username, "app");
    }
}
