//! `TlsCertificate`: [`TlsCertificate`], how long a server's certificate has left, read
//! from a real handshake (directly, or after [`Starttls`] in SMTP or PostgreSQL).

mod presented;
mod starttls;

use std::borrow::Cow;
use std::time::SystemTime;

use tokio::net::TcpStream;

pub use starttls::Starttls;

use super::InvalidUrl;
use super::target::{Scheme, Target};
use super::tls::{Tls, describe_age};
use crate::error::CheckError;
use crate::{CheckResult, HealthCheck, Observation, observe};
use presented::Presented;

/// The address forms it takes: a bare `host:port` reads as the first. `tls://` has no
/// usual port (a certificate can be served on any), so port 0 stands for none given.
const SCHEMES: [Scheme; 2] = [Scheme::tls("tls", 0), Scheme::tls("https", 443)];

/// Below this many days left, a warning (unless set).
const WARN_DAYS: u32 = 21;

/// Below this many days left, a failure (unless set).
const FAIL_DAYS: u32 = 7;

/// Checks a server's TLS certificate: connects, optionally asks for TLS with
/// [`Starttls`], completes the handshake, and compares the whole days the certificate
/// has left with two thresholds. Named `TlsCertificate`.
///
/// - **working** while at least `warn-days` (21) are left;
/// - **warning** under `warn-days`: `certificate for db.example.com expires in 12 days
///   (2026-12-12)`;
/// - **unavailable** under `fail-days` (7), and when the certificate has expired
///   (`certificate for db.example.com expired 3 days ago (2026-11-27)`), is not trusted
///   or is for another host, in TLS terms like every check (`TLS: certificate not
///   trusted (unknown issuer)`).
///
/// The certificate is verified as the [`Tls`] options say (`verify-full` unless set),
/// for the host connected to or the name set by
/// [`server_name`](TlsCertificate::server_name). Nothing is sent over TLS: the check
/// closes the connection once the handshake is done. (So a TLS 1.3 server that requires
/// a client certificate, which judges it only after the client's side of the handshake,
/// gets its certificate checked whether or not [`Tls`] presents one.)
///
/// Each run that reads the certificate observes its whole days left
/// ([`Observation`] `days_left`, unit `days`; negative once expired), which every
/// detailed format shows.
///
/// ```no_run
/// use healthz::checks::{Starttls, TlsCertificate};
/// use healthz::Registry;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .check(TlsCertificate::new("https://www.example.com")?)
///     .check(TlsCertificate::new("mail.example.com:587")?.starttls(Starttls::Smtp))
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TlsCertificate {
    target: Target,
    server_name: Option<String>,
    starttls: Option<Starttls>,
    tls: Tls,
    warn_days: u32,
    fail_days: u32,
}

impl TlsCertificate {
    /// Checks the certificate served at `address`: `host:port`, the same behind
    /// `tls://`, or `https://host[:port]` (port 443 unless given). Building the check
    /// never touches the network.
    ///
    /// ```
    /// use healthz::checks::TlsCertificate;
    ///
    /// let check = TlsCertificate::new("db.internal:5432")?;
    /// let check = TlsCertificate::new("https://[::1]:8443")?;
    /// assert!(TlsCertificate::new("db.internal").is_err()); // which port?
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] for another scheme, a missing or bad port, or anything
    /// besides the host and port.
    pub fn new(address: &str) -> Result<Self, InvalidUrl> {
        let target = Target::parse(address, &SCHEMES, true)?;
        let extra = target.user.is_some()
            || target.password.is_some()
            || !target.path.is_empty()
            || !target.query.is_empty()
            || address.contains('#');
        if extra {
            return Err(InvalidUrl::new(
                address,
                "expected host:port and nothing after it",
            ));
        }
        if target.port == 0 {
            return Err(InvalidUrl::new(
                address,
                "it names no port (expected host:port)",
            ));
        }
        Ok(Self {
            target,
            server_name: None,
            starttls: None,
            tls: Tls::new(),
            warn_days: WARN_DAYS,
            fail_days: FAIL_DAYS,
        })
    }

    /// A warning when fewer than `days` whole days are left (21 unless set).
    #[must_use]
    pub fn warn_days(mut self, days: u32) -> Self {
        self.warn_days = days;
        self
    }

    /// A failure when fewer than `days` whole days are left (7 unless set); set it
    /// below [`warn_days`](Self::warn_days), or the check never warns.
    #[must_use]
    pub fn fail_days(mut self, days: u32) -> Self {
        self.fail_days = days;
        self
    }

    /// Asks the server for TLS in its own protocol first, for a server that starts in
    /// plain text: a mail server on port 25 or 587, or PostgreSQL.
    #[must_use]
    pub fn starttls(mut self, protocol: Starttls) -> Self {
        self.starttls = Some(protocol);
        self
    }

    /// Verifies the certificate as `tls` says: its mode, an extra CA file, and a client
    /// certificate for servers that require one.
    ///
    /// ```
    /// use healthz::checks::{Tls, TlsCertificate};
    ///
    /// let check = TlsCertificate::new("db.internal:5432")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/private-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// Asks for and verifies the certificate of `name` rather than of the host
    /// connected to: a server reached by an address its certificate does not name, or
    /// one that serves several names (SNI).
    ///
    /// ```
    /// use healthz::checks::TlsCertificate;
    ///
    /// let check = TlsCertificate::new("10.0.0.5:443")?.server_name("www.example.com");
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The certificate the server presents.
    async fn fetch(&self) -> Result<Presented, CheckError> {
        let tcp = TcpStream::connect((self.target.host.as_str(), self.target.port))
            .await
            .map_err(|error| {
                CheckError::unavailable(format!("cannot connect: {}", super::describe_io(&error)))
            })?;
        let tcp = match self.starttls {
            Some(protocol) => starttls::negotiate(protocol, tcp).await?,
            None => tcp,
        };
        let name = self.server_name.as_deref().unwrap_or(&self.target.host);
        presented::fetch(tcp, name, &self.tls).await
    }

    /// The outcome for `certificate` at `now`, from its days left.
    fn judge(&self, certificate: &Presented, now: SystemTime) -> CheckResult {
        let days_left = certificate.days_left(now);
        let subject = &certificate.subject;
        let date = certificate.expiry_date();
        let left = match certificate.not_after.duration_since(now) {
            Ok(left) => left,
            Err(past) => {
                let ago = describe_age(past.duration().as_secs());
                return Err(CheckError::unavailable(format!(
                    "certificate for {subject} expired {ago} ago ({date})"
                )));
            }
        };
        let expires = || {
            let left = describe_age(left.as_secs());
            format!("certificate for {subject} expires in {left} ({date})")
        };
        if days_left < i64::from(self.fail_days) {
            Err(CheckError::unavailable(expires()))
        } else if days_left < i64::from(self.warn_days) {
            Err(CheckError::warning(expires()))
        } else {
            Ok(())
        }
    }
}

impl HealthCheck for TlsCertificate {
    async fn check(&self) -> CheckResult {
        let certificate = self.fetch().await?;
        let now = SystemTime::now();
        let days_left = certificate.days_left(now) as f64;
        observe(Observation::number("days_left", days_left).unit("days"));
        self.judge(&certificate, now)
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("TlsCertificate")
    }

    fn component_type(&self) -> &'static str {
        "system"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const DAY: u64 = 86_400;

    fn host_and_port(address: &str) -> (String, u16) {
        let check = TlsCertificate::new(address).unwrap();
        (check.target.host, check.target.port)
    }

    fn reason(address: &str) -> String {
        TlsCertificate::new(address).unwrap_err().reason
    }

    #[test]
    fn addresses_in_every_accepted_form() {
        assert_eq!(
            host_and_port("db.internal:5432"),
            ("db.internal".to_owned(), 5432)
        );
        assert_eq!(host_and_port("tls://[::1]:8443"), ("::1".to_owned(), 8443));
        assert_eq!(
            host_and_port("https://www.example.com/"),
            ("www.example.com".to_owned(), 443)
        );
        assert_eq!(
            host_and_port("HTTPS://www.example.com:8443"),
            ("www.example.com".to_owned(), 8443)
        );
    }

    #[test]
    fn bad_addresses_say_why() {
        assert_eq!(
            reason("db.internal"),
            "it names no port (expected host:port)"
        );
        assert_eq!(
            reason("tls://db.internal"),
            "it names no port (expected host:port)"
        );
        assert_eq!(reason("smtp://mx:25"), "expected tls:// or https://");
        assert_eq!(
            reason("https://www.example.com/login"),
            "expected host:port and nothing after it"
        );
        assert_eq!(
            reason("https://u:hunter2@www.example.com"),
            "expected host:port and nothing after it"
        );
        assert!(
            !TlsCertificate::new("https://u:hunter2@h")
                .unwrap_err()
                .to_string()
                .contains("hunter2")
        );
    }

    /// The outcome of judging a certificate for `db.example.com` that has `left`
    /// seconds left (negative: expired that long ago), on 2026-12-01.
    fn judged(check: &TlsCertificate, left: i64) -> String {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_083_200);
        let distance = Duration::from_secs(left.unsigned_abs());
        let not_after = if left < 0 {
            now - distance
        } else {
            now + distance
        };
        let certificate = Presented {
            subject: "db.example.com".to_owned(),
            not_after,
        };
        match check.judge(&certificate, now) {
            Ok(()) => "working".to_owned(),
            Err(error) => format!("{}: {}", error.kind(), error.message()),
        }
    }

    #[test]
    fn days_left_are_judged_against_the_thresholds() {
        let check = TlsCertificate::new("db.example.com:5432").unwrap();
        assert_eq!(judged(&check, 21 * DAY as i64), "working");
        assert_eq!(
            judged(&check, 21 * DAY as i64 - 1),
            "warning: certificate for db.example.com expires in 20 days (2026-12-21)"
        );
        assert_eq!(
            judged(&check, 7 * DAY as i64),
            "warning: certificate for db.example.com expires in 7 days (2026-12-08)"
        );
        assert_eq!(
            judged(&check, 5 * 3600),
            "unavailable: certificate for db.example.com expires in 5 hours (2026-12-01)"
        );
        assert_eq!(
            judged(&check, -(3 * DAY as i64)),
            "unavailable: certificate for db.example.com expired 3 days ago (2026-11-28)"
        );
        let strict = check.warn_days(60).fail_days(30);
        assert_eq!(
            judged(&strict, 45 * DAY as i64),
            "warning: certificate for db.example.com expires in 45 days (2027-01-15)"
        );
        assert_eq!(
            judged(&strict, 29 * DAY as i64),
            "unavailable: certificate for db.example.com expires in 29 days (2026-12-30)"
        );
    }

    #[test]
    fn it_is_named_as_a_system_check() {
        let check = TlsCertificate::new("db.example.com:5432").unwrap();
        assert_eq!(check.identifier(), "TlsCertificate");
        assert_eq!(check.component_type(), "system");
    }
}
