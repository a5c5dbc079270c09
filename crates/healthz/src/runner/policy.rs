//! Flap damping: how a check's raw results become what it reports. It takes a number
//! of failures in a row to be reported failing, and of successes in a row to be
//! reported working again.

use crate::registration::Thresholds;
use crate::report::{Damping, Outcome};

/// The damped view of one check's raw results.
#[derive(Debug, Clone)]
pub(super) struct Damper {
    thresholds: Thresholds,
    /// Failures (warnings included) in a row, up to the latest run.
    failures: u32,
    /// Successes in a row, up to the latest run.
    successes: u32,
    /// The outcome reported; `None` before the first result.
    reported: Option<Outcome>,
    /// What damping does to it right now.
    damping: Option<Damping>,
}

impl Damper {
    pub(super) fn new(thresholds: Thresholds) -> Self {
        Self {
            thresholds,
            failures: 0,
            successes: 0,
            reported: None,
            damping: None,
        }
    }

    /// Takes the latest raw outcome in.
    pub(super) fn record(&mut self, raw: &Outcome) {
        let reported_working = self.reported.as_ref().is_none_or(Outcome::is_working);
        if raw.is_working() {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
            if reported_working || self.successes >= self.thresholds.successes {
                self.reported = Some(Outcome::Working);
                self.damping = None;
            } else {
                self.damping = Some(Damping::Successes {
                    successes: self.successes,
                    threshold: self.thresholds.successes,
                });
            }
        } else {
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
            if !reported_working || self.failures >= self.thresholds.failures {
                self.reported = Some(raw.clone());
                self.damping = None;
            } else {
                self.reported = Some(Outcome::Working);
                self.damping = Some(Damping::Failures {
                    failures: self.failures,
                    threshold: self.thresholds.failures,
                });
            }
        }
    }

    /// The outcome reported, `None` before the first result, and what damping does to it.
    pub(super) fn reported(&self) -> (Option<&Outcome>, Option<Damping>) {
        (self.reported.as_ref(), self.damping)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn damper(failures: u32, successes: u32) -> Damper {
        Damper::new(Thresholds {
            failures,
            successes,
        })
    }

    fn refused() -> Outcome {
        Outcome::failed(ErrorKind::Unavailable, "connection refused")
    }

    fn after(damper: &mut Damper, raw: &Outcome) -> (Outcome, Option<Damping>) {
        damper.record(raw);
        let (reported, damping) = damper.reported();
        (reported.unwrap().clone(), damping)
    }

    #[test]
    fn without_thresholds_every_result_is_reported_as_it_is() {
        let mut damper = damper(1, 1);
        assert_eq!(damper.reported(), (None, None));
        assert_eq!(after(&mut damper, &refused()), (refused(), None));
        assert_eq!(
            after(&mut damper, &Outcome::Working),
            (Outcome::Working, None)
        );
    }

    #[test]
    fn it_takes_n_failures_in_a_row_to_fail() {
        let mut damper = damper(3, 1);
        let counting = |failures| Damping::Failures {
            failures,
            threshold: 3,
        };
        assert_eq!(
            after(&mut damper, &refused()),
            (Outcome::Working, Some(counting(1)))
        );
        assert_eq!(
            after(&mut damper, &refused()),
            (Outcome::Working, Some(counting(2)))
        );
        // A success in between starts the count again.
        assert_eq!(
            after(&mut damper, &Outcome::Working),
            (Outcome::Working, None)
        );
        assert_eq!(
            after(&mut damper, &refused()),
            (Outcome::Working, Some(counting(1)))
        );
        after(&mut damper, &refused());
        assert_eq!(after(&mut damper, &refused()), (refused(), None));
        // Once failing, the latest failure is reported.
        let timed_out = Outcome::failed(ErrorKind::Unavailable, "timed out after 2s");
        assert_eq!(after(&mut damper, &timed_out), (timed_out, None));
    }

    #[test]
    fn it_takes_m_successes_in_a_row_to_work_again() {
        let mut damper = damper(1, 2);
        after(&mut damper, &refused());
        assert_eq!(
            after(&mut damper, &Outcome::Working),
            (
                refused(),
                Some(Damping::Successes {
                    successes: 1,
                    threshold: 2
                })
            )
        );
        // A failure in between keeps it failing and starts the count again.
        assert_eq!(after(&mut damper, &refused()), (refused(), None));
        after(&mut damper, &Outcome::Working);
        assert_eq!(
            after(&mut damper, &Outcome::Working),
            (Outcome::Working, None)
        );
    }

    #[test]
    fn warnings_are_damped_like_failures() {
        let mut damper = damper(2, 1);
        let warning = Outcome::failed(ErrorKind::Warning, "disk 91% full");
        assert_eq!(after(&mut damper, &warning).0, Outcome::Working);
        assert_eq!(after(&mut damper, &warning).0, warning);
    }
}
