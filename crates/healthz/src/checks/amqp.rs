//! AMQP 0-9-1 for the RabbitMQ and Celery checks, through amqprs: the broker's URL read
//! once ([`Endpoint`]), TLS, a login that names a refused one ([`login`]), the kept
//! connection ([`Session`]) and its channels ([`Channel`]), and what went wrong in the
//! broker's words ([`Failure`]).
//!
//! amqprs does its handshake inside the connect future and closes a connection when it
//! is dropped, on Tokio alone: a run that the runner's timeout stops leaves no thread or
//! socket behind.

mod channel;
mod failure;
mod login;

use std::fmt;
#[cfg(feature = "rustls")]
use std::sync::Arc;

use amqprs::connection::{Connection, OpenConnectionArguments};
use tokio::net::TcpStream;
use tokio::runtime::Handle;

pub(crate) use self::channel::Channel;
use self::channel::Reason;
pub(crate) use self::failure::Failure;
use self::login::Login;
use super::InvalidUrl;
use super::target::{Scheme, Target};
#[cfg(feature = "rustls")]
use super::tls::{self, Tls};
use crate::redact::Redactor;

/// `amqp://` and `amqps://`, the schemes of RabbitMQ's URLs.
pub(crate) const SCHEMES: [Scheme; 2] = [Scheme::plain("amqp", 5672), Scheme::tls("amqps", 5671)];

/// The user name and password when the URL names none: RabbitMQ's defaults, as every
/// AMQP client assumes them.
const GUEST: &str = "guest";

/// A broker to connect to, from its URL: where, as whom, which virtual host, and
/// whether over TLS. `Debug` shows the URL redacted.
#[derive(Debug)]
pub(crate) struct Endpoint {
    target: Target,
    /// The virtual host: the URL's path, percent-decoded (`%2f` is `/`); an empty path
    /// means `/`, and so does Celery's `amqp://host//`.
    vhost: String,
    /// What the broker shows as the connection's name (RabbitMQ's management UI lists
    /// it), so that an operator can tell the check's connections apart.
    name: &'static str,
    /// `Some` when the check speaks TLS: from `.tls()`, or the defaults for `amqps://`.
    #[cfg(feature = "rustls")]
    tls: Option<Tls>,
}

impl Endpoint {
    /// Reads `url`, whose scheme is one of `schemes`: the user and password default to
    /// `guest`, the virtual host to `/`. Query parameters (`heartbeat`…) are ignored:
    /// the check's connection needs none of them.
    pub(crate) fn parse(
        url: &str,
        schemes: &[Scheme],
        name: &'static str,
    ) -> Result<Self, InvalidUrl> {
        let target = Target::parse(url, schemes, false)?;
        let vhost = match target.path.as_str() {
            "" => "/".to_owned(),
            path => path.to_owned(),
        };
        Ok(Self {
            #[cfg(feature = "rustls")]
            tls: target.scheme.tls.then(Tls::new),
            target,
            vhost,
            name,
        })
    }

    /// Speaks TLS as `tls` says, whatever the URL's scheme.
    #[cfg(feature = "rustls")]
    pub(crate) fn set_tls(&mut self, tls: Tls) {
        self.tls = Some(tls);
    }

    /// What masks the password in foreign text.
    #[cfg_attr(not(feature = "rabbitmq"), allow(dead_code))]
    pub(crate) fn redactor(&self) -> &Redactor {
        self.target.redactor()
    }

    /// Connects and logs in; `doing` names the step in failure messages (`connect to
    /// the broker`).
    ///
    /// The check logs in once by itself before amqprs does: amqprs does not announce
    /// RabbitMQ's `authentication_failure_close` capability, and to such a client
    /// RabbitMQ says nothing when it refuses the login, waiting 3 seconds before it
    /// closes the socket. So a wrong password would read `timed out` under a short
    /// timeout; the check's own login announces it and reads RabbitMQ's reason
    /// (`ACCESS_REFUSED - Login was refused…`) at once. It also sees TLS failures as
    /// rustls' own errors, which amqprs turns into text.
    pub(crate) async fn connect(&self, doing: &'static str) -> Result<Session, Failure> {
        let host = self.target.host.as_str();
        let tcp = TcpStream::connect((host, self.target.port))
            .await
            .map_err(|error| Failure::io(doing, &error))?;
        #[cfg(feature = "rustls")]
        if let Some(tls) = &self.tls {
            // One configuration for both connections: the files are read once.
            let config = tls
                .client_config()
                .map_err(|error| Failure::Tls(error.to_string()))?;
            let mut stream = tls::connect(tcp, host, Arc::clone(&config))
                .await
                .map_err(Failure::Tls)?;
            self.login().run(&mut stream, doing).await?;
            let mut arguments = self.arguments();
            arguments.tls_adaptor(amqprs::tls::TlsAdaptor::new(
                tokio_rustls::TlsConnector::from(config),
                host.to_owned(),
            ));
            return open(&arguments, doing).await;
        }
        let mut tcp = tcp;
        self.login().run(&mut tcp, doing).await?;
        open(&self.arguments(), doing).await
    }

    fn login(&self) -> Login<'_> {
        Login {
            user: self.target.user.as_deref().unwrap_or(GUEST),
            password: self
                .target
                .password
                .as_ref()
                .map_or(GUEST, |password| password.expose()),
            vhost: &self.vhost,
            connection_name: self.name,
        }
    }

    /// amqprs's arguments for a plain connection.
    fn arguments(&self) -> OpenConnectionArguments {
        let login = self.login();
        let host = &self.target.host;
        // amqprs connects to `host:port` as written, which needs an IPv6 address in
        // brackets.
        let address = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let mut arguments =
            OpenConnectionArguments::new(&address, self.target.port, login.user, login.password);
        arguments
            .virtual_host(&self.vhost)
            .connection_name(self.name);
        arguments
    }
}

/// Opens amqprs's connection, the login being known to work.
async fn open(
    arguments: &OpenConnectionArguments,
    doing: &'static str,
) -> Result<Session, Failure> {
    let connection = Connection::open(arguments)
        .await
        .map_err(|error| Failure::amqp(doing, &error, None, false))?;
    let closed = Reason::default();
    connection
        .register_callback(closed.clone())
        .await
        .map_err(|error| Failure::amqp(doing, &error, None, false))?;
    Ok(Session {
        connection: Some(connection),
        closed,
        runtime: Handle::current(),
    })
}

/// An open connection to the broker, kept between runs while it works.
pub(crate) struct Session {
    /// `Some` until the session is dropped.
    connection: Option<Connection>,
    /// Why the broker closed the connection, once it has.
    closed: Reason,
    /// The runtime it was opened on. amqprs closes a dropped connection from a task it
    /// spawns, which panics outside a runtime, and a check (with its kept session) may
    /// well be dropped after its runtime is gone.
    runtime: Handle,
}

impl Session {
    fn connection(&self) -> &Connection {
        self.connection
            .as_ref()
            .expect("the connection is there until the session is dropped")
    }

    /// Opens a channel on which the broker's reasons for closing it are kept.
    pub(crate) async fn channel(&self) -> Result<Channel, Failure> {
        Channel::open(self.connection(), &self.closed).await
    }

    /// Whether the connection is still open, as far as the client knows.
    pub(crate) fn is_open(&self) -> bool {
        self.connection().is_open()
    }
}

/// Shows whether the connection is open, and nothing that amqprs holds.
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("open", &self.is_open())
            .finish()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Entering a runtime that has shut down is harmless: the task amqprs spawns to
        // close the connection never runs, and the socket closed with the runtime.
        let _entered = self.runtime.enter();
        drop(self.connection.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::parse(url, &SCHEMES, "test").unwrap()
    }

    #[test]
    fn the_virtual_host_is_the_path_and_slash_when_empty() {
        for (url, vhost) in [
            ("amqp://127.0.0.1", "/"),
            ("amqp://127.0.0.1/", "/"),
            ("amqp://127.0.0.1//", "/"),
            ("amqp://127.0.0.1/%2f", "/"),
            ("amqp://[::1]:5672/%2F", "/"),
            ("amqp://127.0.0.1/orders", "orders"),
            ("amqp://127.0.0.1/orders%2Feu?heartbeat=5", "orders/eu"),
        ] {
            assert_eq!(endpoint(url).vhost, vhost, "{url}");
        }
    }

    #[test]
    fn the_user_and_password_default_to_guest() {
        let anonymous = endpoint("amqp://127.0.0.1");
        let login = anonymous.login();
        assert_eq!((login.user, login.password), ("guest", "guest"));
        let named = endpoint("amqp://app%40eu:p%40ss@127.0.0.1:5673/");
        let login = named.login();
        assert_eq!((login.user, login.password), ("app@eu", "p@ss"));
        assert_eq!(named.target.port, 5673);
        assert!(format!("{named:?}").contains(r#""amqp://app%40eu:***@127.0.0.1:5673/""#));
        assert!(!format!("{named:?}").contains("p@ss"));
        assert_eq!(named.redactor().redact("refused p@ss"), "refused ***");
    }

    #[test]
    fn amqprs_is_given_the_same_broker() {
        let arguments = endpoint("amqp://app:pw@[::1]:5673/orders").arguments();
        // In brackets: amqprs writes `host:port`.
        assert_eq!(arguments.get_host(), "[::1]");
        assert_eq!(arguments.get_port(), 5673);
        assert_eq!(arguments.get_virtual_host(), "orders");
        assert_eq!(arguments.get_connection_name(), Some("test"));
    }

    #[test]
    fn amqps_means_tls_on_port_5671() {
        let result = Endpoint::parse("amqps://broker.internal", &SCHEMES, "test");
        #[cfg(feature = "rustls")]
        {
            let endpoint = result.unwrap();
            assert_eq!(endpoint.target.port, 5671);
            assert_eq!(endpoint.tls, Some(Tls::new()));
        }
        #[cfg(not(feature = "rustls"))]
        assert!(result.unwrap_err().reason.contains("`rustls` feature"));
    }

    #[test]
    fn other_schemes_are_refused_without_showing_the_password() {
        for url in ["redis://u:s3cr3t@127.0.0.1", "amqp://u:s3cr3t@"] {
            let error = Endpoint::parse(url, &SCHEMES, "test").unwrap_err();
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }
    }
}
