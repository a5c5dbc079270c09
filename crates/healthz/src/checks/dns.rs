//! A name resolves: [`DnsLookup`].

use std::borrow::Cow;
use std::net::IpAddr;

use super::{describe_io, lower_first};
use crate::{CheckError, CheckResult, HealthCheck};

/// Checks that a host name resolves through the system resolver (`getaddrinfo`, so
/// `/etc/hosts` and the configured DNS servers, as the application itself resolves),
/// to at least one address and, optionally, to given addresses. Named `DnsLookup`.
///
/// ```
/// use healthz::checks::DnsLookup;
/// use healthz::{CheckOptions, Registry};
///
/// let registry = Registry::builder()
///     .check(DnsLookup::new("db.internal"))
///     .check_with(
///         DnsLookup::new("localhost").expect_address("127.0.0.1".parse().unwrap()),
///         CheckOptions::new().name("DnsLookup[localhost]"),
///     )
///     .build()
///     .expect("unique names");
/// # drop(registry);
/// ```
///
/// The lookup runs on Tokio's blocking pool and cannot be cancelled: when a resolver
/// does not answer, the runner's timeout reports the check and the lookup ends in the
/// background.
#[derive(Debug, Clone)]
pub struct DnsLookup {
    name: String,
    expected: Vec<IpAddr>,
}

impl DnsLookup {
    /// Checks that `name` (a host name, without a port) resolves.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            expected: Vec::new(),
        }
    }

    /// Also requires `address` among the answers; each call adds one more.
    #[must_use]
    pub fn expect_address(mut self, address: IpAddr) -> Self {
        self.expected.push(address);
        self
    }
}

impl HealthCheck for DnsLookup {
    async fn check(&self) -> CheckResult {
        let name = self.name.as_str();
        let answers = tokio::net::lookup_host((name, 0)).await.map_err(|e| {
            CheckError::unavailable(format!("cannot resolve {name}: {}", describe(&e)))
                .with_source(e)
        })?;
        // One entry per address, in the resolver's order (it repeats an address for
        // each socket type).
        let mut found: Vec<IpAddr> = Vec::new();
        for ip in answers.map(|addr| addr.ip()) {
            if !found.contains(&ip) {
                found.push(ip);
            }
        }
        if found.is_empty() {
            return Err(CheckError::unavailable(format!(
                "cannot resolve {name}: no addresses"
            )));
        }
        let missing: Vec<String> = self
            .expected
            .iter()
            .filter(|address| !found.contains(address))
            .map(ToString::to_string)
            .collect();
        if !missing.is_empty() {
            let found: Vec<String> = found.iter().map(ToString::to_string).collect();
            return Err(CheckError::unexpected_result(format!(
                "{name} resolves to {}, not to {}",
                found.join(", "),
                missing.join(", ")
            )));
        }
        Ok(())
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("DnsLookup")
    }

    fn component_type(&self) -> &'static str {
        "system"
    }
}

/// A resolver error without the standard library's preamble:
/// `failed to lookup address information: Name or service not known` → `name or
/// service not known`.
fn describe(error: &std::io::Error) -> String {
    let text = describe_io(error);
    match text.strip_prefix("failed to lookup address information: ") {
        Some(rest) => lower_first(rest),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_errors_lose_their_preamble() {
        let error = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        assert_eq!(describe(&error), "name or service not known");
        assert_eq!(describe(&std::io::Error::other("Odd")), "odd");
    }
}
