//! `MySql` against a real MariaDB (or MySQL) server, and against the failure modes
//! every backend check is tested on: nothing listening, a hung server, wrong
//! credentials, a read-only session, and probes cut short by the runner's timeout.
//!
//! The server is `HEALTHZ_TEST_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`; `scripts/services.sh` starts it). These tests
//! fail when it is unreachable; only `HEALTHZ_SKIP_BACKEND_TESTS=mysql` (or `all`)
//! skips them, and CI never sets it.

use crate::backend;
use crate::logs;
use crate::net;
use std::time::Duration;

use backend::{run_one, text, with_user_and_database};
use healthz::checks::MySql;
use healthz::{CheckOptions, HealthCheck, Registry, Selection};
use sqlx::mysql::{MySqlConnection, MySqlPoolOptions};
use sqlx::{Connection, Executor, Row};

const URL_VAR: &str = "HEALTHZ_TEST_MYSQL_URL";
const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306/test";
const PASSWORD: &str = "s3cr3t-PASSWORD";

/// The server's URL, or `None` when these tests are explicitly opted out.
fn url() -> Option<String> {
    backend::server("mysql", URL_VAR, DEFAULT_URL)
}

/// Fails the test, naming the service, when the server does not answer.
async fn require_server(url: &str) {
    let connect = MySqlConnection::connect(url);
    let conn = backend::require("MariaDB/MySQL", url, URL_VAR, backend::START, connect).await;
    drop(conn.close().await);
}

/// The user of `url` (`root` by default).
fn user(url: &str) -> &str {
    let rest = url.split_once("://").expect("a URL").1;
    rest.rsplit_once('@').map_or("root", |(user_info, _)| {
        user_info.split(':').next().unwrap()
    })
}

#[tokio::test]
async fn works_on_its_own_connection_and_on_the_application_pool() {
    let Some(url) = url() else { return };
    require_server(&url).await;

    let own = MySql::new(&url).unwrap().write_probe(true);
    assert_eq!(own.identifier(), "DatabaseBackend");
    assert_eq!(own.component_type(), "datastore");
    for _ in 0..3 {
        own.check().await.unwrap();
    }

    let pool = MySqlPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .unwrap();
    MySql::from_pool(pool.clone()).check().await.unwrap();
    MySql::from_pool(pool)
        .write_probe(true)
        .check()
        .await
        .unwrap();
}

#[tokio::test]
async fn several_databases_side_by_side() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let other = with_user_and_database(&url, user(&url), "information_schema");
    let registry = Registry::builder()
        .check(MySql::new(&url).unwrap())
        .check_with(
            MySql::new(&other).unwrap(),
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
    let check = MySql::new(&format!("mysql://root@{addr}/test")).unwrap();
    backend::assert_refused(&backend::nothing_listening(check).await);
}

#[tokio::test]
async fn a_hung_server_times_out_and_the_runner_is_free_again() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let hung = net::HungListener::start();
    backend::assert_hung_times_out_and_frees_the_runner(
        || hung.accepted(),
        MySql::new(&format!("mysql://root@{}/test", hung.addr())).unwrap(),
        MySql::new(&url).unwrap(),
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

    // The test user has no password (root by default): any password is wrong.
    let user = user(&url);
    let wrong = with_user_and_database(&url, &format!("{user}:{PASSWORD}"), "test");
    let check = MySql::new(&wrong).unwrap();
    let debug = format!("{check:?}");
    let (report, _) = run_one(check, Duration::from_secs(10)).await;
    let denied = text(&report);
    assert!(
        denied.starts_with(&format!(
            "unavailable: cannot connect: Access denied for user '{user}'@"
        )),
        "{denied}"
    );

    let missing = with_user_and_database(&url, user, "nope");
    let (report, _) = run_one(MySql::new(&missing).unwrap(), Duration::from_secs(10)).await;
    let unknown = text(&report);
    assert_eq!(
        unknown,
        "unavailable: cannot connect: Unknown database 'nope'"
    );

    assert!(debug.contains(&format!("mysql://{user}:***@")), "{debug}");
    let logged = logs.text();
    assert!(
        logged.contains("Access denied"),
        "the failures were logged: {logged}"
    );
    for shown in [&denied, &unknown, &debug, &logged] {
        assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    }

    let error = MySql::new(&format!("mysql://u:{PASSWORD}@h:port/db")).unwrap_err();
    assert!(!error.to_string().contains(PASSWORD), "{error}");
    assert!(MySql::new("postgres://root@h/db").is_err());
}

#[tokio::test]
async fn the_write_probe_fails_clearly_on_a_read_only_session() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let pool = MySqlPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("SET SESSION TRANSACTION READ ONLY").await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .unwrap();
    // Reading still works…
    MySql::from_pool(pool.clone()).check().await.unwrap();
    // …writing does not.
    let error = MySql::from_pool(pool)
        .write_probe(true)
        .check()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "unavailable: the database is read-only: Cannot execute statement in a READ ONLY transaction"
    );
}

/// This session's `CREATE TEMPORARY TABLE` and `DROP TEMPORARY TABLE` counts.
///
/// MariaDB shows no other session's temporary tables in any catalog (MySQL 5.7+ and
/// MariaDB 11.2+ do), so the test keeps every run on one pooled session and compares
/// its counters: equal counts mean no temporary table is left in it. A run cut short
/// closes its session, which drops its temporary tables with it.
async fn temporary_tables(conn: &mut MySqlConnection) -> (u64, u64) {
    let rows = sqlx::query("SHOW SESSION STATUS LIKE 'Com\\_%\\_temporary\\_table'")
        .fetch_all(conn)
        .await
        .unwrap();
    let count = |name: &str| {
        rows.iter()
            .find(|row| row.get::<String, _>(0) == name)
            .map(|row| row.get::<String, _>(1).parse::<u64>().unwrap())
            .unwrap_or_else(|| panic!("no {name} status"))
    };
    (
        count("Com_create_temporary_table"),
        count("Com_drop_temporary_table"),
    )
}

#[tokio::test]
async fn no_temporary_table_is_left_behind_even_when_cut_short() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let slow = net::slow_proxy(&url, 3306).await;
    let pool = MySqlPoolOptions::new()
        .max_connections(1)
        .connect(&slow)
        .await
        .unwrap();
    let registry = |timeout| {
        Registry::builder()
            .check_with(
                MySql::from_pool(pool.clone()).write_probe(true),
                CheckOptions::new().timeout(timeout),
            )
            .build()
            .unwrap()
    };
    // Through the slow proxy a run takes tens of milliseconds: these timeouts cut it
    // while connecting, inside the transaction and while dropping the table.
    let mut cut_short = 0;
    for millis in (1..=40).step_by(3) {
        let report = registry(Duration::from_millis(millis))
            .run(&Selection::all())
            .await
            .unwrap();
        if report.checks[0].outcome.text().contains("timed out") {
            cut_short += 1;
        }
    }
    assert!(cut_short >= 5, "runs were cut short: {cut_short}");

    let working = registry(Duration::from_secs(10));
    for _ in 0..20 {
        let report = working.run(&Selection::all()).await.unwrap();
        assert!(report.checks[0].outcome.is_working(), "{}", text(&report));
    }
    let mut conn = pool.acquire().await.unwrap();
    let (created, dropped) = temporary_tables(&mut conn).await;
    assert!(created >= 20, "the 20 runs used this session: {created}");
    assert_eq!(created, dropped, "every temporary table was dropped");
}

/// The TLS cases against the instances of `scripts/services.d/sql-tls.sh`.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;
    use crate::sql_tls::{Database, Params, Server};

    const MYSQL: Database<MySql> = Database {
        name: "mysql",
        superuser: "root",
        params: Params {
            mode: "ssl-mode",
            verify_full: "VERIFY_IDENTITY",
            verify_ca: "VERIFY_CA",
            required: "REQUIRED",
            disabled: "DISABLED",
            ca: "ssl-ca",
            cert: "ssl-cert",
            key: "ssl-key",
        },
        // `--require-secure-transport`; the user `mtls` must present a client
        // certificate (`REQUIRE X509`).
        valid: Server("mariadb-tls", "127.0.0.1:3307"),
        other_host: Server("mariadb-tls-other-host", "127.0.0.1:3308"),
        expired: Server("mariadb-tls-expired", "127.0.0.1:3309"),
        new: MySql::new,
        tls: MySql::tls,
        write_probe: MySql::write_probe,
    };

    #[tokio::test]
    async fn works_with_verify_full_and_the_private_ca() {
        MYSQL.works_with_verify_full_and_the_private_ca().await;
    }

    #[tokio::test]
    async fn required_encrypts_without_verifying_and_plain_is_refused() {
        // MariaDB says no more than this when it requires secure transport (MySQL says
        // "Connections using insecure transport are prohibited…").
        MYSQL
            .required_encrypts_without_verifying_and_plain_is_refused(
                "unavailable: cannot connect: Access denied for user 'root'@'localhost' \
                 (using password: NO)",
            )
            .await;
    }

    #[tokio::test]
    async fn an_unknown_ca_is_not_trusted() {
        MYSQL.an_unknown_ca_is_not_trusted().await;
    }

    #[tokio::test]
    async fn another_host_name_fails_verify_full_and_passes_verify_ca() {
        MYSQL
            .another_host_name_fails_verify_full_and_passes_verify_ca()
            .await;
    }

    #[tokio::test]
    async fn an_expired_certificate_fails_even_verify_ca() {
        MYSQL.an_expired_certificate_fails_even_verify_ca().await;
    }

    #[tokio::test]
    async fn a_server_without_tls_is_named_as_such() {
        // The plain instance, which offers no TLS.
        let Some(plain) = url() else { return };
        require_server(&plain).await;
        MYSQL.a_server_without_tls_is_named_as_such(&plain).await;
    }

    #[tokio::test]
    async fn mutual_tls_needs_the_client_certificate() {
        // MariaDB does not say why either.
        MYSQL
            .mutual_tls_needs_the_client_certificate(
                "mtls",
                "unavailable: cannot connect: Access denied for user 'mtls'@'localhost' \
                 (using password: NO)",
            )
            .await;
    }

    #[tokio::test]
    async fn tls_wins_over_the_url_and_takes_its_files_where_it_names_none() {
        MYSQL
            .tls_wins_over_the_url_and_takes_its_files_where_it_names_none()
            .await;
    }

    #[tokio::test]
    async fn unusable_tls_files_are_named() {
        MYSQL.unusable_tls_files_are_named().await;
    }

    #[tokio::test]
    async fn no_password_in_messages_or_debug() {
        MYSQL.no_password_in_messages_or_debug().await;
    }
}
