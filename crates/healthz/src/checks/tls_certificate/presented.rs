//! The certificate a server presents: the handshake that records it, with the verdict
//! on it, and what the check reads from it (its subject and its expiry).

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use rustls::CertificateError;
use rustls::pki_types::CertificateDer;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use x509_cert::Certificate;
use x509_cert::certificate::TbsCertificate;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::checks::tls::{self, Judged, Tls, Verdict};
use crate::error::CheckError;

/// What the check reads from a server's certificate.
#[derive(Debug)]
pub(super) struct Presented {
    /// Who it is for: its common name, else its first subject alternative name, else
    /// its whole subject.
    pub(super) subject: String,
    /// The end of its validity (`notAfter`).
    pub(super) not_after: SystemTime,
}

impl Presented {
    /// The whole days left at `now`, rounded down: 9 when 9 days and 23 hours are left,
    /// -1 for a certificate that expired an hour ago. The value the thresholds compare.
    pub(super) fn days_left(&self, now: SystemTime) -> i64 {
        let seconds = match self.not_after.duration_since(now) {
            Ok(left) => seconds(left),
            Err(past) => -seconds(past.duration()),
        };
        seconds.div_euclid(86_400)
    }

    /// `2026-12-12`: the day it expires, in UTC.
    pub(super) fn expiry_date(&self) -> String {
        let mut text = humantime::format_rfc3339_seconds(self.not_after).to_string();
        text.truncate("2026-12-12".len());
        text
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Runs the TLS handshake on `tcp`, verifying the server's certificate for `name` as
/// `tls` says, and reads that certificate.
///
/// An expired certificate is read all the same, so that the check can name its date;
/// any other failure is the error, in TLS terms.
pub(super) async fn fetch(tcp: TcpStream, name: &str, tls: &Tls) -> Result<Presented, CheckError> {
    let seen = Arc::new(OnceLock::new());
    let record = {
        let seen = Arc::clone(&seen);
        // The verdict stands; the certificate is kept with it, so that it can be read
        // even when the handshake fails.
        move |end_entity: &CertificateDer<'_>, verdict: Verdict| {
            // One handshake, one certificate: a second call cannot happen, and would
            // only be ignored.
            let _ = seen.set(Seen {
                end_entity: end_entity.clone().into_owned(),
                verdict: verdict.as_ref().map(|_| ()).map_err(Clone::clone),
            });
            verdict
        }
    };
    let config = tls
        .client_config_around(|verifier| Arc::new(Judged::new(verifier, record)))
        .map_err(|error| CheckError::unavailable(error.to_string()))?;
    // A configuration made for this handshake alone has no session to resume, so the
    // verifier always sees the certificate.
    let handshake = tls::connect(tcp, name, config).await;
    match (handshake, seen.get()) {
        (Ok(mut stream), Some(seen)) => {
            // A polite close_notify; the certificate is read already, so a server that
            // hung up first is no failure.
            let _ = stream.shutdown().await;
            read(&seen.end_entity)
        }
        (Err(message), Some(seen)) if seen.verdict.as_ref().is_err_and(is_expiry) => {
            read(&seen.end_entity).map_err(|_| CheckError::unavailable(message))
        }
        (Err(message), _) => Err(CheckError::unavailable(message)),
        (Ok(_), None) => Err(CheckError::unavailable(
            "TLS: the server presented no certificate",
        )),
    }
}

fn is_expiry(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        )
    )
}

/// The subject and expiry of the certificate `der`.
fn read(der: &CertificateDer<'_>) -> Result<Presented, CheckError> {
    let certificate = Certificate::from_der(der).map_err(|error| {
        CheckError::unexpected_result(format!(
            "TLS: cannot read the server's certificate: {error}"
        ))
    })?;
    let tbs = certificate.tbs_certificate();
    Ok(Presented {
        subject: subject(tbs),
        not_after: SystemTime::UNIX_EPOCH + tbs.validity().not_after.to_unix_duration(),
    })
}

/// The name a person knows the certificate by.
fn subject(tbs: &TbsCertificate) -> String {
    let common_name = tbs
        .subject()
        .common_name()
        .ok()
        .flatten()
        .map(|name| name.value().into_owned());
    let alternative = || {
        let (_, names) = tbs.get_extension::<SubjectAltName>().ok().flatten()?;
        names.0.iter().find_map(|name| match name {
            GeneralName::DnsName(dns) => Some(dns.to_string()),
            GeneralName::IpAddress(octets) => ip_address(octets.as_bytes()),
            _ => None,
        })
    };
    common_name
        .filter(|name| !name.is_empty())
        .or_else(alternative)
        .unwrap_or_else(|| tbs.subject().to_string())
}

/// An `iPAddress` name: 4 octets for IPv4, 16 for IPv6.
fn ip_address(octets: &[u8]) -> Option<String> {
    let address = match octets.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(octets).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(octets).ok()?),
        _ => return None,
    };
    Some(address.to_string())
}

/// What the verifier saw during a handshake.
#[derive(Debug)]
struct Seen {
    end_entity: CertificateDer<'static>,
    verdict: Result<(), rustls::Error>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn expiring(seconds_after_epoch: u64) -> Presented {
        Presented {
            subject: "db.example.com".to_owned(),
            not_after: SystemTime::UNIX_EPOCH + Duration::from_secs(seconds_after_epoch),
        }
    }

    fn at(seconds_after_epoch: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds_after_epoch)
    }

    #[test]
    fn days_left_are_whole_days_rounded_down() {
        let certificate = expiring(100 * DAY);
        assert_eq!(certificate.days_left(at(90 * DAY)), 10);
        assert_eq!(certificate.days_left(at(90 * DAY + 1)), 9);
        assert_eq!(certificate.days_left(at(100 * DAY)), 0);
        assert_eq!(certificate.days_left(at(100 * DAY + 1)), -1);
        assert_eq!(certificate.days_left(at(103 * DAY)), -3);
    }

    #[test]
    fn the_expiry_date_is_the_utc_day() {
        // 2026-12-12T23:59:59Z.
        assert_eq!(expiring(1_797_119_999).expiry_date(), "2026-12-12");
    }

    #[test]
    fn ip_address_names_are_written_as_addresses() {
        assert_eq!(ip_address(&[127, 0, 0, 1]).as_deref(), Some("127.0.0.1"));
        let mut loopback = [0; 16];
        loopback[15] = 1;
        assert_eq!(ip_address(&loopback).as_deref(), Some("::1"));
        assert_eq!(ip_address(&[1, 2, 3]), None);
    }
}
