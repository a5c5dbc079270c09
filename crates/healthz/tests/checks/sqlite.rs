//! `checks::Sqlite` against real SQLite files.
use std::fs;

use healthz::checks::Sqlite;
use healthz::{ErrorKind, HealthCheck};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

#[tokio::test]
async fn a_new_file_is_created_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let check = Sqlite::new(&path);
    assert_eq!(check.identifier(), "DatabaseBackend");
    assert_eq!(check.component_type(), "datastore");
    for _ in 0..3 {
        check.check().await.unwrap();
    }
    assert!(path.is_file(), "the database file was created");
}

#[tokio::test]
async fn a_missing_directory_is_unavailable_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing/app.db");
    let error = Sqlite::new(&path).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        format!(
            "cannot open sqlite database {}: unable to open database file",
            path.display()
        )
    );
    assert!(!dir.path().join("missing").exists());
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_unavailable_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let garbage: Vec<u8> = (0..4096_u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(&path, &garbage).unwrap();
    let error = Sqlite::new(&path).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(
        error.message().ends_with(&format!(
            "sqlite database {}: file is not a database",
            path.display()
        )),
        "{}",
        error.message()
    );
    assert_eq!(fs::read(&path).unwrap(), garbage);
}

#[tokio::test]
async fn the_applications_pool_works_and_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    sqlx::query("CREATE TABLE notes (body TEXT)")
        .execute(&pool)
        .await
        .unwrap();

    Sqlite::from_pool(pool.clone()).check().await.unwrap();

    sqlx::query("INSERT INTO notes VALUES ('still here')")
        .execute(&pool)
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_closed_application_pool_is_unavailable_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    pool.close().await;
    let error = Sqlite::from_pool(pool).check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(
        error
            .message()
            .starts_with(&format!("cannot open sqlite database {}: ", path.display())),
        "{}",
        error.message()
    );
}

/// `SELECT 1` alone is computed without reading the file, so a connection that is
/// already open would not notice its file being destroyed; the check reads the header.
#[tokio::test]
async fn a_file_destroyed_under_an_open_connection_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let check = Sqlite::new(&path);
    check.check().await.unwrap();
    fs::write(&path, vec![0x5a_u8; 4096]).unwrap();
    let error = check.check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        format!(
            "cannot read sqlite database {}: file is not a database",
            path.display()
        )
    );
}

#[test]
fn building_the_check_needs_no_runtime_and_touches_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.db");
    // No Tokio runtime here: a binary builds its checks before it starts one.
    let check = Sqlite::new(&path);
    assert!(!path.exists(), "the database file is made on the first run");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async { check.check().await }).unwrap();
    assert!(path.exists());
}
