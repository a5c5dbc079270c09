//! The axum integration: [`Endpoint::router`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::any;

use super::endpoint::{Endpoint, EndpointRequest};

impl Endpoint {
    /// A router that serves the endpoint at `path` (with and without a trailing slash)
    /// and its groups below it; merge it into the application's router:
    ///
    /// ```
    /// # use healthz::{Endpoint, Registry};
    /// let registry = Registry::builder().build().expect("no checks is valid");
    /// let app: axum::Router = axum::Router::new()
    ///     .route("/", axum::routing::get(|| async { "hello" }))
    ///     .merge(Endpoint::new(registry).router("/ht/"));
    /// ```
    ///
    /// `/ht` and `/ht/` run every check, `/ht/ready/` the checks tagged `ready`.
    /// (The router registers its own paths rather than being nested, because a nested
    /// router cannot answer the prefix with a trailing slash.)
    ///
    /// # Panics
    ///
    /// Panics if `path` does not start with `/`, as axum does for routes.
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn router<S>(self, path: &str) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        assert!(
            path.starts_with('/'),
            "the endpoint path must start with `/`: {path:?}"
        );
        let prefix: Arc<str> = path.trim_end_matches('/').into();
        let endpoint = Arc::new(self);
        let handler = {
            let prefix = Arc::clone(&prefix);
            move |request: Request| {
                let endpoint = Arc::clone(&endpoint);
                let prefix = Arc::clone(&prefix);
                async move { endpoint.handle(&prefix, request).await }
            }
        };
        let mut router = Router::new()
            .route(&format!("{prefix}/"), any(handler.clone()))
            .route(&format!("{prefix}/{{*group}}"), any(handler.clone()));
        if !prefix.is_empty() {
            router = router.route(&prefix, any(handler));
        }
        router
    }

    async fn handle(&self, prefix: &str, request: Request) -> Response {
        let (parts, _body) = request.into_parts();
        let sub_path = parts.uri.path().strip_prefix(prefix).unwrap_or_default();
        let response = self
            .respond(EndpointRequest {
                method: &parts.method,
                sub_path,
                query: parts.uri.query(),
                headers: &parts.headers,
            })
            .await;
        response.map(Body::from)
    }
}
