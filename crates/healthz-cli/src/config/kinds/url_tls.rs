//! What a connection URL already says about TLS, in each provider's convention
//! (PostgreSQL's `sslmode=`, MySQL's `ssl-mode=`, redis-py's `ssl_*=`), so that the
//! TLS keys can be checked against it: a key and a URL parameter that disagree are a
//! config error naming both, rather than one silently winning.

use healthz::checks::TlsMode;

/// What a URL says about TLS.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct UrlTls {
    /// The parameter that sets the verification, and what it says.
    pub(super) mode: Option<(&'static str, Said)>,
    /// The parameters naming the CA file, the client certificate and its key, with
    /// their values.
    pub(super) ca: Option<(&'static str, String)>,
    pub(super) cert: Option<(&'static str, String)>,
    pub(super) key: Option<(&'static str, String)>,
}

/// What a URL's verification parameter says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Said {
    /// No TLS at all (`sslmode=disable`).
    Off,
    /// TLS if the server offers it, unverified (`sslmode=prefer`).
    Optional,
    /// TLS, verified this way (`require` is [`TlsMode::Insecure`]).
    Mode(TlsMode),
}

/// A URL's conventions: which query parameters mean what.
#[derive(Debug)]
pub(super) struct Conventions {
    mode: &'static str,
    read_mode: fn(&str) -> Option<Said>,
    ca: &'static str,
    cert: &'static str,
    key: &'static str,
}

/// libpq's parameters, as sqlx reads them.
pub(super) const POSTGRES: Conventions = Conventions {
    mode: "sslmode",
    read_mode: |value| match value {
        "disable" => Some(Said::Off),
        "allow" | "prefer" => Some(Said::Optional),
        "require" => Some(Said::Mode(TlsMode::Insecure)),
        "verify-ca" => Some(Said::Mode(TlsMode::VerifyCa)),
        "verify-full" => Some(Said::Mode(TlsMode::VerifyFull)),
        _ => None,
    },
    ca: "sslrootcert",
    cert: "sslcert",
    key: "sslkey",
};

/// MySQL's and MariaDB's parameters, as sqlx reads them.
pub(super) const MYSQL: Conventions = Conventions {
    mode: "ssl-mode",
    read_mode: |value| match value.to_ascii_uppercase().as_str() {
        "DISABLED" => Some(Said::Off),
        "PREFERRED" => Some(Said::Optional),
        "REQUIRED" => Some(Said::Mode(TlsMode::Insecure)),
        "VERIFY_CA" => Some(Said::Mode(TlsMode::VerifyCa)),
        "VERIFY_IDENTITY" => Some(Said::Mode(TlsMode::VerifyFull)),
        _ => None,
    },
    ca: "ssl-ca",
    cert: "ssl-cert",
    key: "ssl-key",
};

/// redis-py's (and Celery's) parameters on a `rediss://` URL.
pub(super) const REDIS: Conventions = Conventions {
    mode: "ssl_cert_reqs",
    read_mode: |value| match value.to_ascii_lowercase().as_str() {
        "none" | "cert_none" => Some(Said::Mode(TlsMode::Insecure)),
        "required" | "cert_required" => Some(Said::Mode(TlsMode::VerifyFull)),
        _ => None,
    },
    ca: "ssl_ca_certs",
    cert: "ssl_certfile",
    key: "ssl_keyfile",
};

impl Conventions {
    /// What `url` says about TLS by these conventions. Values the library does not
    /// know are left out here: the library refuses them with their own error.
    pub(super) fn read(&self, url: &str) -> UrlTls {
        let query = url
            .split_once('?')
            .map_or("", |(_, rest)| rest.split('#').next().unwrap_or(""));
        let mut said = UrlTls::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            if name == self.mode {
                said.mode = (self.read_mode)(&value).map(|mode| (self.mode, mode));
            } else if name == self.ca {
                said.ca = Some((self.ca, value));
            } else if name == self.cert {
                said.cert = Some((self.cert, value));
            } else if name == self.key {
                said.key = Some((self.key, value));
            }
        }
        said
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_convention_is_read() {
        let pg = POSTGRES.read("postgres://h/db?sslmode=verify-ca&sslrootcert=%2Fca.pem");
        assert_eq!(pg.mode, Some(("sslmode", Said::Mode(TlsMode::VerifyCa))));
        assert_eq!(pg.ca, Some(("sslrootcert", "/ca.pem".to_owned())));
        let mysql = MYSQL.read("mysql://h/db?ssl-mode=disabled");
        assert_eq!(mysql.mode, Some(("ssl-mode", Said::Off)));
        let redis = REDIS.read("rediss://h/0?ssl_cert_reqs=required&ssl_keyfile=k.pem#x");
        assert_eq!(
            redis.mode,
            Some(("ssl_cert_reqs", Said::Mode(TlsMode::VerifyFull)))
        );
        assert_eq!(redis.key, Some(("ssl_keyfile", "k.pem".to_owned())));
        assert_eq!(POSTGRES.read("postgres://h/db"), UrlTls::default());
    }
}
