//! 200 when healthy, 500 (or as configured) when a critical check fails, degraded is 200.

use healthz::Endpoint;
use http::StatusCode;

use crate::{healthy, with_failure, with_warning};

contract! {
    async fn healthy_is_200_with_the_seed_json<F>() {
        let answer = F::mount(healthy())
            .get("/ht/", &[("accept", "application/json")])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.body,
            r#"{"CacheBackend":"working","DatabaseBackend":"working","Disk[data]":"working"}"#
        );
    }

    async fn a_failing_critical_check_is_500_by_default<F>() {
        let answer = F::mount(Endpoint::new(with_failure(true)))
            .get("/ht/?format=json", &[])
            .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            answer.body,
            r#"{"CacheBackend":"working","DatabaseBackend":"unavailable: connection refused"}"#
        );
    }

    async fn the_failure_status_is_configurable<F>() {
        let endpoint =
            Endpoint::new(with_failure(true)).failure_status(StatusCode::SERVICE_UNAVAILABLE)
            .unwrap();
        let answer = F::mount(endpoint).get("/ht/", &[]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    }

    async fn a_failing_non_critical_check_is_degraded_and_200<F>() {
        let answer = F::mount(Endpoint::new(with_failure(false)))
            .get("/ht/?format=json", &[])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.contains("unavailable: connection refused"));
    }

    async fn a_warning_is_degraded_and_200<F>() {
        let answer = F::mount(Endpoint::new(with_warning(false)))
            .get("/ht/?format=json", &[])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, r#"{"DiskUsage":"warning: disk 91% full"}"#);
    }

    async fn the_degraded_status_is_configurable<F>() {
        let endpoint = Endpoint::new(with_warning(false)).degraded_status(StatusCode::MULTI_STATUS)
            .unwrap();
        let answer = F::mount(endpoint).get("/ht/", &[]).await;
        assert_eq!(answer.status, StatusCode::MULTI_STATUS);
    }

    async fn warnings_as_errors_makes_a_warning_fail<F>() {
        let answer = F::mount(Endpoint::new(with_warning(true)))
            .get("/ht/", &[])
            .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    async fn openmetrics_is_always_200<F>() {
        let answer = F::mount(Endpoint::new(with_failure(true)))
            .get("/ht/?format=openmetrics", &[])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.ends_with("# EOF\n"), "{}", answer.body);
    }

    async fn health_json_reports_fail<F>() {
        let answer = F::mount(Endpoint::new(with_failure(true)))
            .get("/ht/", &[("accept", "application/health+json")])
            .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(json["status"], "fail");
    }
}
