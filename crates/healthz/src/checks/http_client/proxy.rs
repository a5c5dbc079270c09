//! Which HTTP proxy the requests of a check go through: one given in code, none, or
//! the environment's `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, read as curl reads
//! them; and why a proxy gave no connection, in an operator's words.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use http::Uri;
use hyper_util::client::proxy::matcher::{Intercept, Matcher};

use crate::checks::{InvalidUrl, describe_io};

/// The proxy rules of a check: which requests go through which proxy.
#[derive(Clone)]
pub(crate) struct Proxies(Option<Arc<Matcher>>);

impl Proxies {
    /// No proxy: every request goes straight to its server.
    pub(crate) fn none() -> Self {
        Self(None)
    }

    /// The proxies of the process environment, as it is now.
    pub(crate) fn from_process_env() -> Self {
        Self::from_env(|name| std::env::var(name).ok())
    }

    /// The proxies that the environment `var` reads names, as curl reads them:
    /// `https_proxy` or `HTTPS_PROXY` for `https` URLs, `http_proxy` or `HTTP_PROXY`
    /// for `http` URLs (the lower-case name first), and `no_proxy` or `NO_PROXY`, a
    /// comma-separated list of hosts, domains (with their subdomains), IP addresses and
    /// networks reached directly (`*`: all of them). An empty variable is unset.
    pub(crate) fn from_env(var: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: [&str; 2]| {
            names
                .into_iter()
                .find_map(|name| var(name).filter(|value| !value.is_empty()))
        };
        let http = first(["http_proxy", "HTTP_PROXY"]);
        let https = first(["https_proxy", "HTTPS_PROXY"]);
        if http.is_none() && https.is_none() {
            return Self::none();
        }
        let matcher = Matcher::builder()
            .http(http.unwrap_or_default())
            .https(https.unwrap_or_default())
            .no(first(["no_proxy", "NO_PROXY"]).unwrap_or_default())
            .build();
        Self(Some(Arc::new(matcher)))
    }

    /// `url` (`http://[user:password@]host:port`) for every request, whatever the
    /// environment says.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when `url` does not parse, is not `http` or has no host.
    pub(crate) fn only(url: &str) -> Result<Self, InvalidUrl> {
        let uri: Uri = url.parse().map_err(|e| InvalidUrl::new(url, e))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(InvalidUrl::new(
                    url,
                    format!("the proxy's scheme is `{other}`; only http:// proxies are supported"),
                ));
            }
            None => return Err(InvalidUrl::new(url, "it has no scheme (http://)")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(InvalidUrl::new(url, "it has no host"));
        }
        Ok(Self(Some(Arc::new(Matcher::builder().all(url).build()))))
    }

    /// The proxy that a request to `url` goes through, if any.
    pub(crate) fn route(&self, url: &Uri) -> Option<Intercept> {
        self.0.as_ref()?.intercept(url)
    }
}

/// Why a proxy gave no connection; it names the proxy by its address only, never by
/// its credentials.
#[derive(Debug)]
pub(crate) struct ProxyError {
    /// `127.0.0.1:3128`.
    proxy: String,
    why: String,
}

impl ProxyError {
    /// A failure of `proxy`, `why` as a phrase.
    pub(crate) fn new(proxy: &Intercept, why: impl Into<String>) -> Self {
        Self {
            proxy: shown(proxy),
            why: why.into(),
        }
    }

    /// The connection to `proxy` failed with `error`.
    pub(crate) fn io(proxy: &Intercept, error: &std::io::Error) -> Self {
        Self::new(proxy, describe_io(error))
    }

    /// A proxy whose scheme the client does not speak (`socks5://` in `HTTPS_PROXY`).
    pub(crate) fn unsupported(proxy: &Intercept) -> Self {
        let scheme = proxy.uri().scheme_str().unwrap_or_default();
        Self::new(
            proxy,
            format!("`{scheme}` proxies are not supported, only http:// ones"),
        )
    }

    /// The `407` of a proxy that forwarded no request: without credentials in its URL
    /// it asks for some, with them it refused them.
    pub(crate) fn authentication(proxy: &Intercept) -> Self {
        let why = match proxy.basic_auth() {
            Some(_) => "it refused the credentials (407 Proxy Authentication Required)",
            None => {
                "it asks for credentials (407 Proxy Authentication Required); put them in the proxy URL"
            }
        };
        Self::new(proxy, why)
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy {}: {}", self.proxy, self.why)
    }
}

impl StdError for ProxyError {}

/// The proxy's host and port, without its credentials.
fn shown(proxy: &Intercept) -> String {
    proxy.uri().authority().map_or_else(
        || proxy.uri().to_string(),
        |authority| authority.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> Proxies {
        Proxies::from_env(|name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    fn route(proxies: &Proxies, url: &str) -> Option<String> {
        proxies
            .route(&url.parse().unwrap())
            .map(|proxy| proxy.uri().to_string())
    }

    #[test]
    fn each_scheme_has_its_variable_and_lower_case_wins() {
        let proxies = env(&[
            ("HTTPS_PROXY", "http://upper:3128"),
            ("https_proxy", "http://lower:3128"),
            ("HTTP_PROXY", "http://plain:8080"),
        ]);
        assert_eq!(
            route(&proxies, "https://a.test/").as_deref(),
            Some("http://lower:3128/")
        );
        assert_eq!(
            route(&proxies, "http://a.test/").as_deref(),
            Some("http://plain:8080/")
        );
        let only_https = env(&[("HTTPS_PROXY", "proxy.internal:3128")]);
        assert_eq!(route(&only_https, "http://a.test/"), None);
        assert_eq!(
            route(&only_https, "https://a.test/").as_deref(),
            Some("http://proxy.internal:3128/")
        );
    }

    #[test]
    fn no_proxy_lists_hosts_domains_and_networks_reached_directly() {
        let proxies = env(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", "localhost, .internal,10.0.0.0/8"),
        ]);
        for direct in [
            "https://localhost/",
            "https://db.internal/",
            "https://10.1.2.3:8443/",
        ] {
            assert_eq!(route(&proxies, direct), None, "{direct}");
        }
        assert!(route(&proxies, "https://example.com/").is_some());
        let everything = env(&[("https_proxy", "http://proxy:3128"), ("no_proxy", "*")]);
        assert_eq!(route(&everything, "https://example.com/"), None);
    }

    #[test]
    fn empty_variables_are_unset() {
        let proxies = env(&[("https_proxy", ""), ("HTTPS_PROXY", "http://proxy:3128")]);
        assert!(route(&proxies, "https://a.test/").is_some());
        assert!(route(&env(&[("HTTP_PROXY", "")]), "http://a.test/").is_none());
    }

    #[test]
    fn a_proxy_given_in_code_takes_every_request() {
        let proxies = Proxies::only("http://user:p%40ss@proxy:3128").unwrap();
        for url in ["http://a.test/", "https://localhost/"] {
            let proxy = proxies.route(&url.parse().unwrap()).unwrap();
            assert_eq!(proxy.uri().to_string(), "http://proxy:3128/");
            // `user:p@ss`, percent-decoded.
            assert_eq!(proxy.basic_auth().unwrap(), "Basic dXNlcjpwQHNz");
        }
    }

    #[test]
    fn a_proxy_given_in_code_must_be_an_http_url_and_its_password_stays_hidden() {
        for (url, reason) in [
            ("socks5://proxy:1080", "only http:// proxies are supported"),
            ("https://proxy:3128", "only http:// proxies are supported"),
            ("proxy:3128", "scheme"),
        ] {
            let error = Proxies::only(url).map(|_| ()).unwrap_err();
            assert!(error.to_string().contains(reason), "{url}: {error}");
        }
        let error = Proxies::only("ftp://user:hunter2@proxy:21")
            .map(|_| ())
            .unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn failures_name_the_proxy_without_its_credentials() {
        let proxies = Proxies::only("http://user:hunter2@proxy:3128").unwrap();
        let proxy = proxies.route(&"https://a.test/".parse().unwrap()).unwrap();
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let error = ProxyError::io(&proxy, &refused);
        assert_eq!(error.to_string(), "proxy proxy:3128: connection refused");
        assert_eq!(
            ProxyError::authentication(&proxy).to_string(),
            "proxy proxy:3128: it refused the credentials (407 Proxy Authentication Required)"
        );
    }
}
