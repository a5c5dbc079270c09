//! The integrations behind one trait, so that each contract case runs through every one
//! of them, in-process and without a server.

use healthz::Endpoint;
use http::{HeaderMap, Request, StatusCode};

/// Where every contract case mounts its endpoint.
pub(crate) const MOUNT: &str = "/ht/";

/// An endpoint mounted at [`MOUNT`] by one framework.
pub(crate) trait Framework: Sized {
    /// Mounts the endpoint the way an application using this framework does.
    fn mount(endpoint: Endpoint) -> Self;

    /// Sends one request through the framework and reads the whole answer.
    async fn send(&self, request: Request<String>) -> Answer;

    /// `GET uri` with the given headers.
    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(String::new()).unwrap()).await
    }
}

/// A response with its body read.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The value of the header `name`, which must be there and be text.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

/// `Endpoint::router`, merged into an axum `Router` and called with `oneshot`.
#[cfg(feature = "axum")]
pub(crate) struct Axum(axum::Router);

#[cfg(feature = "axum")]
impl Framework for Axum {
    fn mount(endpoint: Endpoint) -> Self {
        Self(axum::Router::new().merge(endpoint.router(MOUNT)))
    }

    async fn send(&self, request: Request<String>) -> Answer {
        use http_body_util::BodyExt;
        use tower::ServiceExt;

        let response = self.0.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }
}

/// `Endpoint::actix_service` on an actix-web `App`, called through actix-web's test
/// utilities (`init_service`, `call_service`).
#[cfg(feature = "actix")]
pub(crate) struct Actix(healthz::ActixService);

#[cfg(feature = "actix")]
impl Framework for Actix {
    fn mount(endpoint: Endpoint) -> Self {
        Self(endpoint.actix_service(MOUNT))
    }

    async fn send(&self, request: Request<String>) -> Answer {
        actix::send(actix_web::App::new().service(self.0.clone()), request).await
    }
}

/// `Endpoint::into_service`, called with `oneshot`.
#[cfg(feature = "tower")]
pub(crate) struct Tower(healthz::EndpointService);

#[cfg(feature = "tower")]
impl Framework for Tower {
    fn mount(endpoint: Endpoint) -> Self {
        Self(endpoint.into_service(MOUNT))
    }

    async fn send(&self, request: Request<String>) -> Answer {
        use tower::ServiceExt;

        let Ok(response) = self.0.clone().oneshot(request).await;
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// actix-web speaks `http` 0.2: requests and answers are carried across by their text.
#[cfg(feature = "actix")]
pub(crate) mod actix {
    use actix_web::body::MessageBody;
    use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
    use actix_web::{App, test};
    use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};

    use super::Answer;

    /// Sends `request` through `app` with actix-web's test utilities.
    pub(crate) async fn send<T, B>(app: App<T>, request: Request<String>) -> Answer
    where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
        T::Future: 'static,
        B: MessageBody,
    {
        let app = test::init_service(app).await;
        let (parts, body) = request.into_parts();
        let method = actix_web::http::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
        let mut actix_request = test::TestRequest::default()
            .method(method)
            .uri(&parts.uri.to_string())
            .set_payload(body);
        for (name, value) in &parts.headers {
            actix_request = actix_request.append_header((name.as_str(), value.as_bytes()));
        }
        let response = test::call_service(&app, actix_request.to_request()).await;
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let headers: HeaderMap = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                    HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                )
            })
            .collect();
        let body = test::read_body(response).await;
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }
}
