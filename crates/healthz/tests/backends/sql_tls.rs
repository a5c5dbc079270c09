//! The TLS cases that `Postgres` and `MySql` share, each run by both (in their
//! `over_tls` modules) against the TLS servers of `scripts/services.d/sql-tls.sh`,
//! through the URL's parameters and through `tls`.

use std::fmt::Debug;

use crate::backend;
use crate::tls::{self, assert_tls_failure};
use healthz::HealthCheck;
use healthz::checks::{InvalidUrl, Tls, TlsMode};

const SCRIPT: &str = "scripts/services.d/sql-tls.sh";

/// A TLS server of the script: its service name and its address.
pub(crate) struct Server(pub(crate) &'static str, pub(crate) &'static str);

/// How a database's URLs speak of TLS (the parameters and the values of the mode).
pub(crate) struct Params {
    pub(crate) mode: &'static str,
    pub(crate) verify_full: &'static str,
    pub(crate) verify_ca: &'static str,
    pub(crate) required: &'static str,
    pub(crate) disabled: &'static str,
    pub(crate) ca: &'static str,
    pub(crate) cert: &'static str,
    pub(crate) key: &'static str,
}

/// A database kind under test: its check `C`, its URLs and its TLS servers.
pub(crate) struct Database<C> {
    /// The URL scheme, also the name that opts its tests out.
    pub(crate) name: &'static str,
    /// A user who logs in from loopback without a password.
    pub(crate) superuser: &'static str,
    pub(crate) params: Params,
    /// The valid certificate; TLS connections only.
    pub(crate) valid: Server,
    /// A certificate for `other-host.invalid` only.
    pub(crate) other_host: Server,
    /// An expired certificate.
    pub(crate) expired: Server,
    pub(crate) new: fn(&str) -> Result<C, InvalidUrl>,
    pub(crate) tls: fn(C, Tls) -> C,
    pub(crate) write_probe: fn(C, bool) -> C,
}

const UNTRUSTED: &str = "unavailable: TLS: certificate not trusted (unknown issuer)";

impl<C: HealthCheck + Debug> Database<C> {
    /// The URL of the database `test` on `server` as `user`, with `query`, after making
    /// sure the server listens; `None` when this kind's tests are opted out.
    async fn url(&self, server: &Server, user: &str, query: &str) -> Option<String> {
        if backend::skipped(self.name) {
            return None;
        }
        let Server(service, addr) = server;
        tls::require_server(service, addr, SCRIPT).await;
        Some(format!("{}://{user}@{addr}/test{query}", self.name))
    }

    /// The superuser's URL of the database `test` on `server`.
    async fn superuser_url(&self, server: &Server) -> Option<String> {
        self.url(server, self.superuser, "").await
    }

    /// `?<mode>=MODE&<ca>=<the test CA>`.
    fn verified(&self, mode: &str) -> String {
        let Params {
            mode: param, ca, ..
        } = self.params;
        format!("?{param}={mode}&{ca}={}", tls::file("ca.pem").display())
    }

    /// `?<mode>=MODE`.
    fn mode(&self, mode: &str) -> String {
        format!("?{}={mode}", self.params.mode)
    }

    /// The outcome of a check on `url`, with `tls` if given.
    async fn outcome(&self, url: &str, tls: Option<Tls>) -> String {
        let check = (self.new)(url).unwrap();
        backend::outcome(match tls {
            Some(tls) => (self.tls)(check, tls),
            None => check,
        })
        .await
    }

    pub(crate) async fn works_with_verify_full_and_the_private_ca(&self) {
        let Some(url) = self.superuser_url(&self.valid).await else {
            return;
        };
        let check = (self.tls)((self.new)(&url).unwrap(), tls::trusting_the_ca());
        let check = (self.write_probe)(check, true);
        assert_eq!(backend::outcome(check).await, "working");
        let in_url = format!("{url}{}", self.verified(self.params.verify_full));
        assert_eq!(self.outcome(&in_url, None).await, "working");
    }

    /// `refused` is what the server says to a connection without TLS.
    pub(crate) async fn required_encrypts_without_verifying_and_plain_is_refused(
        &self,
        refused: &str,
    ) {
        let Some(url) = self.superuser_url(&self.valid).await else {
            return;
        };
        // The server takes TLS connections only, so working means encrypted.
        let required = format!("{url}{}", self.mode(self.params.required));
        assert_eq!(self.outcome(&required, None).await, "working");
        let disabled = format!("{url}{}", self.mode(self.params.disabled));
        assert_eq!(self.outcome(&disabled, None).await, refused);
    }

    pub(crate) async fn an_unknown_ca_is_not_trusted(&self) {
        let Some(url) = self.superuser_url(&self.valid).await else {
            return;
        };
        assert_eq!(self.outcome(&url, Some(Tls::new())).await, UNTRUSTED);
        let in_url = format!("{url}{}", self.mode(self.params.verify_full));
        assert_eq!(self.outcome(&in_url, None).await, UNTRUSTED);
    }

    pub(crate) async fn another_host_name_fails_verify_full_and_passes_verify_ca(&self) {
        let Some(url) = self.superuser_url(&self.other_host).await else {
            return;
        };
        let mismatch = "unavailable: TLS: host name mismatch: certificate is for \
                        other-host.invalid, not 127.0.0.1";
        assert_eq!(
            self.outcome(&url, Some(tls::trusting_the_ca())).await,
            mismatch
        );
        let in_url = format!("{url}{}", self.verified(self.params.verify_full));
        assert_eq!(self.outcome(&in_url, None).await, mismatch);

        assert_eq!(self.outcome(&url, Some(tls::chain_only())).await, "working");
        let in_url = format!("{url}{}", self.verified(self.params.verify_ca));
        assert_eq!(self.outcome(&in_url, None).await, "working");
    }

    pub(crate) async fn an_expired_certificate_fails_even_verify_ca(&self) {
        let Some(url) = self.superuser_url(&self.expired).await else {
            return;
        };
        let expired = "unavailable: TLS: certificate expired ";
        for tls in [tls::trusting_the_ca(), tls::chain_only()] {
            assert_tls_failure(&self.outcome(&url, Some(tls)).await, expired);
        }
        let in_url = format!("{url}{}", self.verified(self.params.verify_ca));
        assert_tls_failure(&self.outcome(&in_url, None).await, expired);
        let insecure = tls::trusting_the_ca().mode(TlsMode::Insecure);
        assert_eq!(self.outcome(&url, Some(insecure)).await, "working");
    }

    /// `plain` is the URL of a server that does not speak TLS.
    pub(crate) async fn a_server_without_tls_is_named_as_such(&self, plain: &str) {
        let refused = "unavailable: TLS: server does not support TLS";
        assert_eq!(
            self.outcome(plain, Some(tls::trusting_the_ca())).await,
            refused
        );
        let separator = if plain.contains('?') { '&' } else { '?' };
        let required = format!(
            "{plain}{separator}{}={}",
            self.params.mode, self.params.required
        );
        assert_eq!(self.outcome(&required, None).await, refused);
        // Without a word about TLS, sqlx tries it and goes on without.
        assert_eq!(self.outcome(plain, None).await, "working");
    }

    /// `user` logs in by a client certificate; `refused` is what the server says
    /// without one.
    pub(crate) async fn mutual_tls_needs_the_client_certificate(&self, user: &str, refused: &str) {
        let Some(url) = self.url(&self.valid, user, "").await else {
            return;
        };
        assert_eq!(
            self.outcome(&url, Some(tls::trusting_the_ca())).await,
            refused
        );
        assert_eq!(
            self.outcome(&url, Some(tls::with_client_cert())).await,
            "working"
        );
        let Params { cert, key, .. } = self.params;
        let in_url = format!(
            "{url}{}&{cert}={}&{key}={}",
            self.verified(self.params.verify_full),
            tls::file("client.pem").display(),
            tls::file("client.key").display()
        );
        assert_eq!(self.outcome(&in_url, None).await, "working");
    }

    pub(crate) async fn tls_wins_over_the_url_and_takes_its_files_where_it_names_none(&self) {
        let Some(url) = self.superuser_url(&self.valid).await else {
            return;
        };
        // The server takes TLS connections only.
        let disabled = format!("{url}{}", self.mode(self.params.disabled));
        assert_eq!(
            self.outcome(&disabled, Some(tls::trusting_the_ca())).await,
            "working"
        );
        // The URL's CA file counts when `tls` names none…
        let with_ca = format!("{url}{}", self.verified(self.params.required));
        assert_eq!(self.outcome(&with_ca, Some(Tls::new())).await, "working");
        // …and not when it names one.
        let elsewhere = Tls::new().ca_file(tls::file("client.pem"));
        assert_eq!(self.outcome(&with_ca, Some(elsewhere)).await, UNTRUSTED);
    }

    pub(crate) async fn unusable_tls_files_are_named(&self) {
        let Some(url) = self.superuser_url(&self.valid).await else {
            return;
        };
        assert_eq!(
            self.outcome(&url, Some(Tls::new().ca_file("/nonexistent/ca.pem")))
                .await,
            "unavailable: TLS: cannot use the CA file /nonexistent/ca.pem: no such file or directory"
        );
        let Params { cert, key, .. } = self.params;
        let error = (self.new)(&format!("{url}?{cert}=/client.pem")).unwrap_err();
        assert_eq!(error.reason, format!("`{cert}` and `{key}` go together"));
    }

    pub(crate) async fn no_password_in_messages_or_debug(&self) {
        const PASSWORD: &str = "s3cr3t-PASSWORD";
        let query = self.verified(self.params.verify_full);
        let user = format!("{}:{PASSWORD}", self.superuser);
        let Some(url) = self.url(&self.other_host, &user, &query).await else {
            return;
        };
        let check = (self.new)(&url).unwrap();
        let debug = format!("{check:?}");
        let failed = backend::outcome(check).await;
        assert_tls_failure(&failed, "unavailable: TLS: host name mismatch");
        let Server(_, addr) = self.other_host;
        let shown_url = format!("{}://{}:***@{addr}/test?", self.name, self.superuser);
        assert!(debug.contains(&shown_url), "{debug}");
        for shown in [&debug, &failed] {
            assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
        }
    }
}
