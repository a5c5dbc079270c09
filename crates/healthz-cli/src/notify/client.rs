//! The HTTP client that posts notifications: [`Client`], hyper's over Tokio with HTTPS
//! through rustls and the webpki roots, the stack the library's HTTP checks use.

use std::error::Error as StdError;

use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::target::Target;

/// The `User-Agent` of every notification, so a receiver's logs tell where they come
/// from.
const AGENT: &str = concat!("healthz/", env!("CARGO_PKG_VERSION"));

/// A client shared by every target; cheap to clone.
#[derive(Clone)]
pub(super) struct Client(
    hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
);

impl Client {
    /// A client for `http` and `https` URLs.
    pub(super) fn new() -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring supports rustls' default protocol versions")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Self(
            hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .pool_timer(TokioTimer::new())
                .build(connector),
        )
    }

    /// POSTs `body`, JSON, to `target` and returns the answer's status; the caller
    /// bounds the time it takes. The answer's body is not read: the status says it all.
    ///
    /// # Errors
    ///
    /// Returns why no answer came, in a few words (`connection refused`).
    pub(super) async fn post(&self, target: &Target, body: Bytes) -> Result<StatusCode, String> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = target.url.clone();
        let headers = request.headers_mut();
        headers.insert(USER_AGENT, HeaderValue::from_static(AGENT));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(header) = &target.header {
            headers.insert(header.name.clone(), header.value.clone());
        }
        match self.0.request(request).await {
            Ok(response) => Ok(response.status()),
            Err(error) => Err(describe(&error)),
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Client")
    }
}

/// A client error in a few lower-case words, from the deepest error in its chain: an
/// I/O error (`connection refused`) or a TLS one, without the URL (a secret), which
/// hyper's errors do not quote.
fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut deepest = error;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    let text = deepest.to_string();
    // `Connection refused (os error 111)`: the number says nothing more.
    let text = text
        .find(" (os error")
        .map_or(text.as_str(), |end| &text[..end]);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "no answer".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_described_by_their_deepest_source() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let refused = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        );
        assert_eq!(describe(&Outer(refused)), "connection refused");
    }
}
