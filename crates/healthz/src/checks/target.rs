//! The connection layer of the network checks: a target's URL parsed once, the same
//! way for every kind ([`Target`]: scheme allow-list, host and default port,
//! percent-decoded credentials, path and query, whether it means TLS, and the redacted
//! display), and [`InvalidUrl`], the error of a target a check cannot use.

use std::fmt;

use crate::redact::{Redactor, redact_url};
#[cfg(any(
    feature = "postgres",
    feature = "mysql",
    feature = "rabbitmq",
    feature = "nats",
    feature = "mqtt",
    feature = "memcached",
    feature = "redis",
    feature = "celery",
    feature = "tls"
))]
pub(crate) use parse::{Scheme, Target};

/// A connection URL that a check cannot use. Its text shows the URL redacted.
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// use healthz::checks::Postgres;
///
/// let error = Postgres::new("mysql://root:s3cr3t@db/test").unwrap_err();
/// assert!(!error.to_string().contains("s3cr3t"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid connection URL `{url}`: {reason}")]
#[non_exhaustive]
pub struct InvalidUrl {
    /// The URL, redacted.
    pub url: String,
    /// Why it cannot be used, redacted.
    pub reason: String,
}

impl InvalidUrl {
    /// An error about `url`; both the URL and the reason are redacted here.
    #[cfg_attr(
        not(any(
            feature = "postgres",
            feature = "mysql",
            feature = "redis",
            feature = "memcached",
            feature = "celery",
            feature = "tls",
            feature = "http",
            feature = "remote",
            feature = "s3"
        )),
        allow(dead_code)
    )]
    pub(crate) fn new(url: &str, reason: impl fmt::Display) -> Self {
        Self {
            url: redact_url(url),
            reason: Redactor::for_url(url).redact(&reason.to_string()),
        }
    }
}

#[cfg(any(
    feature = "postgres",
    feature = "mysql",
    feature = "rabbitmq",
    feature = "nats",
    feature = "mqtt",
    feature = "memcached",
    feature = "redis",
    feature = "celery",
    feature = "tls"
))]
// Each check uses its own part of a target, so a build with only some of them leaves
// parts unused; the build with every feature is the one that finds dead code.
#[cfg_attr(not(feature = "full"), allow(dead_code))]
mod parse {
    use std::borrow::Cow;

    use percent_encoding::percent_decode_str;

    use super::InvalidUrl;
    use crate::Secret;
    use crate::redact::{Redactor, redact_url};

    /// A scheme a check accepts: its name, the port when the URL names none, whether
    /// it means TLS (`amqps`, `tls`, `mqtts`, `rediss`), and whether a URL may name no
    /// host.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Scheme {
        pub(crate) name: &'static str,
        pub(crate) default_port: u16,
        pub(crate) tls: bool,
        pub(crate) hostless: bool,
    }

    impl Scheme {
        /// A plain scheme.
        pub(crate) const fn plain(name: &'static str, default_port: u16) -> Self {
            Self {
                name,
                default_port,
                tls: false,
                hostless: false,
            }
        }

        /// A scheme that means TLS.
        pub(crate) const fn tls(name: &'static str, default_port: u16) -> Self {
            Self {
                name,
                default_port,
                tls: true,
                hostless: false,
            }
        }

        /// The same scheme, also taking a URL that names no host (libpq's
        /// `postgres:///db`), whose host the client library chooses: the target's
        /// host is then empty.
        pub(crate) const fn or_no_host(self) -> Self {
            Self {
                hostless: true,
                ..self
            }
        }
    }

    /// A network check's target, parsed from its URL. The password is a [`Secret`];
    /// `Debug` and [`display`](Target::display) show the URL redacted.
    #[derive(Debug, Clone)]
    pub(crate) struct Target {
        /// The scheme it matched, which says the default port and whether it is TLS.
        pub(crate) scheme: Scheme,
        pub(crate) host: String,
        pub(crate) port: u16,
        /// The user name, percent-decoded; `None` when the URL has none.
        pub(crate) user: Option<String>,
        /// The password, percent-decoded.
        pub(crate) password: Option<Secret>,
        /// The path without its leading `/`, percent-decoded (a vhost, a database).
        pub(crate) path: String,
        /// The query parameters, decoded, in order.
        pub(crate) query: Vec<(String, String)>,
        /// Whether the URL has a fragment (`#…`), which no kind uses.
        fragment: bool,
        display: String,
        redactor: Redactor,
    }

    impl Target {
        /// Parses `text`, a URL with one of `schemes`, or a bare `host[:port]` read
        /// with the first of them when `bare` allows it.
        ///
        /// A scheme that means TLS is refused when this build has no TLS: the error
        /// names the feature.
        pub(crate) fn parse(
            text: &str,
            schemes: &[Scheme],
            bare: bool,
        ) -> Result<Self, InvalidUrl> {
            let with_scheme = match (text.contains("://"), schemes.first()) {
                (false, Some(first)) if bare => format!("{}://{text}", first.name),
                _ => text.to_owned(),
            };
            let redactor = Redactor::for_url(&with_scheme);
            let invalid = |reason: &str| InvalidUrl {
                url: redactor.redact(&redact_url(text)),
                reason: redactor.redact(reason),
            };
            let parsed =
                url::Url::parse(&with_scheme).map_err(|error| invalid(&describe(error)))?;
            let scheme = *schemes
                .iter()
                .find(|scheme| scheme.name.eq_ignore_ascii_case(parsed.scheme()))
                .ok_or_else(|| invalid(&expected_schemes(schemes)))?;
            if scheme.tls && !cfg!(feature = "rustls") {
                return Err(invalid(&format!(
                    "`{}://` means TLS, which needs the `rustls` feature of healthz",
                    scheme.name
                )));
            }
            let host = match parsed.host() {
                // Without its brackets, as clients take an IPv6 address.
                Some(url::Host::Ipv6(address)) => address.to_string(),
                Some(host) if !host.to_string().is_empty() => host.to_string(),
                None if scheme.hostless => String::new(),
                _ => return Err(invalid("it names no host")),
            };
            let decode = |part: &str| percent_decode_str(part).decode_utf8_lossy().into_owned();
            let user = Some(parsed.username())
                .filter(|user| !user.is_empty())
                .map(decode);
            let password = parsed
                .password()
                .map(|password| Secret::from(decode(password)));
            let path = parsed.path();
            let path = decode(path.strip_prefix('/').unwrap_or(path));
            let query = parsed
                .query_pairs()
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect();
            let mut redactor = redactor;
            if let Some(password) = &password {
                redactor.add_secret(password.expose());
            }
            Ok(Self {
                scheme,
                port: parsed.port().unwrap_or(scheme.default_port),
                host,
                user,
                password,
                path,
                query,
                fragment: parsed.fragment().is_some(),
                display: redact_url(text),
                redactor,
            })
        }

        /// The URL as messages and `Debug` output show it: redacted.
        pub(crate) fn display(&self) -> &str {
            &self.display
        }

        /// What masks this target's secrets in foreign text.
        pub(crate) fn redactor(&self) -> &Redactor {
            &self.redactor
        }

        /// Masks `secret` too wherever this target's messages show it (a user name
        /// that is a token, say), its [`display`](Target::display) included.
        pub(crate) fn add_secret(&mut self, secret: &str) {
            self.redactor.add_secret(secret);
            self.display = self.redactor.redact(&self.display);
        }

        /// The host as a URL or a `host:port` address writes it: an IPv6 address in
        /// brackets.
        pub(crate) fn url_host(&self) -> Cow<'_, str> {
            if self.host.contains(':') {
                Cow::Owned(format!("[{}]", self.host))
            } else {
                Cow::Borrowed(&self.host)
            }
        }

        /// Refuses a URL that says more than where the server is (a path, a query, a
        /// fragment), for the protocols whose URLs name only a server.
        pub(crate) fn server_only(&self) -> Result<(), InvalidUrl> {
            if self.path.is_empty() && self.query.is_empty() && !self.fragment {
                return Ok(());
            }
            Err(InvalidUrl {
                url: self.display().to_owned(),
                reason: "expected host:port and nothing after it".to_owned(),
            })
        }

        /// The value of the last query parameter called any of `names` (aliases of
        /// one setting, the way a client library reads them).
        pub(crate) fn last_query_value(&self, names: &[&str]) -> Option<&str> {
            self.query
                .iter()
                .rev()
                .find(|(key, _)| names.contains(&key.as_str()))
                .map(|(_, value)| value.as_str())
        }

        /// The value of the query parameter `name`, the last one if repeated.
        #[allow(
            dead_code,
            reason = "the Redis check reads its TLS parameters with it, on its branch"
        )]
        pub(crate) fn query_value(&self, name: &str) -> Option<&str> {
            self.last_query_value(&[name])
        }
    }

    /// A URL that does not parse, said the way this crate's messages are.
    fn describe(error: url::ParseError) -> String {
        match error {
            url::ParseError::EmptyHost => "it names no host".to_owned(),
            url::ParseError::InvalidPort => "the port is not a number from 0 to 65535".to_owned(),
            url::ParseError::RelativeUrlWithoutBase => {
                "it is not a URL (`scheme://host`)".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// `expected amqp:// or amqps://`.
    fn expected_schemes(schemes: &[Scheme]) -> String {
        let names: Vec<String> = schemes
            .iter()
            .map(|scheme| format!("{}://", scheme.name))
            .collect();
        match names.split_last() {
            Some((last, [])) => format!("expected {last}"),
            Some((last, rest)) => format!("expected {} or {last}", rest.join(", ")),
            None => "no scheme is accepted".to_owned(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const SCHEMES: [Scheme; 2] = [Scheme::plain("amqp", 5672), Scheme::tls("amqps", 5671)];

        #[test]
        fn a_url_is_parsed_and_decoded() {
            let target = Target::parse(
                "amqp://app%40x:p%40ss@Broker.internal/v%2fhost?heartbeat=5",
                &SCHEMES,
                false,
            )
            .unwrap();
            assert_eq!(target.scheme, SCHEMES[0]);
            assert_eq!(target.host, "Broker.internal");
            assert_eq!(target.port, 5672);
            assert_eq!(target.user.as_deref(), Some("app@x"));
            assert_eq!(
                target
                    .password
                    .as_ref()
                    .map(Secret::expose)
                    .map(String::as_str),
                Some("p@ss")
            );
            assert_eq!(target.path, "v/host");
            assert_eq!(target.query_value("heartbeat"), Some("5"));
            assert_eq!(
                target.display(),
                "amqp://app%40x:***@Broker.internal/v%2fhost?heartbeat=5"
            );
            assert!(!format!("{target:?}").contains("p@ss"));
            assert!(!format!("{target:?}").contains("p%40ss"));
            assert_eq!(
                target.redactor().redact("bad password p@ss"),
                "bad password ***"
            );
        }

        #[test]
        fn an_added_secret_is_masked_in_the_display_too() {
            let mut target = Target::parse("amqp://t0ken@h", &SCHEMES, false).unwrap();
            assert_eq!(target.display(), "amqp://t0ken@h");
            target.add_secret("t0ken");
            assert_eq!(target.display(), "amqp://***@h");
            assert_eq!(target.redactor().redact("bad token t0ken"), "bad token ***");
        }

        #[test]
        fn only_a_server_means_no_path_query_or_fragment() {
            let server_only = |text| Target::parse(text, &SCHEMES, true).unwrap().server_only();
            assert!(server_only("h:1/").is_ok());
            for text in ["h:1/x", "h?a=b", "amqp://u:s3cr3t@h#x"] {
                let error = server_only(text).unwrap_err();
                assert_eq!(error.reason, "expected host:port and nothing after it");
                assert!(!error.url.contains("s3cr3t"), "{error}");
            }
        }

        #[test]
        fn url_hosts_put_ipv6_addresses_in_brackets() {
            let host = |text| {
                Target::parse(text, &SCHEMES, true)
                    .unwrap()
                    .url_host()
                    .into_owned()
            };
            assert_eq!(host("[::1]:5672"), "[::1]");
            assert_eq!(host("127.0.0.1"), "127.0.0.1");
            assert_eq!(host("broker.internal"), "broker.internal");
        }

        #[test]
        fn bare_addresses_take_the_first_scheme() {
            let target = Target::parse("[::1]:1234", &SCHEMES, true).unwrap();
            assert_eq!((target.host.as_str(), target.port), ("::1", 1234));
            assert_eq!(target.scheme.name, "amqp");
            assert!(Target::parse("h:1234", &SCHEMES, false).is_err());
        }

        #[test]
        fn a_hostless_scheme_takes_a_url_without_a_host() {
            let schemes = [Scheme::plain("postgres", 5432).or_no_host()];
            let target =
                Target::parse("postgres:///db?host=/run/x&a=1&b=2", &schemes, false).unwrap();
            assert_eq!((target.host.as_str(), target.port), ("", 5432));
            assert_eq!(target.last_query_value(&["b", "a"]), Some("2"));
            assert!(Target::parse("amqp:///v", &SCHEMES, false).is_err());
        }

        #[test]
        fn other_schemes_and_missing_hosts_are_refused() {
            let error = Target::parse("redis://u:s3cr3t@h", &SCHEMES, false).unwrap_err();
            assert_eq!(
                error.to_string(),
                "invalid connection URL `redis://u:***@h`: expected amqp:// or amqps://"
            );
            let error = Target::parse("amqp://u:s3cr3t@:5672", &SCHEMES, false).unwrap_err();
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }

        #[test]
        fn a_tls_scheme_needs_the_rustls_feature() {
            let result = Target::parse("amqps://h", &SCHEMES, false);
            if cfg!(feature = "rustls") {
                let target = result.unwrap();
                assert!(target.scheme.tls);
                assert_eq!(target.port, 5671);
            } else {
                assert!(result.unwrap_err().reason.contains("`rustls` feature"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_url_errors_show_no_password() {
        let error = InvalidUrl::new("postgres://u:hunter2@h/db", "bad port in hunter2");
        assert_eq!(
            error.to_string(),
            "invalid connection URL `postgres://u:***@h/db`: bad port in ***"
        );
    }
}
