//! `CacheBackend` on Memcached: [`Memcached`], over memcached's text protocol.
//!
//! The protocol is spoken here directly (three commands and their replies) rather than
//! through a client crate: the light async client (`memcache-async`) sends `set` and
//! `delete` with `noreply`, so it cannot tell that a key was stored or removed, and the
//! complete one (`async-memcached`) brings a parser combinator library and a dozen
//! crates for what is here a hundred lines.

use std::borrow::Cow;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::InvalidUrl;
use super::kept::Kept;
use super::stream::Stream;
use super::target::{Scheme, Target};
#[cfg(feature = "rustls")]
use super::tls::{self, Tls};
use crate::error::CheckError;
use crate::{CheckResult, HealthCheck};

/// How long a probe key lives if the check is stopped before it deletes it.
const PROBE_TTL: Duration = Duration::from_secs(10);

/// The longest reply line the check reads: memcached's are far shorter.
const MAX_LINE: u64 = 1024;

/// The address forms it takes: a bare `host[:port]` reads as the first.
const SCHEMES: [Scheme; 3] = [
    Scheme::plain("memcache", 11211),
    Scheme::plain("memcached", 11211),
    Scheme::plain("tcp", 11211),
];

/// Checks a Memcached server: adds a unique key (`healthz:<random hex>`) that
/// expires after 10 seconds, reads it back, compares and deletes it. Named
/// `CacheBackend`.
///
/// The three commands are sent together, so once they reach the server the key is
/// deleted even if the runner's timeout stops the check before the replies arrive; a
/// check stopped earlier never stored it, and the 10-second expiry bounds any other
/// case. `add` never overwrites a key; no other key is read or written.
///
/// ```no_run
/// use healthz::checks::Memcached;
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(Memcached::new("memcache.internal:11211")?)
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Memcached {
    target: Target,
    #[cfg(feature = "rustls")]
    tls: Option<Tls>,
    connection: Kept<BufReader<Stream>>,
}

impl Memcached {
    /// Checks the server at `address`: `host:port`, `host` (port 11211), or the same
    /// behind `memcache://`, `memcached://` or `tcp://`. Building the check never
    /// touches the network; the connection is made when the check first runs and kept
    /// while it works.
    ///
    /// ```
    /// use healthz::checks::Memcached;
    ///
    /// let check = Memcached::new("memcache://127.0.0.1:11211")?;
    /// assert!(Memcached::new("memcache://127.0.0.1:port").is_err());
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] for another scheme, a bad port, or anything besides the
    /// host and port (the text protocol has no authentication).
    pub fn new(address: &str) -> Result<Self, InvalidUrl> {
        let target = Target::parse(address, &SCHEMES, true)?;
        if target.user.is_some() || target.password.is_some() {
            return Err(InvalidUrl::new(
                address,
                "memcached's text protocol has no authentication",
            ));
        }
        target.server_only()?;
        Ok(Self {
            target,
            #[cfg(feature = "rustls")]
            tls: None,
            connection: Kept::default(),
        })
    }

    /// Speaks TLS to the server, as memcached 1.6 serves it (`memcached -Z`), verified
    /// as `tls` says.
    ///
    /// ```
    /// use healthz::checks::{Memcached, Tls};
    ///
    /// let check = Memcached::new("cache.internal:11211")?.tls(Tls::new().ca_file("/etc/ssl/cache-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    async fn run(&self) -> Result<(), Failure> {
        // If the runner's timeout drops this future, the connection goes with it,
        // half-read replies included.
        self.connection
            .run(
                async || self.open().await,
                |conn| Box::pin(round_trip(conn)),
                // Any I/O error: the server may have restarted since the last run.
                |failure| matches!(failure, Failure::Io(..)),
            )
            .await
    }

    async fn open(&self) -> Result<BufReader<Stream>, Failure> {
        let stream = TcpStream::connect((self.target.host.as_str(), self.target.port))
            .await
            .map_err(|error| Failure::Io("cannot connect", error))?;
        // Three small writes and their replies: do not wait for more to send.
        stream
            .set_nodelay(true)
            .map_err(|error| Failure::Io("cannot connect", error))?;
        #[cfg(feature = "rustls")]
        if let Some(tls) = &self.tls {
            let stream = tls::handshake(stream, &self.target.host, tls)
                .await
                .map_err(Failure::Tls)?;
            return Ok(BufReader::new(Stream::Tls(Box::new(stream))));
        }
        Ok(BufReader::new(Stream::Plain(stream)))
    }
}

impl HealthCheck for Memcached {
    async fn check(&self) -> CheckResult {
        self.run().await.map_err(Failure::into_check_error)
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("CacheBackend")
    }

    fn component_type(&self) -> &'static str {
        "datastore"
    }
}

/// Why a Memcached probe failed.
enum Failure {
    /// The connection failed while doing what the text says.
    Io(&'static str, io::Error),
    /// The TLS handshake failed: the whole public message.
    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    Tls(String),
    /// The server reported an error (`SERVER_ERROR out of memory…`).
    Server(String),
    /// The server answered something other than what the probe expected.
    Unexpected(String),
}

impl Failure {
    fn into_check_error(self) -> CheckError {
        match self {
            // With TLS 1.3 the server judges the client's certificate after the
            // client's side of the handshake, so its verdict comes with the first read.
            Self::Io(_, error) if let Some(tls) = super::tls_failure(&error) => {
                CheckError::unavailable(tls)
            }
            Self::Io(doing, error) if error.kind() == io::ErrorKind::UnexpectedEof => {
                CheckError::unavailable(format!("{doing}: the server closed the connection"))
            }
            Self::Io(doing, error) => {
                CheckError::unavailable(format!("{doing}: {}", super::describe_io(&error)))
            }
            Self::Tls(message) => CheckError::unavailable(message),
            Self::Server(line) => CheckError::unavailable(format!("memcached answered {line}")),
            Self::Unexpected(message) => CheckError::unexpected_result(message),
        }
    }
}

/// Adds, gets and deletes a unique key, the three commands in one write.
async fn round_trip(conn: &mut BufReader<Stream>) -> Result<(), Failure> {
    let key = format!("healthz:{:032x}", fastrand::u128(..));
    let value = format!("{:032x}", fastrand::u128(..));
    exchange(conn, &key, &value).await
}

/// The verdict on the server's replies to the probe of `key` and `value` over
/// `stream`: the check's whole reading of a server, for the fuzz targets and property
/// tests, which play the server.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) async fn probe_over<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    key: &str,
    value: &str,
) -> CheckResult {
    exchange(&mut BufReader::new(stream), key, value)
        .await
        .map_err(Failure::into_check_error)
}

/// Sends the probe of `key` and `value` and judges the three replies.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    key: &str,
    value: &str,
) -> Result<(), Failure> {
    let commands = format!(
        "add {key} 0 {ttl} {len}\r\n{value}\r\nget {key}\r\ndelete {key}\r\n",
        ttl = PROBE_TTL.as_secs(),
        len = value.len(),
    );
    let io = |doing| move |error| Failure::Io(doing, error);
    conn.get_mut()
        .write_all(commands.as_bytes())
        .await
        .map_err(io("cannot send the probe"))?;

    // Every reply is read before judging any, so the connection stays in step.
    let added = read_line(conn).await?;
    let read = read_value(conn, key).await?;
    let deleted = read_line(conn).await?;

    match added.as_str() {
        "STORED" => {}
        "NOT_STORED" => {
            return Err(Failure::Unexpected(
                "add answered NOT_STORED for a new key".to_owned(),
            ));
        }
        line => return Err(server_or_unexpected("add", line)),
    }
    match read {
        Some(read) if read == value.as_bytes() => {}
        Some(_) => {
            return Err(Failure::Unexpected(
                "read back another value than it wrote".to_owned(),
            ));
        }
        None => {
            return Err(Failure::Unexpected(
                "the key it added was missing".to_owned(),
            ));
        }
    }
    match deleted.as_str() {
        "DELETED" => Ok(()),
        line => Err(server_or_unexpected("delete", line)),
    }
}

/// `SERVER_ERROR …` and `CLIENT_ERROR …` are the server's errors; anything else is a
/// reply the probe did not expect.
fn server_or_unexpected(command: &str, line: &str) -> Failure {
    if line.starts_with("SERVER_ERROR") || line.starts_with("CLIENT_ERROR") || line == "ERROR" {
        Failure::Server(line.to_owned())
    } else {
        Failure::Unexpected(format!("{command} answered {line:?}"))
    }
}

/// One reply line, without its `\r\n`.
async fn read_line<S: AsyncRead + Unpin>(conn: &mut BufReader<S>) -> Result<String, Failure> {
    let mut line = Vec::new();
    (&mut *conn)
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|error| Failure::Io("cannot read the reply", error))?;
    if line.is_empty() {
        return Err(Failure::Io(
            "cannot read the reply",
            io::ErrorKind::UnexpectedEof.into(),
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(Failure::Unexpected(
            "a reply line is too long or cut short".to_owned(),
        ));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).map_err(|_| Failure::Unexpected("a reply is not text".to_owned()))
}

/// The reply to `get key`: `VALUE key flags bytes\r\n<bytes>\r\nEND\r\n`, or `END\r\n`
/// when the key is missing.
async fn read_value<S: AsyncRead + Unpin>(
    conn: &mut BufReader<S>,
    key: &str,
) -> Result<Option<Vec<u8>>, Failure> {
    let header = read_line(conn).await?;
    if header == "END" {
        return Ok(None);
    }
    let mut fields = header.split(' ');
    let len = match (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) {
        (Some("VALUE"), Some(k), Some(flags), Some(len), None)
            if k == key && decimal(flags).is_some_and(|flags| flags <= u64::from(u32::MAX)) =>
        {
            decimal(len)
        }
        _ => None,
    };
    let Some(len) = len
        .filter(|&len| len <= MAX_LINE)
        .and_then(|len| usize::try_from(len).ok())
    else {
        return Err(server_or_unexpected("get", &header));
    };
    let mut data = vec![0; len + 2];
    conn.read_exact(&mut data)
        .await
        .map_err(|error| Failure::Io("cannot read the reply", error))?;
    if !data.ends_with(b"\r\n") {
        return Err(Failure::Unexpected(
            "get answered a malformed value".to_owned(),
        ));
    }
    data.truncate(len);
    match read_line(conn).await?.as_str() {
        "END" => Ok(Some(data)),
        line => Err(server_or_unexpected("get", line)),
    }
}

/// A number as memcached writes one: decimal digits, no sign, no leading zero.
fn decimal(field: &str) -> Option<u64> {
    let canonical = field.bytes().all(|byte| byte.is_ascii_digit())
        && (field == "0" || !field.starts_with('0'));
    canonical.then(|| field.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_and_port(address: &str) -> (String, u16) {
        let check = Memcached::new(address).unwrap();
        (check.target.host, check.target.port)
    }

    fn reason(address: &str) -> String {
        Memcached::new(address).unwrap_err().reason
    }

    #[test]
    fn addresses_in_every_accepted_form() {
        assert_eq!(
            host_and_port("127.0.0.1:11211"),
            ("127.0.0.1".to_owned(), 11211)
        );
        assert_eq!(host_and_port("cache"), ("cache".to_owned(), 11211));
        assert_eq!(
            host_and_port("memcache://cache:1234/"),
            ("cache".to_owned(), 1234)
        );
        assert_eq!(
            host_and_port("memcached://cache"),
            ("cache".to_owned(), 11211)
        );
        assert_eq!(
            host_and_port("tcp://[::1]:11211"),
            ("::1".to_owned(), 11211)
        );
        assert_eq!(host_and_port("[::1]"), ("::1".to_owned(), 11211));
    }

    #[test]
    fn bad_addresses_say_why() {
        assert_eq!(
            reason("redis://h:1"),
            "expected memcache://, memcached:// or tcp://"
        );
        assert_eq!(reason("h:port"), "the port is not a number from 0 to 65535");
        assert_eq!(reason("memcache://:11211"), "it names no host");
        assert_eq!(
            reason("memcache://u:pw@h"),
            "memcached's text protocol has no authentication"
        );
        assert_eq!(reason("h:1/x"), "expected host:port and nothing after it");
        assert_eq!(reason("[::1:11211"), "invalid IPv6 address");
    }

    #[test]
    fn invalid_addresses_never_show_a_password() {
        let error = Memcached::new("memcache://u:hunter2@h").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
