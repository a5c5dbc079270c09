//! `[[notify]]`: each change of what a check reports, after damping, posted to
//! webhooks while `serve` runs.
//!
//! ```text
//! registry.subscribe() ─▶ dispatch ─▶ queue ─▶ worker ─▶ POST (retried) ─▶ target
//!                                  └▶ queue ─▶ worker ─▶ POST (retried) ─▶ target
//! ```
//!
//! - [`spawn`] subscribes to the registry's transitions and hands each one to every
//!   target's bounded [`queue`] without waiting: a check's run or a request never
//!   waits on a webhook, and a slow target never holds up another.
//! - Each target's [`worker`] posts its events one at a time: the [`payload`] of its
//!   format, retried with backoff, with `min-interval` [coalescing](coalesce) a
//!   flapping check's changes.
//! - How deliveries go is reported by a check of each target's ([`status`]),
//!   `Notifications[<target>]`, and logged at most once a minute ([`Throttle`]).
//!
//! The [`target`]s are built by the config; `check` never sends notifications.

mod client;
mod coalesce;
mod payload;
mod queue;
mod status;
mod target;
mod worker;

use std::sync::Arc;

use healthz::{Registry, Transition};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use client::Client;
use payload::Event;
use queue::Queue;
pub(crate) use status::{Delivery, DeliveryCheck};
pub(crate) use target::{DEFAULT_TIMEOUT, DEFAULT_TRIES, Format, Header, Target};

use crate::throttle::Throttle;

/// How many events wait for a target at most: enough for every check of a large
/// config to change state twice while a webhook times out.
const QUEUE_CAPACITY: usize = 64;

/// Starts sending the registry's transitions to `targets`, on the current runtime,
/// until it ends. Call it before the registry starts its background checks, so that
/// their first results are seen.
pub(crate) fn spawn(registry: &Registry, targets: Vec<Target>) {
    if targets.is_empty() {
        return;
    }
    let transitions = registry.subscribe();
    let client = Client::new();
    let lanes = targets
        .into_iter()
        .map(|target| {
            let lane = Lane {
                target: Arc::new(target),
                queue: Arc::new(Queue::new(QUEUE_CAPACITY)),
                drops: Throttle::new(),
            };
            tokio::spawn(worker::run(
                Arc::clone(&lane.target),
                Arc::clone(&lane.queue),
                client.clone(),
            ));
            lane
        })
        .collect();
    tokio::spawn(dispatch(transitions, lanes));
}

/// A target as the dispatcher sees it: its queue, and the log of what it dropped.
struct Lane {
    target: Arc<Target>,
    queue: Arc<Queue>,
    drops: Throttle,
}

impl Lane {
    /// Queues `event` for the target, unless it is the target's own delivery check's:
    /// a target that fails would only fail to deliver news of its failure.
    fn push(&mut self, event: &Event) {
        if event.check == self.target.check_name {
            return;
        }
        let Some(dropped) = self.queue.push(event.clone()) else {
            return;
        };
        self.target.delivery.dropped();
        if let Some(suppressed) = self.drops.allow(Instant::now()) {
            tracing::warn!(
                notify = %self.target.name,
                check = %dropped.check,
                suppressed,
                "notification queue full: dropped the oldest state change"
            );
        }
    }
}

/// Hands every transition that is news to every target, until the registry is gone.
async fn dispatch(mut transitions: broadcast::Receiver<Transition>, mut lanes: Vec<Lane>) {
    loop {
        match transitions.recv().await {
            Ok(transition) => {
                let event = Event::from(&transition);
                if event.is_news() {
                    for lane in &mut lanes {
                        lane.push(&event);
                    }
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "notifications fell behind: the oldest state changes were not sent"
                );
            }
            Err(RecvError::Closed) => return,
        }
    }
}
