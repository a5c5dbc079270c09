//! `DatabaseBackend` on PostgreSQL: [`Postgres`].

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{AssertSqlSafe, Connection};

use super::sql::{Dialect, Failure, probe_table_name, probe_value, sql_check, sql_state};

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
    pub struct Postgres(SqlCheck<sqlx::Postgres>);

    /// Checks on the check's own connection to `url` (`postgres://` or
    /// `postgresql://`), made when the check first runs and kept while it works.
    /// Building the check never touches the network.
    ///
    /// ```
    /// let check = healthz::checks::Postgres::new("postgres://app:secret@localhost/orders")?;
    /// assert!(!format!("{check:?}").contains("secret"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`](crate::checks::InvalidUrl) when the URL is not a PostgreSQL URL
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
    /// let pool = sqlx::PgPool::connect("postgres://app@localhost/orders").await?;
    /// let check = healthz::checks::Postgres::from_pool(pool.clone());
    /// # Ok(()) }
    /// ```
    pub fn from_pool(pool: PgPool);
}

impl Dialect for sqlx::Postgres {
    const SCHEMES: &'static [&'static str] = &["postgres", "postgresql"];

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
