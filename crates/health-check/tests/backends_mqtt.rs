//! `Mqtt` against a real Mosquitto broker, and against the failure modes every backend
//! check is tested on: nothing listening, a hung broker, wrong credentials, and runs cut
//! short by the runner's timeout, after which no connection may remain.
//!
//! The broker is `HEALTH_CHECK_TEST_MQTT_URL` (default `mqtt://127.0.0.1:1883`); it
//! allows anonymous clients, so the credential tests start their own `mosquitto`
//! (`HEALTH_CHECK_TEST_MOSQUITTO`, default `mosquitto`) with a password file made by
//! `mosquitto_passwd` (`HEALTH_CHECK_TEST_MOSQUITTO_PASSWD`), on a free loopback port.
//! These tests fail when the broker or a binary is missing; only
//! `HEALTH_CHECK_SKIP_BACKEND_TESTS=mqtt` (or `all`) skips them, and CI never sets it.

#![cfg(feature = "mqtt")]

#[path = "support/logs.rs"]
mod logs;
#[path = "support/net.rs"]
mod net;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use health_check::checks::Mqtt;
use health_check::{CheckOptions, HealthCheck, Registry, Report, Selection};

const URL_VAR: &str = "HEALTH_CHECK_TEST_MQTT_URL";
const DEFAULT_URL: &str = "mqtt://127.0.0.1:1883";
const PASSWORD: &str = "s3cr3t-PASSWORD";

/// The broker's URL, or `None` when these tests are explicitly opted out.
fn url() -> Option<String> {
    let skip = std::env::var("HEALTH_CHECK_SKIP_BACKEND_TESTS").unwrap_or_default();
    if skip
        .split(',')
        .any(|s| s.trim() == "mqtt" || s.trim() == "all")
    {
        eprintln!("skipped: HEALTH_CHECK_SKIP_BACKEND_TESTS={skip}");
        return None;
    }
    Some(std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned()))
}

/// Fails the test, naming the service, when the broker does not work.
async fn require_server(url: &str) {
    let check = Mqtt::new(url).unwrap();
    match tokio::time::timeout(Duration::from_secs(10), check.check()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!(
            "the MQTT broker is not usable at {check:?} ({URL_VAR}): {error}. \
             Start Mosquitto with scripts/services.sh."
        ),
        Err(_) => panic!("the MQTT broker at {check:?} ({URL_VAR}) did not answer within 10 s"),
    }
}

async fn run_one(check: Mqtt, timeout: Duration) -> (Arc<Report>, Duration) {
    let registry = Registry::builder()
        .check_with(check, CheckOptions::new().timeout(timeout))
        .build()
        .unwrap();
    let start = Instant::now();
    let report = registry.run(&Selection::all()).await.unwrap();
    (report, start.elapsed())
}

fn text(report: &Report) -> String {
    report.checks[0].outcome.text()
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
        let env = |var: &str, default: &str| std::env::var(var).unwrap_or_else(|_| default.into());
        let mosquitto = env("HEALTH_CHECK_TEST_MOSQUITTO", "mosquitto");
        let passwd = env("HEALTH_CHECK_TEST_MOSQUITTO_PASSWD", "mosquitto_passwd");
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
                panic!("cannot run `{passwd}` (HEALTH_CHECK_TEST_MOSQUITTO_PASSWD): {error}")
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
                panic!("cannot start `{mosquitto}` (HEALTH_CHECK_TEST_MOSQUITTO): {error}")
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

/// How many established TCP connections to `port` this machine has (Linux).
fn established_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<_> = line.split_whitespace().collect();
            // `rem_address` is `IP:PORT` in hex; state 01 is ESTABLISHED.
            fields.get(2).and_then(|remote| remote.rsplit(':').next())
                == Some(format!("{port:04X}").as_str())
                && fields.get(3) == Some(&"01")
        })
        .count()
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
    let (report, took) = run_one(
        Mqtt::new(&addr.to_string()).unwrap(),
        Duration::from_secs(10),
    )
    .await;
    eprintln!("nothing listening: {took:?}: {}", text(&report));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(
        text(&report),
        "unavailable: cannot connect: connection refused"
    );
}

#[tokio::test]
async fn a_hung_broker_times_out_and_the_runner_is_free_again() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let hung = net::HungListener::start();
    let registry = Registry::builder()
        .check_with(
            Mqtt::new(&hung.addr().to_string()).unwrap(),
            CheckOptions::new()
                .name("MqttBackend[hung]")
                .timeout(Duration::from_secs(1)),
        )
        .check(Mqtt::new(&url).unwrap())
        .build()
        .unwrap();
    for _ in 0..2 {
        let start = Instant::now();
        let report = registry.run(&Selection::all()).await.unwrap();
        let took = start.elapsed();
        eprintln!("hung: {took:?}: {}", text(&report));
        assert!(took < Duration::from_secs(5), "took {took:?}");
        assert_eq!(text(&report), "unavailable: timed out after 1s");
        assert!(
            report.checks[1].outcome.is_working(),
            "{}",
            report.checks[1].outcome.text()
        );
    }
    assert!(hung.accepted() >= 1, "the check did reach the hung broker");

    let start = Instant::now();
    let report = registry
        .run(&Selection::all().only("MqttBackend"))
        .await
        .unwrap();
    assert!(report.checks[0].outcome.is_working(), "{}", text(&report));
    assert!(start.elapsed() < Duration::from_secs(2));
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
