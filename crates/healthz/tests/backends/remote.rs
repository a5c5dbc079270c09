//! `RemoteHealth` against this crate's own endpoint, served by a real axum server on a
//! loopback port, so that both wire formats (health+json and the seed's JSON) are
//! proved to round-trip; and against unreadable answers, nothing listening and a hung
//! server.

use crate::backend;
use crate::support;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use backend::{outcome, run_one, serve};
use healthz::checks::RemoteHealth;
use healthz::{CheckOptions, Endpoint, ErrorKind, Registry, Selection};
use support::{Failing, Working, net, unavailable, warning};

/// A remote service: our own endpoint at `/ht/` over `registry`, plus a few routes
/// that answer something else.
async fn remote_service(registry: Registry) -> SocketAddr {
    let router = Router::new()
        .route(
            "/page",
            get(|| async { axum::response::Html("<h1>Hi</h1>") }),
        )
        .route(
            "/garbage",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], "{\"oops\"") }),
        )
        .route(
            "/moved",
            get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/ht/")]) }),
        )
        .merge(Endpoint::new(registry).router("/ht/"));
    serve(router).await
}

fn registry(build: impl FnOnce(healthz::RegistryBuilder) -> healthz::RegistryBuilder) -> Registry {
    build(Registry::builder()).build().unwrap()
}

fn named(name: &str) -> CheckOptions {
    CheckOptions::new().name(name)
}

fn remote(addr: SocketAddr, path: &str) -> RemoteHealth {
    RemoteHealth::new(&format!("http://{addr}{path}")).unwrap()
}

#[tokio::test]
async fn a_healthy_remote_works_in_both_formats() {
    let addr = remote_service(registry(|b| {
        b.check_with(Working, named("CacheBackend"))
            .check_with(Working, named("DatabaseBackend"))
    }))
    .await;
    let (report, _) = run_one(remote(addr, "/ht/"), Duration::from_secs(5)).await;
    assert_eq!(report.checks[0].name, "RemoteHealth");
    assert_eq!(report.checks[0].outcome.text(), "working");
    assert_eq!(outcome(remote(addr, "/ht/?format=json")).await, "working");
    assert_eq!(
        outcome(remote(addr, "/ht/?format=health%2Bjson")).await,
        "working"
    );
}

#[tokio::test]
async fn a_failing_remote_check_is_named_with_its_output_in_both_formats() {
    let addr = remote_service(registry(|b| {
        b.check_with(Working, named("CacheBackend"))
            .check_with(Failing(unavailable), named("DatabaseBackend"))
            .check_with(Failing(unavailable), named("Queue[orders]"))
    }))
    .await;
    let expected = "unavailable: remote check(s) failing: DatabaseBackend (unavailable: connection refused), Queue[orders] (unavailable: connection refused)";
    assert_eq!(outcome(remote(addr, "/ht/")).await, expected);
    assert_eq!(outcome(remote(addr, "/ht/?format=json")).await, expected);
}

#[tokio::test]
async fn a_warning_or_a_non_critical_failure_is_a_warning() {
    let addr = remote_service(registry(|b| {
        b.check_with(Working, named("CacheBackend"))
            .check_with(Failing(warning), named("DiskUsage"))
    }))
    .await;
    assert_eq!(
        outcome(remote(addr, "/ht/")).await,
        "warning: remote check(s) warning: DiskUsage (warning: disk 91% full)"
    );
    assert_eq!(
        outcome(remote(addr, "/ht/?format=json")).await,
        "warning: remote check(s) warning: DiskUsage (warning: disk 91% full)"
    );

    let addr = remote_service(registry(|b| {
        b.check_with(Failing(unavailable), named("Replica").critical(false))
    }))
    .await;
    let expected = "warning: remote check(s) warning: Replica (unavailable: connection refused)";
    assert_eq!(outcome(remote(addr, "/ht/")).await, expected);
    // The seed's JSON has no criticality: the 200 tells that the failure is not critical.
    assert_eq!(outcome(remote(addr, "/ht/?format=json")).await, expected);
}

#[tokio::test]
async fn a_group_of_the_remote_can_be_checked() {
    let addr = remote_service(registry(|b| {
        b.check_with(Working, named("Cache").tag("ready"))
            .check_with(Failing(unavailable), named("Slow"))
    }))
    .await;
    assert_eq!(outcome(remote(addr, "/ht/ready/")).await, "working");
}

#[tokio::test]
async fn an_answer_that_is_not_a_health_report_is_an_unexpected_result() {
    let addr = remote_service(registry(|b| b.check(Working))).await;
    let (report, _) = run_one(remote(addr, "/page"), Duration::from_secs(5)).await;
    assert_eq!(
        report.checks[0].outcome.error_kind(),
        Some(ErrorKind::UnexpectedResult)
    );
    assert_eq!(
        report.checks[0].outcome.text(),
        format!(
            "unexpected result: http://{addr}/page answered 200 with text/html, not application/health+json or application/json"
        )
    );
    let text = outcome(remote(addr, "/garbage")).await;
    assert!(
        text.starts_with(&format!(
            "unexpected result: cannot read the health report of http://{addr}/garbage: "
        )),
        "{text}"
    );
    let text = outcome(remote(addr, "/ht/?format=text")).await;
    assert!(text.starts_with("unexpected result: "), "{text}");
    assert!(text.contains("text/plain"), "{text}");
    let text = outcome(remote(addr, "/moved")).await;
    assert_eq!(
        text,
        format!(
            "unexpected result: http://{addr}/moved answered 301, a redirect to /ht/; point the check at the final URL"
        )
    );
    let text = outcome(remote(addr, "/nothing-here/")).await;
    assert!(text.starts_with("unexpected result: "), "{text}");
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    let (report, elapsed) = run_one(remote(addr, "/ht/"), Duration::from_secs(5)).await;
    assert_eq!(
        report.checks[0].outcome.text(),
        format!("unavailable: cannot reach http://{addr}/ht/: connection refused")
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[tokio::test]
async fn a_hung_remote_times_out_and_frees_the_runner() {
    let hung = net::HungListener::start();
    let addr = remote_service(registry(|b| b.check(Working))).await;
    let registry = Registry::builder()
        .default_timeout(Duration::from_secs(1))
        .check_with(
            RemoteHealth::new(&format!("http://{}/ht/", hung.addr())).unwrap(),
            named("RemoteHealth[hung]"),
        )
        .check(remote(addr, "/ht/"))
        .build()
        .unwrap();
    let start = Instant::now();
    let report = registry.run(&Selection::all()).await.unwrap();
    let elapsed = start.elapsed();
    assert_eq!(
        report.checks[0].outcome.text(),
        "unavailable: timed out after 1s"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(report.checks[1].outcome.is_working());

    let start = Instant::now();
    let report = registry
        .run(&Selection::all().check("RemoteHealth"))
        .await
        .unwrap();
    assert!(report.checks[0].outcome.is_working());
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// An `https` health endpoint, through a TLS front (as a load balancer terminates TLS)
/// before the plain service, presenting the test CA's certificates.
#[cfg(feature = "rustls")]
mod tls {
    use super::{named, registry, remote_service};
    use crate::support::Working;
    use crate::tls::{self, Front, common_tls_tests};
    use healthz::checks::{RemoteHealth, Tls};

    /// The check's outcome on `https://<front>/ht/` with `tls`.
    async fn outcome(front: Front, tls: Tls) -> String {
        let service = remote_service(registry(|b| b.check_with(Working, named("CacheBackend"))));
        let addr = tls::front(service.await, front).await;
        let check = RemoteHealth::new(&format!("https://{addr}/ht/")).unwrap();
        crate::backend::outcome(check.tls(tls)).await
    }

    common_tls_tests!(
        outcome: outcome,
        valid: Front::Valid,
        other_host: Front::OtherHost,
        expired: Front::Expired,
        mutual: Front::Mutual,
    );

    #[tokio::test]
    async fn a_server_without_tls_is_named_as_such() {
        let addr = remote_service(registry(|b| b)).await;
        let check = RemoteHealth::new(&format!("https://{addr}/ht/")).unwrap();
        tls::assert_tls_failure(
            &crate::backend::outcome(check.tls(tls::trusting_the_ca())).await,
            "unavailable: TLS: server does not support TLS",
        );
    }
}
