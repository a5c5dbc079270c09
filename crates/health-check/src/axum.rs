//! The axum integration: [`Endpoint::into_router`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;

use crate::endpoint::{Endpoint, EndpointRequest};

impl Endpoint {
    /// A router that serves the endpoint at its root and its groups below it; nest it
    /// at any path:
    ///
    /// ```
    /// # use health_check::{Endpoint, Registry};
    /// let registry = Registry::builder().build().expect("no checks is valid");
    /// let app: axum::Router = axum::Router::new().nest("/ht", Endpoint::new(registry).into_router());
    /// ```
    ///
    /// `/ht` and `/ht/` run every check, `/ht/ready/` the checks tagged `ready`.
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn into_router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let endpoint = Arc::new(self);
        Router::new().fallback(move |request: Request| {
            let endpoint = Arc::clone(&endpoint);
            async move { endpoint.handle(request).await }
        })
    }

    async fn handle(&self, request: Request) -> Response {
        let (parts, _body) = request.into_parts();
        let response = self
            .respond(EndpointRequest {
                method: &parts.method,
                sub_path: parts.uri.path(),
                query: parts.uri.query(),
                headers: &parts.headers,
            })
            .await;
        response.map(Body::from)
    }
}
