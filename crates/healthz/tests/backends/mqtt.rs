//! `Mqtt` against a real Mosquitto broker, and against the failure modes every backend
//! check is tested on: nothing listening, a hung broker, wrong credentials, and runs cut
//! short by the runner's timeout, after which no connection may remain.
//!
//! The broker is `HEALTHZ_TEST_MQTT_URL` (default `mqtt://127.0.0.1:1883`); it
//! allows anonymous clients, so the credential tests start their own `mosquitto`
//! (`HEALTHZ_TEST_MOSQUITTO`, default `mosquitto`) with a password file made by
//! `mosquitto_passwd` (`HEALTHZ_TEST_MOSQUITTO_PASSWD`), on a free loopback port.
//! These tests fail when the broker or a binary is missing; only
//! `HEALTHZ_SKIP_BACKEND_TESTS=mqtt` (or `all`) skips them, and CI never sets it.

use crate::backend;
use crate::logs;
use crate::net;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backend::{established_to, run_one, text};
use healthz::HealthCheck;
use healthz::checks::Mqtt;

const URL_VAR: &str = "HEALTHZ_TEST_MQTT_URL";
const DEFAULT_URL: &str = "mqtt://127.0.0.1:1883";
const PASSWORD: &str = "s3cr3t-PASSWORD";

/// The broker's URL, or `None` when these tests are explicitly opted out.
fn url() -> Option<String> {
    backend::server("mqtt", URL_VAR, DEFAULT_URL)
}

/// Fails the test, naming the service, when the broker does not work.
async fn require_server(url: &str) {
    let check = Mqtt::new(url).unwrap();
    let at = format!("{check:?}");
    backend::require(
        "the MQTT broker",
        at,
        URL_VAR,
        "Start Mosquitto with scripts/services.sh.",
        check.check(),
    )
    .await;
}

/// A `mosquitto` of the test's own that lets in only `health` with `password`, stopped
/// when dropped. Only the test's checks connect to it.
struct AuthBroker {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl AuthBroker {
    fn start(password: &str) -> Self {
        let env = backend::env_or;
        let mosquitto = env("HEALTHZ_TEST_MOSQUITTO", "mosquitto");
        let passwd = env("HEALTHZ_TEST_MOSQUITTO_PASSWD", "mosquitto_passwd");
        let dir = tempfile::tempdir().unwrap();
        // Mosquitto started as root reads its files as the `mosquitto` user.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let password_file = dir.path().join("passwd");
        let status = Command::new(&passwd)
            .arg("-b")
            .arg("-c")
            .arg(&password_file)
            .args(["health", password])
            .status()
            .unwrap_or_else(|error| {
                panic!("cannot run `{passwd}` (HEALTHZ_TEST_MOSQUITTO_PASSWD): {error}")
            });
        assert!(status.success(), "`{passwd}` failed: {status}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&password_file, std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        let addr = net::closed_port();
        let config = dir.path().join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {} 127.0.0.1\nallow_anonymous false\npassword_file {}\npersistence false\n",
                addr.port(),
                password_file.display()
            ),
        )
        .unwrap();
        let child = Command::new(&mosquitto)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start `{mosquitto}` (HEALTHZ_TEST_MOSQUITTO): {error}")
            });
        let broker = Self {
            child,
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "`{mosquitto}` did not listen on {addr} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }
}

impl Drop for AuthBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn works_and_keeps_working() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let check = Mqtt::new(&url).unwrap();
    assert_eq!(check.identifier(), "MqttBackend");
    assert_eq!(check.component_type(), "component");
    for _ in 0..3 {
        check.check().await.unwrap();
    }
    let (report, took) = run_one(check, Duration::from_secs(10)).await;
    eprintln!("working: {took:?}");
    assert_eq!(report.checks[0].name, "MqttBackend");
    assert!(report.checks[0].outcome.is_working(), "{}", text(&report));
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    assert_eq!(
        backend::nothing_listening(Mqtt::new(&addr.to_string()).unwrap()).await,
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
        backend::nothing_listening(Mqtt::new(&format!("[::1]:{port}")).unwrap()).await,
        "unavailable: cannot connect: connection refused"
    );
}

#[tokio::test]
async fn a_hung_broker_times_out_and_the_runner_is_free_again() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let hung = net::HungListener::start();
    backend::assert_hung_times_out_and_frees_the_runner(
        || hung.accepted(),
        Mqtt::new(&hung.addr().to_string()).unwrap(),
        Mqtt::new(&url).unwrap(),
        "MqttBackend",
        "broker",
        Duration::from_secs(2),
        true,
    )
    .await;
}

#[tokio::test]
async fn credentials_on_a_broker_without_authentication_are_accepted_but_never_shown() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    // The shared broker allows anonymous clients and takes any credentials.
    let (scheme, host) = url.split_once("://").expect("a URL");
    for check in [
        Mqtt::new(&format!("{scheme}://app:{PASSWORD}@{host}")).unwrap(),
        Mqtt::new(&url).unwrap().credentials("app", PASSWORD),
    ] {
        let debug = format!("{check:?}");
        assert!(!debug.contains(PASSWORD), "the secret leaked: {debug}");
        check.check().await.unwrap();
    }
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_failure_and_never_shown() {
    let broker = AuthBroker::start("right-password");
    let logs = logs::Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    // The broker does let in the right credentials…
    Mqtt::new(&format!("mqtt://health:right-password@{}", broker.addr))
        .unwrap()
        .check()
        .await
        .unwrap();
    // …and refuses the wrong password and anonymous clients.
    let check = Mqtt::new(&format!("mqtt://health:{PASSWORD}@{}", broker.addr)).unwrap();
    let debug = format!("{check:?}");
    let (report, took) = run_one(check, Duration::from_secs(10)).await;
    let outcome = text(&report);
    eprintln!("wrong password: {took:?}: {outcome}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        outcome.starts_with("unavailable: authentication failed: ")
            && outcome.contains("user name"),
        "{outcome}"
    );
    let (report, _) = run_one(
        Mqtt::new(&broker.addr.to_string()).unwrap(),
        Duration::from_secs(10),
    )
    .await;
    let anonymous = text(&report);
    assert!(
        anonymous.starts_with("unavailable: authentication failed: "),
        "{anonymous}"
    );

    let logged = logs.text();
    for shown in [&outcome, &debug, &anonymous, &logged] {
        assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    }
}

#[tokio::test]
async fn no_connection_is_left_behind_even_when_cut_short() {
    let broker = AuthBroker::start(PASSWORD);
    let url = format!("mqtt://health:{PASSWORD}@{}", broker.addr);
    let slow = net::slow_proxy(&url, 1883).await;

    // Through the slow proxy a run takes milliseconds: these timeouts cut it while
    // connecting, between subscribing and receiving, and while disconnecting.
    let mut cut_short = 0;
    for millis in (1..=40).step_by(3) {
        let (report, _) = run_one(Mqtt::new(&slow).unwrap(), Duration::from_millis(millis)).await;
        cut_short += usize::from(text(&report).contains("timed out"));
    }
    assert!(cut_short >= 5, "runs were cut short: {cut_short}");
    let (report, _) = run_one(Mqtt::new(&slow).unwrap(), Duration::from_secs(10)).await;
    assert!(report.checks[0].outcome.is_working(), "{}", text(&report));

    let deadline = Instant::now() + Duration::from_secs(10);
    while established_to(broker.addr.port()) > 0 {
        assert!(
            Instant::now() < deadline,
            "{} connections left open",
            established_to(broker.addr.port())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Mosquitto with TLS: the listeners of the second Mosquitto that
/// `scripts/services.d/brokers-tls.sh` starts, each serving one of the test certificates.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;
    use crate::tls;
    use healthz::checks::Tls;

    /// The listener serving the valid server certificate.
    const VALID: &str = "127.0.0.1:8883";
    /// Serving a certificate for `other-host.invalid` only.
    const OTHER_HOST: &str = "127.0.0.1:8884";
    /// Serving an expired certificate.
    const EXPIRED: &str = "127.0.0.1:8885";
    /// Requiring a client certificate (`require_certificate true`).
    const MUTUAL: &str = "127.0.0.1:8886";

    /// The check on `scheme://addr`, after making sure the listener is there.
    async fn check_on(scheme: &str, addr: &str) -> Mqtt {
        tls::require_server("mosquitto-tls", addr, "scripts/services.d/brokers-tls.sh").await;
        Mqtt::new(&format!("{scheme}://{addr}")).unwrap()
    }

    /// The outcome of one run against an `mqtts://` URL of the listener with `tls`.
    async fn outcome(addr: &str, tls: Tls) -> String {
        backend::outcome(check_on("mqtts", addr).await.tls(tls)).await
    }

    tls::common_tls_tests! {
        outcome: outcome,
        valid: VALID,
        other_host: OTHER_HOST,
        expired: EXPIRED,
        mutual: MUTUAL,
    }

    #[tokio::test]
    async fn the_url_or_the_tls_options_turn_tls_on() {
        // An `mqtts://` URL alone verifies against the system's and the bundled roots.
        assert_eq!(
            backend::outcome(check_on("mqtts", VALID).await).await,
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
        // `.tls` turns TLS on for an `mqtt://` URL too, and `ssl://` means `mqtts://`.
        for scheme in ["mqtt", "ssl"] {
            let check = check_on(scheme, VALID).await.tls(tls::trusting_the_ca());
            assert_eq!(backend::outcome(check).await, "working");
        }
    }

    #[tokio::test]
    async fn a_broker_without_tls_is_named_as_such() {
        let Some(plain) = url() else { return };
        require_server(&plain).await;
        let (_, host) = plain.split_once("://").expect("a URL");
        let checks = [
            Mqtt::new(&format!("mqtts://{host}")).unwrap(),
            Mqtt::new(&plain).unwrap().tls(tls::trusting_the_ca()),
        ];
        // Mosquitto drops a connection that does not start with an MQTT packet.
        tls::assert_each_fails(
            checks,
            "unavailable: TLS: the server closed the connection during the handshake \
             (does it serve TLS on this port?)",
        )
        .await;
    }

    #[tokio::test]
    async fn secrets_show_neither_in_debug_nor_in_failures_nor_in_logs() {
        let checks = [
            check_on("mqtts", OTHER_HOST)
                .await
                .credentials("app", PASSWORD),
            Mqtt::new(&format!("mqtts://app:{PASSWORD}@{OTHER_HOST}")).unwrap(),
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
