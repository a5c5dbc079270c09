//! GET and HEAD; every other method is a 405.

use healthz::Endpoint;
use http::{Method, Request, StatusCode};

use crate::{healthy, with_failure};

contract! {
    async fn head_has_the_get_headers_and_no_body<F>() {
        let app = F::mount(Endpoint::new(with_failure(true)));
        let get_answer = app.get("/ht/?format=json", &[]).await;
        let head = Request::head("/ht/?format=json")
            .body(String::new())
            .unwrap();
        let head_answer = app.send(head).await;
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

    async fn other_methods_are_405_with_allow<F>() {
        let app = F::mount(healthy());
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
                .body(String::new())
                .unwrap();
            let answer = app.send(request).await;
            assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(answer.header("allow"), "GET, HEAD");
            assert_eq!(answer.body, "method not allowed; use GET or HEAD\n");
        }
    }
}
