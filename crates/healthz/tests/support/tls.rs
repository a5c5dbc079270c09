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
