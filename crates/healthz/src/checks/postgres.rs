//! `DatabaseBackend` on PostgreSQL: [`Postgres`].

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgSslMode};
use sqlx::{AssertSqlSafe, Connection};

#[cfg(feature = "rustls")]
use super::sql::tls::{Param, TlsParams};
use super::sql::{Dialect, Failure, probe_table_name, probe_value, sql_check, sql_state};
use super::target::Scheme;
#[cfg(feature = "rustls")]
use super::{TlsMode, tls::TlsPem};

/// SQLSTATE `read_only_sql_transaction`: a read-only transaction or a hot standby.
const READ_ONLY_SQL_TRANSACTION: &str = "25006";

sql_check! {
    /// Checks a PostgreSQL database: `SELECT 1` and the row it returns, on a connection of
    /// the application's pool or on the check's own. Named `DatabaseBackend`.
    ///
    /// With [`write_probe`](Postgres::write_probe), it also proves the database takes
    /// writes: inside one transaction it creates a temporary table with a unique name,
    /// inserts a random value, reads it back, compares, and rolls back. Nothing is ever
    /// committed, so the table never exists for any other session; a read-only
    /// transaction or a hot standby fails the probe with `the database is read-only`.
    ///
    /// ```no_run
    /// use healthz::checks::Postgres;
    /// use healthz::{CheckOptions, Registry};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let primary = Postgres::new("postgres://app:secret@db-primary/orders")?.write_probe(true);
    /// let replica = Postgres::new("postgres://app:secret@db-replica/orders")?;
    /// let registry = Registry::builder()
    ///     .check(primary)
    ///     .check_with(replica, CheckOptions::new().name("DatabaseBackend[replica]"))
    ///     .build()?;
    /// # drop(registry);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Its `Debug` output and its messages show the URL with the password masked.
    ///
    /// # TLS
    ///
    /// With the `rustls` feature, the URL's `sslmode`, `sslrootcert`, `sslcert` and
    /// `sslkey` are understood as libpq names them, as in this check of an Amazon RDS
    /// database against the RDS certificate bundle:
    ///
    /// ```no_run
    /// use healthz::checks::Postgres;
    ///
    /// let check = Postgres::new(
    ///     "postgres://app:secret@db.xxxx.rds.amazonaws.com/app\
    ///      ?sslmode=verify-full&sslrootcert=/etc/ssl/rds-global-bundle.pem",
    /// )?;
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// `verify-full` verifies the certificate's chain and its host name, `verify-ca` the
    /// chain only, `require` nothing (the connection is encrypted, to whoever answers,
    /// even with an `sslrootcert`, which makes libpq verify the chain);
    /// `prefer`, sqlx's default, tries TLS without verifying and falls back to plain.
    /// A chain is trusted when it leads to the `sslrootcert` file, the system's trust
    /// store or the bundled web roots (libpq trusts the file alone). The same can be
    /// said with [`tls`](Postgres::tls). A failure reads `unavailable: TLS: …`:
    /// `certificate not trusted (unknown issuer)`, `host name mismatch: certificate is
    /// for db.internal, not 10.0.0.5`, `certificate expired 3 days ago`, `server does
    /// not support TLS`.
    ///
    /// Without the `rustls` feature, a URL that requires TLS (`require`, `verify-ca`,
    /// `verify-full`) is an [`InvalidUrl`](crate::checks::InvalidUrl) that names it.
    pub struct Postgres(SqlCheck<sqlx::Postgres>);

    /// Checks on the check's own connection to `url` (`postgres://` or
    /// `postgresql://`), made when the check first runs and kept while it works.
    /// Building the check never touches the network.
    ///
    /// ```
    /// let check = healthz::checks::Postgres::new("postgres://app:s3cr3t@localhost/orders")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`](crate::checks::InvalidUrl) when the URL is not a PostgreSQL URL
    /// sqlx can use, when it names `sslcert` without `sslkey` or the other way round,
    /// and, without the `rustls` feature, when it requires TLS.
    pub fn new(url: &str);

    /// Checks on a connection from the application's pool, so the check sees what the
    /// application sees (pool exhaustion included).
    ///
    /// A pool retries a refused connection until its `acquire_timeout` (30 s unless
    /// set): while the database is down, this check reports the runner's `timed out
    /// after …` rather than `connection refused`, which [`new`](Self::new)
    /// reports at once.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), sqlx::Error> {
    /// let pool = sqlx::PgPool::connect("postgres://app@localhost/orders").await?;
    /// let check = healthz::checks::Postgres::from_pool(pool.clone());
    /// # Ok(()) }
    /// ```
    pub fn from_pool(pool: PgPool);

    /// Speaks TLS to the database as `tls` says, on the check's own connection (a check
    /// made with [`from_pool`](Self::from_pool) has its pool's TLS, and this changes
    /// nothing there).
    ///
    /// `tls` wins over the URL: its mode replaces `sslmode`, and its CA file and client
    /// certificate replace `sslrootcert`, `sslcert` and `sslkey`, which still count where
    /// `tls` names none.
    ///
    /// ```
    /// use healthz::checks::{Postgres, Tls};
    ///
    /// let check = Postgres::new("postgres://app:secret@db.internal/orders")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/db-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    pub fn tls(tls: Tls);
}

impl Dialect for sqlx::Postgres {
    // sqlx reaches the local server (its socket, if there is one) for a URL without a
    // host, as libpq does.
    const SCHEMES: &'static [Scheme] = &[
        Scheme::plain("postgres", 5432).or_no_host(),
        Scheme::plain("postgresql", 5432).or_no_host(),
    ];

    #[cfg(feature = "rustls")]
    const TLS_PARAMS: TlsParams = TlsParams {
        ca: Param {
            names: &["sslrootcert", "ssl-root-cert", "ssl-ca"],
            env: Some("PGSSLROOTCERT"),
        },
        cert: Param {
            names: &["sslcert", "ssl-cert"],
            env: Some("PGSSLCERT"),
        },
        key: Param {
            names: &["sslkey", "ssl-key"],
            env: Some("PGSSLKEY"),
        },
    };

    #[cfg(not(feature = "rustls"))]
    fn required_tls(options: &PgConnectOptions) -> Option<&'static str> {
        match options.get_ssl_mode() {
            PgSslMode::Require => Some("sslmode=require"),
            PgSslMode::VerifyCa => Some("sslmode=verify-ca"),
            PgSslMode::VerifyFull => Some("sslmode=verify-full"),
            PgSslMode::Disable | PgSslMode::Allow | PgSslMode::Prefer => None,
        }
    }

    #[cfg(feature = "rustls")]
    fn tls_mode(options: &PgConnectOptions) -> Option<TlsMode> {
        match options.get_ssl_mode() {
            PgSslMode::Require => Some(TlsMode::Insecure),
            PgSslMode::VerifyCa => Some(TlsMode::VerifyCa),
            PgSslMode::VerifyFull => Some(TlsMode::VerifyFull),
            PgSslMode::Disable | PgSslMode::Allow | PgSslMode::Prefer => None,
        }
    }

    #[cfg(feature = "rustls")]
    fn with_tls(options: PgConnectOptions, mode: TlsMode, pem: TlsPem) -> PgConnectOptions {
        let options = options
            .ssl_mode(match mode {
                TlsMode::VerifyFull => PgSslMode::VerifyFull,
                TlsMode::VerifyCa => PgSslMode::VerifyCa,
                TlsMode::Insecure => PgSslMode::Require,
            })
            .ssl_root_cert_from_pem(pem.roots);
        match pem.client {
            Some((cert, key)) => options
                .ssl_client_cert_from_pem(cert)
                .ssl_client_key_from_pem(key.expose()),
            None => options,
        }
    }

    async fn probe(conn: &mut PgConnection, write: bool) -> Result<(), Failure> {
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut *conn)
            .await
            .map_err(Failure::sql("SELECT 1 failed"))?;
        if one != 1 {
            return Err(Failure::Unexpected(format!("SELECT 1 returned {one}")));
        }
        if write {
            write_probe(conn).await?;
        }
        Ok(())
    }
}

async fn write_probe(conn: &mut PgConnection) -> Result<(), Failure> {
    let table = probe_table_name();
    let value = probe_value();
    let mut tx = conn
        .begin()
        .await
        .map_err(Failure::sql("cannot begin a transaction"))?;
    // `ON COMMIT DROP` is a second belt: the transaction is never committed anyway.
    let create = format!("CREATE TEMPORARY TABLE {table} (value text NOT NULL) ON COMMIT DROP");
    if let Err(error) = sqlx::query(AssertSqlSafe(create))
        .persistent(false)
        .execute(&mut *tx)
        .await
    {
        return Err(
            if sql_state(&error).as_deref() == Some(READ_ONLY_SQL_TRANSACTION) {
                Failure::read_only(&error)
            } else {
                Failure::Sql {
                    doing: "the write probe cannot create a temporary table",
                    error,
                }
            },
        );
    }
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {table} (value) VALUES ($1)"
    )))
    .persistent(false)
    .bind(&value)
    .execute(&mut *tx)
    .await
    .map_err(Failure::sql("the write probe cannot insert a row"))?;
    let read: String = sqlx::query_scalar(AssertSqlSafe(format!("SELECT value FROM {table}")))
        .persistent(false)
        .fetch_one(&mut *tx)
        .await
        .map_err(Failure::sql("the write probe cannot read its row back"))?;
    tx.rollback()
        .await
        .map_err(Failure::sql("the write probe cannot roll back"))?;
    if read != value {
        return Err(Failure::Unexpected(
            "the write probe read back another value than it wrote".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_a_host_are_left_to_sqlx() {
        Postgres::new("postgres:///orders").unwrap();
        Postgres::new("postgresql://%2Frun%2Fpostgresql/orders").unwrap();
        assert_eq!(
            Postgres::new("mysql:///orders").unwrap_err().reason,
            "expected postgres:// or postgresql://"
        );
    }
}
