//! `kind = "tls"` (named TlsCertificate): a server's TLS certificate, directly or after
//! STARTTLS, checked for trust, host name and the days it has left.

use healthz::checks::{Starttls, TlsCertificate};
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use super::shared::TlsKeys;
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;

/// The keys of a `tls` check, besides [`TlsKeys`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct CertificateKeys {
    /// `host:port`, `tls://host:port` or `https://host[:port]`; required.
    addr: Spanned<String>,
    /// A warning when the certificate has fewer days left; 21 unless set.
    warn_days: Option<Spanned<u32>>,
    /// A failure when it has fewer days left; 7 unless set.
    fail_days: Option<Spanned<u32>>,
    /// `smtp` or `postgres`: the protocol's STARTTLS before the handshake.
    starttls: Option<Spanned<String>>,
    /// The name to verify and send as SNI, when it is not the host connected to.
    server_name: Option<Spanned<String>>,
}

impl Kind for TlsCertificate {
    const NAME: &'static str = "tls";
    type Keys = With<CertificateKeys, TlsKeys>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own: keys, shared } = keys;
        let mut check = cx.address(&keys.addr, Self::new)?;
        let (warn, fail) = (keys.warn_days.as_ref(), keys.fail_days.as_ref());
        if let (Some(warn), Some(fail)) = (warn, fail)
            && fail.get_ref() > warn.get_ref()
        {
            return Err(cx.invalid(
                fail.span(),
                format!(
                    "must not be above `warn-days` ({} > {}): the check would never warn",
                    fail.get_ref(),
                    warn.get_ref()
                ),
            ));
        }
        if let Some(days) = warn {
            check = check.warn_days(*days.get_ref());
        }
        if let Some(days) = fail {
            check = check.fail_days(*days.get_ref());
        }
        if let Some(protocol) = &keys.starttls {
            if keys.addr.get_ref().starts_with("https://") {
                return Err(cx.invalid(
                    protocol.span(),
                    "does not apply to an `https://` address, which speaks TLS at once",
                ));
            }
            let Some(parsed) = Starttls::from_name(protocol.get_ref()) else {
                let names: Vec<&str> = Starttls::ALL.iter().map(|p| p.as_str()).collect();
                return Err(cx.invalid(
                    protocol.span(),
                    format!(
                        "must be one of {}, not {}",
                        names.join(", "),
                        cx.diagnostics().shown(protocol)
                    ),
                ));
            };
            check = check.starttls(parsed);
        }
        if let Some(name) = &keys.server_name {
            check = check.server_name(cx.non_empty(name)?);
        }
        Ok(match shared.read(cx)? {
            Some(tls) => check.tls(tls),
            None => check,
        })
    }
}
