//! Warning and failure thresholds on a percentage, shared by the usage checks.

use std::fmt;

use crate::{CheckError, CheckResult};

/// A percentage at or above `warn_at` is a warning, at or above `fail_at` a
/// failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Thresholds {
    pub(crate) warn_at: f64,
    pub(crate) fail_at: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            warn_at: 90.0,
            fail_at: 95.0,
        }
    }
}

impl Thresholds {
    /// Judges `percent`; `what` describes the measurement for the message, as in
    /// `disk / 96.1% full`.
    pub(crate) fn judge(self, percent: f64, what: impl fmt::Display) -> CheckResult {
        if percent >= self.fail_at {
            Err(CheckError::unavailable(format!(
                "{what} (fail at {}%)",
                self.fail_at
            )))
        } else if percent >= self.warn_at {
            Err(CheckError::warning(format!(
                "{what} (warn at {}%)",
                self.warn_at
            )))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn failure_wins_over_warning_and_limits_are_inclusive() {
        let thresholds = Thresholds::default();
        assert!(thresholds.judge(89.9, "x").is_ok());
        let warning = thresholds.judge(90.0, "x 90.0% full").unwrap_err();
        assert_eq!(warning.kind(), ErrorKind::Warning);
        assert_eq!(warning.message(), "x 90.0% full (warn at 90%)");
        let failure = thresholds.judge(95.0, "x 95.0% full").unwrap_err();
        assert_eq!(failure.kind(), ErrorKind::Unavailable);
        assert_eq!(failure.message(), "x 95.0% full (fail at 95%)");
        let odd = Thresholds {
            warn_at: 99.5,
            fail_at: 80.0,
        };
        assert_eq!(
            odd.judge(85.0, "x").unwrap_err().kind(),
            ErrorKind::Unavailable
        );
    }
}
