//! `kind = "tcp"` (named TcpConnect: `host:port` resolves and accepts a connection)
//! and `kind = "memcached"` (named CacheBackend: a key added, read back and deleted):
//! the kinds that take a server's address.

use healthz::checks::{Memcached, TcpConnect};

use super::context::Context;
use super::kind::Kind;
use super::shared::AddrKeys;
use crate::config::diagnostic::ConfigError;

impl Kind for TcpConnect {
    const NAME: &'static str = "tcp";
    type Keys = AddrKeys;

    fn build(keys: AddrKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let addr = &keys.addr;
        let valid = addr
            .get_ref()
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            return Err(cx.invalid(
                addr.span(),
                format!(
                    "must be `host:port` (like `db.internal:5432`), not {}",
                    cx.diagnostics().shown(addr)
                ),
            ));
        }
        Ok(Self::new(addr.get_ref()))
    }
}

impl Kind for Memcached {
    const NAME: &'static str = "memcached";
    type Keys = AddrKeys;

    /// The library reads more than `host:port` here: `host` alone, and either after
    /// `memcache://`.
    fn build(keys: AddrKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        cx.address(&keys.addr, Self::new)
    }
}
