//! What the PostgreSQL and MySQL checks share: where the connection comes from, its
//! TLS ([`tls`]), how a probe's failure becomes a redacted [`CheckError`], the probe
//! data's names, and the public check type around it all ([`sql_check!`]).

#[cfg(feature = "rustls")]
pub(crate) mod tls;

use std::fmt;
use std::future::Future;

use sqlx::pool::PoolConnection;
use sqlx::{ConnectOptions, Connection, Database, Pool};

use super::InvalidUrl;
use super::kept::Kept;
use super::target::{Scheme, Target};
use crate::Secret;
use crate::error::CheckError;
use crate::redact::Redactor;

/// A check's own connection options: what sqlx parsed from the URL.
pub(crate) type Options<DB> = <<DB as Database>::Connection as Connection>::Options;

/// A database the checks know how to probe. Implemented in `postgres.rs` and
/// `mysql.rs`.
pub(crate) trait Dialect: Database {
    /// The URL schemes this database accepts (`postgres`, `postgresql`).
    const SCHEMES: &'static [Scheme];

    /// Where the URL names the TLS files.
    #[cfg(feature = "rustls")]
    const TLS_PARAMS: tls::TlsParams;

    /// The TLS mode of `options` (the URL's, or sqlx's default) as the URL writes it
    /// (`sslmode=verify-full`), when it requires TLS.
    #[cfg(not(feature = "rustls"))]
    fn required_tls(options: &Options<Self>) -> Option<&'static str>;

    /// The TLS mode of `options` (the URL's, or sqlx's default) when it requires TLS.
    #[cfg(feature = "rustls")]
    fn tls_mode(options: &Options<Self>) -> Option<super::TlsMode>;

    /// `options` with TLS in `mode`, trusting the roots of `pem` besides the bundled
    /// web roots and presenting its client certificate.
    #[cfg(feature = "rustls")]
    fn with_tls(
        options: Options<Self>,
        mode: super::TlsMode,
        pem: super::tls::TlsPem,
    ) -> Options<Self>;

    /// `SELECT 1` and check the row; with `write`, also the write probe.
    fn probe(
        conn: &mut Self::Connection,
        write: bool,
    ) -> impl Future<Output = Result<(), Failure>> + Send + '_;
}

/// Why a probe failed, before its text is redacted.
pub(crate) enum Failure {
    /// A database call failed while doing what `doing` says.
    Sql {
        doing: &'static str,
        error: sqlx::Error,
    },
    /// The database refused to write; the text says how it told.
    ReadOnly(String),
    /// The database answered something other than what the probe expected.
    Unexpected(String),
    /// The TLS files cannot be used: the whole public message.
    #[cfg(feature = "rustls")]
    TlsSetup(String),
}

impl Failure {
    /// A closure for `map_err` that names what was being done.
    pub(crate) fn sql(doing: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |error| Self::Sql { doing, error }
    }

    /// The database refused to write with this error.
    pub(crate) fn read_only(error: &sqlx::Error) -> Self {
        Self::ReadOnly(error_text(error))
    }

    /// Whether the connection itself broke, so that a fresh one may do better.
    fn is_broken_connection(&self) -> bool {
        matches!(
            self,
            Self::Sql {
                error: sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed,
                ..
            }
        )
    }

    fn into_check_error(self, redactor: &Redactor) -> CheckError {
        match self {
            Self::Sql { error, .. } if let Some(tls) = tls_failure(&error) => {
                CheckError::unavailable(redactor.redact(&tls))
            }
            Self::Sql { doing, error } => {
                let text = redactor.redact(&error_text(&error));
                match error {
                    sqlx::Error::RowNotFound
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnIndexOutOfBounds { .. }
                    | sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::Decode(_)
                    | sqlx::Error::TypeNotFound { .. } => {
                        CheckError::unexpected_result(format!("{doing}: {text}"))
                    }
                    _ => CheckError::unavailable(format!("{doing}: {text}")),
                }
            }
            Self::ReadOnly(detail) => CheckError::unavailable(format!(
                "the database is read-only: {}",
                redactor.redact(&detail)
            )),
            Self::Unexpected(message) => CheckError::unexpected_result(redactor.redact(&message)),
            #[cfg(feature = "rustls")]
            Self::TlsSetup(message) => CheckError::unavailable(message),
        }
    }
}

/// The TLS failure in `error`, in TLS terms: rustls' own error anywhere in its sources
/// (a failed handshake comes as an I/O error holding it), or sqlx's words for one it
/// finds itself (`server does not support TLS`, when a PostgreSQL server answers `N` to
/// the request for TLS or a MySQL server does not offer it).
fn tls_failure(error: &sqlx::Error) -> Option<String> {
    super::tls_failure(error).or_else(|| match error {
        sqlx::Error::Tls(error) => Some(format!("TLS: {}", super::lower_first(&error.to_string()))),
        _ => None,
    })
}

/// The error's own text, without sqlx's generic prefixes ("error returned from
/// database: ").
fn error_text(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(error) => error.message().to_owned(),
        sqlx::Error::Io(error) => super::describe_io(error),
        sqlx::Error::Configuration(error) | sqlx::Error::Tls(error) => error.to_string(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection from the pool".to_owned(),
        sqlx::Error::PoolClosed => "the connection pool is closed".to_owned(),
        other => other.to_string(),
    }
}

/// The SQLSTATE of a database error, if it is one.
pub(crate) fn sql_state(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(error) => error.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// A name for a probe table that no application uses: `healthz_<16 hex digits>`.
pub(crate) fn probe_table_name() -> String {
    format!("healthz_{:016x}", fastrand::u64(..))
}

/// A random value to write and read back.
pub(crate) fn probe_value() -> String {
    format!("{:032x}", fastrand::u128(..))
}

/// Where the connection comes from.
enum Source<DB: Dialect> {
    /// The application's pool.
    Pool(Pool<DB>),
    /// The check's own connection, made on first use and kept while it works.
    Own {
        /// A secret: sqlx's options hold the password, and show it in their `Debug`.
        options: Secret<Options<DB>>,
        #[cfg(feature = "rustls")]
        tls: tls::SqlTls,
        connection: Kept<DB::Connection>,
    },
}

// By hand: a derived `Debug` would ask for one of sqlx's connection types too, which
// have none.
impl<DB: Dialect> fmt::Debug for Source<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pool(pool) => f.debug_tuple("Pool").field(pool).finish(),
            Self::Own {
                options,
                #[cfg(feature = "rustls")]
                tls,
                connection,
            } => {
                let mut own = f.debug_struct("Own");
                own.field("options", options);
                #[cfg(feature = "rustls")]
                own.field("tls", tls);
                own.field("connection", connection).finish()
            }
        }
    }
}

/// A database check: what it shows of its target, what to probe, a connection source,
/// and how to redact.
#[derive(Debug)]
pub(crate) struct SqlCheck<DB: Dialect> {
    /// The redacted URL, or that the application's pool is used.
    // Read by `Debug` alone, which dead-code analysis does not count.
    #[allow(dead_code)]
    target: String,
    write_probe: bool,
    source: Source<DB>,
    redactor: Redactor,
}

impl<DB: Dialect> SqlCheck<DB> {
    pub(crate) fn from_pool(pool: Pool<DB>) -> Self {
        Self {
            target: "the application's pool".to_owned(),
            write_probe: false,
            source: Source::Pool(pool),
            redactor: Redactor::default(),
        }
    }

    /// Parses the URL; connects only when the check first runs.
    pub(crate) fn from_url(url: &str) -> Result<Self, InvalidUrl> {
        let target = Target::parse(url, DB::SCHEMES, false)?;
        let options: Options<DB> = url
            .parse()
            .map_err(|error: sqlx::Error| InvalidUrl::new(url, error_text(&error)))?;
        #[cfg(not(feature = "rustls"))]
        if let Some(mode) = DB::required_tls(&options) {
            return Err(InvalidUrl::new(
                url,
                format!("`{mode}` means TLS, which needs the `rustls` feature of healthz"),
            ));
        }
        Ok(Self {
            target: target.display().to_owned(),
            write_probe: false,
            source: Source::Own {
                #[cfg(feature = "rustls")]
                tls: tls::SqlTls::from_url(&target, DB::tls_mode(&options), &DB::TLS_PARAMS)
                    .map_err(|reason| InvalidUrl::new(url, reason))?,
                // A check runs every few seconds: its statements would flood the debug
                // log.
                options: Secret::new(options.disable_statement_logging()),
                connection: Kept::default(),
            },
            redactor: target.redactor().clone(),
        })
    }

    pub(crate) fn set_write_probe(&mut self, yes: bool) {
        self.write_probe = yes;
    }

    /// Uses `given` for the check's own connections (a check on the application's pool
    /// has the pool's TLS).
    #[cfg(feature = "rustls")]
    pub(crate) fn set_tls(&mut self, given: super::Tls) {
        if let Source::Own { tls, .. } = &mut self.source {
            tls.set(given);
        }
    }

    pub(crate) async fn check(&self) -> Result<(), CheckError> {
        self.run()
            .await
            .map_err(|failure| failure.into_check_error(&self.redactor))
    }

    async fn run(&self) -> Result<(), Failure> {
        match &self.source {
            Source::Pool(pool) => {
                let conn = pool
                    .acquire()
                    .await
                    .map_err(Failure::sql("cannot connect"))?;
                let mut conn = CloseUnlessReturned(Some(conn));
                let result = DB::probe(conn.get(), self.write_probe).await;
                if result.is_ok() {
                    conn.give_back();
                }
                result
            }
            // If the runner's timeout drops this future, the connection is dropped with
            // it and the server ends the session, with whatever the probe had made in it.
            Source::Own {
                options,
                #[cfg(feature = "rustls")]
                tls,
                connection,
            } => {
                connection
                    .run(
                        async || {
                            #[cfg(feature = "rustls")]
                            let options = tls.apply::<DB>(options.expose())?;
                            #[cfg(not(feature = "rustls"))]
                            let options = options.expose();
                            options
                                .connect()
                                .await
                                .map_err(Failure::sql("cannot connect"))
                        },
                        |conn| Box::pin(DB::probe(conn, self.write_probe)),
                        Failure::is_broken_connection,
                    )
                    .await
            }
        }
    }
}

/// Declares a public database check around [`SqlCheck`]: the struct (its `Debug`
/// shows the URL redacted), its constructors `new(url)` and `from_pool(pool)`, the
/// `write_probe` and `tls` builders, and the `HealthCheck` impl named
/// `DatabaseBackend`. Each database's file gives the docs of the struct, of the two
/// constructors and of `tls`, since their examples differ.
macro_rules! sql_check {
    (
        $(#[$struct_attr:meta])*
        pub struct $name:ident(SqlCheck<$db:ty>);

        $(#[$new_attr:meta])*
        pub fn new(url: &str);

        $(#[$from_pool_attr:meta])*
        pub fn from_pool(pool: $pool:ty);

        $(#[$tls_attr:meta])*
        pub fn tls(tls: Tls);
    ) => {
        $(#[$struct_attr])*
        #[derive(Debug)]
        pub struct $name($crate::checks::sql::SqlCheck<$db>);

        impl $name {
            $(#[$new_attr])*
            pub fn new(url: &str) -> Result<Self, $crate::checks::InvalidUrl> {
                $crate::checks::sql::SqlCheck::from_url(url).map(Self)
            }

            $(#[$from_pool_attr])*
            #[must_use]
            pub fn from_pool(pool: $pool) -> Self {
                Self($crate::checks::sql::SqlCheck::from_pool(pool))
            }

            /// Also proves that the database takes writes, inside a transaction that is
            /// rolled back (off unless set).
            #[must_use]
            pub fn write_probe(mut self, yes: bool) -> Self {
                self.0.set_write_probe(yes);
                self
            }

            $(#[$tls_attr])*
            #[cfg(feature = "rustls")]
            #[must_use]
            pub fn tls(mut self, tls: $crate::checks::Tls) -> Self {
                self.0.set_tls(tls);
                self
            }
        }

        impl $crate::HealthCheck for $name {
            async fn check(&self) -> $crate::CheckResult {
                self.0.check().await
            }

            fn identifier(&self) -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed("DatabaseBackend")
            }

            fn component_type(&self) -> &'static str {
                "datastore"
            }
        }
    };
}

// Imported by path, so that it does not depend on the order of the `mod` lines.
pub(crate) use sql_check;

/// A pooled connection that is closed, not returned to the pool, unless the probe
/// succeeded: a probe that failed half-way or was cut short by the runner's timeout may
/// leave a transaction or a temporary table behind in the session, and the application
/// must never get that session back.
struct CloseUnlessReturned<DB: Database>(Option<PoolConnection<DB>>);

impl<DB: Database> CloseUnlessReturned<DB> {
    fn get(&mut self) -> &mut DB::Connection {
        self.0
            .as_mut()
            .expect("the connection is only taken when returned")
    }

    fn give_back(mut self) {
        // Dropping a `PoolConnection` returns it to its pool.
        drop(self.0.take());
    }
}

impl<DB: Database> Drop for CloseUnlessReturned<DB> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.0.take() {
            conn.close_on_drop();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::InvalidUrl;

    /// A database built in: a URL with a password, the name of its TLS mode
    /// parameter, the modes that require TLS and those that do not, and its check's
    /// `Debug` for a URL.
    struct Database {
        url: &'static str,
        param: &'static str,
        required: [&'static str; 3],
        optional: &'static [&'static str],
        debug: fn(&str) -> Result<String, InvalidUrl>,
    }

    fn databases() -> Vec<Database> {
        let mut databases = Vec::new();
        #[cfg(feature = "postgres")]
        databases.push(Database {
            url: "postgres://app:s3cr3t@db/test?password=s3cr3t",
            param: "sslmode",
            required: ["require", "verify-ca", "verify-full"],
            optional: &["disable", "allow", "prefer"],
            debug: |url| crate::checks::Postgres::new(url).map(|check| format!("{check:?}")),
        });
        #[cfg(feature = "mysql")]
        databases.push(Database {
            url: "mysql://app:s3cr3t@db/test?password=s3cr3t",
            param: "ssl-mode",
            required: ["REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"],
            optional: &["DISABLED", "PREFERRED"],
            debug: |url| crate::checks::MySql::new(url).map(|check| format!("{check:?}")),
        });
        databases
    }

    #[test]
    fn a_url_that_requires_tls_needs_the_rustls_feature() {
        for db in databases() {
            for mode in db.required {
                let result = (db.debug)(&format!("{}&{}={mode}", db.url, db.param));
                if cfg!(feature = "rustls") {
                    result.unwrap();
                } else {
                    assert_eq!(
                        result.unwrap_err().reason,
                        format!(
                            "`{}={mode}` means TLS, which needs the `rustls` feature of healthz",
                            db.param
                        )
                    );
                }
            }
            for mode in db.optional {
                (db.debug)(&format!("{}&{}={mode}", db.url, db.param)).unwrap();
            }
        }
    }

    #[test]
    fn debug_shows_the_url_redacted() {
        for db in databases() {
            let debug = (db.debug)(db.url).unwrap();
            let shown = db.url.replace("s3cr3t", "***");
            assert!(
                debug.contains(&format!("(SqlCheck {{ target: \"{shown}\"")),
                "{debug}"
            );
            assert!(!debug.contains("s3cr3t"), "{debug}");
        }
    }
}
