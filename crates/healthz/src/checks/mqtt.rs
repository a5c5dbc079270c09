//! `MqttBackend`: [`Mqtt`], a QoS 1 message's round trip through an MQTT broker.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::percent_decode_str;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Outgoing,
    Packet, QoS, SubscribeReasonCode,
};
use url::Url;

use super::InvalidUrl;
use crate::error::CheckError;
use crate::redact::{Redactor, redact_url};
use crate::{CheckResult, HealthCheck};

/// The MQTT port, when the address names none.
const DEFAULT_PORT: u16 = 1883;

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
pub struct Mqtt {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    /// The address as `Debug` shows it: redacted.
    target: String,
    redactor: Redactor,
}

impl Mqtt {
    /// Checks the broker at `address`: `host[:port]` or
    /// `mqtt://[user[:password]@]host[:port]` (`tcp://` is accepted too). The port
    /// defaults to 1883. Building the check never touches the network: each run opens
    /// its own connection.
    ///
    /// ```
    /// use healthz::checks::Mqtt;
    ///
    /// let check = Mqtt::new("mqtt://app:s3cr3t@127.0.0.1:1883")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// assert!(Mqtt::new("mqtts://127.0.0.1:8883").is_err());
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the address does not parse, has no host, or has
    /// another scheme (`mqtts`, `ssl` and `ws` included: this build has no TLS or
    /// WebSocket transport for MQTT).
    pub fn new(address: &str) -> Result<Self, InvalidUrl> {
        let url = if address.contains("://") {
            address.to_owned()
        } else {
            format!("mqtt://{address}")
        };
        let invalid = |reason: &str| InvalidUrl::new(address, reason);
        let parsed = Url::parse(&url).map_err(|error| invalid(&error.to_string()))?;
        if !matches!(parsed.scheme(), "mqtt" | "tcp") {
            return Err(invalid(&format!(
                "the scheme is `{}`, not `mqtt`: this build has no TLS or WebSocket transport",
                parsed.scheme()
            )));
        }
        let host = parsed
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| invalid("it names no host"))?;
        let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
        let credentials = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user), password.map(decode).unwrap_or_default())),
        };
        let mut redactor = Redactor::for_url(&url);
        if let Some((_, password)) = &credentials {
            redactor.add_secret(password);
        }
        Ok(Self {
            host: host.to_owned(),
            port: parsed.port().unwrap_or(DEFAULT_PORT),
            credentials,
            target: redact_url(address),
            redactor,
        })
    }

    /// Logs in with a user name and password, instead of any in the address.
    #[must_use]
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        let password = password.into();
        self.redactor.add_secret(&password);
        self.credentials = Some((user.into(), password));
        self
    }

    fn options(&self) -> MqttOptions {
        let client_id = format!("healthz-{:015x}", fastrand::u64(..1 << 60));
        let mut options = MqttOptions::new(client_id, self.host.clone(), self.port);
        options.set_clean_session(true);
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        options
    }
}

impl fmt::Debug for Mqtt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mqtt")
            .field("address", &self.target)
            .field(
                "user",
                &self.credentials.as_ref().map(|(user, _)| user.as_str()),
            )
            .finish()
    }
}

impl HealthCheck for Mqtt {
    async fn check(&self) -> CheckResult {
        // Sized for the four requests the check queues; the event loop lives in this
        // future, so dropping the future closes the connection.
        let (client, eventloop) = AsyncClient::new(self.options(), 4);
        round_trip(&client, eventloop)
            .await
            .map_err(|failure| failure.into_check_error(&self.redactor))
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

/// Why the round trip failed, before its text is redacted.
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

    fn into_check_error(self, redactor: &Redactor) -> CheckError {
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

    #[test]
    fn addresses_and_urls_are_understood() {
        let check = Mqtt::new("127.0.0.1").unwrap();
        assert_eq!(
            (check.host.as_str(), check.port),
            ("127.0.0.1", DEFAULT_PORT)
        );
        assert!(check.credentials.is_none());

        let check = Mqtt::new("mqtt://app:p%40ss@[::1]:1884").unwrap();
        assert_eq!((check.host.as_str(), check.port), ("[::1]", 1884));
        assert_eq!(
            check.credentials,
            Some(("app".to_owned(), "p@ss".to_owned()))
        );

        let check = Mqtt::new("tcp://device@127.0.0.1").unwrap();
        assert_eq!(
            check.credentials,
            Some(("device".to_owned(), String::new()))
        );
    }

    #[test]
    fn other_transports_are_refused_without_showing_the_password() {
        for address in [
            "mqtts://u:s3cr3t@h:8883",
            "ws://u:s3cr3t@h",
            "mqtt://u:s3cr3t@",
        ] {
            let error = Mqtt::new(address).unwrap_err();
            assert!(!error.to_string().contains("s3cr3t"), "{error}");
        }
    }

    #[test]
    fn debug_shows_no_password() {
        let check = Mqtt::new("mqtt://app:s3cr3t@127.0.0.1").unwrap();
        assert_eq!(
            format!("{check:?}"),
            r#"Mqtt { address: "mqtt://app:***@127.0.0.1", user: Some("app") }"#
        );
        let check = Mqtt::new("127.0.0.1").unwrap().credentials("app", "s3cr3t");
        assert!(!format!("{check:?}").contains("s3cr3t"));
    }

    #[test]
    fn refused_credentials_are_an_authentication_failure() {
        let error = Failure::Connection {
            connected: false,
            error: ConnectionError::ConnectionRefused(ConnectReturnCode::BadUserNamePassword),
        }
        .into_check_error(&Redactor::default());
        assert_eq!(
            error.to_string(),
            "unavailable: authentication failed: the broker refused the user name or password"
        );
    }

    #[test]
    fn client_ids_fit_the_23_bytes_every_broker_accepts() {
        let options = Mqtt::new("127.0.0.1").unwrap().options();
        let id = options.client_id();
        assert!(id.starts_with("healthz-") && id.len() == 23, "{id}");
        assert!(options.clean_session());
    }
}
