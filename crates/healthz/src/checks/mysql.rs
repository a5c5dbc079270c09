//! `DatabaseBackend` on MySQL and MariaDB: [`MySql`].

use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlPool};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::sql::{Dialect, Failure, probe_table_name, probe_value, sql_check, sql_state};

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
    pub struct MySql(SqlCheck<sqlx::MySql>);

    /// Checks on the check's own connection to `url` (`mysql://` or `mariadb://`),
    /// made when the check first runs and kept while it works. Building the check
    /// never touches the network.
    ///
    /// ```
    /// let check = healthz::checks::MySql::new("mysql://root:secret@localhost/test")?;
    /// assert!(!format!("{check:?}").contains("secret"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`](crate::checks::InvalidUrl) when the URL is not a MySQL URL
    /// sqlx can use.
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
}

impl Dialect for sqlx::MySql {
    const SCHEMES: &'static [&'static str] = &["mysql", "mariadb"];

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
