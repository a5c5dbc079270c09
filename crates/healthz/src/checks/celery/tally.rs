//! The replies to a broadcast, counted against what the check waits for.

use std::collections::BTreeSet;
use std::time::Duration;

use super::Failure;
use super::protocol::{self, Broadcast, Reply};
use crate::CheckResult;
use crate::error::CheckError;

/// The replies so far, against what the check waits for.
pub(super) struct Tally<'a> {
    min_workers: usize,
    queues: &'a [String],
    /// Node names of the workers that replied.
    workers: BTreeSet<String>,
    /// Queues consumed by the workers that replied.
    consumed: BTreeSet<String>,
}

impl<'a> Tally<'a> {
    pub(super) fn new(min_workers: usize, queues: &'a [String]) -> Self {
        Self {
            min_workers,
            queues,
            workers: BTreeSet::new(),
            consumed: BTreeSet::new(),
        }
    }

    /// Counts a reply that answers `broadcast`; replies to other commands are ignored.
    pub(super) fn record(&mut self, broadcast: &Broadcast, reply: &Reply) -> Result<(), Failure> {
        if !reply.answers(broadcast) {
            return Ok(());
        }
        for (worker, result) in reply.results().map_err(Failure::Unexpected)? {
            self.consumed
                .extend(protocol::queue_names(&result).map(str::to_owned));
            self.workers.insert(worker);
        }
        Ok(())
    }

    /// How many workers replied.
    pub(super) fn replied(&self) -> usize {
        self.workers.len()
    }

    /// Whether waiting longer cannot change the verdict.
    pub(super) fn is_complete(&self) -> bool {
        self.workers.len() >= self.min_workers && self.missing_queues().next().is_none()
    }

    fn missing_queues(&self) -> impl Iterator<Item = &str> {
        self.queues
            .iter()
            .map(String::as_str)
            .filter(|queue| !self.consumed.contains(*queue))
    }

    /// Healthy, or what fell short: too few workers first, then the queues nobody
    /// consumes.
    pub(super) fn verdict(&self, reply_timeout: Duration) -> CheckResult {
        let within = humantime::format_duration(reply_timeout);
        match self.workers.len() {
            0 if self.min_workers > 0 => {
                return Err(CheckError::unavailable(format!(
                    "no celery worker replied within {within}"
                )));
            }
            replied if replied < self.min_workers => {
                return Err(CheckError::unavailable(format!(
                    "only {replied} of {} celery workers replied within {within}",
                    self.min_workers
                )));
            }
            _ => {}
        }
        let missing: Vec<String> = self.missing_queues().map(|q| format!("{q:?}")).collect();
        match missing.as_slice() {
            [] => Ok(()),
            [queue] => Err(CheckError::unavailable(format!(
                "no worker consumes queue {queue}"
            ))),
            queues => Err(CheckError::unavailable(format!(
                "no worker consumes queues {}",
                queues.join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ErrorKind;
    use crate::redact::Redactor;

    /// The reply timeout the messages below quote.
    const ONE_SECOND: Duration = Duration::from_secs(1);

    fn reply(broadcast: &Broadcast, body: serde_json::Value) -> Reply {
        Reply {
            ticket: Some(broadcast.ticket.clone()),
            content_type: Some(protocol::JSON.to_owned()),
            body: body.to_string().into_bytes(),
        }
    }

    fn message(result: CheckResult) -> String {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        error.message().to_owned()
    }

    #[test]
    fn enough_workers_complete_a_ping() {
        let broadcast = Broadcast::new("celery", "ping", ONE_SECOND);
        let mut tally = Tally::new(2, &[]);
        assert_eq!(
            message(tally.verdict(ONE_SECOND)),
            "no celery worker replied within 1s"
        );
        tally
            .record(
                &broadcast,
                &reply(&broadcast, json!({"w1@a": {"ok": "pong"}})),
            )
            .unwrap();
        // The same worker twice is still one worker.
        tally
            .record(
                &broadcast,
                &reply(&broadcast, json!({"w1@a": {"ok": "pong"}})),
            )
            .unwrap();
        assert!(!tally.is_complete());
        assert_eq!(
            message(tally.verdict(Duration::from_millis(1500))),
            "only 1 of 2 celery workers replied within 1s 500ms"
        );
        tally
            .record(
                &broadcast,
                &reply(&broadcast, json!({"w2@b": {"ok": "pong"}})),
            )
            .unwrap();
        assert!(tally.is_complete());
        tally.verdict(ONE_SECOND).unwrap();
    }

    #[test]
    fn queues_nobody_consumes_are_named() {
        let broadcast = Broadcast::new("celery", "active_queues", ONE_SECOND);
        let queues = ["default".to_owned(), "emails".to_owned(), "pdf".to_owned()];
        let mut tally = Tally::new(1, &queues);
        let consumes_default =
            json!({"w1@a": [{"name": "default", "exchange": {"name": "default"}}]});
        tally
            .record(&broadcast, &reply(&broadcast, consumes_default))
            .unwrap();
        assert!(!tally.is_complete());
        assert_eq!(
            message(tally.verdict(ONE_SECOND)),
            r#"no worker consumes queues "emails", "pdf""#
        );
        let consumes_emails = json!({"w2@b": [{"name": "emails"}, {"name": "default"}]});
        tally
            .record(&broadcast, &reply(&broadcast, consumes_emails))
            .unwrap();
        assert_eq!(
            message(tally.verdict(ONE_SECOND)),
            r#"no worker consumes queue "pdf""#
        );
        tally
            .record(
                &broadcast,
                &reply(&broadcast, json!({"w3@c": [{"name": "pdf"}]})),
            )
            .unwrap();
        assert!(tally.is_complete());
        tally.verdict(ONE_SECOND).unwrap();
    }

    #[test]
    fn replies_to_another_broadcast_are_ignored() {
        let broadcast = Broadcast::new("celery", "ping", ONE_SECOND);
        let other = Broadcast::new("celery", "ping", ONE_SECOND);
        let mut tally = Tally::new(1, &[]);
        tally
            .record(&broadcast, &reply(&other, json!({"w1@a": {"ok": "pong"}})))
            .unwrap();
        assert!(tally.workers.is_empty());
    }

    #[test]
    fn unreadable_replies_are_unexpected_results() {
        let broadcast = Broadcast::new("celery", "ping", ONE_SECOND);
        let mut tally = Tally::new(1, &[]);
        let failure = tally
            .record(&broadcast, &reply(&broadcast, json!(["pong"])))
            .unwrap_err();
        let error = failure.into_check_error(&Redactor::default());
        assert_eq!(error.kind(), ErrorKind::UnexpectedResult);
    }

    #[test]
    fn zero_workers_only_needs_the_broadcast() {
        Tally::new(0, &[]).verdict(ONE_SECOND).unwrap();
        assert!(Tally::new(0, &[]).is_complete());
    }
}
