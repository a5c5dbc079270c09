//! What only the tower service has: it sees every path of a server, and it composes
//! with tower's layers.

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::{ServiceBuilder, ServiceExt};

use crate::healthy;

fn request(method: Method, uri: &str) -> Request<()> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("accept", "application/json")
        .body(())
        .unwrap()
}

#[tokio::test]
async fn a_path_outside_the_mount_point_is_404() {
    let service = healthy().into_service("/ht/");
    for uri in ["/", "/other", "/htm", "/other/ht/"] {
        let Ok(response) = service.clone().oneshot(request(Method::GET, uri)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            response.body(),
            "no such path; the health endpoint is at `/ht/`\n"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    let Ok(response) = service.oneshot(request(Method::HEAD, "/other")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.body(), "");
}

#[tokio::test]
async fn at_the_root_every_path_is_a_group() {
    let service = healthy().into_service("/");
    let Ok(response) = service.clone().oneshot(request(Method::GET, "/")).await;
    assert!(
        response.body().contains("Disk[data]"),
        "{}",
        response.body()
    );
    let Ok(response) = service.oneshot(request(Method::GET, "/db")).await;
    assert_eq!(response.body(), r#"{"DatabaseBackend":"working"}"#);
}

#[tokio::test]
async fn it_takes_any_body_behind_tower_layers_and_answers_an_http_body() {
    let service = ServiceBuilder::new()
        .map_request(|request: Request<()>| request.map(|()| "a body it never reads"))
        .service(healthy().into_service("/ht/"));
    let Ok(response) = service.oneshot(request(Method::GET, "/ht/db/")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, r#"{"DatabaseBackend":"working"}"#);
}
