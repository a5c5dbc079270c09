//! `kind = "tcp"` (named TcpConnect: `host:port` resolves and accepts a connection)
//! and `kind = "memcached"` (named CacheBackend: a key added, read back and deleted):
//! the kinds that take a server's address.

use healthz::checks::{Memcached, TcpConnect};

use super::context::Context;
use super::kind::Kind;
use super::shared::{AddrKeys, TlsKeys};
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;

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
    type Keys = With<AddrKeys, TlsKeys>;

    /// The library reads more than `host:port` here: `host` alone, and either after
    /// `memcache://`. Any TLS key turns TLS on: memcached has no URL scheme for it.
    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let memcached = cx.address(&keys.own.addr, Self::new)?;
        Ok(match keys.shared.read(cx)? {
            Some(tls) => memcached.tls(tls),
            None => memcached,
        })
    }
}
