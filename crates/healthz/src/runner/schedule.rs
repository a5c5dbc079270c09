//! Background checks: each runs on its own schedule, every interval with a small
//! random jitter, from when the registry starts until it is dropped.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::Runner;
use crate::registration::Freshness;

/// The largest share of an interval that the jitter adds or removes: at most ±10 %,
/// enough that a fleet started together spreads its probes out.
const JITTER: f64 = 0.1;

/// Spawns one task per background check of `runner` on the current Tokio runtime.
///
/// A task holds the runner weakly: when the last registry clone is dropped, its
/// tasks end at their next wake-up.
pub(super) fn spawn(runner: &Arc<Runner>) {
    for (index, check) in runner.checks.iter().enumerate() {
        if let Freshness::Background { interval, .. } = check.registration.freshness {
            tokio::spawn(run_every(Arc::downgrade(runner), index, interval));
        }
    }
}

async fn run_every(runner: Weak<Runner>, index: usize, interval: Duration) {
    loop {
        let Some(strong) = runner.upgrade() else {
            return;
        };
        strong.refresh(index).await;
        drop(strong);
        tokio::time::sleep(jittered(interval, fastrand::f64())).await;
    }
}

/// `interval` moved by up to ±[`JITTER`] of itself, by `random` in `[0, 1)`.
fn jittered(interval: Duration, random: f64) -> Duration {
    interval.mul_f64(1.0 + JITTER * (2.0 * random - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_ten_percent() {
        let interval = Duration::from_secs(10);
        assert_eq!(jittered(interval, 0.0), Duration::from_secs(9));
        assert_eq!(jittered(interval, 0.5), interval);
        assert!(jittered(interval, 0.999_999) < Duration::from_secs(11));
        for _ in 0..1000 {
            let delay = jittered(interval, fastrand::f64());
            assert!(delay >= Duration::from_secs(9) && delay < Duration::from_secs(11));
        }
    }
}
