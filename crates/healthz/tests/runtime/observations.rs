//! Values a check observes reach its report, from async and from blocking checks.

use healthz::{
    BlockingHealthCheck, CheckResult, HealthCheck, Observation, ObservedValue, Registry, Selection,
    observe,
};

struct Observing;
impl HealthCheck for Observing {
    async fn check(&self) -> CheckResult {
        observe(Observation::number("lag", 1.5).unit("s"));
        tokio::task::yield_now().await;
        observe(Observation::text("version", "15.4"));
        Ok(())
    }
}

struct ObservingBlocking;
impl BlockingHealthCheck for ObservingBlocking {
    fn check_blocking(&self) -> CheckResult {
        observe(Observation::number("usage", 42.0).unit("percent"));
        Ok(())
    }
}

#[tokio::test]
async fn observations_reach_the_report() {
    let registry = Registry::builder()
        .check(Observing)
        .blocking(ObservingBlocking)
        .build()
        .unwrap();
    let report = registry.run(&Selection::all()).await.unwrap();
    let shown: Vec<String> = report.checks[0]
        .observations
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["lag 1.5 s", "version 15.4"]);
    let blocking = &report.checks[1].observations;
    assert_eq!(blocking.len(), 1);
    assert_eq!(blocking[0].value, ObservedValue::Number(42.0));
    assert_eq!(blocking[0].unit.as_deref(), Some("percent"));
}
