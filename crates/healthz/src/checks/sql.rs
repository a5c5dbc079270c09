//! What the PostgreSQL and MySQL checks share: where the connection comes from, how a
//! probe's failure becomes a redacted [`CheckError`], the probe data's names, and the
//! public check type around it all ([`sql_check!`]).

use std::fmt;
use std::future::Future;

use sqlx::pool::PoolConnection;
use sqlx::{ConnectOptions, Connection, Database, Pool};

use super::InvalidUrl;
use super::kept::Kept;
use crate::error::CheckError;
use crate::redact::{Redactor, redact_url};

/// A database the checks know how to probe. Implemented in `postgres.rs` and
/// `mysql.rs`.
pub(crate) trait Dialect: Database {
    /// The URL schemes this database accepts (`postgres`, `postgresql`).
    const SCHEMES: &'static [&'static str];

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
        }
    }
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
enum Source<DB: Database> {
    /// The application's pool.
    Pool(Pool<DB>),
    /// The check's own connection, made on first use and kept while it works.
    Own {
        options: <DB::Connection as Connection>::Options,
        connection: Kept<DB::Connection>,
    },
}

/// A database check: a connection source, what to probe, and how to redact.
pub(crate) struct SqlCheck<DB: Dialect> {
    source: Source<DB>,
    write_probe: bool,
    redactor: Redactor,
    /// What `Debug` shows: the redacted URL, or that the application's pool is used.
    target: String,
}

impl<DB: Dialect> SqlCheck<DB> {
    pub(crate) fn from_pool(pool: Pool<DB>) -> Self {
        Self {
            source: Source::Pool(pool),
            write_probe: false,
            redactor: Redactor::default(),
            target: "the application's pool".to_owned(),
        }
    }

    /// Parses the URL; connects only when the check first runs.
    pub(crate) fn from_url(url: &str) -> Result<Self, InvalidUrl> {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        if !scheme.is_some_and(|scheme| DB::SCHEMES.contains(&scheme)) {
            let schemes = DB::SCHEMES.join("://, ");
            return Err(InvalidUrl::new(url, format!("expected {schemes}://")));
        }
        let options: <DB::Connection as Connection>::Options = url
            .parse()
            .map_err(|error: sqlx::Error| InvalidUrl::new(url, error_text(&error)))?;
        Ok(Self {
            // A check runs every few seconds: its statements would flood the debug log.
            source: Source::Own {
                options: options.disable_statement_logging(),
                connection: Kept::default(),
            },
            write_probe: false,
            redactor: Redactor::for_url(url),
            target: redact_url(url),
        })
    }

    pub(crate) fn set_write_probe(&mut self, yes: bool) {
        self.write_probe = yes;
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
                connection,
            } => {
                connection
                    .run(
                        async || {
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

    pub(crate) fn debug_fields(&self, f: &mut fmt::DebugStruct<'_, '_>) {
        f.field("target", &self.target)
            .field("write_probe", &self.write_probe);
    }
}

/// Declares a public database check around [`SqlCheck`]: the struct, its constructors
/// `new(url)` and `from_pool(pool)`, the `write_probe` builder, a `Debug` that shows only
/// the redacted target, and the `HealthCheck` impl named `DatabaseBackend`. Each
/// database's file gives the docs of the struct and of the two constructors, since
/// their examples differ.
macro_rules! sql_check {
    (
        $(#[$struct_attr:meta])*
        pub struct $name:ident(SqlCheck<$db:ty>);

        $(#[$new_attr:meta])*
        pub fn new(url: &str);

        $(#[$from_pool_attr:meta])*
        pub fn from_pool(pool: $pool:ty);
    ) => {
        $(#[$struct_attr])*
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
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut f = f.debug_struct(stringify!($name));
                self.0.debug_fields(&mut f);
                f.finish()
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
