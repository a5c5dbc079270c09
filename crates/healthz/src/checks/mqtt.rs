//! `MqttBackend`: [`Mqtt`], a QoS 1 message's round trip through an MQTT broker.

use std::borrow::Cow;

use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Outgoing,
    Packet, QoS, SubscribeReasonCode,
};

use super::InvalidUrl;
use super::target::{Scheme, Target};
#[cfg(feature = "rustls")]
use super::tls::{self, Tls};
use crate::error::CheckError;
use crate::{CheckResult, HealthCheck, Secret};

/// The address forms it takes: a bare `host[:port]` reads as the first.
const SCHEMES: [Scheme; 4] = [
    Scheme::plain("mqtt", 1883),
    Scheme::plain("tcp", 1883),
    Scheme::tls("mqtts", 8883),
    Scheme::tls("ssl", 8883),
];

/// Checks an MQTT 3.1.1 broker with a real message: connects with a unique client id
/// (`healthz-<random hex>`) and a clean session, subscribes to a unique topic
/// (`healthz/<random hex>`), publishes a unique payload to it with QoS 1, receives
/// it, compares, unsubscribes and disconnects. Named `MqttBackend`.
///
/// The connection is driven inside the check's future: when the runner's timeout drops
/// the check, the connection goes with it. The clean session leaves nothing on the
/// broker, the message is not retained, and no other topic is published or subscribed to.
///
/// ```no_run
/// use healthz::checks::Mqtt;
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(Mqtt::new("mqtt://app:secret@mqtt.internal:1883")?)
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Mqtt {
    /// Where the broker is, without the credentials.
    target: Target,
    /// The user name and password (empty when the URL has only a user name).
    credentials: Option<(String, Secret)>,
    /// The TLS options, when TLS is asked for (an `mqtts://` URL or [`Mqtt::tls`]).
    #[cfg(feature = "rustls")]
    tls: Option<Tls>,
}

impl Mqtt {
    /// Checks the broker at `address`: `host[:port]` or
    /// `mqtt://[user[:password]@]host[:port]` (`tcp://` is accepted too), and
    /// `mqtts://…` (or `ssl://…`) for TLS. The port defaults to 1883, and to 8883 for
    /// TLS. Building the check never touches the network: each run opens its own
    /// connection.
    ///
    /// ```
    /// use healthz::checks::Mqtt;
    ///
    /// let check = Mqtt::new("mqtt://app:s3cr3t@127.0.0.1:1883")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// assert!(Mqtt::new("ws://127.0.0.1:8080").is_err());
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the address does not parse, has no host, has
    /// anything after the host and port, or has another scheme (`ws` included: this
    /// build has no WebSocket transport for MQTT); and for `mqtts://` and `ssl://` in
    /// a build without the `rustls` feature.
    pub fn new(address: &str) -> Result<Self, InvalidUrl> {
        let mut target = Target::parse(address, &SCHEMES, true)?;
        target.server_only()?;
        let credentials = match (target.user.take(), target.password.take()) {
            (None, None) => None,
            (user, password) => Some((user.unwrap_or_default(), password.unwrap_or_default())),
        };
        Ok(Self {
            #[cfg(feature = "rustls")]
            tls: target.scheme.tls.then(Tls::new),
            target,
            credentials,
        })
    }

    /// Logs in with a user name and password, instead of any in the address.
    #[must_use]
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        let password = password.into();
        self.target.add_secret(&password);
        self.credentials = Some((user.into(), Secret::from(password)));
        self
    }

    /// Speaks TLS to the broker, verified as `tls` says: a private CA, a client
    /// certificate for a broker that requires one (`require_certificate true`),
    /// `verify-ca` for a broker reached by an address its certificate does not name.
    /// Its options win over the defaults of an `mqtts://` URL; on an `mqtt://` URL it
    /// turns TLS on (the default port stays 1883 then: name the TLS port).
    ///
    /// ```
    /// use healthz::checks::{Mqtt, Tls};
    ///
    /// let check = Mqtt::new("mqtts://mqtt.internal")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/mqtt-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The client's options; the error is the whole public message of TLS options
    /// that cannot be used (a CA file that cannot be read).
    fn options(&self) -> Result<MqttOptions, String> {
        let client_id = format!("healthz-{:015x}", fastrand::u64(..1 << 60));
        // An IPv6 address goes without brackets: rumqttc resolves `::1:8883` by its
        // last colon, and names the TLS server by the host as given.
        let mut options = MqttOptions::new(client_id, self.target.host.clone(), self.target.port);
        options.set_clean_session(true);
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user.clone(), password.expose().clone());
        }
        #[cfg(feature = "rustls")]
        if let Some(tls) = &self.tls {
            let config = tls.client_config().map_err(|error| error.to_string())?;
            options.set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(
                config,
            )));
        }
        Ok(options)
    }

    /// The TLS failure in `error` in TLS terms, when the check speaks TLS.
    #[cfg(feature = "rustls")]
    fn tls_failure(&self, error: &ConnectionError) -> Option<String> {
        let tls = self.tls.as_ref()?;
        // rumqttc keeps rustls' error in its own: a handshake's in its TLS error, the
        // verdict on the client's certificate (TLS 1.3) in the I/O error of a read.
        tls.describe_failure(error).or_else(|| match error {
            ConnectionError::Tls(rumqttc::TlsError::Io(io)) => Some(tls::describe_handshake(io)),
            _ => None,
        })
    }

    #[cfg(not(feature = "rustls"))]
    fn tls_failure(&self, _: &ConnectionError) -> Option<String> {
        None
    }
}

impl HealthCheck for Mqtt {
    async fn check(&self) -> CheckResult {
        let options = self.options().map_err(CheckError::unavailable)?;
        // Sized for the four requests the check queues; the event loop lives in this
        // future, so dropping the future closes the connection.
        let (client, eventloop) = AsyncClient::new(options, 4);
        round_trip(&client, eventloop)
            .await
            .map_err(|failure| failure.into_check_error(self))
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("MqttBackend")
    }
}

/// Drives the event loop through subscribe, publish, receive, unsubscribe and
/// disconnect, each request queued when the broker has acknowledged the one before.
async fn round_trip(client: &AsyncClient, mut eventloop: EventLoop) -> Result<(), Failure> {
    let topic = format!("healthz/{:032x}", fastrand::u128(..));
    let payload = format!("healthz {:032x}", fastrand::u128(..));
    client
        .try_subscribe(topic.as_str(), QoS::AtLeastOnce)
        .map_err(Failure::client("subscribe"))?;
    let mut connected = false;
    let mut received = false;
    loop {
        let event = eventloop
            .poll()
            .await
            .map_err(|error| Failure::Connection { connected, error })?;
        match event {
            Event::Incoming(Packet::ConnAck(_)) => connected = true,
            Event::Incoming(Packet::SubAck(ack)) => {
                if ack.return_codes.contains(&SubscribeReasonCode::Failure) {
                    return Err(Failure::Refused(
                        "the broker refused the subscription to the check's topic \
                         (is the user allowed to subscribe to healthz/#?)",
                    ));
                }
                // Published only now: before the subscription is in place the broker
                // would drop the message.
                client
                    .try_publish(topic.as_str(), QoS::AtLeastOnce, false, payload.clone())
                    .map_err(Failure::client("publish"))?;
            }
            Event::Incoming(Packet::Publish(message)) if message.topic == topic && !received => {
                if message.payload != payload.as_bytes() {
                    return Err(Failure::Unexpected(
                        "the message that came back is not the one it published",
                    ));
                }
                received = true;
                client
                    .try_unsubscribe(topic.as_str())
                    .map_err(Failure::client("unsubscribe"))?;
            }
            Event::Incoming(Packet::UnsubAck(_)) => client
                .try_disconnect()
                .map_err(Failure::client("disconnect"))?,
            // The event comes once the DISCONNECT packet is written and flushed.
            Event::Outgoing(Outgoing::Disconnect) => return Ok(()),
            _ => {}
        }
    }
}

/// Why the round trip failed, before its text is said in the check's terms and redacted.
enum Failure {
    Connection {
        connected: bool,
        error: ConnectionError,
    },
    /// A request could not be queued for the event loop.
    Client {
        doing: &'static str,
        error: rumqttc::ClientError,
    },
    Refused(&'static str),
    Unexpected(&'static str),
}

impl Failure {
    fn client(doing: &'static str) -> impl FnOnce(rumqttc::ClientError) -> Self {
        move |error| Self::Client { doing, error }
    }

    fn into_check_error(self, check: &Mqtt) -> CheckError {
        let redactor = check.target.redactor();
        match self {
            Self::Connection {
                error: ConnectionError::ConnectionRefused(code),
                ..
            } => CheckError::unavailable(match code {
                ConnectReturnCode::BadUserNamePassword => {
                    "authentication failed: the broker refused the user name or password".to_owned()
                }
                ConnectReturnCode::NotAuthorized => {
                    "authentication failed: the broker answered `not authorized`; \
                     check the user name and password"
                        .to_owned()
                }
                other => format!("the broker refused the connection: {other:?}"),
            }),
            Self::Connection { error, .. } if let Some(tls) = check.tls_failure(&error) => {
                CheckError::unavailable(tls)
            }
            Self::Connection { connected, error } => {
                let doing = if connected {
                    "the connection broke"
                } else {
                    "cannot connect"
                };
                let text = match &error {
                    ConnectionError::Io(io) => super::describe_io(io),
                    ConnectionError::NetworkTimeout => "timed out".to_owned(),
                    other => other.to_string(),
                };
                CheckError::unavailable(format!("{doing}: {}", redactor.redact(&text)))
            }
            Self::Client { doing, error } => CheckError::unavailable(format!(
                "cannot {doing}: {}",
                redactor.redact(&error.to_string())
            )),
            Self::Refused(message) => CheckError::unavailable(message),
            Self::Unexpected(message) => CheckError::unexpected_result(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_and_port(address: &str) -> (String, u16) {
        let check = Mqtt::new(address).unwrap();
        (check.target.host, check.target.port)
    }

    #[test]
    fn addresses_and_urls_are_understood() {
        assert_eq!(host_and_port("127.0.0.1"), ("127.0.0.1".to_owned(), 1883));
        assert!(Mqtt::new("127.0.0.1").unwrap().credentials.is_none());

        let check = Mqtt::new("mqtt://app:p%40ss@[::1]:1884").unwrap();
        assert_eq!(host_and_port("mqtt://[::1]:1884"), ("::1".to_owned(), 1884));
        assert!(matches!(
            &check.credentials,
            Some((user, password)) if user == "app" && password.expose() == "p@ss"
        ));
        assert!(check.target.user.is_none() && check.target.password.is_none());

        let check = Mqtt::new("tcp://device@127.0.0.1").unwrap();
        assert!(matches!(
            &check.credentials,
            Some((user, password)) if user == "device" && password.expose().is_empty()
        ));
    }

    #[test]
    fn tls_urls_default_to_8883_and_need_the_rustls_feature() {
        for address in ["mqtts://broker", "ssl://broker"] {
            let result = Mqtt::new(address);
            #[cfg(feature = "rustls")]
            {
                let check = result.unwrap();
                assert_eq!(check.target.port, 8883);
                assert_eq!(check.tls, Some(Tls::new()));
            }
            #[cfg(not(feature = "rustls"))]
            assert!(result.unwrap_err().reason.contains("`rustls` feature"));
        }
    }

    #[test]
    fn other_transports_and_extras_are_refused_without_showing_the_password() {
        for (address, reason) in [
            (
                "ws://u:s3cr3t@h",
                "expected mqtt://, tcp://, mqtts:// or ssl://",
            ),
            ("mqtt://u:s3cr3t@", "it names no host"),
            (
                "mqtt://u:s3cr3t@h?client_id=x",
                "expected host:port and nothing after it",
            ),
        ] {
            let error = Mqtt::new(address).unwrap_err();
            assert_eq!(error.reason, reason);
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }
    }

    #[test]
    fn debug_shows_no_password() {
        for check in [
            Mqtt::new("mqtt://app:s3cr3t@127.0.0.1").unwrap(),
            Mqtt::new("127.0.0.1").unwrap().credentials("app", "s3cr3t"),
        ] {
            let debug = format!("{check:?}");
            assert!(!debug.contains("s3cr3t"), "{debug}");
            assert!(
                debug.contains(r#"credentials: Some(("app", ***))"#),
                "{debug}"
            );
        }
    }

    #[test]
    fn refused_credentials_are_an_authentication_failure() {
        let error = Failure::Connection {
            connected: false,
            error: ConnectionError::ConnectionRefused(ConnectReturnCode::BadUserNamePassword),
        }
        .into_check_error(&Mqtt::new("127.0.0.1").unwrap());
        assert_eq!(
            error.to_string(),
            "unavailable: authentication failed: the broker refused the user name or password"
        );
    }

    #[test]
    fn client_ids_fit_the_23_bytes_every_broker_accepts() {
        let Ok(options) = Mqtt::new("127.0.0.1").unwrap().options() else {
            panic!("options without TLS need no file");
        };
        let id = options.client_id();
        assert!(id.starts_with("healthz-") && id.len() == 23, "{id}");
        assert!(options.clean_session());
    }
}
