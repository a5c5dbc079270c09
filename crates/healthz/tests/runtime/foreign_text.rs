//! A backend's words enter a report cleaned, whatever the check passes on: no ANSI
//! escape, line break or bidi control reaches any format.

use healthz::{CheckError, CheckResult, Format, HealthCheck, Registry, Selection, render};

/// Passes a hostile server's error text on as it is.
struct Parrot;
impl HealthCheck for Parrot {
    async fn check(&self) -> CheckResult {
        Err(CheckError::unavailable(
            "\u{1b}[31mERR\u{1b}[0m down\nFakeCheck: working\r\n\u{202e}evil",
        ))
    }
}

#[tokio::test]
async fn foreign_text_is_cleaned_where_it_enters_the_report() {
    let registry = Registry::builder().check(Parrot).build().unwrap();
    let report = registry.run(&Selection::all()).await.unwrap();
    assert_eq!(
        report.checks[0].outcome.text(),
        "unavailable: ERR down FakeCheck: working evil"
    );
    let text = render(Format::Text, &report);
    assert_eq!(text.lines().count(), 1, "{text:?}");
    let long = "x".repeat(5000);
    struct Long(String);
    impl HealthCheck for Long {
        async fn check(&self) -> CheckResult {
            Err(CheckError::unavailable(self.0.clone()))
        }
    }
    let registry = Registry::builder().check(Long(long)).build().unwrap();
    let report = registry.run(&Selection::all()).await.unwrap();
    let message = report.checks[0].outcome.message().unwrap();
    assert_eq!(
        message.chars().count(),
        1001,
        "1000 characters and an ellipsis"
    );
}
