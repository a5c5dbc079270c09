//! The broadcast on RabbitMQ (AMQP 0-9-1), through amqprs as the RabbitMQ check speaks
//! it.

use std::time::Duration;

use amqprs::channel::{
    BasicConsumeArguments, BasicPublishArguments, ExchangeDeclareArguments, ExchangeType,
    QueueBindArguments, QueueDeclareArguments,
};
use amqprs::{BasicProperties, FieldName, FieldTable, FieldValue};
use tokio::time::Instant;

use super::protocol::{Broadcast, CLOCK, JSON, Reply};
use super::{Failure, Kept, Tally};
use crate::checks::InvalidUrl;
use crate::checks::amqp::{self, Channel, Endpoint, Session};
use crate::checks::target::Scheme;
#[cfg(feature = "rustls")]
use crate::checks::tls::Tls;

/// RabbitMQ's schemes, and Celery's names for the same transport.
const SCHEMES: [Scheme; 4] = [
    amqp::SCHEMES[0],
    amqp::SCHEMES[1],
    Scheme::plain("pyamqp", 5672),
    Scheme::tls("pyamqps", 5671),
];

/// `x-expires` of the reply queue in milliseconds, Celery's `control_queue_expires`:
/// the broker drops the queue this long after its last consumer, should the
/// exclusive and auto-delete flags ever not apply.
const REPLY_QUEUE_EXPIRES_MS: i32 = 10_000;

/// The check's side of a RabbitMQ broker.
pub(super) struct AmqpBroker {
    endpoint: Endpoint,
    connection: Kept<Session>,
}

impl AmqpBroker {
    /// Reads Celery's AMQP broker URL as kombu does (`amqp://host//` is the virtual
    /// host `/`); connects only when the check runs.
    pub(super) fn new(url: &str) -> Result<Self, InvalidUrl> {
        Ok(Self {
            endpoint: Endpoint::parse(url, &SCHEMES, "healthz CeleryBackend")?,
            connection: Kept::default(),
        })
    }

    /// Speaks TLS as `tls` says, whatever the URL's scheme.
    #[cfg(feature = "rustls")]
    pub(super) fn set_tls(&mut self, tls: Tls) {
        self.endpoint.set_tls(tls);
    }

    /// Broadcasts on the kept connection, or on a new one when there is none or it
    /// turns out broken (the broker restarted since the last run). The runner owns the
    /// timeout: a hung broker reports `timed out after …` like every other check, and
    /// a connect it stops leaves nothing behind.
    pub(super) async fn broadcast(
        &self,
        broadcast: &Broadcast,
        window: Duration,
        tally: &mut Tally<'_>,
    ) -> Result<(), Failure> {
        if let Some(session) = self.connection.take() {
            match self.ask(session, broadcast, window, tally).await {
                Err(failure) if failure.is_connection_lost() => {}
                result => return result,
            }
        }
        let session = self.endpoint.connect("connect to the broker").await?;
        self.ask(session, broadcast, window, tally).await
    }

    /// Runs the broadcast on a channel of its own, then keeps the connection unless
    /// it broke.
    async fn ask(
        &self,
        session: Session,
        broadcast: &Broadcast,
        window: Duration,
        tally: &mut Tally<'_>,
    ) -> Result<(), Failure> {
        let channel = session.channel().await?;
        let result = ask_on(&channel, broadcast, window, tally).await;
        // Closing the channel cancels the consumer, and the broker deletes the
        // auto-delete reply queue with it. A channel the broker already closed after
        // an error has nothing left to close.
        let _ = channel.close().await;
        if !result.as_ref().is_err_and(Failure::is_connection_lost) {
            self.connection.put_back(session);
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
    let amqp = channel.amqp();
    amqp.exchange_declare(ExchangeDeclareArguments::of_type(
        &broadcast.reply_exchange,
        ExchangeType::Direct,
    ))
    .await
    .map_err(channel.failure("declare the reply exchange"))?;
    let reply_queue = broadcast.reply_queue();
    let mut arguments = FieldTable::new();
    arguments.insert(field("x-expires"), FieldValue::I(REPLY_QUEUE_EXPIRES_MS));
    let private = QueueDeclareArguments::new(&reply_queue)
        .exclusive(true)
        .auto_delete(true)
        .arguments(arguments)
        .finish();
    amqp.queue_declare(private)
        .await
        .map_err(channel.failure("declare the reply queue"))?;
    amqp.queue_bind(QueueBindArguments::new(
        &reply_queue,
        &broadcast.reply_exchange,
        &broadcast.reply_key,
    ))
    .await
    .map_err(channel.failure("bind the reply queue"))?;
    let no_ack = BasicConsumeArguments::new(&reply_queue, "")
        .auto_ack(true)
        .finish();
    let (_tag, mut replies) = amqp
        .basic_consume_rx(no_ack)
        .await
        .map_err(channel.failure("consume the reply queue"))?;
    amqp.exchange_declare(ExchangeDeclareArguments::of_type(
        &broadcast.exchange,
        ExchangeType::Fanout,
    ))
    .await
    .map_err(channel.failure("declare the control exchange"))?;
    amqp.basic_publish(
        properties(broadcast),
        broadcast.body(),
        BasicPublishArguments::new(&broadcast.exchange, ""),
    )
    .await
    .map_err(channel.failure("broadcast the command"))?;

    let deadline = Instant::now() + window;
    while !tally.is_complete() {
        let delivery = match tokio::time::timeout_at(deadline, replies.recv()).await {
            Err(_) => break,
            Ok(Some(delivery)) => delivery,
            Ok(None) => return Err(channel.consumer_gone("receive the replies")),
        };
        tally.record(
            broadcast,
            &reply(delivery.basic_properties, delivery.content),
        )?;
    }
    Ok(())
}

/// The properties kombu gives a broadcast: JSON, and the `clock` and `expires` headers.
fn properties(broadcast: &Broadcast) -> BasicProperties {
    let mut headers = FieldTable::new();
    headers.insert(field("clock"), FieldValue::l(CLOCK));
    headers.insert(field("expires"), FieldValue::d(broadcast.expires));
    BasicProperties::default()
        .with_content_type(JSON)
        .with_content_encoding("utf-8")
        .with_headers(headers)
        // What Celery 5.7 sends; nothing is stored, the queues are not durable.
        .with_delivery_mode(2)
        .with_priority(0)
        .finish()
}

/// A delivery on the reply queue, from its properties and body.
fn reply(properties: Option<BasicProperties>, body: Option<Vec<u8>>) -> Reply {
    let properties = properties.unwrap_or_default();
    let ticket = properties
        .headers()
        .and_then(|headers| match headers.get(&field("ticket"))? {
            FieldValue::S(ticket) => Some(ticket.as_ref().clone()),
            _ => None,
        });
    Reply {
        ticket,
        content_type: properties.content_type().cloned(),
        body: body.unwrap_or_default(),
    }
}

/// A header or argument name of the check's own, all short.
fn field(name: &'static str) -> FieldName {
    FieldName::try_from(name).expect("a short field name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn celerys_scheme_names_are_understood() {
        for url in ["amqp://h//", "pyamqp://h:5673/orders"] {
            AmqpBroker::new(url).unwrap();
        }
        for url in ["amqps://h//", "pyamqps://h//"] {
            assert_eq!(
                AmqpBroker::new(url).is_ok(),
                cfg!(feature = "rustls"),
                "{url}"
            );
        }
        assert!(AmqpBroker::new("redis://h/0").is_err());
    }

    #[test]
    fn a_reply_is_read_from_its_headers_and_properties() {
        let mut headers = FieldTable::new();
        headers.insert(
            field("ticket"),
            FieldValue::S("e6076b0f".try_into().unwrap()),
        );
        let properties = BasicProperties::default()
            .with_content_type(JSON)
            .with_headers(headers)
            .finish();
        let body = br#"{"w1@vm": {"ok": "pong"}}"#.to_vec();
        let reply = reply(Some(properties), Some(body));
        assert_eq!(reply.ticket.as_deref(), Some("e6076b0f"));
        assert_eq!(reply.content_type.as_deref(), Some(JSON));
        assert_eq!(reply.results().unwrap().len(), 1);
    }
}
