//! `DatabaseBackend` on SQLite: [`Sqlite`].

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::{CheckError, CheckResult, HealthCheck};

/// How long [`Sqlite::new`]'s own pool waits for its connection. Shorter than the
/// runner's default timeout, so a locked-up pool reports itself as such.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Checks a SQLite database: the seed's `DatabaseBackend`.
///
/// Each run takes a connection, reads the schema version from the file's header (so
/// that the file itself is read), runs `SELECT 1` and checks that the row is `1`.
///
/// ```no_run
/// use healthz::Registry;
/// use healthz::checks::Sqlite;
///
/// # async fn example(app_pool: sqlx::SqlitePool) {
/// let registry = Registry::builder()
///     // The application's own pool: checks what the application uses.
///     .check(Sqlite::from_pool(app_pool))
///     .build()
///     .expect("unique names");
/// # }
/// ```
///
/// [`Sqlite::new`] makes a small pool of its own instead, for a database the
/// application does not hold open (the binary's configuration does this).
#[derive(Debug)]
pub struct Sqlite {
    /// The application's pool, or the check's own, made on the first run: sqlx starts
    /// a pool's maintenance task when the pool is made, which needs a Tokio runtime,
    /// and building a check must not.
    pool: OnceLock<SqlitePool>,
    options: SqliteConnectOptions,
    file: PathBuf,
}

impl Sqlite {
    /// Checks the database file at `path` through a pool of its own, which connects on
    /// the first run.
    ///
    /// A missing file is created as an empty database; a missing directory is not, and
    /// makes the check fail. The pool holds one connection and waits at most three
    /// seconds for it. Building the check touches neither the file nor the runtime.
    #[must_use]
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            pool: OnceLock::new(),
            options: SqliteConnectOptions::new()
                .filename(path.as_ref())
                .create_if_missing(true),
            file: path.as_ref().to_owned(),
        }
    }

    /// Checks through the application's pool.
    #[must_use]
    pub fn from_pool(pool: SqlitePool) -> Self {
        let options = (*pool.connect_options()).clone();
        let file = options.get_filename().to_owned();
        Self {
            pool: OnceLock::from(pool),
            options,
            file,
        }
    }

    fn pool(&self) -> &SqlitePool {
        self.pool.get_or_init(|| {
            SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_lazy_with(self.options.clone())
        })
    }
}

impl HealthCheck for Sqlite {
    async fn check(&self) -> CheckResult {
        let file = self.file.display();
        let mut connection = self.pool().acquire().await.map_err(|e| {
            CheckError::unavailable(format!(
                "cannot open sqlite database {file}: {}",
                describe(&e)
            ))
            .with_source(e)
        })?;
        // `SELECT 1` is computed without reading the file, so a connection that is
        // already open would not notice its file being destroyed. The schema version
        // comes from the file's header: the cheapest real read there is.
        sqlx::query_scalar::<_, i64>("PRAGMA schema_version")
            .fetch_one(&mut *connection)
            .await
            .map_err(|e| {
                CheckError::unavailable(format!(
                    "cannot read sqlite database {file}: {}",
                    describe(&e)
                ))
                .with_source(e)
            })?;
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut *connection)
            .await
            .map_err(|e| {
                CheckError::unavailable(format!(
                    "select 1 failed on sqlite database {file}: {}",
                    describe(&e)
                ))
                .with_source(e)
            })?;
        if one != 1 {
            return Err(CheckError::unexpected_result(format!(
                "select 1 returned {one} on sqlite database {file}"
            )));
        }
        Ok(())
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("DatabaseBackend")
    }

    fn component_type(&self) -> &'static str {
        "datastore"
    }
}

/// A sqlx error as a short phrase: SQLite's own message for database errors.
fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(database) => database.message().to_owned(),
        sqlx::Error::Io(io) => super::describe_io(io),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_owned(),
        other => other.to_string(),
    }
}
