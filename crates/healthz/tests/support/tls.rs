//! The certificates of the TLS tests, made by `scripts/tls-certs.sh` (which
//! `scripts/services.sh` runs) into `HEALTHZ_TLS_DIR` (default `~/.cache/healthz/tls`),
//! and the cases every TLS-capable check is tested on.

#![allow(dead_code)]

use std::path::PathBuf;

use healthz::checks::{Tls, TlsMode};

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
    crate::backend::require(
        service,
        addr,
        script,
        &format!("Start it with scripts/services.sh {service}."),
        tokio::net::TcpStream::connect(addr),
    )
    .await;
}
