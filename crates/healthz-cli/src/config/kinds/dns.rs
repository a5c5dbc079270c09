//! `kind = "dns"` (named DnsLookup): a host name resolves through the system
//! resolver, optionally to given addresses.

use std::net::IpAddr;

use healthz::checks::DnsLookup;
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use crate::config::diagnostic::ConfigError;

/// The keys of a `dns` check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct DnsKeys {
    /// A host name or an IP address, without a port; required.
    host: Spanned<String>,
    /// IP addresses the host must resolve to, among any others; none unless set.
    #[serde(default)]
    expect_addresses: Vec<Spanned<String>>,
}

impl Kind for DnsLookup {
    const NAME: &'static str = "dns";
    type Keys = DnsKeys;

    fn build(keys: DnsKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let shown = |value: &Spanned<String>| cx.diagnostics().shown(value);
        let host = &keys.host;
        let text = host.get_ref();
        let valid = !text.is_empty()
            && !text.contains(|c: char| c.is_whitespace() || matches!(c, '/' | '@'))
            && (text.parse::<IpAddr>().is_ok() || !text.contains(':'));
        if !valid {
            return Err(cx.invalid(
                host.span(),
                format!(
                    "must be a host name without a port (like `db.internal`), not {}",
                    shown(host)
                ),
            ));
        }
        let mut lookup = Self::new(text);
        for address in &keys.expect_addresses {
            let parsed = address.get_ref().parse().map_err(|_| {
                cx.invalid(
                    address.span(),
                    format!(
                        "must be IP addresses (like `10.0.0.5` or `::1`), not {}",
                        shown(address)
                    ),
                )
            })?;
            lookup = lookup.expect_address(parsed);
        }
        Ok(lookup)
    }
}
