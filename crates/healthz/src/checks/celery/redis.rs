//! The broadcast on Redis, as kombu's Redis transport emulates AMQP there.
//!
//! A fanout exchange is a pub/sub channel, `/{db}.<exchange>`, on which every worker
//! listens. A direct exchange is a set of bindings, `_kombu.binding.<exchange>`, with
//! members `<routing key>\x06\x16<pattern>\x06\x16<queue>`; a queue is a list that
//! publishers `LPUSH` to and consumers `BRPOP` from. So the check adds a binding for
//! its reply queue to `_kombu.binding.reply.<namespace>.pidbox`, publishes the
//! command, pops the replies, and then removes the binding and the list.

use std::time::Duration;

use redis::{Pipeline, RedisError};
use tokio::time::Instant;

use super::protocol::{Broadcast, Reply};
use super::{Failure, Kept, Tally};
use crate::checks::InvalidUrl;
use crate::checks::cleanup::spawn_cleanup;
use crate::checks::redis_client::{ConnectError, RedisClient, RedisConnection};
#[cfg(feature = "rustls")]
use crate::checks::tls::Tls;

/// kombu's separator of the fields of a binding, and of a queue name and a priority.
const SEP: &str = "\x06\x16";

/// kombu's message priorities on Redis: priority 0 is the queue's own list, the others
/// are lists named `<queue>\x06\x16<priority>`.
const PRIORITY_STEPS: [u8; 4] = [0, 3, 6, 9];

/// How long the cleanup of a run the runner stopped may take before it is given up.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The check's side of a Redis broker.
pub(super) struct RedisBroker {
    client: RedisClient,
    connection: Kept<RedisConnection>,
}

impl RedisBroker {
    /// Parses Celery's Redis broker URL (`redis://`, or `rediss://` with kombu's
    /// `ssl_*` parameters); connects only when the check runs.
    pub(super) fn new(url: &str) -> Result<Self, InvalidUrl> {
        Ok(Self {
            client: RedisClient::new(url)?,
            connection: Kept::default(),
        })
    }

    /// Speaks TLS verified as `tls` says, whatever the URL's scheme and options.
    #[cfg(feature = "rustls")]
    pub(super) fn set_tls(&mut self, tls: Tls) {
        self.client.set_tls(tls);
    }

    /// Broadcasts on the kept connection, or on a new one when there is none or it
    /// turns out broken (the server restarted since the last run).
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
        let connection = self.client.connect().await.map_err(|error| match error {
            ConnectError::Tls(message) => Failure::Tls(message),
            ConnectError::Redis(error) => match crate::checks::tls_failure(&error) {
                Some(message) => Failure::Tls(message),
                None => failure("connect to the broker")(error),
            },
        })?;
        self.ask(connection, broadcast, window, tally).await
    }

    /// Runs the broadcast, then keeps the connection unless it broke.
    async fn ask(
        &self,
        connection: RedisConnection,
        broadcast: &Broadcast,
        window: Duration,
        tally: &mut Tally<'_>,
    ) -> Result<(), Failure> {
        let mut reply_queue = ReplyQueue::new(&self.client, connection.clone(), broadcast);
        let mut result = self
            .ask_on(&mut reply_queue, broadcast, window, tally)
            .await;
        let removed = reply_queue.remove().await;
        if result.is_ok() {
            result = removed;
        }
        if !result.as_ref().is_err_and(Failure::is_connection_lost) {
            self.connection.put_back(connection);
        }
        result
    }

    async fn ask_on(
        &self,
        reply_queue: &mut ReplyQueue,
        broadcast: &Broadcast,
        window: Duration,
        tally: &mut Tally<'_>,
    ) -> Result<(), Failure> {
        // One transaction: the binding exists before any worker can reply.
        // kombu names fanout channels after the URL's database.
        let channel = format!("/{}.{}", self.client.db(), broadcast.exchange);
        redis::pipe()
            .atomic()
            .sadd(&reply_queue.names.binding_key, &reply_queue.names.binding)
            .ignore()
            .publish(channel, broadcast.redis_envelope())
            .ignore()
            .exec_async(&mut *reply_queue.connection)
            .await
            .map_err(failure("broadcast the command"))?;

        let deadline = Instant::now() + window;
        while !tally.is_complete() {
            let left = deadline.saturating_duration_since(Instant::now());
            // A BRPOP timeout of 0 would block for ever.
            if left < Duration::from_millis(1) {
                break;
            }
            let popped: Option<(String, Vec<u8>)> = redis::cmd("BRPOP")
                .arg(&reply_queue.names.lists)
                .arg(format!("{:.3}", left.as_secs_f64()))
                .query_async(&mut *reply_queue.connection)
                .await
                .map_err(failure("receive the replies"))?;
            let Some((_, raw)) = popped else { break };
            let reply = Reply::from_redis_envelope(&raw).map_err(Failure::Unexpected)?;
            tally.record(broadcast, &reply)?;
        }
        Ok(())
    }
}

/// Where the replies of a broadcast go on Redis, in kombu's names.
#[derive(Debug)]
struct ReplyQueueNames {
    /// `_kombu.binding.reply.<namespace>.pidbox`
    binding_key: String,
    /// `<oid>\x06\x16\x06\x16<oid>.reply.<namespace>.pidbox`
    binding: String,
    /// The reply queue's list for each priority.
    lists: Vec<String>,
}

impl ReplyQueueNames {
    fn of(broadcast: &Broadcast) -> Self {
        let queue = broadcast.reply_queue();
        Self {
            binding_key: format!("_kombu.binding.{}", broadcast.reply_exchange),
            binding: [broadcast.reply_key.as_str(), "", &queue].join(SEP),
            lists: PRIORITY_STEPS
                .iter()
                .map(|&priority| match priority {
                    0 => queue.clone(),
                    _ => format!("{queue}{SEP}{priority}"),
                })
                .collect(),
        }
    }

    /// Removes the binding first, so that a late reply has nowhere to go (kombu drops
    /// a message no binding routes), then the lists.
    fn removal(&self) -> Pipeline {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .srem(&self.binding_key, &self.binding)
            .ignore()
            .del(&self.lists)
            .ignore();
        pipe
    }
}

/// The check's reply queue on Redis, removed by [`remove`](ReplyQueue::remove), or in
/// the background if the run is dropped first.
struct ReplyQueue {
    /// For the background removal: the run's connection may be stuck in a `BRPOP`.
    client: RedisClient,
    connection: RedisConnection,
    names: ReplyQueueNames,
    removed: bool,
}

impl ReplyQueue {
    fn new(client: &RedisClient, connection: RedisConnection, broadcast: &Broadcast) -> Self {
        Self {
            client: client.clone(),
            connection,
            names: ReplyQueueNames::of(broadcast),
            removed: false,
        }
    }

    async fn remove(&mut self) -> Result<(), Failure> {
        self.names
            .removal()
            .exec_async(&mut *self.connection)
            .await
            .map_err(failure("remove the reply queue"))?;
        self.removed = true;
        Ok(())
    }
}

impl Drop for ReplyQueue {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        // The runner's timeout dropped the run (or removing failed): remove in the
        // background, on a new connection, since the run's own may be blocked in a
        // `BRPOP` for the rest of the reply timeout. A reply still popped there is
        // lost with that connection, and the binding goes first, so nothing is left.
        let removal = self.names.removal();
        let client = self.client.clone();
        spawn_cleanup(async move {
            let removed = tokio::time::timeout(CLEANUP_TIMEOUT, async {
                let mut connection = client.connect().await.ok()?;
                removal.exec_async(&mut *connection).await.ok()
            })
            .await;
            if !matches!(removed, Ok(Some(()))) {
                tracing::warn!("could not remove the celery check's reply queue from redis");
            }
        });
    }
}

/// A closure for `map_err` that names what was being done.
fn failure(doing: &'static str) -> impl FnOnce(RedisError) -> Failure {
    // The text is redis-rs's, or a TLS failure inside it in TLS terms (with TLS 1.3 a
    // refused client certificate shows with the first reply).
    move |error| Failure::Broker {
        doing,
        connection_lost: error.is_io_error()
            || error.is_connection_dropped()
            || error.is_connection_refusal(),
        error: crate::checks::tls_failure(&error).unwrap_or_else(|| error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_queue_is_bound_as_kombu_binds_it() {
        let broadcast = Broadcast::new("celery", "ping", Duration::from_secs(1));
        let key = &broadcast.reply_key;
        let queue = format!("{key}.reply.celery.pidbox");
        let names = ReplyQueueNames::of(&broadcast);
        assert_eq!(names.binding_key, "_kombu.binding.reply.celery.pidbox");
        assert_eq!(names.binding, format!("{key}\x06\x16\x06\x16{queue}"));
        assert_eq!(
            names.lists,
            [
                queue.clone(),
                format!("{queue}\x06\x163"),
                format!("{queue}\x06\x166"),
                format!("{queue}\x06\x169"),
            ]
        );
    }

    #[test]
    fn fanout_channels_are_named_after_the_database() {
        assert_eq!(
            RedisBroker::new("redis://127.0.0.1:1/5")
                .unwrap()
                .client
                .db(),
            5
        );
        assert_eq!(
            RedisBroker::new("redis://127.0.0.1:1").unwrap().client.db(),
            0
        );
    }
}
