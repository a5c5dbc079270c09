//! A TCP port accepts connections: [`TcpConnect`].

use std::borrow::Cow;
use std::io;

use tokio::net::TcpStream;

use super::describe_io as describe;
use crate::{CheckError, CheckResult, HealthCheck};

/// Checks that `host:port` resolves and accepts a TCP connection, which it closes at
/// once without sending anything.
///
/// Every address the name resolves to is tried in turn, like
/// [`TcpStream::connect`] does; the first that accepts makes the check pass.
///
/// ```
/// use healthz::{CheckOptions, Registry};
/// use healthz::checks::TcpConnect;
///
/// let registry = Registry::builder()
///     .check_with(TcpConnect::new("localhost:5432"), CheckOptions::new().name("TcpConnect[db]"))
///     .build()
///     .expect("unique names");
/// # drop(registry);
/// ```
///
/// A host that drops the connection attempt without answering is stopped by the
/// runner's timeout, which closes the half-open socket.
#[derive(Debug, Clone)]
pub struct TcpConnect {
    addr: String,
}

impl TcpConnect {
    /// Checks `addr`, written `host:port` (`db.internal:5432`, `127.0.0.1:6379`,
    /// `[::1]:80`).
    #[must_use]
    pub fn new(addr: impl Into<String>) -> Self {
        Self { addr: addr.into() }
    }
}

impl HealthCheck for TcpConnect {
    async fn check(&self) -> CheckResult {
        let addr = self.addr.as_str();
        let targets: Vec<_> = tokio::net::lookup_host(addr)
            .await
            .map_err(|e| {
                CheckError::unavailable(format!("cannot resolve {addr}: {}", describe(&e)))
                    .with_source(e)
            })?
            .collect();
        if targets.is_empty() {
            return Err(CheckError::unavailable(format!(
                "cannot resolve {addr}: no addresses"
            )));
        }
        let mut last_error = None;
        for target in targets {
            match TcpStream::connect(target).await {
                Ok(_stream) => return Ok(()),
                Err(e) => last_error = Some(e),
            }
        }
        let error = last_error.expect("at least one address was tried");
        let message = if error.kind() == io::ErrorKind::ConnectionRefused {
            format!("connection to {addr} refused")
        } else {
            format!("cannot connect to {addr}: {}", describe(&error))
        };
        Err(CheckError::unavailable(message).with_source(error))
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("TcpConnect")
    }

    fn component_type(&self) -> &'static str {
        "system"
    }
}
