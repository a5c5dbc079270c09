//! The certificates of the TLS tests, made by `scripts/tls-certs.sh` (which
//! `scripts/services.sh` runs) into `HEALTHZ_TLS_DIR` (default `~/.cache/healthz/tls`),
//! and the cases every TLS-capable check is tested on.

#![allow(dead_code)]

use std::fmt::Debug;
use std::path::PathBuf;

use healthz::HealthCheck;
use healthz::checks::{Tls, TlsMode};

use crate::{backend, logs};

/// The directory of the test certificates; fails the test, saying how to make them,
/// when they are missing.
pub(crate) fn dir() -> PathBuf {
    let dir = std::env::var_os("HEALTHZ_TLS_DIR").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/healthz/tls"),
        PathBuf::from,
    );
    assert!(
        dir.join("client.pem").is_file(),
        "no test certificates in {} (HEALTHZ_TLS_DIR): make them with scripts/tls-certs.sh, \
         or start the TLS services with scripts/services.sh, which makes them",
        dir.display()
    );
    dir
}

/// A file of the test certificates: `ca.pem`, `client.key`…
pub(crate) fn file(name: &str) -> PathBuf {
    dir().join(name)
}

/// `verify-full` trusting the test CA.
pub(crate) fn trusting_the_ca() -> Tls {
    Tls::new().ca_file(file("ca.pem"))
}

/// `verify-ca` trusting the test CA: the host name is not compared.
pub(crate) fn chain_only() -> Tls {
    trusting_the_ca().mode(TlsMode::VerifyCa)
}

/// Trusting the test CA and presenting the test client certificate.
pub(crate) fn with_client_cert() -> Tls {
    trusting_the_ca().client_cert(file("client.pem"), file("client.key"))
}

/// The tests of the cases every TLS-capable check goes through, written into the
/// module that invokes it, one per test server of its kind: `outcome` is the module's
/// `async fn(server, Tls) -> String`, which runs the check once against that server
/// with those options.
macro_rules! common_tls_tests {
    (
        outcome: $outcome:ident,
        valid: $valid:expr,
        other_host: $other_host:expr,
        expired: $expired:expr,
        mutual: $mutual:expr $(,)?
    ) => {
        #[tokio::test]
        async fn works_with_verify_full_and_only_with_the_private_ca() {
            use $crate::tls;
            assert_eq!($outcome($valid, tls::trusting_the_ca()).await, "working");
            assert_eq!(
                $outcome($valid, healthz::checks::Tls::new()).await,
                "unavailable: TLS: certificate not trusted (unknown issuer)"
            );
        }

        #[tokio::test]
        async fn another_host_name_fails_verify_full_and_passes_verify_ca() {
            $crate::tls::assert_other_host_cases(async |tls| $outcome($other_host, tls).await)
                .await;
        }

        #[tokio::test]
        async fn an_expired_certificate_fails_even_verify_ca() {
            $crate::tls::assert_expired_cases(async |tls| $outcome($expired, tls).await).await;
        }

        #[tokio::test]
        async fn mutual_tls_needs_the_client_certificate() {
            $crate::tls::assert_mutual_cases(async |tls| $outcome($mutual, tls).await).await;
        }
    };
}
pub(crate) use common_tls_tests;

/// Asserts that `outcome` (a check's `<kind>: <message>`) is a TLS failure starting
/// with `expected` (`unavailable: TLS: certificate expired`).
pub(crate) fn assert_tls_failure(outcome: &str, expected: &str) {
    assert!(
        outcome.starts_with(expected),
        "expected an outcome starting with {expected:?}, got {outcome:?}"
    );
}

/// Fails the test unless the TLS test server `service` (as `scripts/services.sh` names
/// it, declared in `script`) listens at `addr`, saying how to start it.
pub(crate) async fn require_server(service: &str, addr: &str, script: &str) {
    backend::require(
        service,
        addr,
        script,
        &format!("Start it with scripts/services.sh {service}."),
        tokio::net::TcpStream::connect(addr),
    )
    .await;
}

/// Runs each check and fails the test unless every outcome is a TLS failure starting
/// with `expected`; returns the outcomes.
pub(crate) async fn assert_each_fails<C: HealthCheck>(
    checks: impl IntoIterator<Item = C>,
    expected: &str,
) -> Vec<String> {
    let mut outcomes = Vec::new();
    for check in checks {
        let outcome = backend::outcome(check).await;
        assert_tls_failure(&outcome, expected);
        outcomes.push(outcome);
    }
    outcomes
}

/// Runs each check, which fails as `expected` (see [`assert_each_fails`]), and fails the
/// test if `secret` shows in a check's `Debug`, in its outcome, or in what was logged.
pub(crate) async fn assert_secret_never_shown<C: HealthCheck + Debug>(
    checks: Vec<C>,
    expected: &str,
    secret: &str,
) {
    let logs = logs::Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let mut shown: Vec<String> = checks.iter().map(|check| format!("{check:?}")).collect();
    shown.extend(assert_each_fails(checks, expected).await);
    shown.push(logs.text());
    for text in shown {
        assert!(!text.contains(secret), "the secret leaked: {text}");
    }
}

/// The cases of a server whose certificate is for `other-host.invalid` only: a host
/// name mismatch under `verify-full`, working under `verify-ca`. `outcome` runs the
/// check against that server with the TLS options it is given.
pub(crate) async fn assert_other_host_cases(outcome: impl AsyncFn(Tls) -> String) {
    assert_eq!(
        outcome(trusting_the_ca()).await,
        "unavailable: TLS: host name mismatch: certificate is for other-host.invalid, not 127.0.0.1"
    );
    assert_eq!(outcome(chain_only()).await, "working");
}

/// The cases of a server whose certificate expired: a failure under `verify-full` and
/// `verify-ca`, working only when `insecure`.
pub(crate) async fn assert_expired_cases(outcome: impl AsyncFn(Tls) -> String) {
    for tls in [trusting_the_ca(), chain_only()] {
        assert_tls_failure(
            &outcome(tls).await,
            "unavailable: TLS: certificate expired ",
        );
    }
    let insecure = trusting_the_ca().mode(TlsMode::Insecure);
    assert_eq!(outcome(insecure).await, "working");
}

/// The cases of a server that requires a client certificate: refused without one,
/// working with the test client certificate.
pub(crate) async fn assert_mutual_cases(outcome: impl AsyncFn(Tls) -> String) {
    assert_eq!(
        outcome(trusting_the_ca()).await,
        "unavailable: TLS: client certificate required"
    );
    assert_eq!(outcome(with_client_cert()).await, "working");
}

/// Which certificate a TLS front presents, and whether it asks for the client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Front {
    /// The test CA's certificate for `localhost` and `127.0.0.1`.
    Valid,
    /// A certificate of the test CA for `other-host.invalid` only.
    OtherHost,
    /// A certificate of the test CA that expired.
    Expired,
    /// The valid certificate, and a client certificate of the test CA required.
    Mutual,
}

/// Serves TLS on a free loopback port in front of the plain TCP server at `backend`,
/// as a TLS-terminating load balancer does, for the rest of the test: each connection
/// is decrypted and passed on to a connection of its own to `backend`.
pub(crate) async fn front(backend: std::net::SocketAddr, front: Front) -> std::net::SocketAddr {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;

    let name = match front {
        Front::Valid | Front::Mutual => "server",
        Front::OtherHost => "other-host",
        Front::Expired => "expired",
    };
    let chain = CertificateDer::pem_file_iter(file(&format!("{name}.pem")))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(file(&format!("{name}.key"))).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if front == Front::Mutual {
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_file_iter(file("ca.pem")).unwrap() {
            roots.add(ca.unwrap()).unwrap();
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(chain, key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    addr
}
