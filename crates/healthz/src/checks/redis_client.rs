//! The Redis connection of the Redis checks and of the Celery check's Redis broker:
//! [`RedisClient`] reads a `redis://` or `rediss://` URL through the connection layer
//! and opens redis-rs connections to it, in TLS through the same rustls setup as every
//! other check.
//!
//! redis-rs's own TLS (its `tokio-rustls-comp` feature) is not used. It builds its rustls
//! configuration on the process-wide crypto provider (there is none when an
//! application's tree enables both ring and aws-lc-rs, and then it panics), trusts a CA
//! file instead of the system's roots rather than besides them, and verifies a chain
//! without its host name, or not at all, only with a further feature,
//! `tls-rustls-insecure`. redis-rs speaks RESP on any stream, so the TCP connection and
//! the TLS handshake are made here, as the Memcached check makes them, and redis-rs's
//! multiplexed connection runs on top.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
#[cfg(feature = "rustls")]
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, IntoConnectionInfo, RedisConnectionInfo, RedisError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::AbortHandle;

use super::InvalidUrl;
use super::target::{Scheme, Target};
#[cfg(feature = "rustls")]
use super::tls::{self, Tls, TlsMode};
use crate::Secret;
use crate::redact::Redactor;

/// The schemes redis-rs takes for a TCP connection; its Unix-socket forms have no host
/// to verify a certificate for, and are not taken.
const SCHEMES: [Scheme; 4] = [
    Scheme::plain("redis", 6379),
    Scheme::tls("rediss", 6379),
    Scheme::plain("valkey", 6379),
    Scheme::tls("valkeys", 6379),
];

/// How long a TLS server may take to answer the handshake.
#[cfg(feature = "rustls")]
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(2);

/// redis-py's TLS parameters, which kombu, and so Celery, take in a broker URL.
const TLS_PARAMS: [&str; 5] = [
    "ssl_cert_reqs",
    "ssl_check_hostname",
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
];

/// A Redis server the checks connect to, and how.
#[derive(Debug, Clone)]
pub(crate) struct RedisClient {
    target: Target,
    /// What redis-rs says to the server once connected: the database, the user and
    /// password, the protocol version.
    settings: Secret<RedisConnectionInfo>,
    /// TLS, when the URL or [`tls`](Self::tls) asks for it.
    #[cfg(feature = "rustls")]
    tls: Option<Tls>,
}

impl RedisClient {
    /// Reads `url`: `redis://` or `rediss://` (or `valkey://`, `valkeys://`), with
    /// redis-rs's `#insecure` and redis-py's `ssl_*` query parameters on a TLS URL.
    pub(crate) fn new(url: &str) -> Result<Self, InvalidUrl> {
        let target = Target::parse(url, &SCHEMES, false)?;
        let invalid = |reason: String| InvalidUrl::new(url, reason);
        let fragment = url.split_once('#').map(|(_, fragment)| fragment);
        refuse_misplaced_tls_options(&target, fragment).map_err(invalid)?;
        // redis-rs reads what it tells the server from the URL: database, user,
        // password, `protocol=`. It is given the URL as `redis://`, since the TLS is
        // made here and redis-rs without a TLS feature refuses `rediss://`.
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let settings = format!("redis://{rest}")
            .into_connection_info()
            .map_err(|error| invalid(error_text(&error)))?
            .redis_settings()
            .clone();
        Ok(Self {
            #[cfg(feature = "rustls")]
            tls: target
                .scheme
                .tls
                .then(|| tls_of_url(&target, fragment == Some("insecure")))
                .transpose()
                .map_err(invalid)?,
            target,
            settings: Secret::new(settings),
        })
    }

    /// Speaks TLS verified as `tls` says, whatever the URL's scheme and TLS options.
    #[cfg(feature = "rustls")]
    pub(crate) fn tls(mut self, tls: Tls) -> Self {
        self.set_tls(tls);
        self
    }

    /// [`tls`](Self::tls), in place.
    #[cfg(feature = "rustls")]
    pub(crate) fn set_tls(&mut self, tls: Tls) {
        self.tls = Some(tls);
    }

    /// What masks the URL's password in foreign text.
    pub(crate) fn redactor(&self) -> &Redactor {
        self.target.redactor()
    }

    /// The database the URL names (0 unless it names one).
    #[cfg_attr(not(feature = "celery"), allow(dead_code))]
    pub(crate) fn db(&self) -> i64 {
        self.settings.expose().db()
    }

    /// Connects: TCP, then TLS if asked for, then redis-rs's handshake (`AUTH`,
    /// `SELECT`…).
    pub(crate) async fn connect(&self) -> Result<RedisConnection, ConnectError> {
        let tcp = TcpStream::connect((self.target.host.as_str(), self.target.port))
            .await
            .map_err(|error| ConnectError::Redis(error.into()))?;
        // Pipelined commands and their replies: do not wait for more to send.
        tcp.set_nodelay(true)
            .map_err(|error| ConnectError::Redis(error.into()))?;
        #[cfg(feature = "rustls")]
        if let Some(tls) = &self.tls {
            // The check's one timeout of its own. A Redis server without TLS takes the
            // TLS hello for an inline command and waits for its newline for ever (its
            // search stops at the hello's first zero byte): without a limit, a
            // `rediss://` URL with the port of a plain server would read as a hung
            // server. Any TLS server answers a hello within a round trip.
            let handshake = tls::handshake(tcp, &self.target.host, tls);
            let stream = tokio::time::timeout(HANDSHAKE_LIMIT, handshake)
                .await
                .map_err(|_| {
                    ConnectError::Tls(format!(
                        "TLS: server does not support TLS (it did not answer the handshake \
                         within {}s)",
                        HANDSHAKE_LIMIT.as_secs()
                    ))
                })?
                .map_err(ConnectError::Tls)?;
            return self.start(stream).await;
        }
        self.start(tcp).await
    }

    /// Runs redis-rs's handshake on `stream` and starts the task that drives the
    /// connection.
    async fn start<S>(&self, stream: S) -> Result<RedisConnection, ConnectError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // The runner owns the timeout: no response timeout here (redis-rs's default
        // is 500 ms), so a hung server reports `timed out after …` like every other
        // check, and a `BRPOP` may wait as long as it asks to.
        let config = AsyncConnectionConfig::new().set_response_timeout(None);
        let (connection, driver) =
            MultiplexedConnection::new_with_config(self.settings.expose(), stream, config)
                .await
                .map_err(ConnectError::Redis)?;
        let driver = tokio::spawn(driver).abort_handle();
        Ok(RedisConnection {
            connection,
            _driver: Arc::new(Driver(driver)),
        })
    }
}

/// Refuses TLS options where they cannot apply: on a plain URL (where they would
/// silently do nothing), and redis-py's `ssl_*` parameters this check does not know.
fn refuse_misplaced_tls_options(target: &Target, fragment: Option<&str>) -> Result<(), String> {
    match fragment {
        None => {}
        Some("insecure") if target.scheme.tls => {}
        Some(_) => return Err("the only URL fragment it takes is #insecure, on rediss://".into()),
    }
    for (key, _) in &target.query {
        if key.starts_with("ssl_") && !TLS_PARAMS.contains(&key.as_str()) {
            return Err(format!(
                "`{key}` is not supported (TLS parameters: {})",
                TLS_PARAMS.join(", ")
            ));
        }
        if TLS_PARAMS.contains(&key.as_str()) && !target.scheme.tls {
            return Err(format!("`{key}` applies to rediss:// only"));
        }
    }
    Ok(())
}

/// The TLS options of a `rediss://` URL: `#insecure` (redis-rs) or redis-py's
/// `ssl_cert_reqs=none` verify nothing; `ssl_check_hostname=false` verifies the chain
/// only; `ssl_ca_certs`, `ssl_certfile` and `ssl_keyfile` name the CA and client
/// certificate files.
#[cfg(feature = "rustls")]
fn tls_of_url(target: &Target, insecure: bool) -> Result<Tls, String> {
    // As Python's `ssl` module reads them: on a client, `optional` means `required`.
    let verify = match target.query_value("ssl_cert_reqs") {
        None | Some("required" | "CERT_REQUIRED" | "optional" | "CERT_OPTIONAL") => !insecure,
        Some("none" | "CERT_NONE") => false,
        Some(other) => {
            return Err(format!(
                "`ssl_cert_reqs={other}`: expected required, optional or none"
            ));
        }
    };
    // As kombu reads it: anything but `false` checks the host name.
    let check_host = target
        .query_value("ssl_check_hostname")
        .is_none_or(|value| !value.eq_ignore_ascii_case("false"));
    let mode = match (verify, check_host) {
        (false, _) => TlsMode::Insecure,
        (true, true) => TlsMode::VerifyFull,
        (true, false) => TlsMode::VerifyCa,
    };
    let mut tls = Tls::new().mode(mode);
    if let Some(ca) = target.query_value("ssl_ca_certs") {
        tls = tls.ca_file(ca);
    }
    match (
        target.query_value("ssl_certfile"),
        target.query_value("ssl_keyfile"),
    ) {
        (Some(cert), Some(key)) => tls = tls.client_cert(cert, key),
        (None, None) => {}
        _ => return Err("`ssl_certfile` and `ssl_keyfile` go together".into()),
    }
    Ok(tls)
}

/// Why a connection could not be made.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The TLS handshake failed: the whole public message (`TLS: certificate expired 5
    /// years ago`).
    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    Tls(String),
    /// The TCP connection, or redis-rs's handshake on it, failed.
    Redis(RedisError),
}

/// A redis-rs multiplexed connection on a stream opened here, with the task that
/// drives it; it derefs to the connection. Clones share both.
#[derive(Clone)]
pub(crate) struct RedisConnection {
    connection: MultiplexedConnection,
    _driver: Arc<Driver>,
}

/// Stops the task driving a connection once the last clone of the connection is gone.
/// Left alone, it would run until every command sent on it is answered: for ever on a
/// hung server, and for the rest of a `BRPOP` when a run is cut short. (redis-rs does
/// the same for the connections it opens itself.)
struct Driver(AbortHandle);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Deref for RedisConnection {
    type Target = MultiplexedConnection;

    fn deref(&self) -> &MultiplexedConnection {
        &self.connection
    }
}

impl DerefMut for RedisConnection {
    fn deref_mut(&mut self) -> &mut MultiplexedConnection {
        &mut self.connection
    }
}

/// The error's text without redis-rs's debug noise: `Password authentication failed`
/// rather than `Password authentication failed - AuthenticationFailed`, and server
/// errors as Redis writes them (`OOM command not allowed…`).
pub(crate) fn error_text(error: &RedisError) -> String {
    let text = error.to_string();
    if error.is_io_error() {
        // As `describe_io` writes I/O errors: `connection refused`.
        return super::describe_io_text(&text);
    }
    match (text.split_once(" - "), error.code(), error.detail()) {
        // redis-rs's own errors: `<description> - <Kind>[: <detail>]`.
        (Some((description, _)), _, Some(detail)) => format!("{description}: {detail}"),
        (Some((description, _)), _, None) => description.to_owned(),
        // The server's errors: `<Kind>: <detail>`.
        (None, Some(code), Some(detail)) => format!("{code} {detail}"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(url: &str) -> String {
        RedisClient::new(url).unwrap_err().reason
    }

    #[test]
    fn redis_settings_come_from_the_url() {
        let client = RedisClient::new("redis://app:s3cr3t@cache.internal:6390/5").unwrap();
        assert_eq!(
            (client.target.host.as_str(), client.target.port),
            ("cache.internal", 6390)
        );
        assert_eq!(client.db(), 5);
        assert_eq!(client.settings.expose().username(), Some("app"));
        assert_eq!(client.settings.expose().password(), Some("s3cr3t"));
        let debug = format!("{client:?}");
        assert!(
            debug.contains("redis://app:***@cache.internal:6390/5"),
            "{debug}"
        );
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert_eq!(
            RedisClient::new("valkey://[::1]").unwrap().target.host,
            "::1"
        );
    }

    #[test]
    fn bad_urls_say_why_without_the_password() {
        assert_eq!(
            reason("memcache://h"),
            "expected redis://, rediss://, valkey:// or valkeys://"
        );
        assert_eq!(reason("redis://h/x"), "Invalid database number");
        assert_eq!(
            reason("redis://h#insecure"),
            "the only URL fragment it takes is #insecure, on rediss://"
        );
        assert_eq!(
            reason("redis://h?ssl_cert_reqs=none"),
            "`ssl_cert_reqs` applies to rediss:// only"
        );
        let error = RedisClient::new("redis://:s3cr3t@h:port").unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"), "{error}");
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn tls_options_follow_redis_rs_and_redis_py() {
        let tls = |url: &str| RedisClient::new(url).unwrap().tls;
        assert_eq!(tls("redis://h"), None);
        assert_eq!(tls("rediss://h"), Some(Tls::new()));
        assert_eq!(
            tls("rediss://h/0#insecure"),
            Some(Tls::new().mode(TlsMode::Insecure))
        );
        assert_eq!(
            tls("rediss://h/0?ssl_cert_reqs=CERT_NONE"),
            Some(Tls::new().mode(TlsMode::Insecure))
        );
        assert_eq!(
            tls(
                "rediss://h/0?ssl_cert_reqs=required&ssl_check_hostname=False&ssl_ca_certs=/ca.pem"
            ),
            Some(Tls::new().mode(TlsMode::VerifyCa).ca_file("/ca.pem"))
        );
        assert_eq!(
            tls("rediss://h/0?ssl_certfile=/c.pem&ssl_keyfile=/c.key"),
            Some(Tls::new().client_cert("/c.pem", "/c.key"))
        );
        assert_eq!(
            RedisClient::new("redis://h").unwrap().tls(Tls::new()).tls,
            Some(Tls::new())
        );
        assert_eq!(
            reason("rediss://h?ssl_cert_reqs=maybe"),
            "`ssl_cert_reqs=maybe`: expected required, optional or none"
        );
        assert_eq!(
            reason("rediss://h?ssl_certfile=/c.pem"),
            "`ssl_certfile` and `ssl_keyfile` go together"
        );
        assert_eq!(
            reason("rediss://h?ssl_ca_path=/etc/ssl"),
            "`ssl_ca_path` is not supported (TLS parameters: ssl_cert_reqs, \
             ssl_check_hostname, ssl_ca_certs, ssl_certfile, ssl_keyfile)"
        );
    }

    #[cfg(not(feature = "rustls"))]
    #[test]
    fn tls_urls_name_the_missing_feature() {
        assert_eq!(
            reason("rediss://h"),
            "`rediss://` means TLS, which needs the `rustls` feature of healthz"
        );
    }
}
