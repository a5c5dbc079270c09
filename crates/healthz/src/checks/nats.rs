//! `NatsBackend`: [`Nats`], a request/reply round trip through a NATS server.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;

use async_nats::{
    Client, ConnectError, ConnectErrorKind, ConnectOptions, RequestErrorKind, Subscriber,
};
use futures_core::Stream;
use percent_encoding::percent_decode_str;
use tracing::instrument::WithSubscriber;
use tracing::subscriber::NoSubscriber;
use url::Url;

use super::InvalidUrl;
use crate::error::CheckError;
use crate::redact::Redactor;
use crate::{CheckResult, HealthCheck};

/// What the server shows as the client's name (`nats server report connections`, the
/// monitoring endpoint), so that an operator can tell the check's connections apart.
const CLIENT_NAME: &str = "healthz NatsBackend";

/// The JetStream API subject that answers with the account's JetStream usage and limits.
const JETSTREAM_INFO: &str = "$JS.API.INFO";

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
pub struct Nats {
    /// The server's URL without credentials, as async-nats takes it (it does not read
    /// credentials from the URL itself).
    url: String,
    auth: Auth,
    jetstream: bool,
    redactor: Redactor,
}

/// How the check logs in.
enum Auth {
    None,
    UserPassword { user: String, password: String },
    Token(String),
}

impl Nats {
    /// Checks the server at `url`: `nats://[user:password@|token@]host[:port]`, or
    /// `host[:port]`. The port defaults to 4222. `tls://` URLs need the crate's `rustls`
    /// feature (async-nats is built here without a crypto provider of its own); with it,
    /// a server that requires TLS is also reached over `nats://`, without it such a server
    /// fails the check with an unknown error. Building the check never touches the
    /// network: each run opens its own connection.
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
    /// Returns [`InvalidUrl`] when the URL does not parse, has no host, or has a scheme
    /// this build cannot use.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        let with_scheme = if url.contains("://") {
            url.to_owned()
        } else {
            format!("nats://{url}")
        };
        let mut redactor = Redactor::for_url(&with_scheme);
        if let Some(token) = lone_user(&with_scheme) {
            // NATS reads a user name alone as a token (`nats://s3cr3t@host`), which
            // `redact_url` would show: it is a secret here.
            redactor.add_secret(token);
        }
        let invalid = |reason: &str| InvalidUrl {
            url: redactor.redact(url),
            reason: redactor.redact(reason),
        };
        let mut parsed = Url::parse(&with_scheme).map_err(|error| invalid(&error.to_string()))?;
        match parsed.scheme() {
            "nats" => {}
            "tls" if cfg!(feature = "rustls") => {}
            "tls" => return Err(invalid("TLS needs the `rustls` feature of healthz")),
            other => return Err(invalid(&format!("the scheme is `{other}`, not `nats`"))),
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it names no host"));
        }
        let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
        let auth = match (parsed.username(), parsed.password()) {
            ("", None) => Auth::None,
            (user, Some(password)) => Auth::UserPassword {
                user: decode(user),
                password: decode(password),
            },
            (token, None) => Auth::Token(decode(token)),
        };
        if let Auth::Token(token) = &auth {
            redactor.add_secret(token);
        }
        // Infallible for a URL with a host; the credentials are passed as options.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        Ok(Self {
            url: parsed.into(),
            auth,
            jetstream: false,
            redactor,
        })
    }

    /// Logs in with a user name and password, instead of any in the URL.
    #[must_use]
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        let password = password.into();
        self.redactor.add_secret(&password);
        self.auth = Auth::UserPassword {
            user: user.into(),
            password,
        };
        self
    }

    /// Logs in with a token, instead of any credentials in the URL.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.redactor.add_secret(&token);
        self.auth = Auth::Token(token);
        self
    }

    /// Whether the check also asks for the account's JetStream info (`$JS.API.INFO`),
    /// failing when JetStream is off or the account may not use it. Off unless set.
    #[must_use]
    pub fn jetstream(mut self, yes: bool) -> Self {
        self.jetstream = yes;
        self
    }

    fn options(&self) -> ConnectOptions {
        let options = ConnectOptions::new()
            .name(CLIENT_NAME)
            // Only the server the check names: never the cluster peers it announces.
            .ignore_discovered_servers();
        match &self.auth {
            Auth::None => options,
            Auth::UserPassword { user, password } => {
                options.user_and_password(user.clone(), password.clone())
            }
            Auth::Token(token) => options.token(token.clone()),
        }
    }

    async fn run(&self) -> Result<(), Failure> {
        let client = self
            .options()
            .connect(self.url.as_str())
            .await
            .map_err(connect_failure)?;
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

impl fmt::Debug for Nats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::None => "none".to_owned(),
            Auth::UserPassword { user, .. } => format!("user `{user}` and a password"),
            Auth::Token(_) => "a token".to_owned(),
        };
        f.debug_struct("Nats")
            .field("url", &self.redactor.redact(&self.url))
            .field("auth", &auth)
            .field("jetstream", &self.jetstream)
            .finish()
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
            .map_err(|failure| failure.into_check_error(&self.redactor))
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("NatsBackend")
    }
}

/// The user name of `scheme://user@host` when it comes without a password, found the
/// way `redact_url` finds userinfo, so that it is masked even in a URL that does not parse.
fn lone_user(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    (!userinfo.is_empty() && !userinfo.contains(':')).then_some(userinfo)
}

fn connect_failure(error: ConnectError) -> Failure {
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
    Nats { doing: &'static str, text: String },
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
    fn credentials_in_the_url_become_options_and_leave_the_url() {
        let check = Nats::new("nats://app:p%40ss@127.0.0.1:4222").unwrap();
        assert_eq!(check.url, "nats://127.0.0.1:4222");
        assert!(matches!(
            &check.auth,
            Auth::UserPassword { user, password } if user == "app" && password == "p@ss"
        ));

        let check = Nats::new("nats://s3cr3t@127.0.0.1").unwrap();
        assert!(matches!(&check.auth, Auth::Token(token) if token == "s3cr3t"));
        assert_eq!(check.url, "nats://127.0.0.1");

        let check = Nats::new("127.0.0.1:4222").unwrap();
        assert!(matches!(check.auth, Auth::None));
        assert_eq!(check.url, "nats://127.0.0.1:4222");
    }

    #[test]
    fn debug_shows_no_secret() {
        for check in [
            Nats::new("nats://app:s3cr3t@127.0.0.1").unwrap(),
            Nats::new("nats://s3cr3t@127.0.0.1").unwrap(),
            Nats::new("127.0.0.1").unwrap().token("s3cr3t"),
            Nats::new("127.0.0.1").unwrap().credentials("app", "s3cr3t"),
        ] {
            let debug = format!("{check:?}");
            assert!(!debug.contains("s3cr3t"), "{debug}");
        }
        assert_eq!(
            format!("{:?}", Nats::new("nats://s3cr3t@127.0.0.1").unwrap()),
            r#"Nats { url: "nats://127.0.0.1", auth: "a token", jetstream: false }"#
        );
    }

    #[test]
    fn unusable_urls_are_refused_without_showing_secrets() {
        for url in [
            "ws://u:s3cr3t@127.0.0.1",
            "nats://u:s3cr3t@",
            "redis://s3cr3t@h",
        ] {
            let error = Nats::new(url).unwrap_err();
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }
        assert_eq!(
            Nats::new("tls://127.0.0.1").is_ok(),
            cfg!(feature = "rustls")
        );
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
