//! The actix-web integration: [`Endpoint::actix_service`] and its [`ActixService`].
//!
//! actix-web 4 is built on `http` 0.2 while the endpoint speaks `http` 1, so the
//! request's method and headers and the response's status and headers are carried
//! across by their text.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{AppService, HttpServiceFactory, ResourceDef, ServiceRequest, fn_service};
use actix_web::http::{Method as ActixMethod, StatusCode as ActixStatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Response};

use super::endpoint::{Endpoint, EndpointRequest};
use super::mount::Mount;

/// The endpoint as an actix-web service, made by [`Endpoint::actix_service`]; register it
/// with `App::service` or `Scope::service`.
///
/// Clones are cheap and share the endpoint, so the apps that `HttpServer` builds, one
/// per worker, share its runs and history.
#[derive(Debug, Clone)]
#[must_use]
pub struct ActixService {
    endpoint: Arc<Endpoint>,
    mount: Mount,
}

impl Endpoint {
    /// An actix-web service that serves the endpoint at `path` (with and without a
    /// trailing slash) and its groups below it:
    ///
    /// ```
    /// # use healthz::{Endpoint, Registry};
    /// use actix_web::{App, HttpServer, web};
    ///
    /// let registry = Registry::builder().build().expect("no checks is valid");
    /// let health = Endpoint::new(registry).actix_service("/ht/");
    /// let server = HttpServer::new(move || {
    ///     App::new()
    ///         .route("/", web::get().to(|| async { "hello" }))
    ///         .service(health.clone())
    /// });
    /// ```
    ///
    /// `/ht` and `/ht/` run every check, `/ht/ready/` the checks tagged `ready`. In a
    /// `Scope`, `path` is below the scope's own path. actix tries services in the order
    /// they were registered, so an endpoint at `/` answers every path registered after it.
    ///
    /// # Panics
    ///
    /// Panics if `path` does not start with `/`.
    pub fn actix_service(self, path: &str) -> ActixService {
        ActixService {
            endpoint: Arc::new(self),
            mount: Mount::new(path),
        }
    }
}

impl HttpServiceFactory for ActixService {
    fn register(self, config: &mut AppService) {
        // A prefix resource, the way actix-files mounts a directory: it matches the mount
        // point with and without its trailing slash and every path below it, in an app
        // or a scope, and leaves the rest of the path unprocessed for the endpoint.
        let resource = ResourceDef::prefix(self.mount.prefix());
        let endpoint = self.endpoint;
        let service = fn_service(move |request: ServiceRequest| {
            let endpoint = Arc::clone(&endpoint);
            async move {
                let response = respond(&endpoint, request.request()).await;
                Ok(request.into_response(response))
            }
        });
        config.register_service(resource, None, service, None);
    }
}

/// Answers one request that actix routed to the endpoint.
async fn respond(endpoint: &Endpoint, request: &HttpRequest) -> HttpResponse {
    let method = Method::from_bytes(request.method().as_str().as_bytes())
        .expect("http 0.2 and http 1 accept the same methods");
    let headers: HeaderMap = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::from_bytes(name.as_str().as_bytes())
                .expect("http 0.2 and http 1 accept the same header names");
            let value = HeaderValue::from_bytes(value.as_bytes())
                .expect("http 0.2 and http 1 accept the same header values");
            (name, value)
        })
        .collect();
    let response = endpoint
        .respond(EndpointRequest {
            method: &method,
            sub_path: request.match_info().unprocessed(),
            query: request.uri().query(),
            headers: &headers,
        })
        .await;
    into_actix(response, request.method() == ActixMethod::HEAD)
}

/// The endpoint's response as actix's, for a HEAD request if `head`.
fn into_actix(response: Response<String>, head: bool) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status = ActixStatusCode::from_u16(parts.status.as_u16())
        .expect("http 0.2 and http 1 accept the same status codes");
    let mut builder = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        builder.append_header((name.as_str(), value.as_bytes()));
    }
    if !head {
        return builder.body(body);
    }
    let mut response = builder.body(HeadBody);
    // Without chunking, actix sends the `Content-Length` of the GET response that the
    // endpoint set, rather than a `Transfer-Encoding: chunked` of its own.
    response.head_mut().no_chunking(true);
    response
}

/// The body of a HEAD response: none, but of a size actix does not know. actix writes
/// the `Content-Length` of a body of known size itself, which for an empty body would be
/// `0` instead of the GET response's length that HEAD must repeat.
struct HeadBody;

impl MessageBody for HeadBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}
