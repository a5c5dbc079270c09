//! `Postgres` against a real PostgreSQL server, and against the failure modes every
//! backend check is tested on: nothing listening, a hung server, wrong credentials, a
//! read-only database, and probes cut short by the runner's timeout.
//!
//! The server is `HEALTHZ_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`; `scripts/services.sh` starts it). These
//! tests fail when it is unreachable; only `HEALTHZ_SKIP_BACKEND_TESTS=postgres`
//! (or `all`) skips them, and CI never sets it.

use crate::backend;
use crate::logs;
use crate::net;
use std::time::Duration;

use backend::{run_one, text, with_user_and_database};
use healthz::checks::Postgres;
use healthz::{CheckOptions, HealthCheck, Registry, Selection};
use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::{Connection, Executor};

const URL_VAR: &str = "HEALTHZ_TEST_POSTGRES_URL";
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PASSWORD: &str = "s3cr3t-PASSWORD";

/// The server's URL, or `None` when these tests are explicitly opted out.
fn url() -> Option<String> {
    backend::server("postgres", URL_VAR, DEFAULT_URL)
}

/// Fails the test, naming the service, when the server does not answer.
async fn require_server(url: &str) {
    let connect = PgConnection::connect(url);
    let conn = backend::require("PostgreSQL", url, URL_VAR, backend::START, connect).await;
    drop(conn.close().await);
}

#[tokio::test]
async fn works_on_its_own_connection_and_on_the_application_pool() {
    let Some(url) = url() else { return };
    require_server(&url).await;

    let own = Postgres::new(&url).unwrap().write_probe(true);
    assert_eq!(own.identifier(), "DatabaseBackend");
    assert_eq!(own.component_type(), "datastore");
    for _ in 0..3 {
        own.check().await.unwrap();
    }

    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .unwrap();
    let from_pool = Postgres::from_pool(pool.clone());
    from_pool.check().await.unwrap();
    Postgres::from_pool(pool)
        .write_probe(true)
        .check()
        .await
        .unwrap();
}

#[tokio::test]
async fn several_databases_side_by_side() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let other = with_user_and_database(&url, "postgres", "postgres");
    let registry = Registry::builder()
        .check(Postgres::new(&url).unwrap())
        .check_with(
            Postgres::new(&other).unwrap(),
            CheckOptions::new().name("DatabaseBackend[replica]"),
        )
        .build()
        .unwrap();
    let report = registry.run(&Selection::all()).await.unwrap();
    let names: Vec<_> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["DatabaseBackend", "DatabaseBackend[replica]"]);
    backend::assert_all_working(&report);
    assert!(
        report
            .checks
            .iter()
            .all(|c| c.component_type == "datastore")
    );
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    let check = Postgres::new(&format!("postgres://postgres@{addr}/test")).unwrap();
    backend::assert_refused(&backend::nothing_listening(check).await);
}

#[tokio::test]
async fn a_hung_server_times_out_and_the_runner_is_free_again() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let hung = net::HungListener::start();
    backend::assert_hung_times_out_and_frees_the_runner(
        || hung.accepted(),
        Postgres::new(&format!("postgres://postgres@{}/test", hung.addr())).unwrap(),
        Postgres::new(&url).unwrap(),
        "DatabaseBackend",
        "server",
        Duration::from_secs(1),
        false,
    )
    .await;
}

#[tokio::test]
async fn wrong_credentials_and_missing_databases_say_which_and_never_show_the_password() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let logs = logs::Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    // The server trusts loopback, so the wrong credentials are a role that does not
    // exist; the password is sent along all the same.
    let unknown_role = with_user_and_database(&url, &format!("nobody:{PASSWORD}"), "test");
    let check = Postgres::new(&unknown_role).unwrap();
    let debug = format!("{check:?}");
    let (report, _) = run_one(check, Duration::from_secs(10)).await;
    let role_text = text(&report);
    assert_eq!(
        role_text,
        "unavailable: cannot connect: role \"nobody\" does not exist"
    );

    let missing_db = with_user_and_database(&url, &format!("postgres:{PASSWORD}"), "nope");
    let check =
        Postgres::new(&format!("{missing_db}?sslmode=disable&password={PASSWORD}")).unwrap();
    let debug_2 = format!("{check:?}");
    let (report, _) = run_one(check, Duration::from_secs(10)).await;
    let db_text = text(&report);
    assert_eq!(
        db_text,
        "unavailable: cannot connect: database \"nope\" does not exist"
    );

    assert!(debug.contains("postgres://nobody:***@"), "{debug}");
    assert!(debug_2.contains("password=***"), "{debug_2}");
    let logged = logs.text();
    assert!(
        logged.contains("does not exist"),
        "the failures were logged: {logged}"
    );
    for shown in [&role_text, &db_text, &debug, &debug_2, &logged] {
        assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    }

    let error = Postgres::new(&format!("postgres://u:{PASSWORD}@h:port/db")).unwrap_err();
    assert!(!error.to_string().contains(PASSWORD), "{error}");
    assert!(Postgres::new("mysql://root@h/db").is_err());
}

#[tokio::test]
async fn the_write_probe_fails_clearly_on_a_read_only_database() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let read_only = format!("{url}{separator}options=-c%20default_transaction_read_only%3Don");

    // Reading still works…
    Postgres::new(&read_only).unwrap().check().await.unwrap();
    // …writing does not.
    let error = Postgres::new(&read_only)
        .unwrap()
        .write_probe(true)
        .check()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "unavailable: the database is read-only: cannot execute CREATE TABLE in a read-only transaction"
    );

    // The same through an application pool whose sessions are read-only.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                    .await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .unwrap();
    let error = Postgres::from_pool(pool)
        .write_probe(true)
        .check()
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("unavailable: the database is read-only: "),
        "{error}"
    );
}

/// Counts this session's probe tables (temporary tables are only in their own
/// session's catalog while uncommitted).
async fn probe_tables(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_class \
         WHERE relpersistence = 't' AND relname LIKE 'health\\_check\\_%'",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn no_probe_table_is_left_behind_even_when_cut_short() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let slow = net::slow_proxy(&url, 5432).await;

    // One connection, so that every run and the final look share a session.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&slow)
        .await
        .unwrap();
    let registry = |timeout| {
        Registry::builder()
            .check_with(
                Postgres::from_pool(pool.clone()).write_probe(true),
                CheckOptions::new().timeout(timeout),
            )
            .check_with(
                Postgres::new(&slow).unwrap().write_probe(true),
                CheckOptions::new().name("own").timeout(timeout),
            )
            .build()
            .unwrap()
    };
    // Through the slow proxy a run takes tens of milliseconds: these timeouts cut it
    // while connecting, inside the transaction and while rolling back.
    let mut cut_short = 0;
    for millis in (1..=40).step_by(3) {
        let report = registry(Duration::from_millis(millis))
            .run(&Selection::all())
            .await
            .unwrap();
        cut_short += report
            .checks
            .iter()
            .filter(|c| c.outcome.text().contains("timed out"))
            .count();
    }
    assert!(cut_short >= 10, "runs were cut short: {cut_short}");
    let working = registry(Duration::from_secs(10));
    for _ in 0..20 {
        let report = working.run(&Selection::all()).await.unwrap();
        backend::assert_all_working(&report);
    }

    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(probe_tables(&mut conn).await, 0, "in the pool's session");
    drop(conn);
    let mut fresh = PgConnection::connect(&url).await.unwrap();
    assert_eq!(probe_tables(&mut fresh).await, 0, "on a fresh connection");
}

/// The TLS cases against the clusters of `scripts/services.d/sql-tls.sh`.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;
    use crate::sql_tls::{Database, Params, Server};

    const POSTGRES: Database<Postgres> = Database {
        name: "postgres",
        superuser: "postgres",
        params: Params {
            mode: "sslmode",
            verify_full: "verify-full",
            verify_ca: "verify-ca",
            required: "require",
            disabled: "disable",
            ca: "sslrootcert",
            cert: "sslcert",
            key: "sslkey",
        },
        // TLS only (`hostssl`); the role `healthz-client` logs in by its client
        // certificate.
        valid: Server("postgres-tls", "127.0.0.1:5433"),
        other_host: Server("postgres-tls-other-host", "127.0.0.1:5434"),
        expired: Server("postgres-tls-expired", "127.0.0.1:5435"),
        new: Postgres::new,
        tls: Postgres::tls,
        write_probe: Postgres::write_probe,
    };

    /// `ssl = off`: the plain cluster on 5432 serves Debian's snakeoil certificate.
    const NO_TLS: Server = Server("postgres-no-tls", "127.0.0.1:5436");

    #[tokio::test]
    async fn works_with_verify_full_and_the_private_ca() {
        POSTGRES.works_with_verify_full_and_the_private_ca().await;
    }

    #[tokio::test]
    async fn require_encrypts_without_verifying_and_plain_is_refused() {
        POSTGRES
            .required_encrypts_without_verifying_and_plain_is_refused(
                "unavailable: cannot connect: no pg_hba.conf entry for host \"127.0.0.1\", \
                 user \"postgres\", database \"test\", no encryption",
            )
            .await;
    }

    #[tokio::test]
    async fn an_unknown_ca_is_not_trusted() {
        POSTGRES.an_unknown_ca_is_not_trusted().await;
    }

    #[tokio::test]
    async fn another_host_name_fails_verify_full_and_passes_verify_ca() {
        POSTGRES
            .another_host_name_fails_verify_full_and_passes_verify_ca()
            .await;
    }

    #[tokio::test]
    async fn an_expired_certificate_fails_even_verify_ca() {
        POSTGRES.an_expired_certificate_fails_even_verify_ca().await;
    }

    #[tokio::test]
    async fn a_server_without_tls_is_named_as_such() {
        if backend::skipped("postgres") {
            return;
        }
        let Server(service, addr) = NO_TLS;
        crate::tls::require_server(service, addr, "scripts/services.d/sql-tls.sh").await;
        POSTGRES
            .a_server_without_tls_is_named_as_such(&format!("postgres://postgres@{addr}/test"))
            .await;
    }

    #[tokio::test]
    async fn mutual_tls_needs_the_client_certificate() {
        POSTGRES
            .mutual_tls_needs_the_client_certificate(
                "healthz-client",
                "unavailable: cannot connect: connection requires a valid client certificate",
            )
            .await;
    }

    #[tokio::test]
    async fn tls_wins_over_the_url_and_takes_its_files_where_it_names_none() {
        POSTGRES
            .tls_wins_over_the_url_and_takes_its_files_where_it_names_none()
            .await;
    }

    #[tokio::test]
    async fn unusable_tls_files_are_named() {
        POSTGRES.unusable_tls_files_are_named().await;
    }

    #[tokio::test]
    async fn no_password_in_messages_or_debug() {
        POSTGRES.no_password_in_messages_or_debug().await;
    }
}
