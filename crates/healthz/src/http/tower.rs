//! The tower integration: [`Endpoint::into_service`] and its [`EndpointService`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::Service;

use super::endpoint::{Endpoint, EndpointRequest};
use super::mount::Mount;

/// The endpoint as a [`tower::Service`], made by [`Endpoint::into_service`].
///
/// It answers any `http::Request<B>` (whose body it never reads) with an
/// `http::Response<String>`, a body that hyper sends as it is and that tower-http's
/// layers can wrap. Clones are cheap and share the endpoint, so they share its runs and
/// history; the service is always ready.
#[derive(Debug, Clone)]
#[must_use]
pub struct EndpointService {
    endpoint: Arc<Endpoint>,
    mount: Mount,
}

impl Endpoint {
    /// The endpoint as a tower service that serves it at `path` (with and without a
    /// trailing slash) and its groups below it, for any tower-based stack:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use healthz::{Endpoint, Registry, checks};
    /// use tower::ServiceExt;
    ///
    /// let registry = Registry::builder().check(checks::MemoryCache::new()).build().unwrap();
    /// let service = Endpoint::new(registry).into_service("/ht/");
    /// let request = http::Request::get("/ht/?format=json").body(()).unwrap();
    /// let response = service.oneshot(request).await.unwrap();
    /// assert_eq!(response.body(), r#"{"CacheBackend":"working"}"#);
    /// # }
    /// ```
    ///
    /// The service sees the whole path of each request: `/ht` and `/ht/` run every
    /// check, `/ht/ready/` the checks tagged `ready`, and a path outside `path` is a 404.
    /// Behind a router that strips its own prefix, serve it at `/`.
    ///
    /// # Panics
    ///
    /// Panics if `path` does not start with `/`.
    pub fn into_service(self, path: &str) -> EndpointService {
        EndpointService {
            endpoint: Arc::new(self),
            mount: Mount::new(path),
        }
    }
}

impl EndpointService {
    /// The mount point without its trailing slash, for the routers built on the service.
    #[cfg(feature = "axum")]
    pub(super) fn prefix(&self) -> &str {
        self.mount.prefix()
    }
}

impl<B> Service<Request<B>> for EndpointService {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<String>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Dropped here, so that the future does not depend on the body type: a GET or
        // HEAD body carries nothing the endpoint reads.
        let (parts, _body) = request.into_parts();
        let endpoint = Arc::clone(&self.endpoint);
        let mount = self.mount.clone();
        Box::pin(async move {
            let Some(sub_path) = mount.sub_path(parts.uri.path()) else {
                return Ok(endpoint.outside(&parts.method, mount.prefix()));
            };
            let response = endpoint
                .respond(EndpointRequest {
                    method: &parts.method,
                    sub_path,
                    query: parts.uri.query(),
                    headers: &parts.headers,
                })
                .await;
            Ok(response)
        })
    }
}
