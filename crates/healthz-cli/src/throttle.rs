//! Rate-limited log lines: [`Throttle`] lets one line through per period and counts
//! the ones it held back, so that a webhook that is down for a day logs a line a
//! minute, not one per state change, and a server out of file descriptors logs one
//! a minute, not one per failed `accept`.

use std::time::Duration;

use tokio::time::Instant;

/// How often a repeated problem is logged.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// One log line per period.
#[derive(Debug)]
pub(crate) struct Throttle {
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    pub(crate) fn new() -> Self {
        Self {
            last: None,
            suppressed: 0,
        }
    }

    /// Whether a line may be logged at `now`: `Some` with how many were held back
    /// since the last one, or `None` (and one more held back).
    pub(crate) fn allow(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now < last + LOG_EVERY => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_period_with_the_count_held_back() {
        let mut throttle = Throttle::new();
        let start = Instant::now();
        assert_eq!(throttle.allow(start), Some(0));
        assert_eq!(throttle.allow(start + Duration::from_secs(1)), None);
        assert_eq!(throttle.allow(start + Duration::from_secs(59)), None);
        assert_eq!(throttle.allow(start + LOG_EVERY), Some(2));
        assert_eq!(throttle.allow(start + LOG_EVERY), None);
    }
}
