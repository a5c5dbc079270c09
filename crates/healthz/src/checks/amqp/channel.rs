//! [`Channel`]: an amqprs channel whose failures carry the broker's reason.
//!
//! When the broker closes a channel (on a queue the user may not declare, say) or the
//! connection (`CONNECTION_FORCED - …`), amqprs hands its reason to a callback and
//! fails the pending call with `channel closed`. So the check registers callbacks that
//! keep the reason, and its failures say it.

use std::sync::{Arc, Mutex, PoisonError};

use amqprs::callbacks::{ChannelCallback, ConnectionCallback};
use amqprs::channel::Channel as AmqpChannel;
use amqprs::connection::Connection;
use amqprs::error::Error as AmqpError;
use amqprs::{Ack, BasicProperties, Cancel, Close, CloseChannel, Nack, Return};
use async_trait::async_trait;

use super::Failure;

/// A channel of the check's session.
pub(crate) struct Channel {
    amqp: AmqpChannel,
    /// Why the broker closed this channel, once it has.
    closed: Reason,
    /// Why the broker closed the connection, once it has.
    connection_closed: Reason,
}

impl Channel {
    /// Opens a channel on `connection`, whose closing reason `connection_closed` keeps.
    pub(super) async fn open(
        connection: &Connection,
        connection_closed: &Reason,
    ) -> Result<Self, Failure> {
        let failed = |error: AmqpError| {
            Failure::amqp(
                "open a channel",
                &error,
                connection_closed.get(),
                !connection.is_open(),
            )
        };
        let amqp = connection.open_channel(None).await.map_err(failed)?;
        let closed = Reason::default();
        amqp.register_callback(closed.clone())
            .await
            .map_err(failed)?;
        Ok(Self {
            amqp,
            closed,
            connection_closed: connection_closed.clone(),
        })
    }

    /// The amqprs channel, to call.
    pub(crate) fn amqp(&self) -> &AmqpChannel {
        &self.amqp
    }

    /// A closure for `map_err` that names what was being done and why the broker
    /// refused it, when it said.
    pub(crate) fn failure(&self, doing: &'static str) -> impl FnOnce(AmqpError) -> Failure + '_ {
        move |error| {
            let connection_lost = self.connection_closed.get();
            Failure::amqp(
                doing,
                &error,
                self.closed.get().or_else(|| connection_lost.clone()),
                connection_lost.is_some() || !self.amqp.is_connection_open(),
            )
        }
    }

    /// The failure of a consumer whose deliveries stopped while doing `doing`: the
    /// broker closed the channel or the connection, or cancelled the consumer.
    pub(crate) fn consumer_gone(&self, doing: &'static str) -> Failure {
        let connection_lost = self.connection_closed.get();
        Failure::Broker {
            doing,
            connection_lost: connection_lost.is_some() || !self.amqp.is_connection_open(),
            error: self
                .closed
                .get()
                .or(connection_lost)
                .unwrap_or_else(|| "the channel closed".to_owned()),
        }
    }

    /// Closes the channel, which cancels its consumers.
    pub(crate) async fn close(self) -> Result<(), Failure> {
        let Self {
            amqp,
            closed,
            connection_closed,
        } = self;
        let connection_open = amqp.is_connection_open();
        amqp.close().await.map_err(|error| {
            Failure::amqp(
                "close the channel",
                &error,
                closed.get().or_else(|| connection_closed.get()),
                !connection_open,
            )
        })
    }
}

/// The reply text of the broker's `Close` of a channel or a connection, kept by the
/// callback amqprs calls with it.
#[derive(Debug, Clone, Default)]
pub(super) struct Reason(Arc<Mutex<Option<String>>>);

impl Reason {
    fn get(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, reply_text: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(reply_text.to_owned());
    }
}

// amqprs declares its callbacks with `async_trait`, so they are implemented with it.
#[async_trait]
impl ConnectionCallback for Reason {
    async fn close(&mut self, _: &Connection, close: Close) -> Result<(), AmqpError> {
        self.set(close.reply_text());
        Ok(())
    }

    async fn blocked(&mut self, _: &Connection, _: String) {}

    async fn unblocked(&mut self, _: &Connection) {}

    async fn secret_updated(&mut self, _: &Connection) {}
}

#[async_trait]
impl ChannelCallback for Reason {
    async fn close(&mut self, _: &AmqpChannel, close: CloseChannel) -> Result<(), AmqpError> {
        self.set(close.reply_text());
        Ok(())
    }

    async fn cancel(&mut self, _: &AmqpChannel, _: Cancel) -> Result<(), AmqpError> {
        self.set("the broker cancelled the consumer");
        Ok(())
    }

    async fn flow(&mut self, _: &AmqpChannel, active: bool) -> Result<bool, AmqpError> {
        Ok(active)
    }

    async fn publish_ack(&mut self, _: &AmqpChannel, _: Ack) {}

    async fn publish_nack(&mut self, _: &AmqpChannel, _: Nack) {}

    async fn publish_return(&mut self, _: &AmqpChannel, _: Return, _: BasicProperties, _: Vec<u8>) {
    }
}
