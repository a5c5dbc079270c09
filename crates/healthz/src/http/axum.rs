//! The axum integration: [`Endpoint::router`], which routes the endpoint's paths to its
//! tower service.

use axum::Router;

use super::endpoint::Endpoint;

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
    pub fn router<S>(self, path: &str) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let service = self.into_service(path);
        let prefix = service.prefix().to_owned();
        let mut router = Router::new()
            .route_service(&format!("{prefix}/"), service.clone())
            .route_service(&format!("{prefix}/{{*group}}"), service.clone());
        if !prefix.is_empty() {
            router = router.route_service(&prefix, service);
        }
        router
    }
}
