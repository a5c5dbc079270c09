//! A URL answers as expected: [`HttpEndpoint`].

use std::borrow::Cow;
use std::fmt;

use http::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};
use http::{StatusCode, Uri};

use super::InvalidUrl;
use super::http_client::{HttpClient, check_scheme, parse_url, read_body};
use crate::redact::redact_url;
use crate::{CheckError, CheckResult, HealthCheck};

/// The most body the check reads when it looks for a substring.
const MAX_BODY: usize = 1 << 20;

/// Checks that `GET url` answers with an expected status and, optionally, a body that
/// contains a given text. Named `HttpEndpoint`.
///
/// By default any `2xx` passes, redirects are not followed (a `3xx` fails, naming where
/// it points) and the runner's timeout bounds the whole exchange. Every run opens a
/// fresh connection.
///
/// ```
/// use healthz::checks::HttpEndpoint;
/// use healthz::{CheckOptions, Registry};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let search = HttpEndpoint::new("http://search.internal:9200/_cluster/health")?
///     .expect_status(200)
///     .body_contains("\"status\":\"green\"");
/// let registry = Registry::builder()
///     .check_with(search, CheckOptions::new().name("HttpEndpoint[search]"))
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
///
/// Plain `http` always works; `https` needs the `rustls` feature (trusting the
/// system's store and the bundled web roots, with the options of
/// [`tls`](HttpEndpoint::tls)), and without it [`new`](HttpEndpoint::new) refuses an
/// `https` URL. Requests go through the proxy the environment names
/// (`HTTPS_PROXY`…), unless [`proxy`](HttpEndpoint::proxy) or
/// [`no_proxy`](HttpEndpoint::no_proxy) says otherwise.
#[derive(Clone)]
pub struct HttpEndpoint {
    url: Uri,
    expected: Expected,
    body_contains: Option<String>,
    max_redirects: usize,
    headers: HeaderMap,
    bearer_token: Option<String>,
    client: HttpClient,
}

/// Which statuses pass.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Success,
    Codes(Vec<u16>),
}

impl Expected {
    fn matches(&self, status: StatusCode) -> bool {
        match self {
            Self::Success => status.is_success(),
            Self::Codes(codes) => codes.contains(&status.as_u16()),
        }
    }
}

impl fmt::Display for Expected {
    /// `2xx`, `200`, `200 or 204`, `200, 204 or 301`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Success => f.write_str("2xx"),
            Self::Codes(codes) => {
                for (i, code) in codes.iter().enumerate() {
                    let separator = match i {
                        0 => "",
                        _ if i + 1 == codes.len() => " or ",
                        _ => ", ",
                    };
                    write!(f, "{separator}{code}")?;
                }
                Ok(())
            }
        }
    }
}

impl HttpEndpoint {
    /// Checks `url` (`http://…`, or `https://…` with the `rustls` feature). Building the
    /// check never touches the network.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the URL does not parse, has no host, holds
    /// credentials (use [`bearer_token`](Self::bearer_token)) or uses a scheme the
    /// client cannot speak.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        Ok(Self {
            url: parse_url(url)?,
            expected: Expected::Success,
            body_contains: None,
            max_redirects: 0,
            headers: HeaderMap::new(),
            bearer_token: None,
            client: HttpClient::new(),
        })
    }

    /// Passes on exactly this status code instead of any `2xx`.
    #[must_use]
    pub fn expect_status(self, code: u16) -> Self {
        self.expect_statuses([code])
    }

    /// Passes on any of these status codes instead of any `2xx`.
    #[must_use]
    pub fn expect_statuses(mut self, codes: impl IntoIterator<Item = u16>) -> Self {
        let codes: Vec<u16> = codes.into_iter().collect();
        self.expected = if codes.is_empty() {
            Expected::Success
        } else {
            Expected::Codes(codes)
        };
        self
    }

    /// Also requires the body to contain `text` (the first MiB is read).
    #[must_use]
    pub fn body_contains(mut self, text: impl Into<String>) -> Self {
        self.body_contains = Some(text.into());
        self
    }

    /// Follows up to `limit` redirects (`0`, the default, follows none).
    #[must_use]
    pub fn follow_redirects(mut self, limit: usize) -> Self {
        self.max_redirects = limit;
        self
    }

    /// Sends the header `name: value` (call again for more; a second value of a name is
    /// sent as a second line of it). Like the bearer token, the headers go only to the
    /// URL's origin, since they may carry credentials: a followed redirect to another
    /// scheme, host or port drops them. Their values never show in `Debug` output.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sends `Authorization: Bearer <token>`. The token never shows in `Debug` output
    /// or messages, and goes only to the URL's origin: a followed redirect to another
    /// scheme, host or port drops it for the rest of the chain.
    #[must_use]
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// The TLS options of an `https` URL: how the server's certificate is verified, a
    /// CA bundle to trust besides the system's and the bundled web roots, a client
    /// certificate for mutual TLS. `verify-full` with no client certificate unless set.
    ///
    /// ```
    /// use healthz::checks::{HttpEndpoint, Tls};
    ///
    /// let check = HttpEndpoint::new("https://search.internal:9200/_cluster/health")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/private-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(mut self, tls: super::Tls) -> Self {
        self.client = self.client.with_tls(tls);
        self
    }

    super::http_client::proxy_options!();

    fn shown(url: &Uri) -> String {
        redact_url(&url.to_string())
    }
}

impl fmt::Debug for HttpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpEndpoint")
            .field("url", &Self::shown(&self.url))
            .field("expected", &self.expected.to_string())
            .field("body_contains", &self.body_contains)
            .field("max_redirects", &self.max_redirects)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl HealthCheck for HttpEndpoint {
    async fn check(&self) -> CheckResult {
        let mut url = self.url.clone();
        let mut redirects = 0;
        // The token and the headers are for the configured URL's origin only: once a
        // redirect leaves it, the rest of the chain goes without, as curl and reqwest
        // do, so that a `302` to another host cannot collect them.
        let mut token = self.bearer_token.as_deref();
        let no_headers = HeaderMap::new();
        let mut headers = &self.headers;
        let response = loop {
            let response = self.client.get(&url, None, headers, token).await?;
            let location = response
                .status()
                .is_redirection()
                .then(|| response.headers().get(LOCATION))
                .flatten()
                .and_then(|value| value.to_str().ok());
            match location {
                Some(location) if self.max_redirects > 0 => {
                    if redirects == self.max_redirects {
                        return Err(CheckError::unexpected_result(format!(
                            "more than {} redirects from {}",
                            self.max_redirects,
                            Self::shown(&self.url)
                        )));
                    }
                    let next = follow(&url, location)?;
                    if !same_origin(&url, &next) {
                        token = None;
                        headers = &no_headers;
                    }
                    url = next;
                    redirects += 1;
                }
                Some(location) if !self.expected.matches(response.status()) => {
                    return Err(CheckError::unexpected_result(format!(
                        "expected {}, got {} (a redirect to {}, not followed)",
                        self.expected,
                        response.status().as_u16(),
                        redact_url(location)
                    )));
                }
                _ => break response,
            }
        };
        let status = response.status();
        if !self.expected.matches(status) {
            return Err(CheckError::unexpected_result(format!(
                "expected {}, got {}",
                self.expected,
                status.as_u16()
            )));
        }
        if let Some(text) = &self.body_contains {
            let body = read_body(response.into_body(), MAX_BODY).await?;
            if !contains(&body, text.as_bytes()) {
                return Err(CheckError::unexpected_result(format!(
                    "the body of {} does not contain {text:?}",
                    Self::shown(&url)
                )));
            }
        }
        Ok(())
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("HttpEndpoint")
    }
}

/// The URL a redirect points to, resolved against the one that answered it.
fn follow(base: &Uri, location: &str) -> Result<Uri, CheckError> {
    let next = resolve(base, location).ok_or_else(|| {
        CheckError::unexpected_result(format!(
            "cannot follow the redirect to {}",
            redact_url(location)
        ))
    })?;
    check_scheme(&next).map_err(|why| {
        CheckError::unavailable(format!(
            "cannot follow the redirect to {}: {why}",
            redact_url(location)
        ))
    })?;
    Ok(next)
}

/// Whether two URLs share scheme, host and port (a missing port being the scheme's
/// default), the origin that a bearer token is sent to.
fn same_origin(a: &Uri, b: &Uri) -> bool {
    fn port(uri: &Uri) -> Option<u16> {
        uri.port_u16().or(match uri.scheme_str() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        })
    }
    let scheme = |uri: &Uri| uri.scheme_str().map(str::to_ascii_lowercase);
    scheme(a) == scheme(b)
        && a.host()
            .zip(b.host())
            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        && port(a) == port(b)
}

/// Resolves a `Location` value: absolute, scheme-relative (`//host/p`), absolute-path
/// (`/p`) or relative (`p`, against the base's directory).
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    if let Ok(uri) = location.parse::<Uri>()
        && uri.scheme().is_some()
    {
        return Some(uri);
    }
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    let joined = if location.starts_with("//") {
        format!("{scheme}:{location}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.path();
        let dir = path.rfind('/').map_or("/", |end| &path[..=end]);
        format!("{scheme}://{authority}{dir}{location}")
    };
    joined.parse().ok()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_statuses_read_naturally() {
        assert_eq!(Expected::Success.to_string(), "2xx");
        assert_eq!(Expected::Codes(vec![204]).to_string(), "204");
        assert_eq!(Expected::Codes(vec![200, 204]).to_string(), "200 or 204");
        assert_eq!(
            Expected::Codes(vec![200, 204, 301]).to_string(),
            "200, 204 or 301"
        );
        assert!(Expected::Success.matches(StatusCode::NO_CONTENT));
        assert!(!Expected::Success.matches(StatusCode::FOUND));
        assert!(Expected::Codes(vec![503]).matches(StatusCode::SERVICE_UNAVAILABLE));
    }

    #[test]
    fn redirects_resolve_against_the_answering_url() {
        let base: Uri = "http://a.test:8080/x/y?q=1".parse().unwrap();
        let cases = [
            ("http://b.test/z", "http://b.test/z"),
            ("//c.test/w", "http://c.test/w"),
            ("/login?next=%2F", "http://a.test:8080/login?next=%2F"),
            ("z", "http://a.test:8080/x/z"),
        ];
        for (location, expected) in cases {
            assert_eq!(
                resolve(&base, location).unwrap().to_string(),
                expected,
                "{location}"
            );
        }
        let root: Uri = "http://a.test".parse().unwrap();
        assert_eq!(resolve(&root, "z").unwrap().to_string(), "http://a.test/z");
    }

    #[test]
    fn origins_compare_scheme_host_and_effective_port() {
        let uri = |text: &str| text.parse::<Uri>().unwrap();
        let a = uri("http://a.test/x");
        assert!(same_origin(&a, &uri("http://A.TEST:80/y?z")));
        assert!(same_origin(
            &uri("https://a.test/"),
            &uri("HTTPS://a.test:443/")
        ));
        assert!(!same_origin(&a, &uri("https://a.test/x")));
        assert!(!same_origin(&a, &uri("http://b.test/x")));
        assert!(!same_origin(&a, &uri("http://a.test:8080/x")));
        assert!(!same_origin(&a, &uri("http://a.test.evil/x")));
    }

    #[test]
    fn urls_are_validated_and_shown_redacted() {
        assert!(HttpEndpoint::new("http://127.0.0.1:8080/health").is_ok());
        let error = HttpEndpoint::new("ftp://files.test/").unwrap_err();
        assert!(error.reason.contains("not http or https"), "{error}");
        let error = HttpEndpoint::new("http://user:hunter2@a.test/").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(HttpEndpoint::new("not a url").is_err());
        #[cfg(not(feature = "rustls"))]
        assert!(
            HttpEndpoint::new("https://a.test/")
                .unwrap_err()
                .reason
                .contains("rustls")
        );
        #[cfg(feature = "rustls")]
        assert!(HttpEndpoint::new("https://a.test/").is_ok());
    }

    #[test]
    fn debug_hides_the_token_and_secret_query_parameters() {
        let check = HttpEndpoint::new("http://a.test/health?token=abc123")
            .unwrap()
            .bearer_token("s3cr3t-token");
        let debug = format!("{check:?}");
        assert!(!debug.contains("s3cr3t-token"), "{debug}");
        assert!(!debug.contains("abc123"), "{debug}");
    }

    #[test]
    fn substring_search_works_on_bytes() {
        assert!(contains(b"hello world", b"o w"));
        assert!(!contains(b"hello", b"hello!"));
        assert!(contains(b"", b""));
    }
}
