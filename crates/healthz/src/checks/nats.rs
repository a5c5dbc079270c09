//! `NatsBackend`: [`Nats`], a request/reply round trip through a NATS server.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;

use async_nats::{
    Client, ConnectError, ConnectErrorKind, ConnectOptions, RequestErrorKind, Subscriber,
};
use futures_core::Stream;
use tracing::instrument::WithSubscriber;
use tracing::subscriber::NoSubscriber;

use super::InvalidUrl;
use super::target::{Scheme, Target};
#[cfg(feature = "rustls")]
use super::tls::Tls;
use crate::error::CheckError;
use crate::redact::Redactor;
use crate::{CheckResult, HealthCheck, Secret};

/// What the server shows as the client's name (`nats server report connections`, the
/// monitoring endpoint), so that an operator can tell the check's connections apart.
const CLIENT_NAME: &str = "healthz NatsBackend";

/// The JetStream API subject that answers with the account's JetStream usage and limits.
const JETSTREAM_INFO: &str = "$JS.API.INFO";

/// The URL forms it takes: a bare `host[:port]` reads as the first.
const SCHEMES: [Scheme; 2] = [Scheme::plain("nats", 4222), Scheme::tls("tls", 4222)];

/// Checks a NATS server with a real round trip: connects, subscribes to a unique subject
/// (`healthz.<random hex>`), sends a request to it, answers that request from the
/// subscription, compares the reply, optionally asks for the account's JetStream info,
/// and drains and closes the connection. Named `NatsBackend`.
///
/// The request and its answer both go through the server, so a working check means the
/// server routes messages, not only that it accepts connections. The subject is the
/// check's own and lives as long as its connection; no other subject is published to.
///
/// ```no_run
/// use healthz::checks::Nats;
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(Nats::new("nats://nats.internal:4222")?.token("s3cr3t").jetstream(true))
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Nats {
    /// Where the server is, without the credentials: those are in `auth`.
    target: Target,
    auth: Auth,
    /// The TLS options, when TLS is asked for (a `tls://` URL or [`Nats::tls`]).
    #[cfg(feature = "rustls")]
    tls: Option<Tls>,
    jetstream: bool,
}

/// How the check logs in.
#[derive(Debug)]
enum Auth {
    None,
    UserPassword { user: String, password: Secret },
    Token(Secret),
}

impl Nats {
    /// Checks the server at `url`: `nats://[user:password@|token@]host[:port]`,
    /// `tls://…` for TLS, or `host[:port]`. The port defaults to 4222. A server that
    /// requires TLS is reached over `nats://` too: the client switches to TLS when the
    /// server asks it to. Building the check never touches the network: each run opens
    /// its own connection.
    ///
    /// TLS needs the crate's `rustls` feature (async-nats is built here without a
    /// crypto provider of its own): without it a `tls://` URL is refused, and a server
    /// that requires TLS fails the check with an unknown error.
    ///
    /// ```
    /// use healthz::checks::Nats;
    ///
    /// let check = Nats::new("nats://app:s3cr3t@127.0.0.1:4222")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// assert!(Nats::new("ws://127.0.0.1:8080").is_err());
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the URL does not parse, has no host, has another
    /// scheme, has anything after the host and port, or is a `tls://` URL in a build
    /// without the `rustls` feature.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        let mut target =
            Target::parse(url, &SCHEMES, true).map_err(|error| match lone_user(url) {
                Some(token) => hide_token(error, token),
                None => error,
            })?;
        let auth = match (target.user.take(), target.password.take()) {
            (None, None) => Auth::None,
            (user, Some(password)) => Auth::UserPassword {
                user: user.unwrap_or_default(),
                password,
            },
            (Some(token), None) => {
                // NATS reads a user name alone as a token (`nats://s3cr3t@host`): it is
                // a secret here, as written and decoded.
                target.add_secret(lone_user(url).unwrap_or(&token));
                Auth::Token(Secret::from(token))
            }
        };
        // Checked once the token is a secret: the error shows the URL.
        target.server_only()?;
        Ok(Self {
            #[cfg(feature = "rustls")]
            tls: target.scheme.tls.then(Tls::new),
            target,
            auth,
            jetstream: false,
        })
    }

    /// Logs in with a user name and password, instead of any in the URL.
    #[must_use]
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        let password = password.into();
        self.target.add_secret(&password);
        self.auth = Auth::UserPassword {
            user: user.into(),
            password: Secret::from(password),
        };
        self
    }

    /// Logs in with a token, instead of any credentials in the URL.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.target.add_secret(&token);
        self.auth = Auth::Token(Secret::from(token));
        self
    }

    /// Speaks TLS to the server, verified as `tls` says: a private CA, a client
    /// certificate for a server that requires one (`--tlsverify`), `verify-ca` for a
    /// server reached by an address its certificate does not name. Its options win
    /// over the defaults of a `tls://` URL; on a `nats://` URL it makes TLS required,
    /// so a server that does not offer TLS fails the check.
    ///
    /// ```
    /// use healthz::checks::{Nats, Tls};
    ///
    /// let check = Nats::new("tls://nats.internal:4222")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/nats-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Whether the check also asks for the account's JetStream info (`$JS.API.INFO`),
    /// failing when JetStream is off or the account may not use it. Off unless set.
    #[must_use]
    pub fn jetstream(mut self, yes: bool) -> Self {
        self.jetstream = yes;
        self
    }

    fn options(&self) -> Result<ConnectOptions, Failure> {
        let options = ConnectOptions::new()
            .name(CLIENT_NAME)
            // Only the server the check names: never the cluster peers it announces.
            .ignore_discovered_servers();
        #[cfg(feature = "rustls")]
        let options = {
            // Always our configuration, even when TLS is not asked for: a server that
            // requires TLS gets it verified the way every check verifies, and
            // async-nats never reaches for a process-wide crypto provider.
            let config = self
                .tls_options()
                .client_config()
                .map_err(|error| Failure::Tls(error.to_string()))?;
            options
                .tls_client_config(std::sync::Arc::unwrap_or_clone(config))
                .require_tls(self.tls.is_some())
        };
        Ok(match &self.auth {
            Auth::None => options,
            Auth::UserPassword { user, password } => {
                options.user_and_password(user.clone(), password.expose().clone())
            }
            Auth::Token(token) => options.token(token.expose().clone()),
        })
    }

    /// The TLS options of a connection: those asked for, or the defaults for a server
    /// that requires TLS of a check that did not ask for it.
    #[cfg(feature = "rustls")]
    fn tls_options(&self) -> Cow<'_, Tls> {
        self.tls
            .as_ref()
            .map_or_else(|| Cow::Owned(Tls::new()), Cow::Borrowed)
    }

    fn connect_failure(&self, error: ConnectError) -> Failure {
        // A TLS failure shows in async-nats' errors as an I/O error holding rustls' own.
        // (Without the `rustls` feature async-nats cannot speak TLS at all.)
        #[cfg(feature = "rustls")]
        if let Some(tls) = self.tls_options().describe_failure(&error) {
            return Failure::Tls(tls);
        }
        match error.kind() {
            ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
                Failure::Authentication(error.to_string())
            }
            // "IO error: Connection refused (os error 111)" becomes "connection refused".
            ConnectErrorKind::Io => Failure::Nats {
                doing: "connect",
                text: std::error::Error::source(&error)
                    .and_then(|source| source.downcast_ref::<std::io::Error>())
                    .map_or_else(|| error.to_string(), super::describe_io),
            },
            _ => Failure::Nats {
                doing: "connect",
                text: error.to_string(),
            },
        }
    }

    async fn run(&self) -> Result<(), Failure> {
        // Credentials are passed as options: async-nats would not read them from the URL.
        let url = format!("nats://{}:{}", self.target.url_host(), self.target.port);
        let client = self
            .options()?
            .connect(url.as_str())
            .await
            .map_err(|error| self.connect_failure(error))?;
        round_trip(&client).await?;
        if self.jetstream {
            jetstream_account(&client).await?;
        }
        // Drained rather than dropped: the server gets the unsubscriptions and a clean close.
        client
            .drain()
            .await
            .map_err(Failure::nats("close the connection"))
    }
}

impl HealthCheck for Nats {
    async fn check(&self) -> CheckResult {
        // async-nats logs the CONNECT command it sends, credentials included, at TRACE
        // level: its events during the check go nowhere. (A reconnection in its
        // background task, should the connection drop mid-check, is out of reach.)
        self.run()
            .with_subscriber(NoSubscriber::default())
            .await
            .map_err(|failure| failure.into_check_error(self.target.redactor()))
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("NatsBackend")
    }
}

/// The user name of `[scheme://]user@host` when it comes without a password, as
/// written, found the way `redact_url` finds userinfo, so that it is masked even in a
/// URL that does not parse.
fn lone_user(url: &str) -> Option<&str> {
    let rest = url.find("://").map_or(url, |at| &url[at + 3..]);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    (!userinfo.is_empty() && !userinfo.contains(':')).then_some(userinfo)
}

/// `error` with `token` masked: the parser took it for a user name, which it shows.
fn hide_token(error: InvalidUrl, token: &str) -> InvalidUrl {
    let mut redactor = Redactor::default();
    redactor.add_secret(token);
    InvalidUrl {
        url: redactor.redact(&error.url),
        reason: redactor.redact(&error.reason),
    }
}

/// Requests on a unique subject and answers the request from the check's own
/// subscription to it.
async fn round_trip(client: &Client) -> Result<(), Failure> {
    let subject = format!("healthz.{:032x}", fastrand::u128(..));
    let payload = format!("healthz {:032x}", fastrand::u128(..));
    let mut subscriber = client
        .subscribe(subject.clone())
        .await
        .map_err(Failure::nats("subscribe"))?;
    // The server handles one connection's commands in order, so the subscription is in
    // place before the request arrives. `try_join!` stops waiting for the request as
    // soon as the answering side fails, and the other way round.
    let request = async {
        client
            .request(subject.clone(), payload.clone().into())
            .await
            .map_err(|error| Failure::Nats {
                doing: "send a request",
                text: error.to_string(),
            })
    };
    let answer = async {
        let request = next_message(&mut subscriber)
            .await
            .ok_or(Failure::Unexpected(
                "the subscription ended before the request came",
            ))?;
        let reply_to = request.reply.ok_or(Failure::Unexpected(
            "the request came without a reply subject",
        ))?;
        client
            .publish(reply_to, request.payload)
            .await
            .map_err(Failure::nats("answer the request"))
    };
    let (reply, ()) = tokio::try_join!(request, answer)?;
    if reply.payload != payload.as_bytes() {
        return Err(Failure::Unexpected(
            "the reply is not the request's payload",
        ));
    }
    Ok(())
}

async fn next_message(subscriber: &mut Subscriber) -> Option<async_nats::Message> {
    poll_fn(|cx| Pin::new(&mut *subscriber).poll_next(cx)).await
}

/// Asks the JetStream API for the account's info: it answers only when JetStream is
/// enabled on the server and for the account.
async fn jetstream_account(client: &Client) -> Result<(), Failure> {
    let reply = client
        .request(JETSTREAM_INFO, String::new().into())
        .await
        .map_err(|error| match error.kind() {
            RequestErrorKind::NoResponders => Failure::JetStream(
                "JetStream is not enabled on the server (no responder for $JS.API.INFO)".to_owned(),
            ),
            _ => Failure::Nats {
                doing: "ask for the JetStream account info",
                text: error.to_string(),
            },
        })?;
    let info: AccountInfo = serde_json::from_slice(&reply.payload)
        .map_err(|_| Failure::Unexpected("the JetStream account info is not JSON"))?;
    if let Some(error) = info.error {
        return Err(Failure::JetStream(format!(
            "JetStream refused the account info: {} ({})",
            error.description, error.code
        )));
    }
    if info.kind.as_deref() != Some("io.nats.jetstream.api.v1.account_info_response") {
        return Err(Failure::Unexpected(
            "the JetStream account info has an unknown type",
        ));
    }
    Ok(())
}

/// The part of `$JS.API.INFO`'s answer the check reads.
#[derive(serde::Deserialize)]
struct AccountInfo {
    #[serde(rename = "type")]
    kind: Option<String>,
    error: Option<ApiError>,
}

#[derive(serde::Deserialize)]
struct ApiError {
    code: u16,
    description: String,
}

/// Why the check failed, before its text is redacted.
enum Failure {
    Nats {
        doing: &'static str,
        text: String,
    },
    /// A TLS failure: the whole public message.
    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    Tls(String),
    Authentication(String),
    JetStream(String),
    Unexpected(&'static str),
}

impl Failure {
    fn nats<E: fmt::Display>(doing: &'static str) -> impl FnOnce(E) -> Self {
        move |error| Self::Nats {
            doing,
            text: error.to_string(),
        }
    }

    fn into_check_error(self, redactor: &Redactor) -> CheckError {
        match self {
            Self::Nats { doing, text } => {
                CheckError::unavailable(format!("cannot {doing}: {}", redactor.redact(&text)))
            }
            Self::Tls(message) => CheckError::unavailable(message),
            Self::Authentication(text) => CheckError::unavailable(format!(
                "authentication failed: the server refused the credentials ({})",
                redactor.redact(&text)
            )),
            Self::JetStream(text) => CheckError::unavailable(redactor.redact(&text)),
            Self::Unexpected(text) => CheckError::unexpected_result(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_become_options_and_leave_the_target() {
        let check = Nats::new("nats://app:p%40ss@127.0.0.1:4222").unwrap();
        assert!(check.target.user.is_none() && check.target.password.is_none());
        assert!(matches!(
            &check.auth,
            Auth::UserPassword { user, password } if user == "app" && password.expose() == "p@ss"
        ));

        let check = Nats::new("nats://s3%40cr3t@127.0.0.1").unwrap();
        assert!(matches!(&check.auth, Auth::Token(token) if token.expose() == "s3@cr3t"));
        assert_eq!(check.target.display(), "nats://***@127.0.0.1");

        let check = Nats::new("[::1]:4333").unwrap();
        assert!(matches!(check.auth, Auth::None));
        assert_eq!(
            (check.target.url_host().as_ref(), check.target.port),
            ("[::1]", 4333)
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        for check in [
            Nats::new("nats://app:s3cr3t@127.0.0.1").unwrap(),
            Nats::new("nats://s3cr3t@127.0.0.1").unwrap(),
            Nats::new("s3cr3t@127.0.0.1").unwrap(),
            Nats::new("127.0.0.1").unwrap().token("s3cr3t"),
            Nats::new("127.0.0.1").unwrap().credentials("app", "s3cr3t"),
        ] {
            let debug = format!("{check:?}");
            assert!(!debug.contains("s3cr3t"), "{debug}");
        }
        let debug = format!("{:?}", Nats::new("nats://s3cr3t@127.0.0.1").unwrap());
        assert!(debug.contains("auth: Token(***)"), "{debug}");
    }

    #[test]
    fn unusable_urls_are_refused_without_showing_secrets() {
        for url in [
            "ws://u:s3cr3t@127.0.0.1",
            "nats://u:s3cr3t@",
            "nats://s3cr3t@",
            "redis://s3cr3t@h",
            "s3cr3t@h:port",
            "nats://s3cr3t@h/path",
        ] {
            let error = Nats::new(url).unwrap_err();
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }
        assert_eq!(
            Nats::new("ws://h").unwrap_err().reason,
            "expected nats:// or tls://"
        );
    }

    #[test]
    fn tls_urls_need_the_rustls_feature() {
        let result = Nats::new("tls://127.0.0.1");
        #[cfg(feature = "rustls")]
        assert_eq!(result.unwrap().tls, Some(Tls::new()));
        #[cfg(not(feature = "rustls"))]
        assert!(result.unwrap_err().reason.contains("`rustls` feature"));
    }

    #[test]
    fn error_texts_are_redacted() {
        let mut redactor = Redactor::default();
        redactor.add_secret("s3cr3t");
        let error = Failure::Authentication("authorization violation: token s3cr3t".to_owned())
            .into_check_error(&redactor);
        assert_eq!(
            error.message(),
            "authentication failed: the server refused the credentials \
             (authorization violation: token ***)"
        );
    }
}
