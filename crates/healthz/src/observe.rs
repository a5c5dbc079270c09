//! Check details: values a check observed while it ran (disk usage, replication lag, a
//! server's version), attached to its result with [`observe`] and shown by every
//! detailed format.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// A value a check observed: a number with an optional unit, or a short text.
///
/// ```
/// use healthz::{CheckResult, HealthCheck, Observation, observe};
///
/// struct Queue;
///
/// impl HealthCheck for Queue {
///     async fn check(&self) -> CheckResult {
///         let waiting = 42; // asked of the queue
///         observe(Observation::number("waiting", f64::from(waiting)).unit("messages"));
///         observe(Observation::text("version", "3.13.2"));
///         Ok(())
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Observation {
    /// What was measured: `usage`, `replication_lag`, `consumers`… Shown as the
    /// `measurement` half of health+json's `component:measurement` keys.
    pub measurement: Cow<'static, str>,
    /// The value.
    pub value: ObservedValue,
    /// The unit of a number: `percent`, `s`, `days`, `messages`…
    pub unit: Option<Cow<'static, str>>,
}

/// An observed value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ObservedValue {
    /// A number, such as a percentage or a count.
    Number(f64),
    /// A short text, such as a version.
    Text(String),
}

impl Observation {
    /// A number that was measured.
    #[must_use]
    pub fn number(measurement: impl Into<Cow<'static, str>>, value: f64) -> Self {
        Self {
            measurement: measurement.into(),
            value: ObservedValue::Number(value),
            unit: None,
        }
    }

    /// A short text that was observed.
    #[must_use]
    pub fn text(measurement: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        Self {
            measurement: measurement.into(),
            value: ObservedValue::Text(value.into()),
            unit: None,
        }
    }

    /// The unit of the number.
    #[must_use]
    pub fn unit(mut self, unit: impl Into<Cow<'static, str>>) -> Self {
        self.unit = Some(unit.into());
        self
    }
}

impl fmt::Display for Observation {
    /// `usage 91.3 percent`, `version 3.13.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            ObservedValue::Number(number) => write!(f, "{} {}", self.measurement, round(*number))?,
            ObservedValue::Text(text) => write!(f, "{} {text}", self.measurement)?,
        }
        match &self.unit {
            Some(unit) => write!(f, " {unit}"),
            None => Ok(()),
        }
    }
}

/// A number as the page and the text formats show it: at most two decimals.
fn round(number: f64) -> f64 {
    (number * 100.0).round() / 100.0
}

/// Attaches `observation` to the result of the check that is running on this task (or,
/// for a [`BlockingHealthCheck`](crate::BlockingHealthCheck), this thread). Outside a
/// check run by the registry it does nothing. A later observation of the same
/// measurement replaces the earlier one.
pub fn observe(observation: Observation) {
    let observed = CURRENT
        .try_with(Observations::clone)
        .ok()
        .or_else(|| BLOCKING.with(|slot| slot.borrow().clone()));
    if let Some(observations) = observed {
        observations.push(observation);
    }
}

/// Where the observations of one run are collected.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observations(Arc<Mutex<Vec<Observation>>>);

impl Observations {
    fn push(&self, observation: Observation) {
        let mut observed = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        observed.retain(|earlier| earlier.measurement != observation.measurement);
        observed.push(observation);
    }

    /// What was observed, in order.
    pub(crate) fn take(&self) -> Vec<Observation> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs `future` with this as the collector of its observations.
    pub(crate) async fn collect<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    /// The collector of the running check, to hand to a blocking thread.
    pub(crate) fn current() -> Option<Self> {
        CURRENT.try_with(Self::clone).ok()
    }

    /// Runs `f` on this thread with `observations` as the collector.
    pub(crate) fn on_this_thread<T>(observations: Option<Self>, f: impl FnOnce() -> T) -> T {
        let previous = BLOCKING.with(|slot| slot.replace(observations));
        let output = f();
        BLOCKING.with(|slot| slot.replace(previous));
        output
    }
}

tokio::task_local! {
    /// The collector of the check running on this task.
    static CURRENT: Observations;
}

thread_local! {
    /// The collector of the blocking check running on this thread.
    static BLOCKING: RefCell<Option<Observations>> = const { RefCell::new(None) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn observations_are_collected_per_run_and_replaced_by_measurement() {
        let observations = Observations::default();
        observations
            .clone()
            .collect(async {
                observe(Observation::number("usage", 10.0).unit("percent"));
                observe(Observation::text("version", "15.4"));
                observe(Observation::number("usage", 91.256).unit("percent"));
            })
            .await;
        let observed = observations.take();
        assert_eq!(observed.len(), 2);
        assert_eq!(observed[1].to_string(), "usage 91.26 percent");
        assert_eq!(observed[0].to_string(), "version 15.4");
    }

    #[test]
    fn outside_a_check_observing_does_nothing() {
        observe(Observation::number("lost", 1.0));
    }

    #[test]
    fn a_blocking_thread_collects_into_its_checks_run() {
        let observations = Observations::default();
        Observations::on_this_thread(Some(observations.clone()), || {
            observe(Observation::number("usage", 50.0));
        });
        assert_eq!(observations.take().len(), 1);
        observe(Observation::number("after", 1.0));
        assert!(
            observations.take().is_empty(),
            "the thread's collector was removed"
        );
    }
}
