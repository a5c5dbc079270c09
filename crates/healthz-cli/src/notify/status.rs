//! How a target's deliveries go, shown on the status page: [`Delivery`], which the
//! target's task updates, and [`DeliveryCheck`], a non-critical check named
//! `Notifications[<target>]` that reports it.
//!
//! A check is how everything else reaches the page, every format and the
//! transitions included: a failing webhook shows as a warning next to the checks
//! whose changes it failed to deliver, degrades the report without failing it, and
//! its own state change is sent to the other targets.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use healthz::{CheckError, CheckResult, HealthCheck, Observation, observe};

/// Why a notification was given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The last try's failure: `HTTP 500`, `connection refused`, `no answer within 5s`.
    pub(crate) reason: String,
    /// How many tries were made.
    pub(crate) tries: u32,
}

impl fmt::Display for Failure {
    /// `HTTP 500 after 3 tries`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.tries == 1 { "try" } else { "tries" };
        write!(f, "{} after {} {noun}", self.reason, self.tries)
    }
}

/// The deliveries of one target so far.
#[derive(Debug, Default)]
pub(crate) struct Delivery(Mutex<Tally>);

#[derive(Debug, Default)]
struct Tally {
    sent: u64,
    failed: u64,
    dropped: u64,
    /// Why the last notification was given up, unless the last one was delivered.
    last_failure: Option<Failure>,
}

impl Delivery {
    fn tally(&self) -> MutexGuard<'_, Tally> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A notification was delivered; returns the failure it ends, if the one before
    /// was given up.
    pub(crate) fn delivered(&self) -> Option<Failure> {
        let mut tally = self.tally();
        tally.sent += 1;
        tally.last_failure.take()
    }

    /// A notification was given up.
    pub(crate) fn failed(&self, failure: Failure) {
        let mut tally = self.tally();
        tally.failed += 1;
        tally.last_failure = Some(failure);
    }

    /// A notification was dropped from a full queue.
    pub(crate) fn dropped(&self) {
        self.tally().dropped += 1;
    }
}

/// The check that reports a target's deliveries: working, or a warning while its last
/// notification failed; with the counts as observed values.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryCheck(pub(crate) Arc<Delivery>);

impl HealthCheck for DeliveryCheck {
    async fn check(&self) -> CheckResult {
        let tally = self.0.tally();
        for (measurement, count) in [
            ("delivered", tally.sent),
            ("failed", tally.failed),
            ("dropped", tally.dropped),
        ] {
            // A count beyond f64's exact integers (2^53) would take ages of changes.
            observe(Observation::number(measurement, count as f64));
        }
        match &tally.last_failure {
            Some(failure) => Err(CheckError::warning(format!(
                "last delivery failed: {failure}"
            ))),
            None => Ok(()),
        }
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("Notifications")
    }
}

#[cfg(test)]
mod tests {
    use healthz::{Registry, Selection};

    use super::*;

    #[tokio::test]
    async fn the_check_warns_while_the_last_delivery_failed() {
        let delivery = Arc::new(Delivery::default());
        let registry = Registry::builder()
            .check(DeliveryCheck(Arc::clone(&delivery)))
            .build()
            .unwrap();
        let text = || async {
            let report = registry.run(&Selection::all()).await.unwrap();
            let check = &report.checks[0];
            let observed: Vec<String> =
                check.observations.iter().map(ToString::to_string).collect();
            (check.outcome.text(), observed.join(", "))
        };
        assert_eq!(text().await.0, "working");
        let failure = Failure {
            reason: "HTTP 500".into(),
            tries: 3,
        };
        delivery.failed(failure.clone());
        delivery.dropped();
        assert_eq!(
            text().await,
            (
                "warning: last delivery failed: HTTP 500 after 3 tries".to_owned(),
                "delivered 0, failed 1, dropped 1".to_owned()
            )
        );
        assert_eq!(delivery.delivered(), Some(failure));
        assert_eq!(text().await.0, "working");
        assert_eq!(delivery.delivered(), None);
    }

    #[test]
    fn one_try_is_singular() {
        let failure = Failure {
            reason: "connection refused".into(),
            tries: 1,
        };
        assert_eq!(failure.to_string(), "connection refused after 1 try");
    }
}
