//! One target's task: takes events from its queue, holds back those `min-interval`
//! says must wait, and posts each of the others, retried with exponential backoff,
//! each try bounded by the target's timeout.
//!
//! Deliveries to one target are made one at a time, in order: a receiver sees the
//! changes of a check in the order they happened. A target that is down only delays
//! its own queue, whose oldest events are dropped when it fills up.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use hyper::body::Bytes;
use tokio::time::Instant;

use super::client::Client;
use super::coalesce::Coalescer;
use super::payload::{self, Event};
use super::queue::Queue;
use super::status::Failure;
use super::target::Target;
use crate::throttle::Throttle;

/// The wait before the second try; each later wait doubles it.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The longest wait between two tries.
const LONGEST_BACKOFF: Duration = Duration::from_secs(30);

/// Runs the target's deliveries until the runtime ends.
pub(super) async fn run(target: Arc<Target>, queue: Arc<Queue>, client: Client) {
    let mut coalescer = Coalescer::new(target.min_interval);
    let mut failures = Throttle::new();
    loop {
        let arrived = match coalescer.next_due() {
            Some(due) => tokio::select! {
                event = queue.pop() => Some(event),
                () = tokio::time::sleep_until(due) => None,
            },
            None => Some(queue.pop().await),
        };
        let now = Instant::now();
        let ready = match arrived {
            Some(event) => coalescer.offer(event, now).into_iter().collect(),
            None => coalescer.due(now),
        };
        for event in ready {
            notify(&target, &client, &event, &mut failures).await;
        }
    }
}

/// Sends one event, and records how it went: on the target's delivery check, and in
/// the log when it failed (at most once a minute) or works again.
async fn notify(target: &Target, client: &Client, event: &Event, failures: &mut Throttle) {
    let body = payload::body(target.format, event, target.service.as_deref());
    match deliver(target, client, body).await {
        Ok(()) => {
            if let Some(ended) = target.delivery.delivered() {
                tracing::info!(
                    notify = %target.name,
                    after = %ended,
                    "notifications are delivered again"
                );
            }
        }
        Err(failure) => {
            if let Some(suppressed) = failures.allow(Instant::now()) {
                tracing::warn!(
                    notify = %target.name,
                    url = %target.shown_url,
                    check = %event.check,
                    error = %failure,
                    suppressed,
                    "notification delivery failed"
                );
            }
            target.delivery.failed(failure);
        }
    }
}

/// Posts `body` to the target, up to its number of tries, until it answers 2xx; an
/// answer that no retry can change (a 4xx other than 408 and 429) ends it early.
///
/// # Errors
///
/// Returns why the last try failed, and how many were made.
async fn deliver(target: &Target, client: &Client, body: Bytes) -> Result<(), Failure> {
    let mut backoff = FIRST_BACKOFF;
    let mut tries = 0;
    loop {
        tries += 1;
        let answer = tokio::time::timeout(target.timeout, client.post(target, body.clone())).await;
        let (reason, retry) = match answer {
            Ok(Ok(status)) if status.is_success() => return Ok(()),
            Ok(Ok(status)) => (format!("HTTP {}", status.as_u16()), is_transient(status)),
            Ok(Err(reason)) => (reason, true),
            Err(_) => (
                format!(
                    "no answer within {}",
                    humantime::format_duration(target.timeout)
                ),
                true,
            ),
        };
        if !retry || tries >= target.tries {
            return Err(Failure { reason, tries });
        }
        tracing::debug!(notify = %target.name, reason, tries, "notification failed; trying again");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(LONGEST_BACKOFF);
    }
}

/// Whether a later try may get another answer: a server error, or a receiver that
/// asks to be given time.
fn is_transient(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_and_throttling_are_retried_other_answers_are_not() {
        for code in [500, 502, 503, 408, 429] {
            assert!(is_transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 403, 404, 410] {
            assert!(!is_transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }
}
