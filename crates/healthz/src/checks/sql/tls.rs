//! TLS for a database check's own connections: what its URL says (PostgreSQL's
//! `sslmode`, `sslrootcert`, `sslcert`, `sslkey`; MySQL's `ssl-mode`, `ssl-ca`,
//! `ssl-cert`, `ssl-key`), what [`Tls`] adds, and how both reach sqlx.
//!
//! sqlx builds its rustls configuration itself from its options: the bundled web roots
//! (or, with its other feature, the system's store instead) and one PEM input of extra
//! roots. The check gives it the system's store and the CA file as that input, so that
//! a database is trusted the way every other check trusts its server.

use std::borrow::Cow;
use std::path::PathBuf;

use super::{Dialect, Failure, Options};
use crate::checks::target::Target;
use crate::checks::{Tls, TlsMode};

/// Where a database's URL names one TLS file: the query parameters sqlx reads for it
/// (aliases; the last one given wins), and the environment variable sqlx falls back on.
pub(crate) struct Param {
    pub(crate) names: &'static [&'static str],
    pub(crate) env: Option<&'static str>,
}

/// Where a database's URL names its TLS files.
pub(crate) struct TlsParams {
    pub(crate) ca: Param,
    pub(crate) cert: Param,
    pub(crate) key: Param,
}

/// A database check's TLS: what its URL says, and what [`Tls`] gave.
#[derive(Debug)]
pub(crate) struct SqlTls {
    /// The URL's CA file and client certificate, and its mode when it requires TLS.
    url: Tls,
    /// What the check's connections use. `None` leaves TLS to sqlx, as the URL's
    /// `prefer` (sqlx's default), `allow` or `disable` say; none of them verifies.
    effective: Option<Tls>,
}

impl SqlTls {
    /// What the URL of `target` says, `mode` being its mode when it requires TLS.
    ///
    /// # Errors
    ///
    /// Returns why the URL cannot be used: a client certificate without its key, or
    /// the other way round.
    pub(crate) fn from_url(
        target: &Target,
        mode: Option<TlsMode>,
        params: &TlsParams,
    ) -> Result<Self, String> {
        let file = |param: &Param| {
            target
                .last_query_value(param.names)
                .map(PathBuf::from)
                .or_else(|| param.env.and_then(std::env::var_os).map(PathBuf::from))
        };
        let mut url = Tls::new().mode(mode.unwrap_or_default());
        // libpq's `sslrootcert=system` asks for the system's store, trusted anyway.
        if let Some(ca) = file(&params.ca).filter(|ca| ca.as_os_str() != "system") {
            url = url.ca_file(ca);
        }
        match (file(&params.cert), file(&params.key)) {
            (Some(cert), Some(key)) => url = url.client_cert(cert, key),
            (None, None) => {}
            _ => {
                return Err(format!(
                    "`{}` and `{}` go together",
                    params.cert.names[0], params.key.names[0]
                ));
            }
        }
        Ok(Self {
            effective: mode.map(|_| url.clone()),
            url,
        })
    }

    /// Uses `given`, with the URL's CA file and client certificate where it names none.
    pub(crate) fn set(&mut self, given: Tls) {
        let mut tls = given;
        if tls.ca().is_none()
            && let Some(ca) = self.url.ca()
        {
            tls = tls.ca_file(ca);
        }
        if tls.client_cert_files().is_none()
            && let Some((cert, key)) = self.url.client_cert_files()
        {
            tls = tls.client_cert(cert, key);
        }
        self.effective = Some(tls);
    }

    /// `options` as a new connection uses them: with this TLS, whose files are read
    /// now, so that a renewed certificate is picked up.
    ///
    /// # Errors
    ///
    /// Returns [`Failure::TlsSetup`] naming a file that cannot be read or used.
    pub(crate) fn apply<'a, DB: Dialect>(
        &self,
        options: &'a Options<DB>,
    ) -> Result<Cow<'a, Options<DB>>, Failure> {
        let Some(tls) = &self.effective else {
            return Ok(Cow::Borrowed(options));
        };
        let pem = tls
            .pem()
            .map_err(|error| Failure::TlsSetup(error.to_string()))?;
        Ok(Cow::Owned(DB::with_tls(
            options.clone(),
            tls.verification(),
            pem,
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::checks::target::Scheme;

    const PARAMS: TlsParams = TlsParams {
        ca: Param {
            names: &["sslrootcert", "ssl-ca"],
            env: None,
        },
        cert: Param {
            names: &["sslcert"],
            env: None,
        },
        key: Param {
            names: &["sslkey"],
            env: None,
        },
    };

    fn from_url(query: &str, mode: Option<TlsMode>) -> Result<SqlTls, String> {
        let schemes = [Scheme::plain("postgres", 5432)];
        let target = Target::parse(&format!("postgres://h/db?{query}"), &schemes, false).unwrap();
        SqlTls::from_url(&target, mode, &PARAMS)
    }

    #[test]
    fn a_url_that_only_tries_tls_leaves_it_to_sqlx() {
        let tls = from_url("sslrootcert=/ca.pem", None).unwrap();
        assert_eq!(tls.effective, None);
        assert_eq!(tls.url.ca(), Some(Path::new("/ca.pem")));
    }

    #[test]
    fn a_url_that_requires_tls_says_how() {
        let query = "ssl-ca=/a.pem&sslrootcert=/b.pem&sslcert=/c.pem&sslkey=/c.key";
        let tls = from_url(query, Some(TlsMode::VerifyCa)).unwrap();
        let expected = Tls::new()
            .mode(TlsMode::VerifyCa)
            .ca_file("/b.pem")
            .client_cert("/c.pem", "/c.key");
        assert_eq!(tls.effective, Some(expected));
        // libpq's name for the system's store, which is trusted anyway.
        let system = from_url("sslrootcert=system", Some(TlsMode::VerifyFull)).unwrap();
        assert_eq!(system.effective, Some(Tls::new()));
    }

    #[test]
    fn a_client_certificate_needs_its_key() {
        for query in ["sslcert=/c.pem", "sslkey=/c.key"] {
            assert_eq!(
                from_url(query, None).unwrap_err(),
                "`sslcert` and `sslkey` go together"
            );
        }
    }

    #[test]
    fn tls_wins_and_takes_the_url_files_it_does_not_name() {
        let mut tls = from_url("sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/c.key", None).unwrap();
        tls.set(Tls::new().mode(TlsMode::Insecure));
        let merged = Tls::new()
            .mode(TlsMode::Insecure)
            .ca_file("/ca.pem")
            .client_cert("/c.pem", "/c.key");
        assert_eq!(tls.effective, Some(merged));

        let own = Tls::new()
            .ca_file("/own.pem")
            .client_cert("/o.pem", "/o.key");
        tls.set(own.clone());
        assert_eq!(tls.effective, Some(own));
    }
}
