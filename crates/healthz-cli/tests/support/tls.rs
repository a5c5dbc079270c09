//! The TLS-enabled servers `scripts/services.sh` starts next to the plain ones (see
//! `scripts/services.d/`), and the certificates `scripts/tls-certs.sh` makes for them:
//! a private CA, and server certificates for `localhost`/`127.0.0.1` issued by it.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// A file of the test certificates (`ca.pem`, `client.pem`…), in `HEALTHZ_TLS_DIR`
/// (default `~/.cache/healthz/tls`); the test fails naming the script when it is
/// missing.
pub(crate) fn file(name: &str) -> String {
    let dir = std::env::var("HEALTHZ_TLS_DIR").unwrap_or_else(|_| {
        format!(
            "{}/.cache/healthz/tls",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let path = format!("{dir}/{name}");
    assert!(
        Path::new(&path).is_file(),
        "no test certificate {path}: make them with scripts/tls-certs.sh \
         (scripts/services.sh does)"
    );
    path
}

/// Fails the test, naming the service and how to start it, unless something listens
/// on `127.0.0.1:port`.
pub(crate) fn require(service: &str, port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    if let Err(error) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
        panic!(
            "the TLS test server {service} does not answer on {addr} ({error}): \
             start it with scripts/services.sh {service}"
        );
    }
}
