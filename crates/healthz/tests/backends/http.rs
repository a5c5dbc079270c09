//! `HttpEndpoint` against a real HTTP server (axum, served on a loopback port by the
//! test itself), and against the failure modes every backend check is tested on:
//! nothing listening, a hung server, unexpected answers.

use crate::backend;
use crate::net;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse as _;
use axum::routing::get;
use backend::{outcome, run_one, serve};
use healthz::checks::HttpEndpoint;
use healthz::{CheckOptions, Registry, Selection};

/// A small site with the answers the tests need.
async fn site() -> SocketAddr {
    let router = Router::new()
        .route("/ok", get(|| async { "all good" }))
        .route("/empty", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/down",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance") }),
        )
        .route(
            "/old",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/ok")]) }),
        )
        .route(
            "/loop",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }),
        )
        .route(
            "/private",
            get(|headers: HeaderMap| async move {
                match headers.get(header::AUTHORIZATION) {
                    Some(value) if value == "Bearer t0k3n" => StatusCode::OK,
                    _ => StatusCode::UNAUTHORIZED,
                }
            }),
        );
    serve(router).await
}

fn endpoint(addr: SocketAddr, path: &str) -> HttpEndpoint {
    HttpEndpoint::new(&format!("http://{addr}{path}")).unwrap()
}

#[tokio::test]
async fn a_2xx_answer_works() {
    let addr = site().await;
    let (report, _) = run_one(endpoint(addr, "/ok"), Duration::from_secs(5)).await;
    assert_eq!(report.checks[0].name, "HttpEndpoint");
    assert_eq!(report.checks[0].component_type, "component");
    assert_eq!(report.checks[0].outcome.text(), "working");
    assert_eq!(outcome(endpoint(addr, "/empty")).await, "working");
    assert_eq!(
        outcome(endpoint(addr, "/ok").body_contains("all good")).await,
        "working"
    );
}

#[tokio::test]
async fn an_unexpected_status_is_an_unexpected_result() {
    let addr = site().await;
    assert_eq!(
        outcome(endpoint(addr, "/down")).await,
        "unexpected result: expected 2xx, got 503"
    );
    assert_eq!(
        outcome(endpoint(addr, "/ok").expect_status(204)).await,
        "unexpected result: expected 204, got 200"
    );
    assert_eq!(
        outcome(endpoint(addr, "/down").expect_statuses([200, 204])).await,
        "unexpected result: expected 200 or 204, got 503"
    );
    assert_eq!(
        outcome(endpoint(addr, "/empty").expect_statuses([200, 204])).await,
        "working"
    );
    assert_eq!(
        outcome(endpoint(addr, "/down").expect_status(503)).await,
        "working"
    );
}

#[tokio::test]
async fn a_missing_body_text_is_an_unexpected_result() {
    let addr = site().await;
    assert_eq!(
        outcome(endpoint(addr, "/ok").body_contains("green")).await,
        format!("unexpected result: the body of http://{addr}/ok does not contain \"green\"")
    );
}

#[tokio::test]
async fn redirects_are_not_followed_unless_asked() {
    let addr = site().await;
    assert_eq!(
        outcome(endpoint(addr, "/old")).await,
        "unexpected result: expected 2xx, got 302 (a redirect to /ok, not followed)"
    );
    assert_eq!(
        outcome(
            endpoint(addr, "/old")
                .follow_redirects(3)
                .body_contains("all good")
        )
        .await,
        "working"
    );
    assert_eq!(
        outcome(endpoint(addr, "/loop").follow_redirects(3)).await,
        format!("unexpected result: more than 3 redirects from http://{addr}/loop")
    );
}

#[tokio::test]
async fn a_bearer_token_is_sent() {
    let addr = site().await;
    assert_eq!(
        outcome(endpoint(addr, "/private")).await,
        "unexpected result: expected 2xx, got 401"
    );
    assert_eq!(
        outcome(endpoint(addr, "/private").bearer_token("t0k3n")).await,
        "working"
    );
}

#[tokio::test]
async fn the_bearer_token_never_follows_a_redirect_to_another_origin() {
    // The other origin: a second loopback server, on another port, that records the
    // `Authorization` header of every request it gets.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let other = serve(Router::new().route(
        "/landing",
        get({
            let seen = Arc::clone(&seen);
            move |headers: HeaderMap| async move {
                let authorization = headers
                    .get(header::AUTHORIZATION)
                    .map(|value| value.to_str().unwrap().to_owned());
                seen.lock().unwrap().push(authorization);
                "landed"
            }
        }),
    ))
    .await;
    // The origin: its first hop needs the token and points to the other origin; a
    // redirect within the origin leads to a page that needs the token too.
    let away = format!("http://{other}/landing");
    let needs_token = |headers: &HeaderMap| {
        headers
            .get(header::AUTHORIZATION)
            .is_some_and(|value| value == "Bearer t0k3n")
    };
    let router = Router::new()
        .route(
            "/away",
            get(move |headers: HeaderMap| async move {
                if needs_token(&headers) {
                    (StatusCode::FOUND, [(header::LOCATION, away)]).into_response()
                } else {
                    StatusCode::UNAUTHORIZED.into_response()
                }
            }),
        )
        .route(
            "/stay",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/private")]) }),
        )
        .route(
            "/private",
            get(move |headers: HeaderMap| async move {
                if needs_token(&headers) {
                    StatusCode::OK
                } else {
                    StatusCode::UNAUTHORIZED
                }
            }),
        );
    let origin = serve(router).await;

    let check = endpoint(origin, "/away")
        .bearer_token("t0k3n")
        .follow_redirects(3)
        .body_contains("landed");
    assert_eq!(outcome(check).await, "working");
    assert_eq!(
        *seen.lock().unwrap(),
        [None],
        "the token went to {other}, another origin"
    );

    // A redirect within the origin keeps it.
    let check = endpoint(origin, "/stay")
        .bearer_token("t0k3n")
        .follow_redirects(3);
    assert_eq!(outcome(check).await, "working");
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    let (report, elapsed) = run_one(endpoint(addr, "/ok"), Duration::from_secs(5)).await;
    assert_eq!(
        report.checks[0].outcome.text(),
        format!("unavailable: cannot reach http://{addr}/ok: connection refused")
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[tokio::test]
async fn a_hung_server_times_out_and_frees_the_runner() {
    let hung = net::HungListener::start();
    let addr = site().await;
    let registry = Registry::builder()
        .default_timeout(Duration::from_secs(1))
        .check_with(
            HttpEndpoint::new(&format!("http://{}/", hung.addr())).unwrap(),
            CheckOptions::new().name("HttpEndpoint[hung]"),
        )
        .check(endpoint(addr, "/ok"))
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
    assert!(hung.accepted() >= 1, "the check reached the hung server");

    // The runner is free again: the next run starts and ends at once.
    let start = Instant::now();
    let report = registry
        .run(&Selection::all().check("HttpEndpoint"))
        .await
        .unwrap();
    assert!(report.checks[0].outcome.is_working());
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// `https` URLs, through a TLS front (as a load balancer terminates TLS) before the
/// plain site, presenting the test CA's certificates.
#[cfg(feature = "rustls")]
mod tls {
    use super::site;
    use crate::tls::{self, Front, common_tls_tests};
    use healthz::checks::{HttpEndpoint, Tls};

    /// The check's outcome on `https://<front>/ok` with `tls`.
    async fn outcome(front: Front, tls: Tls) -> String {
        let addr = tls::front(site().await, front).await;
        let check = HttpEndpoint::new(&format!("https://{addr}/ok")).unwrap();
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
        let addr = site().await;
        let check = HttpEndpoint::new(&format!("https://{addr}/ok")).unwrap();
        tls::assert_tls_failure(
            &crate::backend::outcome(check.tls(tls::trusting_the_ca())).await,
            "unavailable: TLS: server does not support TLS",
        );
    }

    #[tokio::test]
    async fn an_unreadable_ca_file_is_named() {
        let check = HttpEndpoint::new("https://127.0.0.1:1/ok")
            .unwrap()
            .tls(Tls::new().ca_file("/nonexistent/ca.pem"));
        assert_eq!(
            crate::backend::outcome(check).await,
            "unavailable: TLS: cannot use the CA file /nonexistent/ca.pem: no such file or directory"
        );
    }
}
