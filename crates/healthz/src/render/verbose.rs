//! The Kubernetes API server's verbose text (`/readyz?verbose`): one `[+]name ok` or
//! `[-]name failed: reason` line per check, then `healthz check passed` or `failed`.
//!
//! ```text
//! [+]DatabaseBackend ok
//! [-]CacheBackend failed: unavailable: connection refused
//! healthz check failed
//! ```
//!
//! A warning, a damped failure and a non-critical failure do not fail the endpoint, so
//! they are `[+]` lines with the reason in parentheses.

use std::fmt::Write as _;

use crate::report::{HealthStatus, Report};

pub(crate) fn render(report: &Report) -> String {
    let mut text = String::new();
    let line = |text: &mut String, args: std::fmt::Arguments<'_>| {
        writeln!(text, "{args}").expect("writing to a String cannot fail");
    };
    for check in &report.checks {
        let name = &check.name;
        match (
            check.status,
            check.outcome.is_working() && check.damping.is_none(),
        ) {
            (HealthStatus::Unhealthy, _) => {
                line(
                    &mut text,
                    format_args!("[-]{name} failed: {}", check.outcome_text()),
                );
            }
            (_, true) => line(&mut text, format_args!("[+]{name} ok")),
            (_, false) => line(
                &mut text,
                format_args!("[+]{name} ok ({})", check.outcome_text()),
            ),
        }
    }
    if report.shutting_down {
        line(&mut text, format_args!("[-]shutdown failed: shutting down"));
    }
    let verdict = if report.status() == HealthStatus::Unhealthy {
        "failed"
    } else {
        "passed"
    };
    line(&mut text, format_args!("healthz check {verdict}"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::report::fixtures::{check, failed, non_critical, report};
    use crate::report::{Damping, Outcome};

    #[test]
    fn one_line_per_check_then_the_verdict() {
        let text = render(&report(vec![
            check("DatabaseBackend", Outcome::Working),
            check(
                "CacheBackend",
                failed(ErrorKind::Unavailable, "connection refused"),
            ),
            non_critical("Replica", failed(ErrorKind::Unavailable, "refused")),
            check("DiskUsage", failed(ErrorKind::Warning, "91% full")),
            check("Queue", Outcome::Working).damping(Damping::Failures {
                failures: 1,
                threshold: 3,
            }),
        ]));
        assert_eq!(
            text,
            "[+]DatabaseBackend ok\n\
             [-]CacheBackend failed: unavailable: connection refused\n\
             [+]Replica ok (unavailable: refused)\n\
             [+]DiskUsage ok (warning: 91% full)\n\
             [+]Queue ok (working (1 of 3 failures))\n\
             healthz check failed\n"
        );
        assert_eq!(render(&report(vec![])), "healthz check passed\n");
    }

    #[test]
    fn a_shutdown_fails_it() {
        let text = render(&report(vec![check("Db", Outcome::Working)]).shutting_down());
        assert_eq!(
            text,
            "[+]Db ok\n[-]shutdown failed: shutting down\nhealthz check failed\n"
        );
    }
}
