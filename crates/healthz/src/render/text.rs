//! Plain text (`text/plain`): one `<name>: <status>` line per check, where the status
//! is the seed's `working` or `<kind>: <message>`.

use std::fmt::Write as _;

use crate::report::Report;

pub(crate) fn render(report: &Report) -> String {
    let mut text = String::new();
    for check in &report.checks {
        writeln!(text, "{}: {}", check.name, check.outcome_text())
            .expect("writing to a String cannot fail");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::report::Outcome;
    use crate::report::fixtures::{check, report};

    #[test]
    fn one_line_per_check_in_order() {
        let failed = Outcome::Failed {
            kind: ErrorKind::UnexpectedResult,
            message: "read back other bytes".into(),
        };
        let report = report(vec![
            check("StorageBackend", failed),
            check("CacheBackend", Outcome::Working),
        ]);
        assert_eq!(
            render(&report),
            "StorageBackend: unexpected result: read back other bytes\nCacheBackend: working\n"
        );
    }
}
