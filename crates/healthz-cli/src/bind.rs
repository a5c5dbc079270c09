//! The address `serve` listens on, as `--bind`, `HEALTHZ_BIND` and `[server] bind`
//! write it: [`parse`].

use std::net::{Ipv4Addr, SocketAddr};

/// What [`parse`] takes, for the messages that refuse a value.
pub(crate) const EXPECTED: &str =
    "an IP address and port (like `0.0.0.0:8000`, `[::]:8000` or `localhost:8000`)";

/// `0.0.0.0:8000`, `[::]:8000`, `127.0.0.1:8000` or `localhost:8000`; `None` for
/// anything else.
///
/// `localhost` is 127.0.0.1 rather than whatever the resolver answers first: a
/// container without IPv6 often lists `::1` for it all the same, and other host names
/// are not taken, so that reading the address never waits on DNS.
pub(crate) fn parse(text: &str) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse() {
        return Some(addr);
    }
    let (host, port) = text.rsplit_once(':')?;
    if !host.eq_ignore_ascii_case("localhost") {
        return None;
    }
    Some(SocketAddr::new(
        Ipv4Addr::LOCALHOST.into(),
        port.parse().ok()?,
    ))
}

/// [`parse`] for clap, with what it takes as the error.
///
/// # Errors
///
/// Fails when [`parse`] does.
pub(crate) fn parse_arg(text: &str) -> Result<SocketAddr, String> {
    parse(text).ok_or_else(|| format!("must be {EXPECTED}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addresses_and_localhost_are_taken_with_a_port() {
        for (text, addr) in [
            ("0.0.0.0:8000", "0.0.0.0:8000"),
            ("[::]:8000", "[::]:8000"),
            ("[::1]:0", "[::1]:0"),
            ("localhost:8000", "127.0.0.1:8000"),
            ("LocalHost:9", "127.0.0.1:9"),
        ] {
            assert_eq!(parse(text), Some(addr.parse().unwrap()), "{text}");
        }
        for bad in [
            "localhost",
            "localhost:",
            "localhost:http",
            "localhost:70000",
            "db.internal:8000",
            "8000",
            ":8000",
            "::8000",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
