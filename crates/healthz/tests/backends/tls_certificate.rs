//! `TlsCertificate` against real TLS servers: the Memcached TLS instances of
//! `scripts/services.d/memcached-tls.sh` (valid, other-host, expired and mutual-TLS
//! certificates: the check only does the handshake), aiosmtpd with and without STARTTLS
//! and PostgreSQL with and without SSL (`scripts/services.d/tls-certificate.sh`), and a
//! server the test runs itself for a certificate it makes to expire in ten days. Then
//! the failure modes every backend check is tested on: nothing listening, a hung server,
//! a server that does not speak TLS.

use crate::backend::{self, outcome};
use crate::net;
use crate::tls::{self, assert_tls_failure};
use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use healthz::HealthCheck;
use healthz::checks::{Starttls, Tls, TlsCertificate, TlsMode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// A test server: what it is, where, and the file that starts it.
struct Server {
    service: &'static str,
    addr: &'static str,
    started_by: &'static str,
}

impl Server {
    /// One of the Memcached TLS instances (the check only does the handshake).
    const fn memcached(addr: &'static str) -> Self {
        Self {
            service: "Memcached with TLS",
            addr,
            started_by: "scripts/services.d/memcached-tls.sh",
        }
    }

    /// One of the servers of the STARTTLS tests.
    const fn starttls(service: &'static str, addr: &'static str) -> Self {
        Self {
            service,
            addr,
            started_by: "scripts/services.d/tls-certificate.sh",
        }
    }
}

/// Serving the valid server certificate (ten years, for `localhost`).
const VALID: Server = Server::memcached("127.0.0.1:11212");
/// Serving a certificate for `other-host.invalid` only.
const OTHER_HOST: Server = Server::memcached("127.0.0.1:11213");
/// Serving a certificate that expired on 2020-02-01.
const EXPIRED: Server = Server::memcached("127.0.0.1:11214");
/// Requiring a client certificate.
const MUTUAL: Server = Server::memcached("127.0.0.1:11215");
/// Plain Memcached, which does not speak TLS.
const PLAIN: Server = Server {
    service: "Memcached",
    addr: "127.0.0.1:11211",
    started_by: "scripts/services.sh",
};
/// aiosmtpd offering STARTTLS with the valid server certificate.
const SMTP: Server = Server::starttls("aiosmtpd with STARTTLS", "127.0.0.1:2525");
/// aiosmtpd without TLS.
const SMTP_PLAIN: Server = Server::starttls("aiosmtpd without TLS", "127.0.0.1:2526");
/// PostgreSQL with `ssl = on` and the valid server certificate.
const POSTGRES: Server = Server::starttls("PostgreSQL with ssl = on", "127.0.0.1:9444");
/// PostgreSQL with `ssl = off`.
const POSTGRES_NO_SSL: Server = Server::starttls("PostgreSQL with ssl = off", "127.0.0.1:9445");

/// The check of `addr`, trusting the test CA.
fn check(addr: &str) -> TlsCertificate {
    TlsCertificate::new(addr)
        .unwrap()
        .tls(tls::trusting_the_ca())
}

/// The outcome of one run of `check` (pointed at `server`), after making sure that
/// `server` listens; fails the test, naming it and the file that starts it, if not.
async fn run(server: &Server, check: TlsCertificate) -> String {
    backend::require(
        server.service,
        server.addr,
        server.started_by,
        backend::START,
        TcpStream::connect(server.addr),
    )
    .await;
    outcome(check).await
}

/// `2026-12-12`: the UTC day of `time`.
fn date(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()[..10].to_owned()
}

#[tokio::test]
async fn a_certificate_with_years_left_works() {
    let check = check(VALID.addr);
    assert_eq!(check.identifier(), "TlsCertificate");
    assert_eq!(check.component_type(), "system");
    assert_eq!(run(&VALID, check).await, "working");
    let url = format!("tls://{}", VALID.addr);
    assert_eq!(run(&VALID, self::check(&url)).await, "working");
}

/// A TLS server on a free loopback port that the test runs itself, serving a
/// certificate for `localhost` (common name `soon.localhost`) that the test CA signs
/// now, valid for `days`. Returns its address and the two days its expiry can fall on
/// (counted from just before and just after openssl made it: they differ only around
/// midnight).
async fn serve_certificate_valid_for(days: u32) -> (SocketAddr, [String; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let (pem, key) = (dir.path().join("soon.pem"), tls::file("server.key"));
    let before = SystemTime::now();
    make_certificate(&pem, &key, days, dir.path());
    let after = SystemTime::now();
    let valid = Duration::from_secs(u64::from(days) * 86_400);

    let chain = CertificateDer::pem_file_iter(&pem)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Until the client closes: it only reads the certificate.
                if let Ok(mut stream) = acceptor.accept(tcp).await {
                    let _ = stream.read_to_end(&mut Vec::new()).await;
                }
            });
        }
    });
    (addr, [date(before + valid), date(after + valid)])
}

/// Makes `pem`, a certificate for `key` valid for `days` from now, with openssl (as
/// `scripts/tls-certs.sh` makes the others), working in `work`.
fn make_certificate(pem: &Path, key: &Path, days: u32, work: &Path) {
    let (csr, extensions) = (work.join("soon.csr"), work.join("soon.ext"));
    std::fs::write(
        &extensions,
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    let serial = format!("0x{:016x}", fastrand::u64(..));
    let subject = "/CN=soon.localhost";
    openssl(&[
        &"req", &"-new", &"-key", &key, &"-subj", &subject, &"-out", &csr,
    ]);
    openssl(&[
        &"x509",
        &"-req",
        &"-in",
        &csr,
        &"-CA",
        &tls::file("ca.pem"),
        &"-CAkey",
        &tls::file("ca.key"),
        &"-set_serial",
        &serial,
        &"-days",
        &days.to_string(),
        &"-sha256",
        &"-extfile",
        &extensions,
        &"-out",
        &pem,
    ]);
}

/// Runs `openssl` with `args`; fails the test, with openssl's words, unless it succeeds.
fn openssl(args: &[&dyn AsRef<OsStr>]) {
    let output = Command::new("openssl")
        .args(args.iter().map(|arg| arg.as_ref()))
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run openssl, which makes the test certificates ({error}): install it")
        });
    assert!(
        output.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn under_warn_days_it_warns_and_under_fail_days_it_fails() {
    let (addr, dates) = serve_certificate_valid_for(10).await;
    let addr = addr.to_string();
    // Made moments ago for ten days: nine whole days are left.
    let expected = |kind: &str| {
        dates.clone().map(|date| {
            format!("{kind}: certificate for soon.localhost expires in 9 days ({date})")
        })
    };
    let (report, _) = backend::run_one(check(&addr), Duration::from_secs(5)).await;
    let warned = backend::text(&report);
    assert!(expected("warning").contains(&warned), "{warned}");
    let [days_left] = report.checks[0].observations.as_slice() else {
        panic!("{:?}", report.checks[0].observations)
    };
    assert_eq!(days_left.to_string(), "days_left 9 days");
    let failed = outcome(check(&addr).fail_days(10)).await;
    assert!(expected("unavailable").contains(&failed), "{failed}");
    assert_eq!(outcome(check(&addr).warn_days(9)).await, "working");
}

#[tokio::test]
async fn an_expired_certificate_fails_with_its_date_in_every_mode() {
    for tls in [
        tls::trusting_the_ca(),
        tls::chain_only(),
        tls::trusting_the_ca().mode(TlsMode::Insecure),
        Tls::new(),
    ] {
        let text = run(&EXPIRED, check(EXPIRED.addr).tls(tls)).await;
        assert!(
            text.starts_with("unavailable: certificate for localhost expired ")
                && text.ends_with(" days ago (2020-02-01)"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_unknown_ca_is_not_trusted() {
    assert_eq!(
        run(&VALID, check(VALID.addr).tls(Tls::new())).await,
        "unavailable: TLS: certificate not trusted (unknown issuer)"
    );
}

#[tokio::test]
async fn another_host_name_fails_verify_full_and_passes_verify_ca_or_its_server_name() {
    let other = || check(OTHER_HOST.addr);
    assert_eq!(
        run(&OTHER_HOST, other()).await,
        "unavailable: TLS: host name mismatch: certificate is for other-host.invalid, not 127.0.0.1"
    );
    let chain_only = other().tls(tls::chain_only());
    assert_eq!(run(&OTHER_HOST, chain_only).await, "working");
    let named = other().server_name("other-host.invalid");
    assert_eq!(run(&OTHER_HOST, named).await, "working");
    let wrong_name = check(VALID.addr).server_name("other-host.invalid");
    assert_tls_failure(
        &run(&VALID, wrong_name).await,
        "unavailable: TLS: host name mismatch: certificate is for localhost",
    );
}

#[tokio::test]
async fn a_server_requiring_a_client_certificate_gets_one() {
    let check = check(MUTUAL.addr).tls(tls::with_client_cert());
    assert_eq!(run(&MUTUAL, check).await, "working");
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port().to_string();
    backend::assert_refused(&backend::nothing_listening(check(&addr)).await);
}

#[tokio::test]
async fn a_hung_server_times_out_and_the_runner_is_free_again() {
    assert_eq!(run(&VALID, check(VALID.addr)).await, "working");
    let hung = net::HungListener::start();
    backend::assert_hung_times_out_and_frees_the_runner(
        || hung.accepted(),
        check(&hung.addr().to_string()),
        check(VALID.addr),
        "TlsCertificate",
        "server",
        Duration::from_secs(1),
        true,
    )
    .await;
}

#[tokio::test]
async fn a_server_without_tls_is_named_as_such() {
    assert_tls_failure(
        &run(&PLAIN, check(PLAIN.addr)).await,
        "unavailable: TLS: server does not support TLS",
    );
}

#[tokio::test]
async fn smtp_starttls_reads_the_mail_servers_certificate() {
    let smtp = || check(SMTP.addr).starttls(Starttls::Smtp);
    assert_eq!(run(&SMTP, smtp()).await, "working");
    assert_eq!(
        run(&SMTP, smtp().tls(Tls::new())).await,
        "unavailable: TLS: certificate not trusted (unknown issuer)"
    );
}

#[tokio::test]
async fn an_smtp_server_without_starttls_is_named_as_such() {
    assert_eq!(
        run(&SMTP_PLAIN, check(SMTP_PLAIN.addr).starttls(Starttls::Smtp)).await,
        "unavailable: TLS: server does not support TLS (the SMTP server does not offer STARTTLS)"
    );
}

#[tokio::test]
async fn postgres_starttls_reads_the_database_servers_certificate() {
    let postgres = check(POSTGRES.addr).starttls(Starttls::Postgres);
    assert_eq!(run(&POSTGRES, postgres).await, "working");
}

#[tokio::test]
async fn a_postgres_server_without_ssl_is_named_as_such() {
    let postgres = check(POSTGRES_NO_SSL.addr).starttls(Starttls::Postgres);
    assert_eq!(
        run(&POSTGRES_NO_SSL, postgres).await,
        "unavailable: TLS: server does not support TLS (PostgreSQL answered N to the SSL request)"
    );
}
