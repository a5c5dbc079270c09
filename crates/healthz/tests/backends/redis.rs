//! `RedisCache` and `RedisPing` against a real Redis server, and against the failure
//! modes every backend check is tested on: nothing listening, a hung server, a wrong
//! password, a missing database, and probes cut short by the runner's timeout.
//!
//! The server is `HEALTHZ_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`;
//! `scripts/services.sh` starts it). These tests fail when it is unreachable; only
//! `HEALTHZ_SKIP_BACKEND_TESTS=redis` (or `all`) skips them, and CI never sets it.

use crate::backend;
use crate::logs;
use crate::net;
use std::time::{Duration, Instant};

use backend::{run_one, text};
use healthz::checks::{RedisCache, RedisPing};
use healthz::{CheckOptions, HealthCheck, Registry, Selection};
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, MultiplexedConnection};

const URL_VAR: &str = "HEALTHZ_TEST_REDIS_URL";
const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
const PASSWORD: &str = "s3cr3t-PASSWORD";

/// The server's URL, or `None` when these tests are explicitly opted out.
fn url() -> Option<String> {
    backend::server("redis", URL_VAR, DEFAULT_URL)
}

/// A connection for the test's own commands; fails the test, naming the service, when
/// the server does not answer.
async fn require_server(url: &str) -> MultiplexedConnection {
    let connect = async {
        let mut conn = redis::Client::open(url)?
            .get_multiplexed_async_connection()
            .await?;
        redis::cmd("PING").query_async::<()>(&mut conn).await?;
        Ok::<_, redis::RedisError>(conn)
    };
    backend::require("Redis", url, URL_VAR, backend::START, connect).await
}

/// `url` with the password and the database replaced.
fn with_password_and_db(url: &str, password: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = host_and_path.split(['/', '?']).next().unwrap();
    let user_info = if password.is_empty() {
        String::new()
    } else {
        format!(":{password}@")
    };
    format!("{scheme}://{user_info}{host}/{db}")
}

/// The keys matching `healthz:*`, by `SCAN` (never `KEYS`).
async fn probe_keys(conn: &mut MultiplexedConnection) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor = 0_u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("healthz:*")
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

#[tokio::test]
async fn works_on_its_own_connection_and_through_a_connection_manager() {
    let Some(url) = url() else { return };
    require_server(&url).await;

    let cache = RedisCache::new(&url).unwrap();
    assert_eq!(cache.identifier(), "CacheBackend");
    assert_eq!(cache.component_type(), "datastore");
    let ping = RedisPing::new(&url).unwrap();
    assert_eq!(ping.identifier(), "RedisBackend");
    for _ in 0..3 {
        cache.check().await.unwrap();
        ping.check().await.unwrap();
    }

    let manager = ConnectionManager::new(redis::Client::open(url.as_str()).unwrap())
        .await
        .unwrap();
    let registry = Registry::builder()
        .check(RedisCache::from_client(manager.clone()))
        .check(RedisPing::from_client(manager))
        .build()
        .unwrap();
    let report = registry.run(&Selection::all()).await.unwrap();
    backend::assert_all_working(&report);
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    let registry = Registry::builder()
        .default_timeout(Duration::from_secs(10))
        .check(RedisCache::new(&format!("redis://{addr}")).unwrap())
        .check(RedisPing::new(&format!("redis://{addr}")).unwrap())
        .build()
        .unwrap();
    let start = Instant::now();
    let report = registry.run(&Selection::all()).await.unwrap();
    let took = start.elapsed();
    eprintln!("nothing listening: {took:?}: {}", text(&report));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    for check in &report.checks {
        let text = check.outcome.text();
        backend::assert_refused(&text);
    }
}

#[tokio::test]
async fn a_hung_server_times_out_and_the_runner_is_free_again() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let hung = net::HungListener::start();
    let hung_url = format!("redis://{}", hung.addr());
    let registry = Registry::builder()
        .check_with(
            RedisCache::new(&hung_url).unwrap(),
            CheckOptions::new()
                .name("CacheBackend[hung]")
                .timeout(Duration::from_secs(1)),
        )
        .check_with(
            RedisPing::new(&hung_url).unwrap(),
            CheckOptions::new()
                .name("RedisBackend[hung]")
                .timeout(Duration::from_secs(1)),
        )
        .check(RedisCache::new(&url).unwrap())
        .build()
        .unwrap();
    for _ in 0..2 {
        let start = Instant::now();
        let report = registry.run(&Selection::all()).await.unwrap();
        let took = start.elapsed();
        eprintln!("hung: {took:?}: {}", text(&report));
        assert!(took < Duration::from_secs(5), "took {took:?}");
        for check in &report.checks[..2] {
            assert_eq!(check.outcome.text(), "unavailable: timed out after 1s");
        }
        assert!(report.checks[2].outcome.is_working());
    }
    assert!(hung.accepted() >= 2, "the checks did reach the hung server");

    let start = Instant::now();
    let report = registry
        .run(&Selection::all().check("CacheBackend"))
        .await
        .unwrap();
    assert!(report.checks[0].outcome.is_working());
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_wrong_password_or_database_says_which_and_never_shows_the_password() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let logs = logs::Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    // The test server has no password: Redis refuses the AUTH all the same.
    let wrong = with_password_and_db(&url, PASSWORD, "0");
    let cache = RedisCache::new(&wrong).unwrap();
    let ping = RedisPing::new(&wrong).unwrap();
    let debug = format!("{cache:?} {ping:?}");
    let (report, _) = run_one(cache, Duration::from_secs(10)).await;
    let auth_cache = text(&report);
    let (report, _) = run_one(ping, Duration::from_secs(10)).await;
    let auth_ping = text(&report);
    for text in [&auth_cache, &auth_ping] {
        assert_eq!(
            text,
            "unavailable: cannot connect: Password authentication failed"
        );
    }

    let missing_db = with_password_and_db(&url, "", "99");
    let (report, _) = run_one(
        RedisCache::new(&missing_db).unwrap(),
        Duration::from_secs(10),
    )
    .await;
    let db = text(&report);
    assert_eq!(
        db,
        "unavailable: cannot connect: Redis server refused to switch database: \
         DB index is out of range"
    );

    assert!(debug.contains("redis://:***@"), "{debug}");
    let logged = logs.text();
    assert!(
        logged.contains("Password authentication failed"),
        "the failures were logged: {logged}"
    );
    for shown in [&auth_cache, &auth_ping, &db, &debug, &logged] {
        assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    }

    let error = RedisCache::new(&format!("redis://:{PASSWORD}@h:port")).unwrap_err();
    assert!(!error.to_string().contains(PASSWORD), "{error}");
}

#[tokio::test]
async fn no_probe_key_is_left_behind_and_no_other_key_is_touched() {
    let Some(url) = url() else { return };
    let mut conn = require_server(&url).await;
    let sentinel = format!("kept {:x}", fastrand::u64(..));
    let _: () = conn.set("app:sentinel", &sentinel).await.unwrap();

    let slow = net::slow_proxy(&url, 6379).await;
    let manager = ConnectionManager::new(redis::Client::open(slow.as_str()).unwrap())
        .await
        .unwrap();
    let registry = |timeout| {
        Registry::builder()
            .check_with(
                RedisCache::new(&slow).unwrap(),
                CheckOptions::new().timeout(timeout),
            )
            .check_with(
                RedisCache::from_client(manager.clone()),
                CheckOptions::new().name("manager").timeout(timeout),
            )
            .build()
            .unwrap()
    };
    // Through the slow proxy a run takes milliseconds: these timeouts cut it before
    // and after its transaction reaches the server.
    let mut cut_short = 0;
    for millis in (1..=12).step_by(1) {
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
    assert!(cut_short >= 5, "runs were cut short: {cut_short}");
    let working = registry(Duration::from_secs(10));
    for _ in 0..20 {
        let report = working.run(&Selection::all()).await.unwrap();
        backend::assert_all_working(&report);
    }
    // Let the proxy deliver what cut-short runs had sent.
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Another process's probe could be in flight for a moment: wait for it to finish.
    let mut left = probe_keys(&mut conn).await;
    for _ in 0..20 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        left = probe_keys(&mut conn).await;
    }
    assert_eq!(left, Vec::<String>::new());
    let kept: String = conn.get("app:sentinel").await.unwrap();
    assert_eq!(kept, sentinel, "the sentinel key is intact");
    let _: () = conn.del("app:sentinel").await.unwrap();
}

/// Redis with TLS (`redis-server --tls-port`): the instances
/// `scripts/services.d/redis-tls.sh` starts, each serving one of the test certificates.
/// Every case runs both checks, which must agree.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;
    use crate::tls::{self, assert_tls_failure};
    use healthz::checks::{Tls, TlsMode};
    use tokio::net::TcpStream;

    /// The instance serving the valid server certificate.
    const VALID: Instance = Instance("redis-tls", "127.0.0.1:6380");
    /// Serving a certificate for `other-host.invalid` only.
    const OTHER_HOST: Instance = Instance("redis-tls-other-host", "127.0.0.1:6381");
    /// Serving an expired certificate.
    const EXPIRED: Instance = Instance("redis-tls-expired", "127.0.0.1:6382");
    /// Requiring a client certificate.
    const MUTUAL: Instance = Instance("redis-mtls", "127.0.0.1:6383");

    /// A TLS instance: its name in `scripts/services.sh` and its address.
    struct Instance(&'static str, &'static str);

    impl Instance {
        /// `rediss://<address><rest>`, after making sure the instance listens.
        async fn url(&self, rest: &str) -> String {
            let Self(name, addr) = self;
            backend::require(
                "Redis with TLS",
                addr,
                "scripts/services.d/redis-tls.sh",
                &format!("Start it with scripts/services.sh {name}."),
                TcpStream::connect(addr),
            )
            .await;
            format!("rediss://{addr}{rest}")
        }
    }

    /// The outcome of one run of each check on `url`, with `tls` if given; fails the
    /// test unless both checks had the same outcome.
    async fn outcome(url: &str, tls: Option<Tls>) -> String {
        let (mut cache, mut ping) = (RedisCache::new(url).unwrap(), RedisPing::new(url).unwrap());
        if let Some(tls) = tls {
            (cache, ping) = (cache.tls(tls.clone()), ping.tls(tls));
        }
        let cache = backend::outcome(cache).await;
        assert_eq!(backend::outcome(ping).await, cache, "the checks disagree");
        cache
    }

    /// `?ssl_ca_certs=<the test CA>`, as redis-py and Celery take it.
    fn ca_param() -> String {
        format!("?ssl_ca_certs={}", tls::file("ca.pem").display())
    }

    #[tokio::test]
    async fn works_with_verify_full_and_the_private_ca() {
        let url = VALID.url("/0").await;
        assert_eq!(outcome(&url, Some(tls::trusting_the_ca())).await, "working");
        let in_url = VALID.url(&format!("/0{}", ca_param())).await;
        assert_eq!(outcome(&in_url, None).await, "working");
        // `.tls()` makes a `redis://` URL speak TLS.
        let plain_scheme = url.replacen("rediss://", "redis://", 1);
        assert_eq!(
            outcome(&plain_scheme, Some(tls::trusting_the_ca())).await,
            "working"
        );

        // The connection is kept between runs, TLS and all.
        let check = RedisCache::new(&url).unwrap().tls(tls::trusting_the_ca());
        for _ in 0..3 {
            check.check().await.unwrap();
        }
    }

    #[tokio::test]
    async fn an_unknown_ca_is_not_trusted() {
        let url = VALID.url("/0").await;
        assert_eq!(
            outcome(&url, None).await,
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
    }

    #[tokio::test]
    async fn another_host_name_fails_verify_full_and_passes_verify_ca() {
        let url = OTHER_HOST.url("/0").await;
        assert_eq!(
            outcome(&url, Some(tls::trusting_the_ca())).await,
            "unavailable: TLS: host name mismatch: certificate is for other-host.invalid, not 127.0.0.1"
        );
        assert_eq!(outcome(&url, Some(tls::chain_only())).await, "working");
        let in_url = OTHER_HOST
            .url(&format!("/0{}&ssl_check_hostname=false", ca_param()))
            .await;
        assert_eq!(outcome(&in_url, None).await, "working");
    }

    #[tokio::test]
    async fn an_expired_certificate_fails_even_verify_ca() {
        let url = EXPIRED.url("/0").await;
        for tls in [tls::trusting_the_ca(), tls::chain_only()] {
            assert_tls_failure(
                &outcome(&url, Some(tls)).await,
                "unavailable: TLS: certificate expired ",
            );
        }
        let insecure = tls::trusting_the_ca().mode(TlsMode::Insecure);
        assert_eq!(outcome(&url, Some(insecure)).await, "working");
        // redis-rs's and redis-py's ways of saying the same in the URL.
        for rest in ["/0#insecure", "/0?ssl_cert_reqs=none"] {
            assert_eq!(outcome(&EXPIRED.url(rest).await, None).await, "working");
        }
    }

    #[tokio::test]
    async fn a_server_without_tls_is_named_as_such() {
        let Some(plain) = super::url() else { return };
        require_server(&plain).await;
        // Redis never answers a TLS hello (it waits for the end of an inline command):
        // the check stops waiting after 2 s, well within the runner's 5 s.
        let url = plain.replacen("redis://", "rediss://", 1);
        assert_eq!(
            outcome(&url, Some(tls::trusting_the_ca())).await,
            "unavailable: TLS: server does not support TLS (it did not answer the \
             handshake within 2s)"
        );
    }

    #[tokio::test]
    async fn mutual_tls_needs_the_client_certificate() {
        let url = MUTUAL.url("/0").await;
        assert_eq!(
            outcome(&url, Some(tls::trusting_the_ca())).await,
            "unavailable: TLS: client certificate required"
        );
        assert_eq!(
            outcome(&url, Some(tls::with_client_cert())).await,
            "working"
        );
        let in_url = MUTUAL
            .url(&format!(
                "/0{}&ssl_certfile={}&ssl_keyfile={}",
                ca_param(),
                tls::file("client.pem").display(),
                tls::file("client.key").display()
            ))
            .await;
        assert_eq!(outcome(&in_url, None).await, "working");
    }

    #[tokio::test]
    async fn a_hung_server_times_out_during_the_handshake() {
        let url = VALID.url("/0").await;
        let hung = net::HungListener::start();
        backend::assert_hung_times_out_and_frees_the_runner(
            || hung.accepted(),
            RedisPing::new(&format!("rediss://{}", hung.addr()))
                .unwrap()
                .tls(tls::trusting_the_ca()),
            RedisPing::new(&url).unwrap().tls(tls::trusting_the_ca()),
            "RedisBackend",
            "server",
            Duration::from_secs(1),
            true,
        )
        .await;
    }

    #[tokio::test]
    async fn no_password_in_debug_output_messages_or_logs() {
        let url = VALID.url("/0").await;
        let logs = logs::Logs::default();
        let _guard = tracing::subscriber::set_default(logs.clone());
        let with_password = url.replacen("rediss://", &format!("rediss://:{PASSWORD}@"), 1);

        // The test server has no password: Redis refuses the AUTH all the same.
        let check = RedisCache::new(&with_password)
            .unwrap()
            .tls(tls::trusting_the_ca());
        let debug = format!("{check:?}");
        let refused = backend::outcome(check).await;
        assert_eq!(
            refused,
            "unavailable: cannot connect: Password authentication failed"
        );
        let untrusted = outcome(&with_password, None).await;
        assert_eq!(
            untrusted,
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
        let closed = format!("rediss://:{PASSWORD}@{}/0", net::closed_port());
        let nothing_listening = backend::nothing_listening(RedisPing::new(&closed).unwrap()).await;
        backend::assert_refused(&nothing_listening);

        assert!(debug.contains("rediss://:***@127.0.0.1:6380/0"), "{debug}");
        let logged = logs.text();
        for shown in [&debug, &refused, &untrusted, &nothing_listening, &logged] {
            assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
        }
    }
}
