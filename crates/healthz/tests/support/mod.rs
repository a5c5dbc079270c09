//! Checks with fixed outcomes and helpers to call a router, shared by the integration
//! tests.

#![allow(dead_code, missing_docs)]

pub mod net;

use axum::Router;
use axum::body::Body;
use healthz::{CheckError, CheckResult, HealthCheck};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Always works.
pub struct Working;
impl HealthCheck for Working {
    async fn check(&self) -> CheckResult {
        Ok(())
    }
}

/// Always fails with the given error, made afresh each run.
pub struct Failing(pub fn() -> CheckError);
impl HealthCheck for Failing {
    async fn check(&self) -> CheckResult {
        Err((self.0)())
    }
}

pub fn unavailable() -> CheckError {
    CheckError::unavailable("connection refused")
}

pub fn warning() -> CheckError {
    CheckError::warning("disk 91% full")
}

/// A response with its body read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

/// Sends a request through the router, without a server.
pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// `GET uri` with the given headers.
pub async fn get(router: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(router, request.body(Body::empty()).unwrap()).await
}
