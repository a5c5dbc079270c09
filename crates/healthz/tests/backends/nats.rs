//! `Nats` against a real NATS server with JetStream, and against the failure modes every
//! backend check is tested on: nothing listening, a hung server, and wrong credentials.
//!
//! The server is `HEALTHZ_TEST_NATS_URL` (default `nats://127.0.0.1:4222`, run with
//! `-js`); it has no authentication, so the credential tests start their own
//! `nats-server` (`HEALTHZ_TEST_NATS_SERVER`, default `nats-server`) with a user and
//! password, on a free loopback port. These tests fail when the server or the binary is
//! missing; only `HEALTHZ_SKIP_BACKEND_TESTS=nats` (or `all`) skips them, and CI
//! never sets it.

use crate::backend;
use crate::logs;
use crate::net;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backend::{established_to, run_one, text};
use healthz::HealthCheck;
use healthz::checks::Nats;

const URL_VAR: &str = "HEALTHZ_TEST_NATS_URL";
const DEFAULT_URL: &str = "nats://127.0.0.1:4222";
const PASSWORD: &str = "s3cr3t-PASSWORD";

/// The server's URL, or `None` when these tests are explicitly opted out.
fn url() -> Option<String> {
    backend::server("nats", URL_VAR, DEFAULT_URL)
}

/// Fails the test, naming the service, when the server does not work.
async fn require_server(url: &str) {
    let check = Nats::new(url).unwrap();
    let at = format!("{check:?}");
    backend::require("NATS", at, URL_VAR, backend::START, check.check()).await;
}

/// A `nats-server` of the test's own, with a user and password and without JetStream,
/// stopped when dropped. Only the test's checks connect to it.
struct AuthServer {
    child: Child,
    addr: SocketAddr,
}

impl AuthServer {
    fn start(user: &str, password: &str) -> Self {
        let binary = backend::env_or("HEALTHZ_TEST_NATS_SERVER", "nats-server");
        let addr = net::closed_port();
        let port = addr.port().to_string();
        let child = Command::new(&binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &port,
                "--user",
                user,
                "--pass",
                password,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start `{binary}` (HEALTHZ_TEST_NATS_SERVER): {error}")
            });
        let server = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "`{binary}` did not listen on {addr} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn works_with_and_without_the_jetstream_check() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let check = Nats::new(&url).unwrap();
    assert_eq!(check.identifier(), "NatsBackend");
    assert_eq!(check.component_type(), "component");
    for _ in 0..3 {
        check.check().await.unwrap();
    }
    let (report, took) = run_one(
        Nats::new(&url).unwrap().jetstream(true),
        Duration::from_secs(10),
    )
    .await;
    eprintln!("working with JetStream: {took:?}");
    assert_eq!(report.checks[0].name, "NatsBackend");
    assert!(report.checks[0].outcome.is_working(), "{}", text(&report));
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    assert_eq!(
        backend::nothing_listening(Nats::new(&addr.to_string()).unwrap()).await,
        "unavailable: cannot connect: connection refused"
    );
}

#[tokio::test]
async fn an_ipv6_address_is_reached() {
    // Refused rather than unparsable: the address reached the connect call.
    let listener = std::net::TcpListener::bind("[::1]:0").expect("bind the IPv6 loopback");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    assert_eq!(
        backend::nothing_listening(Nats::new(&format!("nats://[::1]:{port}")).unwrap()).await,
        "unavailable: cannot connect: connection refused"
    );
}

#[tokio::test]
async fn a_hung_server_times_out_and_the_runner_is_free_again() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let hung = net::HungListener::start();
    backend::assert_hung_times_out_and_frees_the_runner(
        || hung.accepted(),
        Nats::new(&format!("nats://{}", hung.addr())).unwrap(),
        Nats::new(&url).unwrap(),
        "NatsBackend",
        "server",
        Duration::from_secs(2),
        true,
    )
    .await;
}

#[tokio::test]
async fn credentials_on_a_server_without_authentication_are_ignored_but_never_shown() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    // nats-server without authentication accepts any credentials: the check works, and
    // the secret still shows nowhere.
    let (scheme, host) = url.split_once("://").expect("a URL");
    for check in [
        Nats::new(&format!("{scheme}://{PASSWORD}@{host}")).unwrap(),
        Nats::new(&format!("{scheme}://app:{PASSWORD}@{host}")).unwrap(),
        Nats::new(&url).unwrap().token(PASSWORD),
    ] {
        let debug = format!("{check:?}");
        assert!(!debug.contains(PASSWORD), "the secret leaked: {debug}");
        check.check().await.unwrap();
    }
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_failure_and_never_shown() {
    let server = AuthServer::start("health", "right-password");
    let logs = logs::Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    let check = Nats::new(&format!("nats://health:{PASSWORD}@{}", server.addr)).unwrap();
    let debug = format!("{check:?}");
    let (report, took) = run_one(check, Duration::from_secs(10)).await;
    let outcome = text(&report);
    eprintln!("wrong password: {took:?}: {outcome}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(
        outcome,
        "unavailable: authentication failed: the server refused the credentials \
         (authorization violation: nats: authorization violation)"
    );

    let check = Nats::new(&format!("nats://{}", server.addr))
        .unwrap()
        .token(PASSWORD);
    let token_debug = format!("{check:?}");
    let (report, _) = run_one(check, Duration::from_secs(10)).await;
    let token_outcome = text(&report);
    assert!(
        token_outcome.starts_with("unavailable: authentication failed: "),
        "{token_outcome}"
    );

    let logged = logs.text();
    for shown in [&outcome, &debug, &token_outcome, &token_debug, &logged] {
        assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    }
}

#[tokio::test]
async fn the_jetstream_check_fails_where_jetstream_is_off() {
    let server = AuthServer::start("health", PASSWORD);
    let url = format!("nats://{}", server.addr);

    // The round trip alone works…
    let check = Nats::new(&url).unwrap().credentials("health", PASSWORD);
    check.check().await.unwrap();
    // …the JetStream check does not.
    let (report, _) = run_one(check.jetstream(true), Duration::from_secs(10)).await;
    assert_eq!(
        text(&report),
        "unavailable: JetStream is not enabled on the server (no responder for $JS.API.INFO)"
    );
}

#[tokio::test]
async fn no_connection_is_left_behind_even_when_cut_short() {
    let server = AuthServer::start("health", PASSWORD);
    let url = format!("nats://health:{PASSWORD}@{}", server.addr);
    let slow = net::slow_proxy(&url, 4222).await;

    // Through the slow proxy a run takes milliseconds: these timeouts cut it while
    // connecting, during the round trip and while closing.
    let mut cut_short = 0;
    for millis in (1..=40).step_by(3) {
        let check = Nats::new(&slow).unwrap();
        let (report, _) = run_one(check, Duration::from_millis(millis)).await;
        cut_short += usize::from(text(&report).contains("timed out"));
    }
    assert!(cut_short >= 5, "runs were cut short: {cut_short}");
    let (report, _) = run_one(Nats::new(&slow).unwrap(), Duration::from_secs(10)).await;
    assert!(report.checks[0].outcome.is_working(), "{}", text(&report));

    let deadline = Instant::now() + Duration::from_secs(10);
    while established_to(server.addr.port()) > 0 {
        assert!(
            Instant::now() < deadline,
            "{} connections left open",
            established_to(server.addr.port())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// NATS servers that require TLS: the instances `scripts/services.d/brokers-tls.sh`
/// starts, each serving one of the test certificates.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;
    use crate::tls;
    use healthz::checks::Tls;

    /// The instance serving the valid server certificate, and its service's name.
    const VALID: (&str, &str) = ("127.0.0.1:4223", "nats-tls");
    /// Serving a certificate for `other-host.invalid` only.
    const OTHER_HOST: (&str, &str) = ("127.0.0.1:4224", "nats-tls-other-host");
    /// Serving an expired certificate.
    const EXPIRED: (&str, &str) = ("127.0.0.1:4225", "nats-tls-expired");
    /// Requiring a client certificate (`--tlsverify`). It answers a missing one with
    /// `bad_certificate` (Go before 1.21), which the check reads as "required" too.
    const MUTUAL: (&str, &str) = ("127.0.0.1:4226", "nats-mtls");

    /// The check on `scheme://` the instance, after making sure it listens.
    async fn check_on(scheme: &str, (addr, service): (&str, &str)) -> Nats {
        tls::require_server(service, addr, "scripts/services.d/brokers-tls.sh").await;
        Nats::new(&format!("{scheme}://{addr}")).unwrap()
    }

    /// The outcome of one run against a `tls://` URL of the instance with `tls`.
    async fn outcome(instance: (&str, &str), tls: Tls) -> String {
        backend::outcome(check_on("tls", instance).await.tls(tls)).await
    }

    tls::common_tls_tests! {
        outcome: outcome,
        valid: VALID,
        other_host: OTHER_HOST,
        expired: EXPIRED,
        mutual: MUTUAL,
    }

    #[tokio::test]
    async fn a_server_that_requires_tls_is_reached_over_a_nats_url() {
        // The client switches to TLS when the server's INFO asks for it, and verifies
        // the server as always: without the private CA it is not trusted, as with a
        // `tls://` URL alone.
        for scheme in ["nats", "tls"] {
            assert_eq!(
                backend::outcome(check_on(scheme, VALID).await).await,
                "unavailable: TLS: certificate not trusted (unknown issuer)"
            );
        }
        let check = check_on("nats", VALID).await.tls(tls::trusting_the_ca());
        assert_eq!(backend::outcome(check).await, "working");
    }

    #[tokio::test]
    async fn a_server_without_tls_is_named_as_such() {
        let Some(plain) = url() else { return };
        require_server(&plain).await;
        let (_, host) = plain.split_once("://").expect("a URL");
        let checks = [
            Nats::new(&format!("tls://{host}")).unwrap(),
            Nats::new(&plain).unwrap().tls(tls::trusting_the_ca()),
        ];
        tls::assert_each_fails(checks, "unavailable: TLS: server does not support TLS").await;
    }

    #[tokio::test]
    async fn secrets_show_neither_in_debug_nor_in_failures_nor_in_logs() {
        let (addr, _) = OTHER_HOST;
        let checks = vec![
            check_on("tls", OTHER_HOST).await.token(PASSWORD),
            check_on("tls", OTHER_HOST)
                .await
                .credentials("app", PASSWORD),
            Nats::new(&format!("tls://app:{PASSWORD}@{addr}")).unwrap(),
            Nats::new(&format!("tls://{PASSWORD}@{addr}")).unwrap(),
        ];
        let checks = checks
            .into_iter()
            .map(|check| check.tls(tls::trusting_the_ca()));
        tls::assert_secret_never_shown(
            checks.collect(),
            "unavailable: TLS: host name mismatch",
            PASSWORD,
        )
        .await;
    }
}
