//! `Memcached` against a real Memcached server, and against the failure modes every
//! backend check is tested on: nothing listening, a hung server, and probes cut short
//! by the runner's timeout.
//!
//! The server is `HEALTHZ_TEST_MEMCACHED_ADDR` (default `127.0.0.1:11211`;
//! `scripts/services.sh` installs and starts it). These tests fail when it is
//! unreachable; only `HEALTHZ_SKIP_BACKEND_TESTS=memcached` (or `all`) skips them,
//! and CI never sets it.
//!
//! Memcached cannot list its keys reliably; `lru_crawler metadump all` (memcached
//! 1.4.31+) lists what the LRU crawler sees, which on a test server is good enough to
//! show that no `healthz:` key is left. A probe key that somehow survived would
//! also expire by itself after 10 seconds.

use crate::backend;
use crate::net;
use std::time::{Duration, Instant};

use healthz::checks::Memcached;
use healthz::{CheckOptions, HealthCheck, Registry, Selection};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const ADDR_VAR: &str = "HEALTHZ_TEST_MEMCACHED_ADDR";
const DEFAULT_ADDR: &str = "127.0.0.1:11211";

/// The server's address, or `None` when these tests are explicitly opted out.
fn addr() -> Option<String> {
    backend::server("memcached", ADDR_VAR, DEFAULT_ADDR)
}

/// A connection for the test's own commands; fails the test, naming the service, when
/// the server does not answer.
async fn require_server(addr: &str) -> BufReader<TcpStream> {
    let connect = async {
        let mut conn = BufReader::new(TcpStream::connect(addr).await?);
        let version = command(&mut conn, "version").await?;
        assert!(version[0].starts_with("VERSION "), "{version:?}");
        Ok::<_, std::io::Error>(conn)
    };
    backend::require("Memcached", addr, ADDR_VAR, backend::START, connect).await
}

/// Sends one command and reads its reply lines, up to `END`, `STORED` or an error.
async fn command(conn: &mut BufReader<TcpStream>, line: &str) -> std::io::Result<Vec<String>> {
    conn.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await?;
    let mut lines = Vec::new();
    loop {
        let mut reply = String::new();
        if conn.read_line(&mut reply).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let reply = reply.trim_end().to_owned();
        let last = matches!(reply.as_str(), "END" | "STORED" | "DELETED" | "NOT_FOUND")
            || reply.starts_with("VERSION ")
            || reply.contains("ERROR")
            || reply.starts_with("BUSY");
        lines.push(reply);
        if last {
            return Ok(lines);
        }
    }
}

/// The `healthz:` keys the LRU crawler sees.
async fn probe_keys(conn: &mut BufReader<TcpStream>) -> Vec<String> {
    for _ in 0..50 {
        let lines = command(conn, "lru_crawler metadump all").await.unwrap();
        if lines[0].starts_with("BUSY") {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        assert_eq!(lines.last().map(String::as_str), Some("END"), "{lines:?}");
        return lines
            .iter()
            .filter(|line| line.starts_with("key=healthz%3A"))
            .cloned()
            .collect();
    }
    panic!("the LRU crawler stayed busy");
}

#[tokio::test]
async fn works_against_the_real_server() {
    let Some(addr) = addr() else { return };
    require_server(&addr).await;
    let check = Memcached::new(&addr).unwrap();
    assert_eq!(check.identifier(), "CacheBackend");
    assert_eq!(check.component_type(), "datastore");
    for _ in 0..3 {
        check.check().await.unwrap();
    }
    Memcached::new(&format!("memcache://{addr}"))
        .unwrap()
        .check()
        .await
        .unwrap();
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    let registry = Registry::builder()
        .default_timeout(Duration::from_secs(10))
        .check(Memcached::new(&addr.to_string()).unwrap())
        .build()
        .unwrap();
    let start = Instant::now();
    let report = registry.run(&Selection::all()).await.unwrap();
    let took = start.elapsed();
    let text = report.checks[0].outcome.text();
    eprintln!("nothing listening: {took:?}: {text}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    backend::assert_refused(&text);
}

#[tokio::test]
async fn a_hung_server_times_out_and_the_runner_is_free_again() {
    let Some(addr) = addr() else { return };
    require_server(&addr).await;
    let hung = net::HungListener::start();
    backend::assert_hung_times_out_and_frees_the_runner(
        || hung.accepted(),
        Memcached::new(&hung.addr().to_string()).unwrap(),
        Memcached::new(&addr).unwrap(),
        "CacheBackend",
        "server",
        Duration::from_secs(1),
        false,
    )
    .await;
}

#[tokio::test]
async fn no_probe_key_is_left_behind_and_no_other_key_is_touched() {
    let Some(addr) = addr() else { return };
    let mut conn = require_server(&addr).await;
    let sentinel = format!("kept-{:x}", fastrand::u64(..));
    let stored = command(
        &mut conn,
        &format!("set app:sentinel 0 0 {}\r\n{sentinel}", sentinel.len()),
    )
    .await
    .unwrap();
    assert_eq!(stored, ["STORED"]);

    let slow = net::slow_proxy(&addr, 11211).await;
    let registry = |timeout| {
        Registry::builder()
            .check_with(
                Memcached::new(&slow).unwrap(),
                CheckOptions::new().timeout(timeout),
            )
            .build()
            .unwrap()
    };
    // Through the slow proxy a run takes milliseconds: these timeouts cut it before
    // and after its commands reach the server.
    let mut cut_short = 0;
    for millis in 1..=8 {
        let report = registry(Duration::from_millis(millis))
            .run(&Selection::all())
            .await
            .unwrap();
        if report.checks[0].outcome.text().contains("timed out") {
            cut_short += 1;
        }
    }
    assert!(cut_short >= 3, "runs were cut short: {cut_short}");
    let working = registry(Duration::from_secs(10));
    for _ in 0..20 {
        let report = working.run(&Selection::all()).await.unwrap();
        let text = report.checks[0].outcome.text();
        assert!(report.checks[0].outcome.is_working(), "{text}");
    }
    // Let the proxy deliver what cut-short runs had sent.
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Other tests' probes may be in flight for a moment: wait for them to finish.
    let mut left = probe_keys(&mut conn).await;
    for _ in 0..20 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        left = probe_keys(&mut conn).await;
    }
    assert_eq!(left, Vec::<String>::new());
    let kept = command(&mut conn, "get app:sentinel").await.unwrap();
    assert_eq!(
        kept,
        [
            format!("VALUE app:sentinel 0 {}", sentinel.len()),
            sentinel,
            "END".to_owned()
        ],
        "the sentinel key is intact"
    );
    command(&mut conn, "delete app:sentinel").await.unwrap();
}

/// Memcached with TLS (`memcached -Z`): the instances `scripts/services.d/memcached-tls.sh`
/// starts, each serving one of the test certificates.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;
    use crate::tls::{self, assert_tls_failure};
    use healthz::checks::Tls;

    /// The instance serving the valid server certificate.
    const VALID: &str = "127.0.0.1:11212";
    /// Serving a certificate for `other-host.invalid` only.
    const OTHER_HOST: &str = "127.0.0.1:11213";
    /// Serving an expired certificate.
    const EXPIRED: &str = "127.0.0.1:11214";
    /// Requiring a client certificate.
    const MUTUAL: &str = "127.0.0.1:11215";

    /// The outcome of one run against `addr` with `tls`, after making sure the
    /// instance listens.
    async fn outcome(addr: &str, tls: Tls) -> String {
        backend::require(
            "Memcached with TLS",
            addr,
            "scripts/services.d/memcached-tls.sh",
            backend::START,
            TcpStream::connect(addr),
        )
        .await;
        backend::outcome(Memcached::new(addr).unwrap().tls(tls)).await
    }

    #[tokio::test]
    async fn works_with_verify_full_and_the_private_ca() {
        assert_eq!(outcome(VALID, tls::trusting_the_ca()).await, "working");
    }

    #[tokio::test]
    async fn an_unknown_ca_is_not_trusted() {
        assert_eq!(
            outcome(VALID, Tls::new()).await,
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
    }

    #[tokio::test]
    async fn another_host_name_fails_verify_full_and_passes_verify_ca() {
        tls::assert_other_host_cases(async |tls| outcome(OTHER_HOST, tls).await).await;
    }

    #[tokio::test]
    async fn an_expired_certificate_fails_even_verify_ca() {
        tls::assert_expired_cases(async |tls| outcome(EXPIRED, tls).await).await;
    }

    #[tokio::test]
    async fn a_server_without_tls_is_named_as_such() {
        let Some(plain) = addr() else { return };
        require_server(&plain).await;
        assert_tls_failure(
            &backend::outcome(Memcached::new(&plain).unwrap().tls(tls::trusting_the_ca())).await,
            "unavailable: TLS: server does not support TLS",
        );
    }

    #[tokio::test]
    async fn mutual_tls_needs_the_client_certificate() {
        tls::assert_mutual_cases(async |tls| outcome(MUTUAL, tls).await).await;
    }
}
