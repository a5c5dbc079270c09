//! Custom renderers, and the policy a custom HTML page gets.

use healthz::{Endpoint, Format, HealthStatus, Registry, Report};
use http::StatusCode;

use crate::support::Working;
use crate::with_failure;

contract! {
    async fn a_custom_renderer_replaces_one_format<F>() {
        let endpoint =
            Endpoint::new(with_failure(true)).renderer(Format::Json, |report: &Report| {
                if report.status() == HealthStatus::Unhealthy {
                    "SWEATY".to_owned()
                } else {
                    "COOL".to_owned()
                }
            });
        let app = F::mount(endpoint);
        let answer = app.get("/ht/?format=json", &[]).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.body, "SWEATY");
        assert_eq!(answer.header("content-type"), Format::Json.content_type());
        let text = app.get("/ht/?format=text", &[]).await;
        assert!(
            text.body.contains("DatabaseBackend: unavailable"),
            "{}",
            text.body
        );
    }

    async fn a_custom_html_page_gets_a_policy_that_allows_its_own_styles<F>() {
        let registry = Registry::builder().check(Working).build().unwrap();
        let endpoint = Endpoint::new(registry).renderer(Format::Html, |_: &Report| {
            "<style>body{color:red}</style>COOL".to_owned()
        });
        let answer = F::mount(endpoint).get("/ht/", &[]).await;
        assert_eq!(answer.body, "<style>body{color:red}</style>COOL");
        let csp = answer.header("content-security-policy");
        assert!(csp.contains("style-src 'unsafe-inline'"), "{csp}");
        assert!(!csp.contains("script"), "{csp}");
        assert!(csp.contains("default-src 'none'"), "{csp}");
    }
}
