//! Checks with fixed outcomes and helpers to call a router, shared by the integration
//! tests.

#![allow(dead_code, missing_docs)]

pub(crate) mod net;

use axum::Router;
use axum::body::Body;
use healthz::{CheckError, CheckResult, HealthCheck};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Always works.
pub(crate) struct Working;
impl HealthCheck for Working {
    async fn check(&self) -> CheckResult {
        Ok(())
    }
}

/// Always fails with the given error, made afresh each run.
pub(crate) struct Failing(pub fn() -> CheckError);
impl HealthCheck for Failing {
    async fn check(&self) -> CheckResult {
        Err((self.0)())
    }
}

pub(crate) fn unavailable() -> CheckError {
    CheckError::unavailable("connection refused")
}

pub(crate) fn warning() -> CheckError {
    CheckError::warning("disk 91% full")
}

/// A response with its body read.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

/// Sends a request through the router, without a server.
pub(crate) async fn send(router: &Router, request: Request<Body>) -> Answer {
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
pub(crate) async fn get(router: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(router, request.body(Body::empty()).unwrap()).await
}
