//! `RabbitMq` against a real RabbitMQ broker, and against the failure modes every backend
//! check is tested on: nothing listening, a hung broker, wrong credentials, and runs cut
//! short by the runner's timeout, after which no queue of the check may remain.
//!
//! The broker is `HEALTHZ_TEST_AMQP_URL` (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`); the leftover test lists queues with
//! `rabbitmqctl` (`HEALTHZ_TEST_RABBITMQCTL`, default `rabbitmqctl`), so it must run
//! where the broker does. These tests fail when the broker is unreachable; only
//! `HEALTHZ_SKIP_BACKEND_TESTS=rabbitmq` (or `all`) skips them, and CI never sets it.

use crate::backend;
use crate::logs;
use crate::net;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use backend::{run_one, text};
use healthz::HealthCheck;
use healthz::checks::RabbitMq;

const URL_VAR: &str = "HEALTHZ_TEST_AMQP_URL";
const DEFAULT_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const PASSWORD: &str = "s3cr3t-PASSWORD";

/// The broker's URL, or `None` when these tests are explicitly opted out.
fn url() -> Option<String> {
    backend::server("rabbitmq", URL_VAR, DEFAULT_URL)
}

/// Fails the test, naming the service, when the broker does not work.
async fn require_server(url: &str) {
    let check = RabbitMq::new(url).unwrap();
    let at = format!("{check:?}");
    backend::require("RabbitMQ", at, URL_VAR, backend::START, check.check()).await;
}

/// `url` with its user and password replaced.
fn with_user_info(url: &str, user_info: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user_info}@{host_and_path}")
}

#[tokio::test]
async fn works_and_keeps_working() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let check = RabbitMq::new(&url).unwrap();
    assert_eq!(check.identifier(), "RabbitMQBackend");
    assert_eq!(check.component_type(), "component");
    for _ in 0..3 {
        check.check().await.unwrap();
    }
    let (report, took) = run_one(check, Duration::from_secs(10)).await;
    eprintln!("working: {took:?}");
    assert_eq!(report.checks[0].name, "RabbitMQBackend");
    assert!(report.checks[0].outcome.is_working(), "{}", text(&report));
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    let check = RabbitMq::new(&format!("amqp://guest:guest@{addr}/%2f")).unwrap();
    assert_eq!(
        backend::nothing_listening(check).await,
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
        RabbitMq::new(&format!("amqp://guest:guest@{}/%2f", hung.addr())).unwrap(),
        RabbitMq::new(&url).unwrap(),
        "RabbitMQBackend",
        "broker",
        Duration::from_secs(2),
        true,
    )
    .await;
}

/// RabbitMQ's words for a refused login, to a client that asks for them.
const ACCESS_REFUSED: &str = "ACCESS_REFUSED - Login was refused using authentication \
                              mechanism PLAIN. For details see the broker logfile.";

#[tokio::test]
async fn a_wrong_password_is_refused_at_once_in_the_brokers_words_and_never_shown() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let logs = logs::Logs::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    let check = RabbitMq::new(&with_user_info(&url, &format!("guest:{PASSWORD}"))).unwrap();
    let debug = format!("{check:?}");
    // RabbitMQ would hold a silent refusal for 3 s: under a 2 s timeout, that would
    // read `timed out`.
    let (report, took) = run_one(check, Duration::from_secs(2)).await;
    let outcome = text(&report);
    eprintln!("wrong password: {took:?}: {outcome}");
    assert_eq!(
        outcome,
        format!("unavailable: cannot connect: {ACCESS_REFUSED}")
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(debug.contains("guest:***@"), "{debug}");

    // A virtual host that does not exist is told apart from wrong credentials.
    let (report, _) = run_one(
        RabbitMq::new(&format!("{}/no-such-vhost", url.trim_end_matches("/%2f"))).unwrap(),
        Duration::from_secs(2),
    )
    .await;
    let vhost = text(&report);
    assert_eq!(
        vhost,
        "unavailable: cannot connect: NOT_ALLOWED - vhost no-such-vhost not found"
    );

    let logged = logs.text();
    for shown in [&outcome, &debug, &vhost, &logged] {
        assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    }
    let error = RabbitMq::new(&format!("redis://guest:{PASSWORD}@127.0.0.1")).unwrap_err();
    assert!(!error.to_string().contains(PASSWORD), "{error}");
}

/// What `rabbitmqctl <list command> --quiet --no-table-headers <columns>` prints.
fn rabbitmqctl(list: &str, columns: &str) -> String {
    let rabbitmqctl =
        std::env::var("HEALTHZ_TEST_RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".into());
    let output = Command::new(&rabbitmqctl)
        .args([list, "--quiet", "--no-table-headers", columns])
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run `{rabbitmqctl}` (HEALTHZ_TEST_RABBITMQCTL): {error}")
        });
    assert!(
        output.status.success(),
        "`{rabbitmqctl} {list}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The server-named queues (`amq.gen-…`) on the broker.
fn server_named_queues() -> BTreeSet<String> {
    rabbitmqctl("list_queues", "name")
        .lines()
        .map(str::trim)
        .filter(|name| name.starts_with("amq.gen-"))
        .map(str::to_owned)
        .collect()
}

/// How many connections the check has open, by the name it gives them.
fn check_connections() -> usize {
    rabbitmqctl("list_connections", "client_properties")
        .lines()
        .filter(|properties| properties.contains("\"healthz RabbitMQBackend\""))
        .count()
}

#[tokio::test]
async fn no_queue_is_left_behind_even_when_cut_short() {
    let Some(url) = url() else { return };
    require_server(&url).await;
    let before = server_named_queues();
    let slow = net::slow_proxy(&url, 5672).await;

    // Through the slow proxy a run takes tens of milliseconds: these timeouts cut it
    // while connecting, after the queue is declared and while closing.
    let mut cut_short = 0;
    for millis in (2..=80).step_by(6) {
        let (report, _) =
            run_one(RabbitMq::new(&slow).unwrap(), Duration::from_millis(millis)).await;
        cut_short += usize::from(text(&report).contains("timed out"));
    }
    assert!(cut_short >= 5, "runs were cut short: {cut_short}");
    for _ in 0..5 {
        let (report, _) = run_one(RabbitMq::new(&slow).unwrap(), Duration::from_secs(10)).await;
        assert!(report.checks[0].outcome.is_working(), "{}", text(&report));
    }

    // Other tests running beside this one have their queues for a moment only: wait
    // for every queue that was not there before to go. The queue is auto-deleted when
    // its consumer goes, and exclusive to the connection besides.
    // The same for the check's connections, which must all have been closed.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<_> = server_named_queues().difference(&before).cloned().collect();
        let connections = check_connections();
        if left.is_empty() && connections == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "left behind: queues {left:?}, {connections} connections"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// RabbitMQ with TLS: the nodes `scripts/services.d/rabbitmq-tls.sh` starts next to the
/// plain one, each serving one of the test certificates.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;
    use crate::tls::{self, assert_tls_failure};
    use healthz::checks::Tls;
    use tokio::net::TcpStream;

    /// The node serving the valid server certificate: its service and port.
    const VALID: (&str, u16) = ("rabbitmq-tls", 5671);
    /// Serving a certificate for `other-host.invalid` only.
    const OTHER_HOST: (&str, u16) = ("rabbitmq-tls-other-host", 5673);
    /// Serving an expired certificate.
    const EXPIRED: (&str, u16) = ("rabbitmq-tls-expired", 5674);
    /// Requiring a client certificate.
    const MUTUAL: (&str, u16) = ("rabbitmq-mtls", 5675);

    /// `amqps://guest:guest@127.0.0.1:<port>/%2f`, after making sure the node listens:
    /// the test fails naming the service otherwise.
    async fn url((service, port): (&str, u16)) -> String {
        let addr = format!("127.0.0.1:{port}");
        backend::require(
            "RabbitMQ with TLS",
            &addr,
            "scripts/services.d/rabbitmq-tls.sh",
            &format!("Start it with scripts/services.sh {service}."),
            TcpStream::connect(&addr),
        )
        .await;
        format!("amqps://guest:guest@{addr}/%2f")
    }

    /// The outcome of one run against `node` with `tls`.
    async fn outcome(node: (&str, u16), tls: Tls) -> String {
        backend::outcome(RabbitMq::new(&url(node).await).unwrap().tls(tls)).await
    }

    #[tokio::test]
    async fn works_with_verify_full_and_the_private_ca() {
        let check = RabbitMq::new(&url(VALID).await)
            .unwrap()
            .tls(tls::trusting_the_ca());
        for _ in 0..3 {
            check.check().await.unwrap();
        }
        assert_eq!(outcome(VALID, tls::trusting_the_ca()).await, "working");
    }

    #[tokio::test]
    async fn an_amqps_url_alone_trusts_the_usual_roots_only() {
        let check = RabbitMq::new(&url(VALID).await).unwrap();
        assert_eq!(
            backend::outcome(check).await,
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
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
    async fn a_broker_without_tls_is_named_as_such() {
        let Some(plain) = super::url() else { return };
        require_server(&plain).await;
        let check = RabbitMq::new(&plain).unwrap().tls(tls::trusting_the_ca());
        assert_tls_failure(
            &backend::outcome(check).await,
            "unavailable: TLS: server does not support TLS",
        );
    }

    #[tokio::test]
    async fn plain_amqp_at_a_tls_port_says_so() {
        let url = url(VALID).await.replace("amqps://", "amqp://");
        assert_eq!(
            backend::outcome(RabbitMq::new(&url).unwrap()).await,
            "unavailable: cannot connect: the server speaks TLS on this port (use amqps:// or .tls())"
        );
    }

    #[tokio::test]
    async fn mutual_tls_needs_the_client_certificate() {
        tls::assert_mutual_cases(async |tls| outcome(MUTUAL, tls).await).await;
    }

    #[tokio::test]
    async fn a_wrong_password_is_refused_at_once_and_never_shown() {
        let url = url(VALID)
            .await
            .replace("guest:guest", &format!("guest:{PASSWORD}"));
        let check = RabbitMq::new(&url).unwrap().tls(tls::trusting_the_ca());
        let debug = format!("{check:?}");
        let (report, took) = run_one(check, Duration::from_secs(2)).await;
        let refused = text(&report);
        assert_eq!(
            refused,
            format!("unavailable: cannot connect: {ACCESS_REFUSED}")
        );
        assert!(took < Duration::from_secs(1), "{took:?}");
        let untrusted = backend::outcome(RabbitMq::new(&url).unwrap()).await;
        assert!(untrusted.starts_with("unavailable: TLS: "), "{untrusted}");
        for shown in [&debug, &refused, &untrusted] {
            assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
        }
        assert!(
            debug.contains("amqps://guest:***@127.0.0.1:5671/%2f"),
            "{debug}"
        );
    }
}
