//! Bearer tokens: 403 or a status-only body without one, the full report with one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use healthz::{CheckOptions, CheckResult, Endpoint, Format, HealthCheck, Registry, Unauthorized};
use http::{Request, StatusCode};

use crate::frameworks::Framework;
use crate::with_failure;

/// Works, and counts its runs.
struct Counting(Arc<AtomicUsize>);
impl HealthCheck for Counting {
    async fn check(&self) -> CheckResult {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// An endpoint that accepts two tokens, mounted by `F`, and the run counter of its check.
fn guarded<F: Framework>(unauthorized: Unauthorized) -> (F, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let registry = Registry::builder()
        .check_with(
            Counting(Arc::clone(&runs)),
            CheckOptions::new().name("CacheBackend").tag("ready"),
        )
        .build()
        .unwrap();
    let endpoint = Endpoint::new(registry)
        .bearer_tokens(["s3cret", "second-token"])
        .unauthorized(unauthorized);
    (F::mount(endpoint), runs)
}

const FULL_JSON: &str = r#"{"CacheBackend":"working"}"#;

contract! {
    async fn no_header_is_403_and_no_check_runs<F>() {
        let (app, runs) = guarded::<F>(Unauthorized::Forbidden);
        let answer = app.get("/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.header("content-type"), Format::Text.content_type());
        assert!(answer.body.starts_with("forbidden"), "{}", answer.body);
        assert_eq!(answer.body.lines().count(), 1);
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    async fn a_wrong_token_or_scheme_is_403<F>() {
        let (app, runs) = guarded::<F>(Unauthorized::Forbidden);
        for authorization in [
            "Bearer wrong",
            "Bearer s3cre",
            "Bearer s3cret2",
            "Basic s3cret",
            "s3cret",
        ] {
            let answer = app.get("/ht/", &[("authorization", authorization)]).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{authorization}");
            assert!(!answer.body.contains("s3cret"), "{}", answer.body);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    async fn the_right_token_gets_the_full_report<F>() {
        let (app, runs) = guarded::<F>(Unauthorized::Forbidden);
        let answer = app
            .get("/ht/?format=json", &[("authorization", "Bearer s3cret")])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, FULL_JSON);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    async fn every_configured_token_works_and_the_scheme_is_case_insensitive<F>() {
        let (app, _runs) = guarded::<F>(Unauthorized::Forbidden);
        for authorization in ["Bearer second-token", "bearer s3cret", "BEARER s3cret"] {
            let answer = app
                .get("/ht/?format=json", &[("authorization", authorization)])
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{authorization}");
            assert_eq!(answer.body, FULL_JSON, "{authorization}");
        }
    }

    async fn an_unknown_group_is_forbidden_before_it_is_not_found<F>() {
        let (app, _runs) = guarded::<F>(Unauthorized::Forbidden);
        let answer = app.get("/ht/nope/", &[]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let answer = app
            .get("/ht/nope/", &[("authorization", "Bearer s3cret")])
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }

    async fn status_only_runs_the_checks_and_shows_only_the_status<F>() {
        let (app, runs) = guarded::<F>(Unauthorized::StatusOnly);
        let answer = app.get("/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, r#"{"status":"up"}"#);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let text = app.get("/ht/?format=text", &[]).await;
        assert_eq!(text.body, "status: up\n");
        let html = app.get("/ht/", &[]).await;
        assert!(html.body.contains("<p>Status: up</p>"), "{}", html.body);
        assert!(!html.body.contains("CacheBackend"), "{}", html.body);
        let metrics = app.get("/ht/?format=openmetrics", &[]).await;
        assert!(
            metrics.body.contains("healthz_healthy 1"),
            "{}",
            metrics.body
        );
        assert!(!metrics.body.contains("CacheBackend"), "{}", metrics.body);
        let full = app
            .get("/ht/?format=json", &[("authorization", "Bearer s3cret")])
            .await;
        assert_eq!(full.body, FULL_JSON);
    }

    async fn status_only_keeps_the_status_code<F>() {
        let endpoint = Endpoint::new(with_failure(true))
            .bearer_tokens(["s3cret"])
            .unauthorized(Unauthorized::StatusOnly)
            .failure_status(StatusCode::SERVICE_UNAVAILABLE)
            .unwrap();
        let answer = F::mount(endpoint).get("/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.body, r#"{"status":"down"}"#);
    }

    async fn status_only_cannot_tell_a_known_name_from_an_unknown_one<F>() {
        let endpoint = Endpoint::new(with_failure(true))
            .bearer_tokens(["s3cret"])
            .unauthorized(Unauthorized::StatusOnly);
        let app = F::mount(endpoint);
        let answers = [
            "/ht/?format=json&check=DatabaseBackend",
            "/ht/?format=json&check=Nope",
            "/ht/?format=json&exclude=DatabaseBackend",
            "/ht/db/?format=json",
            "/ht/nope/?format=json",
        ];
        for uri in answers {
            let answer = app.get(uri, &[]).await;
            assert_eq!(
                (answer.status, answer.body.as_str()),
                (StatusCode::INTERNAL_SERVER_ERROR, r#"{"status":"down"}"#),
                "{uri}"
            );
        }
        // The well-known groups keep answering for themselves, for probes.
        let live = app.get("/ht/live/?format=json&check=Nope", &[]).await;
        assert_eq!((live.status, live.body.as_str()), (StatusCode::OK, r#"{"status":"up"}"#));
    }

    async fn vary_includes_authorization<F>() {
        for unauthorized in [Unauthorized::Forbidden, Unauthorized::StatusOnly] {
            let (app, _runs) = guarded::<F>(unauthorized);
            for headers in [&[][..], &[("authorization", "Bearer s3cret")][..]] {
                let answer = app.get("/ht/", headers).await;
                assert_eq!(answer.header("vary"), "Accept, Authorization");
            }
            let answer = app
                .get("/ht/?format=xml", &[("authorization", "Bearer s3cret")])
                .await;
            assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
            assert_eq!(answer.header("vary"), "Accept, Authorization");
        }
    }

    async fn head_and_405_are_unchanged<F>() {
        let (app, _runs) = guarded::<F>(Unauthorized::Forbidden);
        let post = Request::post("/ht/").body(String::new()).unwrap();
        let answer = app.send(post).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        let head = Request::head("/ht/")
            .header("authorization", "Bearer s3cret")
            .body(String::new())
            .unwrap();
        let answer = app.send(head).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, "");
        let head = Request::head("/ht/").body(String::new()).unwrap();
        assert_eq!(app.send(head).await.status, StatusCode::FORBIDDEN);
    }
}
