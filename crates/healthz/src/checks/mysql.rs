//! `DatabaseBackend` on MySQL and MariaDB: [`MySql`].

use sqlx::mysql::{
    MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlPool, MySqlSslMode,
};
use sqlx::{AssertSqlSafe, Connection, Row};

#[cfg(feature = "rustls")]
use super::sql::tls::{Param, TlsParams};
use super::sql::{Dialect, Failure, probe_table_name, probe_value, sql_check, sql_state};
use super::target::Scheme;
#[cfg(feature = "rustls")]
use super::{TlsMode, tls::TlsPem};

/// SQLSTATE of "cannot execute statement in a READ ONLY transaction".
const READ_ONLY_TRANSACTION: &str = "25006";
/// `ER_OPTION_PREVENTS_STATEMENT`: the server runs with `--read-only` (or
/// `--super-read-only`, or `innodb_read_only`).
const ER_OPTION_PREVENTS_STATEMENT: u16 = 1290;
/// `ER_READ_ONLY_MODE` (MySQL): the server is in read-only mode.
const ER_READ_ONLY_MODE: u16 = 1836;

sql_check! {
    /// Checks a MySQL or MariaDB database: `SELECT 1` and the row it returns, on a
    /// connection of the application's pool or on the check's own. Named
    /// `DatabaseBackend`.
    ///
    /// With [`write_probe`](MySql::write_probe), it also proves the database takes
    /// writes: it checks that the server is not `read_only`, then, inside one transaction,
    /// creates a temporary InnoDB table with a unique name, inserts a random value, reads
    /// it back, compares and rolls back; it drops the table afterwards (MySQL keeps a
    /// temporary table past a rollback). A probe cut short by the runner's timeout closes
    /// its connection instead, and the server drops the table with the session.
    ///
    /// ```no_run
    /// use healthz::checks::MySql;
    /// use healthz::{CheckOptions, Registry};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let registry = Registry::builder()
    ///     .check(MySql::new("mysql://app:secret@db-primary/shop")?.write_probe(true))
    ///     .check_with(
    ///         MySql::new("mysql://app:secret@db-replica/shop")?,
    ///         CheckOptions::new().name("DatabaseBackend[replica]"),
    ///     )
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
    /// With the `rustls` feature, the URL's `ssl-mode`, `ssl-ca`, `ssl-cert` and
    /// `ssl-key` are understood as MySQL's client names them, as in this check of an
    /// Amazon RDS database against the RDS certificate bundle:
    ///
    /// ```no_run
    /// use healthz::checks::MySql;
    ///
    /// let check = MySql::new(
    ///     "mysql://app:secret@db.xxxx.rds.amazonaws.com/app\
    ///      ?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ssl/rds-global-bundle.pem",
    /// )?;
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// `VERIFY_IDENTITY` verifies the certificate's chain and its host name,
    /// `VERIFY_CA` the chain only, `REQUIRED` nothing (the connection is encrypted, to
    /// whoever answers); `PREFERRED`, sqlx's default, uses TLS without verifying when
    /// the server offers it. A chain is trusted when it leads to the `ssl-ca` file, the
    /// system's trust store or the bundled web roots. The same can be said with
    /// [`tls`](MySql::tls). A failure reads `unavailable: TLS: …`: `certificate not
    /// trusted (unknown issuer)`, `host name mismatch: certificate is for db.internal,
    /// not 10.0.0.5`, `certificate expired 3 days ago`, `server does not support TLS`.
    ///
    /// Without the `rustls` feature, a URL that requires TLS (`REQUIRED`, `VERIFY_CA`,
    /// `VERIFY_IDENTITY`) is an [`InvalidUrl`](crate::checks::InvalidUrl) that names it.
    pub struct MySql(SqlCheck<sqlx::MySql>);

    /// Checks on the check's own connection to `url` (`mysql://` or `mariadb://`),
    /// made when the check first runs and kept while it works. Building the check
    /// never touches the network.
    ///
    /// ```
    /// let check = healthz::checks::MySql::new("mysql://root:s3cr3t@localhost/test")?;
    /// assert!(!format!("{check:?}").contains("s3cr3t"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`](crate::checks::InvalidUrl) when the URL is not a MySQL URL
    /// sqlx can use, when it names `ssl-cert` without `ssl-key` or the other way round,
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
    /// let pool = sqlx::MySqlPool::connect("mysql://app@localhost/shop").await?;
    /// let check = healthz::checks::MySql::from_pool(pool.clone());
    /// # Ok(()) }
    /// ```
    pub fn from_pool(pool: MySqlPool);

    /// Speaks TLS to the database as `tls` says, on the check's own connection (a check
    /// made with [`from_pool`](Self::from_pool) has its pool's TLS, and this changes
    /// nothing there).
    ///
    /// `tls` wins over the URL: its mode replaces `ssl-mode`, and its CA file and client
    /// certificate replace `ssl-ca`, `ssl-cert` and `ssl-key`, which still count where
    /// `tls` names none.
    ///
    /// ```
    /// use healthz::checks::{MySql, Tls};
    ///
    /// let check = MySql::new("mysql://app:secret@db.internal/shop")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/db-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    pub fn tls(tls: Tls);
}

impl Dialect for sqlx::MySql {
    // sqlx reaches `localhost` for a URL without a host.
    const SCHEMES: &'static [Scheme] = &[
        Scheme::plain("mysql", 3306).or_no_host(),
        Scheme::plain("mariadb", 3306).or_no_host(),
    ];

    #[cfg(feature = "rustls")]
    const TLS_PARAMS: TlsParams = TlsParams {
        ca: Param {
            names: &["ssl-ca", "sslca"],
            env: None,
        },
        cert: Param {
            names: &["ssl-cert", "sslcert"],
            env: None,
        },
        key: Param {
            names: &["ssl-key", "sslkey"],
            env: None,
        },
    };

    #[cfg(not(feature = "rustls"))]
    fn required_tls(options: &MySqlConnectOptions) -> Option<&'static str> {
        match options.get_ssl_mode() {
            MySqlSslMode::Required => Some("ssl-mode=REQUIRED"),
            MySqlSslMode::VerifyCa => Some("ssl-mode=VERIFY_CA"),
            MySqlSslMode::VerifyIdentity => Some("ssl-mode=VERIFY_IDENTITY"),
            MySqlSslMode::Disabled | MySqlSslMode::Preferred => None,
        }
    }

    #[cfg(feature = "rustls")]
    fn tls_mode(options: &MySqlConnectOptions) -> Option<TlsMode> {
        match options.get_ssl_mode() {
            MySqlSslMode::Required => Some(TlsMode::Insecure),
            MySqlSslMode::VerifyCa => Some(TlsMode::VerifyCa),
            MySqlSslMode::VerifyIdentity => Some(TlsMode::VerifyFull),
            MySqlSslMode::Disabled | MySqlSslMode::Preferred => None,
        }
    }

    #[cfg(feature = "rustls")]
    fn with_tls(options: MySqlConnectOptions, mode: TlsMode, pem: TlsPem) -> MySqlConnectOptions {
        let options = options
            .ssl_mode(match mode {
                TlsMode::VerifyFull => MySqlSslMode::VerifyIdentity,
                TlsMode::VerifyCa => MySqlSslMode::VerifyCa,
                TlsMode::Insecure => MySqlSslMode::Required,
            })
            .ssl_ca_from_pem(pem.roots);
        match pem.client {
            Some((cert, key)) => options
                .ssl_client_cert_from_pem(cert)
                .ssl_client_key_from_pem(key.expose()),
            None => options,
        }
    }

    async fn probe(conn: &mut MySqlConnection, write: bool) -> Result<(), Failure> {
        let one: i64 = sqlx::query_scalar("SELECT 1")
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

fn is_read_only(error: &sqlx::Error) -> bool {
    if sql_state(error).as_deref() == Some(READ_ONLY_TRANSACTION) {
        return true;
    }
    let number = error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<MySqlDatabaseError>())
        .map(MySqlDatabaseError::number);
    matches!(
        number,
        Some(ER_OPTION_PREVENTS_STATEMENT | ER_READ_ONLY_MODE)
    )
}

async fn write_probe(conn: &mut MySqlConnection) -> Result<(), Failure> {
    // MySQL lets a user without SUPER write temporary tables on a `read_only` server
    // (a replica), so the table alone would not prove that the application can write.
    let read_only: i64 = sqlx::query_scalar("SELECT CAST(@@global.read_only AS SIGNED)")
        .fetch_one(&mut *conn)
        .await
        .map_err(Failure::sql("the write probe cannot read @@read_only"))?;
    if read_only != 0 {
        return Err(Failure::ReadOnly(
            "the server runs with read_only=ON".to_owned(),
        ));
    }

    let table = probe_table_name();
    let value = probe_value();
    let mut tx = conn
        .begin()
        .await
        .map_err(Failure::sql("cannot begin a transaction"))?;
    // The probe's statements go as plain text (`COM_QUERY`): a prepared statement
    // used once is closed with a message that has no reply, and the next statement
    // then waits out the peer's delayed ACK (about 40 ms each, seen on loopback). The
    // value is our own hex digits, safe to write inline.
    let create =
        format!("CREATE TEMPORARY TABLE {table} (value VARCHAR(64) NOT NULL) ENGINE=InnoDB");
    if let Err(error) = sqlx::raw_sql(AssertSqlSafe(create)).execute(&mut *tx).await {
        return Err(if is_read_only(&error) {
            Failure::read_only(&error)
        } else {
            Failure::Sql {
                doing: "the write probe cannot create a temporary table",
                error,
            }
        });
    }
    let insert = format!("INSERT INTO {table} (value) VALUES ('{value}')");
    if let Err(error) = sqlx::raw_sql(AssertSqlSafe(insert)).execute(&mut *tx).await {
        return Err(if is_read_only(&error) {
            Failure::read_only(&error)
        } else {
            Failure::Sql {
                doing: "the write probe cannot insert a row",
                error,
            }
        });
    }
    let read: String = sqlx::raw_sql(AssertSqlSafe(format!("SELECT value FROM {table}")))
        .fetch_one(&mut *tx)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Failure::sql("the write probe cannot read its row back"))?;
    tx.rollback()
        .await
        .map_err(Failure::sql("the write probe cannot roll back"))?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP TEMPORARY TABLE IF EXISTS {table}"
    )))
    .execute(&mut *conn)
    .await
    .map_err(Failure::sql(
        "the write probe cannot drop its temporary table",
    ))?;
    if read != value {
        return Err(Failure::Unexpected(
            "the write probe read back another value than it wrote".to_owned(),
        ));
    }
    Ok(())
}
