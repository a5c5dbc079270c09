//! The HTTP/1 client shared by the `http`, `remote` and `s3` checks: hyper-util's
//! client over Tokio, with HTTPS through rustls when the `rustls` feature is on, and
//! through an HTTP proxy when one is set or the environment names one.
//!
//! hyper is the HTTP implementation the rest of the tree (axum) already builds, so the
//! client costs a few small crates where reqwest would add its own stack; redirects,
//! the one thing it does not do, are a short loop in [`super::http`].

mod dial;
mod proxy;

use std::error::Error as StdError;
use std::fmt;

use http::header::{
    ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, PROXY_AUTHORIZATION, USER_AGENT,
};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use self::dial::Dialer;
pub(crate) use self::proxy::Proxies;
use self::proxy::ProxyError;
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
type Connector = hyper_rustls::HttpsConnector<Dialer>;
#[cfg(not(feature = "rustls"))]
type Connector = Dialer;

/// The proxy builders of the checks on [`HttpClient`] (`proxy`, `no_proxy`), inside
/// their `impl` block; the check keeps its client in a field named `client`.
macro_rules! proxy_options {
    () => {
        /// Sends every request through the HTTP proxy at `url`
        /// (`http://[user:password@]host:port`), whatever the environment says:
        /// `https` through a `CONNECT` tunnel, `http` forwarded by the proxy.
        /// Credentials in the URL go as `Proxy-Authorization: Basic` and never show in
        /// messages.
        ///
        /// Unless set, the proxy is the one the environment names when the check is
        /// built, as curl reads it: `https_proxy`/`HTTPS_PROXY` for `https` URLs,
        /// `http_proxy`/`HTTP_PROXY` for `http` ones, except for the hosts, domains and
        /// networks in `no_proxy`/`NO_PROXY`.
        ///
        /// # Errors
        ///
        /// Returns [`InvalidUrl`](crate::checks::InvalidUrl) when `url` does not parse,
        /// is not `http` or has no host.
        pub fn proxy(mut self, url: &str) -> Result<Self, $crate::checks::InvalidUrl> {
            self.client = self
                .client
                .with_proxies($crate::checks::http_client::Proxies::only(url)?);
            Ok(self)
        }

        /// Sends every request straight to the server, whatever proxy the environment
        /// names.
        #[must_use]
        pub fn no_proxy(mut self) -> Self {
            self.client = self
                .client
                .with_proxies($crate::checks::http_client::Proxies::none());
            self
        }
    };
}
pub(crate) use proxy_options;

/// A client that opens a fresh connection for every request, through the proxy its
/// rules route the request to, with its TLS options.
///
/// Pooling is off on purpose: a health check should see what a new client sees (name
/// resolution, connect, TLS handshake), and no idle connection outlives a check. The
/// TLS files are read for every request, so a renewed certificate is picked up.
#[derive(Clone)]
pub(crate) struct HttpClient {
    proxies: Proxies,
    #[cfg(feature = "rustls")]
    tls: super::Tls,
}

impl HttpClient {
    /// A client with the process environment's proxies and the default TLS options.
    pub(crate) fn new() -> Self {
        Self {
            proxies: Proxies::from_process_env(),
            #[cfg(feature = "rustls")]
            tls: super::Tls::new(),
        }
    }

    /// The same client with these proxy rules instead.
    pub(crate) fn with_proxies(mut self, proxies: Proxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// The same client with these TLS options instead.
    #[cfg(feature = "rustls")]
    pub(crate) fn with_tls(mut self, tls: super::Tls) -> Self {
        self.tls = tls;
        self
    }

    fn client(&self) -> Result<Client<Connector, Full<Bytes>>, RequestError> {
        let dialer = Dialer::new(self.proxies.clone());
        #[cfg(feature = "rustls")]
        let connector = {
            let config = self.tls.client_config().map_err(|error| RequestError {
                message: error.to_string(),
                whole: true,
                source: None,
            })?;
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(std::sync::Arc::unwrap_or_clone(config))
                .https_or_http()
                .enable_http1()
                .wrap_connector(dialer)
        };
        #[cfg(not(feature = "rustls"))]
        let connector = dialer;
        Ok(Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .pool_timer(TokioTimer::new())
            .build(connector))
    }

    /// Sends one request. The runner's timeout bounds it: dropping the future closes
    /// the connection.
    pub(crate) async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, RequestError> {
        let client = self.client()?;
        // An `http` request through a proxy goes to the proxy itself, which wants its
        // credentials on every request; an `https` one goes through a tunnel, which got
        // them when it was opened.
        let forwarded_by = self
            .proxies
            .route(request.uri())
            .filter(|_| request.uri().scheme_str() == Some("http"));
        if let Some(credentials) = forwarded_by.as_ref().and_then(|proxy| proxy.basic_auth()) {
            request
                .headers_mut()
                .insert(PROXY_AUTHORIZATION, credentials.clone());
        }
        let https = request.uri().scheme_str() == Some("https");
        let response = client
            .request(request)
            .await
            .map_err(|error| self.failure(error, https))?;
        match forwarded_by {
            Some(proxy) if response.status() == StatusCode::PROXY_AUTHENTICATION_REQUIRED => {
                Err(RequestError::proxy(&ProxyError::authentication(&proxy)))
            }
            _ => Ok(response),
        }
    }

    /// Why a request got no answer: a TLS or proxy failure in their own terms, else
    /// the client's error as a phrase.
    fn failure(&self, error: hyper_util::client::legacy::Error, https: bool) -> RequestError {
        let (message, whole) = match self.tls_or_proxy_failure(&error, https) {
            Some(message) => (message, true),
            None => (describe(&error), false),
        };
        RequestError {
            message,
            whole,
            source: Some(error.into()),
        }
    }

    /// The TLS failure (`TLS: client certificate required`) or the proxy's
    /// (`proxy 127.0.0.1:3128: connection refused`) in `error`, if any.
    fn tls_or_proxy_failure(
        &self,
        error: &hyper_util::client::legacy::Error,
        https: bool,
    ) -> Option<String> {
        #[cfg(feature = "rustls")]
        if let Some(message) = self.tls.describe_failure(error) {
            return Some(message);
        }
        let mut current = error.source();
        while let Some(source) = current {
            if let Some(proxy) = source.downcast_ref::<ProxyError>() {
                return Some(proxy.to_string());
            }
            // A server that closes the connection on a TLS handshake's first message
            // does not speak TLS on that port; the handshake is part of connecting.
            #[cfg(feature = "rustls")]
            if let Some(io) = source.downcast_ref::<std::io::Error>()
                && https
                && error.is_connect()
                && io.kind() == std::io::ErrorKind::UnexpectedEof
            {
                return Some(super::tls::describe_handshake(io));
            }
            current = source.source();
        }
        #[cfg(not(feature = "rustls"))]
        let _ = https;
        None
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

/// Why a request got no answer, as a message: `connection refused`, `TLS: certificate
/// not trusted (unknown issuer)`, `proxy 127.0.0.1:3128: connection refused`.
#[derive(Debug)]
pub(crate) struct RequestError {
    message: String,
    /// Whether the message says it all (a TLS or proxy failure), rather than why the
    /// server could not be reached.
    whole: bool,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl RequestError {
    /// A proxy's failure, which says it all.
    fn proxy(error: &ProxyError) -> Self {
        Self {
            message: error.to_string(),
            whole: true,
            source: None,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for RequestError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|error| error as _)
    }
}

/// `unavailable: cannot reach <what>: <why>`, or the TLS or proxy failure on its own:
/// `unavailable: TLS: certificate expired 3 days ago`.
pub(crate) fn unreachable(what: &str, error: RequestError) -> CheckError {
    let message = if error.whole {
        error.message.clone()
    } else {
        format!("cannot reach {what}: {}", error.message)
    };
    CheckError::unavailable(message).with_source(error)
}

/// A client error as a short lower-case phrase: `connection refused`, `the connection
/// closed before a complete answer`…
fn describe(error: &hyper_util::client::legacy::Error) -> String {
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
