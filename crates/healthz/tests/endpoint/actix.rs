//! What only actix-web has: mounting in a `Scope` and beside the application's own
//! routes.

use actix_web::{App, HttpResponse, web};
use http::{Request, StatusCode};

use crate::frameworks::actix::send;
use crate::healthy;

fn get(uri: &str) -> Request<String> {
    Request::get(uri)
        .header("accept", "application/json")
        .body(String::new())
        .unwrap()
}

#[tokio::test]
async fn in_a_scope_the_path_is_below_the_scope() {
    let scope = || web::scope("/api").service(healthy().actix_service("/ht/"));
    for uri in ["/api/ht", "/api/ht/"] {
        let answer = send(App::new().service(scope()), get(uri)).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert!(answer.body.contains("Disk[data]"), "{uri}: {}", answer.body);
    }
    let answer = send(App::new().service(scope()), get("/api/ht/db/")).await;
    assert_eq!(answer.body, r#"{"DatabaseBackend":"working"}"#);
    let answer = send(App::new().service(scope()), get("/ht/")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn at_the_root_every_path_is_a_group() {
    let app = || App::new().service(healthy().actix_service("/"));
    let answer = send(app(), get("/")).await;
    assert!(answer.body.contains("Disk[data]"), "{}", answer.body);
    let answer = send(app(), get("/db")).await;
    assert_eq!(answer.body, r#"{"DatabaseBackend":"working"}"#);
}

#[tokio::test]
async fn a_neighbouring_route_is_not_the_endpoint() {
    let app = || {
        App::new()
            .service(healthy().actix_service("/ht/"))
            .route("/htm", web::get().to(HttpResponse::NoContent))
    };
    assert_eq!(
        send(app(), get("/htm")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(send(app(), get("/ht")).await.status, StatusCode::OK);
}
