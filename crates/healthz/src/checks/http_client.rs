//! The HTTP/1 client shared by the `http`, `remote` and `s3` checks: hyper-util's
//! client over Tokio, with HTTPS through rustls when the `rustls` feature is on.
//!
//! hyper is the HTTP implementation the rest of the tree (axum) already builds, so the
//! client costs a few small crates where reqwest would add its own stack; redirects,
//! the one thing it does not do, are a short loop in [`super::http`].

use std::error::Error as StdError;

use http::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::InvalidUrl;
use super::{describe_io, lower_first};
use crate::CheckError;
use crate::redact::redact_url;

/// The `User-Agent` of every request, so a backend's logs tell health checks apart.
const AGENT: &str = concat!("healthz/", env!("CARGO_PKG_VERSION"));

/// Why an `https` URL is refused when the `rustls` feature is off.
#[cfg(not(feature = "rustls"))]
pub(crate) const HTTPS_NEEDS_RUSTLS: &str = "https needs the `rustls` feature of healthz";

#[cfg(feature = "rustls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "rustls"))]
type Connector = HttpConnector;

/// A client that opens a fresh connection for every request.
///
/// Pooling is off on purpose: a health check should see what a new client sees (name
/// resolution, connect, TLS handshake), and no idle connection outlives a check.
#[derive(Clone)]
pub(crate) struct HttpClient(Client<Connector, Full<Bytes>>);

impl HttpClient {
    pub(crate) fn new() -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        #[cfg(feature = "rustls")]
        let connector = {
            http.enforce_http(false);
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
                .expect("ring supports rustls' default protocol versions")
                .https_or_http()
                .enable_http1()
                .wrap_connector(http)
        };
        #[cfg(not(feature = "rustls"))]
        let connector = http;
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Self(client)
    }

    /// Sends one request. The runner's timeout bounds it: dropping the future closes
    /// the connection.
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        self.0.request(request).await
    }

    /// `GET url`, with an `Accept` header, `headers` (which replace those of the same
    /// name) and a bearer token when given.
    #[cfg_attr(not(any(feature = "http", feature = "remote")), allow(dead_code))]
    pub(crate) async fn get(
        &self,
        url: &Uri,
        accept: Option<&'static str>,
        headers: &HeaderMap,
        bearer_token: Option<&str>,
    ) -> Result<Response<Incoming>, CheckError> {
        let mut request = request(Method::GET, url.clone(), Bytes::new());
        if let Some(accept) = accept {
            request
                .headers_mut()
                .insert(ACCEPT, HeaderValue::from_static(accept));
        }
        request.headers_mut().extend(headers.clone());
        if let Some(token) = bearer_token {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                CheckError::unavailable("the bearer token holds characters a header cannot carry")
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        self.send(request)
            .await
            .map_err(|e| unreachable(&redact_url(&url.to_string()), e))
    }
}

/// A request with our `User-Agent`.
pub(crate) fn request(method: Method, url: Uri, body: Bytes) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = url;
    request
        .headers_mut()
        .insert(USER_AGENT, HeaderValue::from_static(AGENT));
    request
}

/// `unavailable: cannot reach <what>: <why>`.
pub(crate) fn unreachable(what: &str, error: hyper_util::client::legacy::Error) -> CheckError {
    CheckError::unavailable(format!("cannot reach {what}: {}", describe(&error))).with_source(error)
}

/// A client error as a short lower-case phrase: `connection refused`, `the connection
/// closed before a complete answer`…
pub(crate) fn describe(error: &hyper_util::client::legacy::Error) -> String {
    let mut deepest: Option<&(dyn StdError + 'static)> = None;
    let mut source = error.source();
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return describe_io(io);
        }
        if let Some(hyper) = current.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() {
                return "the connection closed before a complete answer".to_owned();
            }
            if hyper.is_parse() {
                return "the answer is not HTTP/1".to_owned();
            }
        }
        deepest = Some(current);
        source = current.source();
    }
    let text = deepest.map_or_else(|| error.to_string(), ToString::to_string);
    lower_first(&text)
}

/// Reads a body of at most `limit` bytes.
pub(crate) async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, CheckError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(CheckError::unexpected_result(
            format!("the body is larger than {}", human_size(limit)),
        )),
        Err(error) => {
            let why = match error.downcast_ref::<hyper::Error>() {
                Some(e) if e.is_incomplete_message() => {
                    "the connection closed before the body ended".to_owned()
                }
                _ => lower_first(&error.to_string()),
            };
            Err(CheckError::unavailable(format!("cannot read the body: {why}")).with_source(error))
        }
    }
}

/// `1048576` → `1 MiB`.
fn human_size(bytes: usize) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Parses the URL of an HTTP check: `http` or `https` (with the `rustls` feature), a
/// host, and no credentials in it (they would travel in clear and show in logs).
#[cfg_attr(not(any(feature = "http", feature = "remote")), allow(dead_code))]
pub(crate) fn parse_url(url: &str) -> Result<Uri, InvalidUrl> {
    let uri: Uri = url.parse().map_err(|e| InvalidUrl::new(url, e))?;
    check_scheme(&uri).map_err(|reason| InvalidUrl::new(url, reason))?;
    match uri.authority() {
        None => Err(InvalidUrl::new(url, "it has no host")),
        Some(authority) if authority.as_str().contains('@') => Err(InvalidUrl::new(
            url,
            "credentials in the URL are not supported; use a bearer token",
        )),
        Some(_) => Ok(uri),
    }
}

/// `Ok` for a scheme the client speaks, else why not.
#[cfg_attr(not(any(feature = "http", feature = "remote")), allow(dead_code))]
pub(crate) fn check_scheme(uri: &Uri) -> Result<(), String> {
    match uri.scheme_str() {
        Some("http") => Ok(()),
        #[cfg(feature = "rustls")]
        Some("https") => Ok(()),
        #[cfg(not(feature = "rustls"))]
        Some("https") => Err(HTTPS_NEEDS_RUSTLS.to_owned()),
        Some(other) => Err(format!("the scheme is `{other}`, not http or https")),
        None => Err("it has no scheme (http:// or https://)".to_owned()),
    }
}
