//! The endpoint contract, independent of any web framework: [`Endpoint::respond`] turns
//! a request's method, sub-path, query and headers into a complete response.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};

use super::auth::Tokens;
use super::negotiate::{NotAcceptable, negotiate};
use super::query::{Query, selection, status_only_selection};
use crate::registry::Registry;
use crate::render::{
    CONTENT_SECURITY_POLICY, CUSTOM_HTML_CONTENT_SECURITY_POLICY, Format, PageView, Renderer,
    Renderers, ServiceInfo, status_only, verbose,
};
use crate::report::{HealthStatus, Report};

/// The health endpoint: a registry plus how to answer over HTTP.
///
/// Framework integrations (`Endpoint::router` with the `axum` feature,
/// `Endpoint::actix_service` with `actix`, `Endpoint::into_service` with `tower`) call
/// [`respond`](Endpoint::respond); a custom integration can too.
#[derive(Clone)]
#[must_use]
pub struct Endpoint {
    registry: Registry,
    failure_status: StatusCode,
    degraded_status: StatusCode,
    max_age: Option<Duration>,
    renderers: Renderers,
    service: Arc<ServiceInfo>,
    /// The accepted bearer tokens; none means no authentication.
    tokens: Tokens,
    unauthorized: Unauthorized,
}

/// What an endpoint with [bearer tokens](Endpoint::bearer_tokens) answers a request
/// without a valid one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unauthorized {
    /// 403 with a one-line plain-text reason; no check runs.
    #[default]
    Forbidden,
    /// The checks run and the status code is the usual one, but the body carries only
    /// the overall status: `{"status":"healthy"}` in JSON, `status: healthy` in text,
    /// only the overall gauges in OpenMetrics, a page with one line in HTML. Custom
    /// renderers are not used for these bodies.
    StatusOnly,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("registry", &self.registry)
            .field("failure_status", &self.failure_status)
            .field("degraded_status", &self.degraded_status)
            .field("max_age", &self.max_age)
            // The tokens are secrets: only how many there are is shown.
            .field("tokens", &self.tokens.len())
            .field("unauthorized", &self.unauthorized)
            .finish_non_exhaustive()
    }
}

/// A status code that does not fit its use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}, not {status}")]
#[non_exhaustive]
pub struct InvalidStatus {
    /// The refused status.
    pub status: StatusCode,
    /// What it must be.
    pub rule: &'static str,
}

/// The request as the endpoint sees it.
#[derive(Debug, Clone, Copy)]
pub struct EndpointRequest<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The path below the endpoint's mount point: `""` or `"/"` for every check,
    /// `"/ready/"` for a group.
    pub sub_path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// The request headers.
    pub headers: &'a HeaderMap,
}

impl Endpoint {
    /// An endpoint for the registry: failures answer 500, degraded answers 200, nothing
    /// is cached.
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            failure_status: StatusCode::INTERNAL_SERVER_ERROR,
            degraded_status: StatusCode::OK,
            max_age: None,
            renderers: Renderers::default(),
            service: Arc::default(),
            tokens: Tokens::default(),
            unauthorized: Unauthorized::Forbidden,
        }
    }

    /// Requires `Authorization: Bearer <token>` with one of `tokens` (the scheme is
    /// case-insensitive, tokens are compared in constant time); what a request without
    /// a valid token gets is set by [`unauthorized`](Endpoint::unauthorized).
    ///
    /// Replaces the tokens set before; no tokens at all turns authentication off. An
    /// empty token matches no request. Every response then carries
    /// `Vary: Accept, Authorization`.
    pub fn bearer_tokens(mut self, tokens: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.tokens = Tokens::new(tokens);
        self
    }

    /// What a request without a valid bearer token gets ([`Unauthorized::Forbidden`]
    /// unless set); without [`bearer_tokens`](Endpoint::bearer_tokens) it has no effect.
    pub fn unauthorized(mut self, unauthorized: Unauthorized) -> Self {
        self.unauthorized = unauthorized;
        self
    }

    /// The status code when a critical check fails (500 unless set; 503 is common).
    ///
    /// # Errors
    ///
    /// Returns an [`InvalidStatus`] unless the status is 4xx or 5xx: a failure that
    /// answers 2xx would pass every load balancer's check.
    pub fn failure_status(mut self, status: StatusCode) -> Result<Self, InvalidStatus> {
        if !(status.is_client_error() || status.is_server_error()) {
            return Err(InvalidStatus {
                status,
                rule: "a failure status must be 4xx or 5xx",
            });
        }
        self.failure_status = status;
        Ok(self)
    }

    /// The status code when the report is degraded: a warning or a failed non-critical
    /// check (200 unless set).
    ///
    /// # Errors
    ///
    /// Returns an [`InvalidStatus`] unless the status is 2xx or 3xx: a degraded service
    /// still serves, and the health+json draft reads any other status as a failure.
    pub fn degraded_status(mut self, status: StatusCode) -> Result<Self, InvalidStatus> {
        if !(status.is_success() || status.is_redirection()) {
            return Err(InvalidStatus {
                status,
                rule: "a degraded status must be 2xx or 3xx (the service still serves)",
            });
        }
        self.degraded_status = status;
        Ok(self)
    }

    /// Describes the service in `application/health+json` (its `version`,
    /// `releaseId`, `serviceId` and `description`).
    pub fn service(mut self, service: ServiceInfo) -> Self {
        self.service = Arc::new(service);
        self
    }

    /// Lets clients and proxies cache healthy and degraded responses for this long
    /// (`Cache-Control: max-age=…` instead of `no-store`); failures and errors are never
    /// cached, so that a recovery shows at once.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Replaces the built-in renderer of one format.
    pub fn renderer(mut self, format: Format, renderer: impl Renderer) -> Self {
        self.renderers.set(format, Arc::new(renderer));
        self
    }

    /// The registry behind the endpoint.
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The status code for a report's status (the metrics formats aside, which always
    /// answer 200).
    #[must_use]
    pub fn status_code(&self, status: HealthStatus) -> StatusCode {
        match status {
            HealthStatus::Healthy => StatusCode::OK,
            HealthStatus::Degraded => self.degraded_status,
            HealthStatus::Unhealthy => self.failure_status,
        }
    }

    /// Answers one request, running the selected checks.
    ///
    /// Bad requests get a 4xx with a one-line plain-text reason: 405 for methods other
    /// than GET and HEAD, 404 for an unknown group or check, 406 for an unknown format
    /// or an `Accept` header that matches no format. A HEAD response has the headers of
    /// the GET response and no body.
    ///
    /// With [bearer tokens](Endpoint::bearer_tokens), a request without a valid one is
    /// answered as [`Unauthorized`] says, before its sub-path and query are looked at, so
    /// that a 404 tells such a client nothing about the checks.
    pub async fn respond(&self, request: EndpointRequest<'_>) -> Response<String> {
        let response = self.respond_with_body(request).await;
        without_body_for_head(request.method, response)
    }

    /// A 404 for a request outside the mount point at `prefix`, for an integration that
    /// sees every path of a server (the tower service).
    #[cfg(feature = "tower")]
    pub(super) fn outside(&self, method: &Method, prefix: &str) -> Response<String> {
        let reason = format!("no such path; the health endpoint is at `{prefix}/`");
        without_body_for_head(method, self.plain(StatusCode::NOT_FOUND, &reason))
    }

    async fn respond_with_body(&self, request: EndpointRequest<'_>) -> Response<String> {
        if request.method != Method::GET && request.method != Method::HEAD {
            let mut response = self.plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed; use GET or HEAD",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let authorized = self.tokens.authorize(request.headers);
        if !authorized && self.unauthorized == Unauthorized::Forbidden {
            return self.plain(
                StatusCode::FORBIDDEN,
                "forbidden; send `Authorization: Bearer <token>` with a valid token",
            );
        }
        let query = Query::parse(request.query.unwrap_or(""));
        let selection = if authorized {
            match selection(request.sub_path, &query) {
                Ok(selection) => selection,
                Err(reason) => return self.not_found(&reason),
            }
        } else {
            // A client that may not see the checks may not learn their names either: it
            // gets a well-known group, or every check, whatever else it asks for.
            status_only_selection(request.sub_path)
        };
        let accept = accept_header(request.headers);
        let format = match negotiate(query.format.as_deref(), accept.as_deref()) {
            Ok(format) => format,
            Err(error) => return self.plain(StatusCode::NOT_ACCEPTABLE, &not_acceptable(&error)),
        };
        let report = match self.registry.run(&selection).await {
            Ok(report) => report,
            Err(error) => return self.not_found(&error.to_string()),
        };
        match (authorized, query.verbose) {
            (true, true) => self.verbose_response(&report),
            (true, false) => {
                let view = query.page_view(Arc::clone(&self.service));
                self.report_response(format, &report, &view)
            }
            (false, _) => self.status_only_response(format, report.status()),
        }
    }

    /// A 404 with its reason, for a client that may see the checks.
    fn not_found(&self, reason: &str) -> Response<String> {
        self.plain(StatusCode::NOT_FOUND, reason)
    }

    /// The overall status alone, for [`Unauthorized::StatusOnly`].
    fn status_only_response(&self, format: Format, status: HealthStatus) -> Response<String> {
        let code = match format {
            format if format.is_metrics() => StatusCode::OK,
            _ => self.status_code(status),
        };
        let body = status_only::render(format, status);
        let cacheable = status != HealthStatus::Unhealthy;
        let mut response = self.response(code, format.content_type(), body, cacheable);
        if format == Format::Html {
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
        }
        response
    }

    /// The Kubernetes API server's text style, for `?verbose`.
    fn verbose_response(&self, report: &Report) -> Response<String> {
        let status = self.status_code(report.status());
        let cacheable = report.status() != HealthStatus::Unhealthy;
        self.response(
            status,
            Format::Text.content_type(),
            verbose::render(report),
            cacheable,
        )
    }

    fn report_response(
        &self,
        format: Format,
        report: &Report,
        view: &PageView,
    ) -> Response<String> {
        let status = match format {
            // A scrape must succeed for Prometheus to see the failure in the gauges.
            format if format.is_metrics() => StatusCode::OK,
            _ => self.status_code(report.status()),
        };
        let body = self.renderers.render(format, report, view);
        let cacheable = report.status() != HealthStatus::Unhealthy;
        let mut response = self.response(status, format.content_type(), body, cacheable);
        if format == Format::Html {
            let policy = if self.renderers.is_custom(Format::Html) {
                CUSTOM_HTML_CONTENT_SECURITY_POLICY
            } else {
                CONTENT_SECURITY_POLICY
            };
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(policy),
            );
        }
        response
    }

    /// A one-line plain-text answer to a bad request.
    fn plain(&self, status: StatusCode, reason: &str) -> Response<String> {
        self.response(
            status,
            Format::Text.content_type(),
            format!("{reason}\n"),
            false,
        )
    }

    /// A response with the endpoint's headers; `cacheable` says whether it may carry
    /// the configured `max-age` (a working report, not a failure or an error).
    fn response(
        &self,
        status: StatusCode,
        content_type: &'static str,
        body: String,
        cacheable: bool,
    ) -> Response<String> {
        let cache_control = match self.max_age {
            Some(max_age) if cacheable => {
                HeaderValue::from_str(&format!("max-age={}", max_age.as_secs()))
                    .expect("a number is a valid header value")
            }
            _ => HeaderValue::from_static("no-store"),
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, cache_control);
        let vary = if self.tokens.is_empty() {
            "Accept"
        } else {
            "Accept, Authorization"
        };
        headers.insert(header::VARY, HeaderValue::from_static(vary));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

/// The response to a HEAD request: the headers of the GET response, `Content-Length`
/// included, and no body.
fn without_body_for_head(method: &Method, mut response: Response<String>) -> Response<String> {
    if method == Method::HEAD {
        let length = HeaderValue::from(response.body().len());
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, length);
        response.body_mut().clear();
    }
    response
}

/// Every `Accept` header joined into one list; a header that is not text is skipped.
fn accept_header(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn not_acceptable(error: &NotAcceptable) -> String {
    match error {
        NotAcceptable::UnknownFormat(_) => {
            let formats: Vec<_> = Format::ALL.iter().map(|f| f.param()).collect();
            format!("{error}; supported formats: {}", formats.join(", "))
        }
        NotAcceptable::NoMatch => {
            let types: Vec<String> = Format::ALL
                .iter()
                .map(|format| match format.version() {
                    Some(version) => format!("{};version={version}", format.media_type()),
                    None => format.media_type().to_owned(),
                })
                .collect();
            format!("{error}; supported media types: {}", types.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_does_not_show_the_tokens() {
        let registry = Registry::builder().build().unwrap();
        let endpoint = Endpoint::new(registry).bearer_tokens(["hunter2", "swordfish"]);
        let debug = format!("{endpoint:?}");
        assert!(debug.contains("tokens: 2"), "{debug}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("swordfish"),
            "{debug}"
        );
    }
}
