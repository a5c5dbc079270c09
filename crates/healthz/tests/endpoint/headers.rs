//! Content types, caching and the safety headers.

use std::time::Duration;

use healthz::{Endpoint, Format, Registry};
use http::StatusCode;

use crate::healthy;
use crate::support::Working;

contract! {
    async fn every_format_has_its_content_type_and_the_safety_headers<F>() {
        let app = F::mount(healthy());
        for format in Format::ALL {
            let uri = format!("/ht/?format={}", format.param().replace('+', "%2B"));
            let answer = app.get(&uri, &[]).await;
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

    async fn the_html_csp_forbids_scripts<F>() {
        let answer = F::mount(healthy()).get("/ht/", &[]).await;
        let csp = answer.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    async fn max_age_replaces_no_store<F>() {
        let registry = Registry::builder().check(Working).build().unwrap();
        let endpoint = Endpoint::new(registry).max_age(Duration::from_secs(15));
        let answer = F::mount(endpoint).get("/ht/", &[]).await;
        assert_eq!(answer.header("cache-control"), "max-age=15");
    }
}
