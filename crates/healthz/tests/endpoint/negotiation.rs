//! `?format=` and the `Accept` header: q-values, wildcards, ties, 406 and malformed
//! headers.

use http::{HeaderValue, Request, StatusCode};

use crate::frameworks::Framework;
use crate::healthy;

/// The status and `Content-Type` of `GET uri` with the given `Accept` header, if any.
async fn content_type<F: Framework>(uri: &str, accept: Option<&str>) -> (StatusCode, String) {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    let answer = F::mount(healthy()).get(uri, &headers).await;
    let content_type = answer
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (answer.status, content_type)
}

/// The media type the endpoint answers `Accept: accept` with, which must succeed.
async fn media_type<F: Framework>(accept: &str) -> String {
    let (status, content_type) = content_type::<F>("/ht/", Some(accept)).await;
    assert_eq!(status, StatusCode::OK, "Accept: {accept}");
    content_type.split(';').next().unwrap().to_owned()
}

contract! {
    async fn prometheus_text_scrapers_get_the_metrics_and_plain_text_the_lines<F>() {
        let (status, metrics) =
            content_type::<F>("/ht/", Some("text/plain;version=0.0.4;q=0.3,*/*;q=0.1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(metrics, "text/plain; version=0.0.4; charset=utf-8");
        let (_, lines) = content_type::<F>("/ht/", Some("text/plain")).await;
        assert_eq!(lines, "text/plain; charset=utf-8");
        let answer = F::mount(healthy()).get("/ht/?format=prometheus", &[]).await;
        assert!(answer.body.starts_with("# TYPE healthz_up gauge\n"), "{}", answer.body);
        assert!(!answer.body.contains("# EOF"));
    }

    async fn xhtml_gets_the_page<F>() {
        assert_eq!(media_type::<F>("application/xhtml+xml").await, "text/html");
        assert_eq!(
            media_type::<F>("application/xhtml+xml, application/json;q=0.5").await,
            "text/html"
        );
    }

    async fn no_accept_or_any_gives_html<F>() {
        assert!(
            content_type::<F>("/ht/", None)
                .await
                .1
                .starts_with("text/html")
        );
        assert_eq!(media_type::<F>("*/*").await, "text/html");
    }

    async fn the_accept_header_picks_the_format<F>() {
        assert_eq!(media_type::<F>("application/json").await, "application/json");
        assert_eq!(
            media_type::<F>("application/health+json").await,
            "application/health+json"
        );
        assert_eq!(media_type::<F>("text/plain").await, "text/plain");
        assert_eq!(
            media_type::<F>("application/openmetrics-text; version=1.0.0").await,
            "application/openmetrics-text"
        );
        assert_eq!(
            media_type::<F>("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
                .await,
            "text/html"
        );
    }

    async fn q_values_win_and_ties_keep_header_order<F>() {
        assert_eq!(
            media_type::<F>("text/html;q=0.5, application/json").await,
            "application/json"
        );
        assert_eq!(
            media_type::<F>("text/plain, application/json").await,
            "text/plain"
        );
        assert_eq!(
            media_type::<F>("application/json, text/plain").await,
            "application/json"
        );
        assert_eq!(
            media_type::<F>("text/html;q=0, */*").await,
            "application/json"
        );
    }

    async fn wildcards_match_a_type<F>() {
        assert_eq!(media_type::<F>("application/*").await, "application/json");
        assert_eq!(media_type::<F>("text/*;q=0.9, image/png").await, "text/html");
    }

    async fn the_format_parameter_wins_over_accept<F>() {
        let (status, text) = content_type::<F>("/ht/?format=TEXT", Some("application/json")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text.starts_with("text/plain"));
        let (_, health) = content_type::<F>("/ht/?format=health+json", None).await;
        assert!(health.starts_with("application/health+json"));
    }

    async fn an_unknown_format_is_406_with_the_supported_list<F>() {
        let answer = F::mount(healthy()).get("/ht/?format=xml", &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(
            answer.body,
            "unknown format `xml`; supported formats: html, json, health+json, text, openmetrics, prometheus\n"
        );
        assert!(answer.header("content-type").starts_with("text/plain"));
    }

    async fn an_accept_that_matches_nothing_is_406<F>() {
        let answer = F::mount(healthy())
            .get("/ht/", &[("accept", "image/png")])
            .await;
        assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(answer.body.lines().count(), 1);
        assert!(
            answer.body.contains("application/health+json"),
            "{}",
            answer.body
        );
    }

    async fn malformed_accept_headers_are_never_a_500<F>() {
        let app = F::mount(healthy());
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
            let answer = app.get("/ht/", &[("accept", accept)]).await;
            assert!(
                answer.status == StatusCode::OK || answer.status == StatusCode::NOT_ACCEPTABLE,
                "Accept: {accept:?} gave {}",
                answer.status
            );
        }
        let mut request = Request::get("/ht/").body(String::new()).unwrap();
        request.headers_mut().insert(
            "accept",
            HeaderValue::from_bytes(b"text/\xffhtml").unwrap(),
        );
        let answer = app.send(request).await;
        assert!(answer.status.is_success() || answer.status == StatusCode::NOT_ACCEPTABLE);
    }
}
