//! The endpoint contract of DESIGN.md, through the axum router with `oneshot`.

#![cfg(feature = "axum")]

mod support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use healthz::{CheckOptions, Endpoint, Format, HealthStatus, Registry, Report};
use http::{Method, Request, StatusCode};
use support::{Failing, Working, get, send, unavailable, warning};

fn router(endpoint: Endpoint) -> Router {
    endpoint.router("/ht/")
}

/// Cache and database working, one check per group.
fn healthy() -> Router {
    router(Endpoint::new(
        Registry::builder()
            .check_with(
                Working,
                CheckOptions::new().name("CacheBackend").tag("ready"),
            )
            .check_with(
                Working,
                CheckOptions::new()
                    .name("DatabaseBackend")
                    .tags(["ready", "db"]),
            )
            .check_with(Working, CheckOptions::new().name("Disk[data]"))
            .build()
            .unwrap(),
    ))
}

fn with_failure(critical: bool) -> Registry {
    Registry::builder()
        .check_with(Working, CheckOptions::new().name("CacheBackend"))
        .check_with(
            Failing(unavailable),
            CheckOptions::new()
                .name("DatabaseBackend")
                .critical(critical),
        )
        .build()
        .unwrap()
}

fn with_warning(warnings_as_errors: bool) -> Registry {
    Registry::builder()
        .warnings_as_errors(warnings_as_errors)
        .check_with(Failing(warning), CheckOptions::new().name("DiskUsage"))
        .build()
        .unwrap()
}

mod status_codes {
    use super::*;

    #[tokio::test]
    async fn healthy_is_200_with_the_seed_json() {
        let answer = get(&healthy(), "/ht/", &[("accept", "application/json")]).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.body,
            r#"{"CacheBackend":"working","DatabaseBackend":"working","Disk[data]":"working"}"#
        );
    }

    #[tokio::test]
    async fn a_failing_critical_check_is_500_by_default() {
        let answer = get(
            &router(Endpoint::new(with_failure(true))),
            "/ht/?format=json",
            &[],
        )
        .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            answer.body,
            r#"{"CacheBackend":"working","DatabaseBackend":"unavailable: connection refused"}"#
        );
    }

    #[tokio::test]
    async fn the_failure_status_is_configurable() {
        let endpoint =
            Endpoint::new(with_failure(true)).failure_status(StatusCode::SERVICE_UNAVAILABLE);
        let answer = get(&router(endpoint), "/ht/", &[]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn a_failing_non_critical_check_is_degraded_and_200() {
        let answer = get(
            &router(Endpoint::new(with_failure(false))),
            "/ht/?format=json",
            &[],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.contains("unavailable: connection refused"));
    }

    #[tokio::test]
    async fn a_warning_is_degraded_and_200() {
        let answer = get(
            &router(Endpoint::new(with_warning(false))),
            "/ht/?format=json",
            &[],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, r#"{"DiskUsage":"warning: disk 91% full"}"#);
    }

    #[tokio::test]
    async fn the_degraded_status_is_configurable() {
        let endpoint = Endpoint::new(with_warning(false)).degraded_status(StatusCode::MULTI_STATUS);
        let answer = get(&router(endpoint), "/ht/", &[]).await;
        assert_eq!(answer.status, StatusCode::MULTI_STATUS);
    }

    #[tokio::test]
    async fn warnings_as_errors_makes_a_warning_fail() {
        let answer = get(&router(Endpoint::new(with_warning(true))), "/ht/", &[]).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn openmetrics_is_always_200() {
        let answer = get(
            &router(Endpoint::new(with_failure(true))),
            "/ht/?format=openmetrics",
            &[],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.ends_with("# EOF\n"), "{}", answer.body);
    }

    #[tokio::test]
    async fn health_json_reports_fail() {
        let answer = get(
            &router(Endpoint::new(with_failure(true))),
            "/ht/",
            &[("accept", "application/health+json")],
        )
        .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(json["status"], "fail");
    }
}

mod headers {
    use super::*;

    #[tokio::test]
    async fn every_format_has_its_content_type_and_the_safety_headers() {
        for format in Format::ALL {
            let uri = format!("/ht/?format={}", format.param().replace('+', "%2B"));
            let answer = get(&healthy(), &uri, &[]).await;
            assert_eq!(answer.status, StatusCode::OK, "{uri}");
            assert_eq!(
                answer.header("content-type"),
                format.content_type(),
                "{uri}"
            );
            assert!(answer.header("content-type").contains("charset=utf-8"));
            assert_eq!(answer.header("cache-control"), "no-store");
            assert_eq!(answer.header("vary"), "Accept");
            assert_eq!(answer.header("x-content-type-options"), "nosniff");
            assert_eq!(
                answer.headers.contains_key("content-security-policy"),
                format == Format::Html,
                "a CSP on HTML only: {uri}"
            );
        }
    }

    #[tokio::test]
    async fn the_html_csp_forbids_scripts() {
        let answer = get(&healthy(), "/ht/", &[]).await;
        let csp = answer.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    #[tokio::test]
    async fn max_age_replaces_no_store() {
        let registry = Registry::builder().check(Working).build().unwrap();
        let endpoint = Endpoint::new(registry).max_age(Duration::from_secs(15));
        let answer = get(&router(endpoint), "/ht/", &[]).await;
        assert_eq!(answer.header("cache-control"), "max-age=15");
    }
}

mod negotiation {
    use super::*;

    async fn content_type(uri: &str, accept: Option<&str>) -> (StatusCode, String) {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let answer = get(&healthy(), uri, &headers).await;
        let content_type = answer
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (answer.status, content_type)
    }

    async fn media_type(accept: &str) -> String {
        let (status, content_type) = content_type("/ht/", Some(accept)).await;
        assert_eq!(status, StatusCode::OK, "Accept: {accept}");
        content_type.split(';').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn no_accept_or_any_gives_html() {
        assert!(content_type("/ht/", None).await.1.starts_with("text/html"));
        assert_eq!(media_type("*/*").await, "text/html");
    }

    #[tokio::test]
    async fn the_accept_header_picks_the_format() {
        assert_eq!(media_type("application/json").await, "application/json");
        assert_eq!(
            media_type("application/health+json").await,
            "application/health+json"
        );
        assert_eq!(media_type("text/plain").await, "text/plain");
        assert_eq!(
            media_type("application/openmetrics-text; version=1.0.0").await,
            "application/openmetrics-text"
        );
        assert_eq!(
            media_type("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").await,
            "text/html"
        );
    }

    #[tokio::test]
    async fn q_values_win_and_ties_keep_header_order() {
        assert_eq!(
            media_type("text/html;q=0.5, application/json").await,
            "application/json"
        );
        assert_eq!(
            media_type("text/plain, application/json").await,
            "text/plain"
        );
        assert_eq!(
            media_type("application/json, text/plain").await,
            "application/json"
        );
        assert_eq!(media_type("text/html;q=0, */*").await, "application/json");
    }

    #[tokio::test]
    async fn wildcards_match_a_type() {
        assert_eq!(media_type("application/*").await, "application/json");
        assert_eq!(media_type("text/*;q=0.9, image/png").await, "text/html");
    }

    #[tokio::test]
    async fn the_format_parameter_wins_over_accept() {
        let (status, text) = content_type("/ht/?format=TEXT", Some("application/json")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text.starts_with("text/plain"));
        let (_, health) = content_type("/ht/?format=health+json", None).await;
        assert!(health.starts_with("application/health+json"));
    }

    #[tokio::test]
    async fn an_unknown_format_is_406_with_the_supported_list() {
        let answer = get(&healthy(), "/ht/?format=xml", &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(
            answer.body,
            "unknown format `xml`; supported formats: html, json, health+json, text, openmetrics\n"
        );
        assert!(answer.header("content-type").starts_with("text/plain"));
    }

    #[tokio::test]
    async fn an_accept_that_matches_nothing_is_406() {
        let answer = get(&healthy(), "/ht/", &[("accept", "image/png")]).await;
        assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(answer.body.lines().count(), 1);
        assert!(
            answer.body.contains("application/health+json"),
            "{}",
            answer.body
        );
    }

    #[tokio::test]
    async fn malformed_accept_headers_are_never_a_500() {
        for accept in [
            "",
            ",,,",
            ";q=1",
            "text/html;q=abc",
            "/",
            "text/",
            "*/*;q=",
            "garbage",
            "a/b/c;;;q=2",
        ] {
            let answer = get(&healthy(), "/ht/", &[("accept", accept)]).await;
            assert!(
                answer.status == StatusCode::OK || answer.status == StatusCode::NOT_ACCEPTABLE,
                "Accept: {accept:?} gave {}",
                answer.status
            );
        }
        let mut request = Request::get("/ht/").body(Body::empty()).unwrap();
        request.headers_mut().insert(
            "accept",
            http::HeaderValue::from_bytes(b"text/\xffhtml").unwrap(),
        );
        let answer = send(&healthy(), request).await;
        assert!(answer.status.is_success() || answer.status == StatusCode::NOT_ACCEPTABLE);
    }
}

mod methods {
    use super::*;

    #[tokio::test]
    async fn head_has_the_get_headers_and_no_body() {
        let router = router(Endpoint::new(with_failure(true)));
        let get_answer = get(&router, "/ht/?format=json", &[]).await;
        let head = Request::head("/ht/?format=json")
            .body(Body::empty())
            .unwrap();
        let head_answer = send(&router, head).await;
        assert_eq!(head_answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(head_answer.body, "");
        assert_eq!(
            head_answer.header("content-type"),
            get_answer.header("content-type")
        );
        assert_eq!(
            head_answer.header("content-length"),
            get_answer.body.len().to_string()
        );
    }

    #[tokio::test]
    async fn other_methods_are_405_with_allow() {
        for method in [
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::PATCH,
        ] {
            let request = Request::builder()
                .method(method.clone())
                .uri("/ht/")
                .body(Body::empty())
                .unwrap();
            let answer = send(&healthy(), request).await;
            assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(answer.header("allow"), "GET, HEAD");
            assert_eq!(answer.body, "method not allowed; use GET or HEAD\n");
        }
    }
}

mod selection {
    use super::*;

    async fn json(uri: &str) -> (StatusCode, String) {
        let answer = get(&healthy(), uri, &[("accept", "application/json")]).await;
        (answer.status, answer.body)
    }

    #[tokio::test]
    async fn the_mount_point_with_and_without_slash_runs_everything() {
        for uri in ["/ht", "/ht/"] {
            let (status, body) = json(uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert!(body.contains("Disk[data]"), "{uri}: {body}");
        }
    }

    #[tokio::test]
    async fn a_group_is_a_sub_path() {
        for uri in ["/ht/ready/", "/ht/ready"] {
            let (status, body) = json(uri).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                body, r#"{"CacheBackend":"working","DatabaseBackend":"working"}"#,
                "{uri}"
            );
        }
        assert_eq!(json("/ht/db/").await.1, r#"{"DatabaseBackend":"working"}"#);
    }

    #[tokio::test]
    async fn well_known_groups_answer_even_when_empty() {
        assert_eq!(json("/ht/live/").await, (StatusCode::OK, "{}".to_owned()));
    }

    #[tokio::test]
    async fn an_unknown_group_is_404_with_a_reason() {
        let answer = get(&healthy(), "/ht/nope/", &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.body, "no check group named `nope`\n");
        assert!(answer.header("content-type").starts_with("text/plain"));
        assert_eq!(
            get(&healthy(), "/ht/ready/extra/", &[]).await.status,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn check_filters_are_repeatable() {
        assert_eq!(
            json("/ht/?check=Disk%5Bdata%5D").await.1,
            r#"{"Disk[data]":"working"}"#
        );
        assert_eq!(
            json("/ht/?check=Disk[data]&check=CacheBackend").await.1,
            r#"{"CacheBackend":"working","Disk[data]":"working"}"#
        );
        assert_eq!(
            json("/ht/ready/?exclude=CacheBackend").await.1,
            r#"{"DatabaseBackend":"working"}"#
        );
        assert_eq!(
            json("/ht/?exclude=CacheBackend&exclude=Disk%5Bdata%5D")
                .await
                .1,
            r#"{"DatabaseBackend":"working"}"#
        );
    }

    #[tokio::test]
    async fn unknown_check_names_are_404() {
        for (uri, reason) in [
            ("/ht/?check=Nope", "no check named `Nope`\n"),
            ("/ht/?exclude=Nope", "no check named `Nope`\n"),
            (
                "/ht/db/?check=CacheBackend",
                "check `CacheBackend` is not in group `db`\n",
            ),
        ] {
            let answer = get(&healthy(), uri, &[]).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(answer.body, reason);
        }
    }

    #[tokio::test]
    async fn unknown_query_parameters_are_ignored() {
        assert_eq!(
            json("/ht/?_=1700000000&check=CacheBackend").await.0,
            StatusCode::OK
        );
    }
}

mod customising {
    use super::*;

    #[tokio::test]
    async fn a_custom_renderer_replaces_one_format() {
        let endpoint =
            Endpoint::new(with_failure(true)).renderer(Format::Json, |report: &Report| {
                if report.status() == HealthStatus::Unhealthy {
                    "SWEATY".to_owned()
                } else {
                    "COOL".to_owned()
                }
            });
        let router = router(endpoint);
        let answer = get(&router, "/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.body, "SWEATY");
        assert_eq!(answer.header("content-type"), Format::Json.content_type());
        let text = get(&router, "/ht/?format=text", &[]).await;
        assert!(
            text.body.contains("DatabaseBackend: unavailable"),
            "{}",
            text.body
        );
    }

    #[tokio::test]
    async fn a_custom_html_page_gets_a_policy_that_allows_its_own_styles() {
        let registry = Registry::builder().check(Working).build().unwrap();
        let endpoint = Endpoint::new(registry).renderer(Format::Html, |_: &Report| {
            "<style>body{color:red}</style>COOL".to_owned()
        });
        let answer = get(&router(endpoint), "/ht/", &[]).await;
        assert_eq!(answer.body, "<style>body{color:red}</style>COOL");
        let csp = answer.header("content-security-policy");
        assert!(csp.contains("style-src 'unsafe-inline'"), "{csp}");
        assert!(!csp.contains("script"), "{csp}");
        assert!(csp.contains("default-src 'none'"), "{csp}");
    }
}

mod auth {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use healthz::{CheckResult, HealthCheck, Unauthorized};

    use super::*;

    /// Works, and counts its runs.
    struct Counting(Arc<AtomicUsize>);
    impl HealthCheck for Counting {
        async fn check(&self) -> CheckResult {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    /// A router whose endpoint accepts two tokens, and the run counter of its check.
    fn guarded(unauthorized: Unauthorized) -> (Router, Arc<AtomicUsize>) {
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
        (router(endpoint), runs)
    }

    const FULL_JSON: &str = r#"{"CacheBackend":"working"}"#;

    #[tokio::test]
    async fn no_header_is_403_and_no_check_runs() {
        let (router, runs) = guarded(Unauthorized::Forbidden);
        let answer = get(&router, "/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.header("content-type"), Format::Text.content_type());
        assert!(answer.body.starts_with("forbidden"), "{}", answer.body);
        assert_eq!(answer.body.lines().count(), 1);
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_wrong_token_or_scheme_is_403() {
        let (router, runs) = guarded(Unauthorized::Forbidden);
        for authorization in [
            "Bearer wrong",
            "Bearer s3cre",
            "Bearer s3cret2",
            "Basic s3cret",
            "s3cret",
        ] {
            let answer = get(&router, "/ht/", &[("authorization", authorization)]).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{authorization}");
            assert!(!answer.body.contains("s3cret"), "{}", answer.body);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_right_token_gets_the_full_report() {
        let (router, runs) = guarded(Unauthorized::Forbidden);
        let answer = get(
            &router,
            "/ht/?format=json",
            &[("authorization", "Bearer s3cret")],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, FULL_JSON);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn every_configured_token_works_and_the_scheme_is_case_insensitive() {
        let (router, _runs) = guarded(Unauthorized::Forbidden);
        for authorization in ["Bearer second-token", "bearer s3cret", "BEARER s3cret"] {
            let answer = get(
                &router,
                "/ht/?format=json",
                &[("authorization", authorization)],
            )
            .await;
            assert_eq!(answer.status, StatusCode::OK, "{authorization}");
            assert_eq!(answer.body, FULL_JSON, "{authorization}");
        }
    }

    #[tokio::test]
    async fn an_unknown_group_is_forbidden_before_it_is_not_found() {
        let (router, _runs) = guarded(Unauthorized::Forbidden);
        let answer = get(&router, "/ht/nope/", &[]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let answer = get(&router, "/ht/nope/", &[("authorization", "Bearer s3cret")]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn status_only_runs_the_checks_and_shows_only_the_status() {
        let (router, runs) = guarded(Unauthorized::StatusOnly);
        let answer = get(&router, "/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, r#"{"status":"healthy"}"#);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let text = get(&router, "/ht/?format=text", &[]).await;
        assert_eq!(text.body, "status: healthy\n");
        let html = get(&router, "/ht/", &[]).await;
        assert!(html.body.contains("healthy"), "{}", html.body);
        assert!(!html.body.contains("CacheBackend"), "{}", html.body);
        let metrics = get(&router, "/ht/?format=openmetrics", &[]).await;
        assert!(
            metrics.body.contains("healthz_healthy 1"),
            "{}",
            metrics.body
        );
        assert!(!metrics.body.contains("CacheBackend"), "{}", metrics.body);
        let full = get(
            &router,
            "/ht/?format=json",
            &[("authorization", "Bearer s3cret")],
        )
        .await;
        assert_eq!(full.body, FULL_JSON);
    }

    #[tokio::test]
    async fn status_only_keeps_the_status_code() {
        let endpoint = Endpoint::new(with_failure(true))
            .bearer_tokens(["s3cret"])
            .unauthorized(Unauthorized::StatusOnly)
            .failure_status(StatusCode::SERVICE_UNAVAILABLE);
        let answer = get(&router(endpoint), "/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.body, r#"{"status":"unhealthy"}"#);
    }

    #[tokio::test]
    async fn status_only_hides_why_a_check_name_is_not_found() {
        let (router, _runs) = guarded(Unauthorized::StatusOnly);
        let answer = get(&router, "/ht/ready/?check=Other", &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.body, "no such group or check\n");
    }

    #[tokio::test]
    async fn vary_includes_authorization() {
        for unauthorized in [Unauthorized::Forbidden, Unauthorized::StatusOnly] {
            let (router, _runs) = guarded(unauthorized);
            for headers in [&[][..], &[("authorization", "Bearer s3cret")][..]] {
                let answer = get(&router, "/ht/", headers).await;
                assert_eq!(answer.header("vary"), "Accept, Authorization");
            }
            let answer = get(
                &router,
                "/ht/?format=xml",
                &[("authorization", "Bearer s3cret")],
            )
            .await;
            assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
            assert_eq!(answer.header("vary"), "Accept, Authorization");
        }
    }

    #[tokio::test]
    async fn head_and_405_are_unchanged() {
        let (router, _runs) = guarded(Unauthorized::Forbidden);
        let post = Request::post("/ht/").body(Body::empty()).unwrap();
        let answer = send(&router, post).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        let head = Request::head("/ht/")
            .header("authorization", "Bearer s3cret")
            .body(Body::empty())
            .unwrap();
        let answer = send(&router, head).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, "");
        let head = Request::head("/ht/").body(Body::empty()).unwrap();
        assert_eq!(send(&router, head).await.status, StatusCode::FORBIDDEN);
    }
}
