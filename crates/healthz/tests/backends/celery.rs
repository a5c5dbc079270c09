//! `Celery` against real Python Celery 5 workers on RabbitMQ and on Redis, and against
//! the failure modes every backend check is tested on: no worker, too few workers, a
//! queue nobody consumes, nothing listening, a hung broker, and runs cut short by the
//! runner's timeout — each leaving no reply queue behind.
//!
//! The tests start their own workers through `scripts/celery-worker.sh` (which installs
//! Celery into a virtualenv on first use), each with a unique node name and its own
//! Celery namespace (`control_exchange`), so they run side by side. The brokers are
//! `HEALTHZ_TEST_CELERY_AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672//`)
//! and `HEALTHZ_TEST_CELERY_REDIS_URL` (default `redis://127.0.0.1:6379/5`);
//! `scripts/services.sh rabbitmq redis` starts them. These tests fail when a broker or
//! Celery is missing; only `HEALTHZ_SKIP_BACKEND_TESTS=celery` (or `all`) skips
//! them, and CI never sets it.

use crate::backend;
use crate::celery_broker as celery;
use crate::net;
use std::time::{Duration, Instant};

use backend::{run_one, text};
use celery::{Broker, Worker, reply_queues_left, skipped, unique};
use healthz::checks::Celery;
use healthz::{CheckOptions, ErrorKind, HealthCheck, Registry, Selection};

/// Far above what a healthy run takes on loopback, far below the failure timings.
const FAST: Duration = Duration::from_millis(500);

/// Waits a little for background removals, then fails if a reply queue is left.
async fn assert_no_reply_queue_left(broker: Broker, namespace: &str) {
    let mut left = Vec::new();
    for _ in 0..20 {
        left = reply_queues_left(broker, namespace).await;
        if left.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("reply queues left on {}: {left:?}", broker.name());
}

async fn works_with_celerys_defaults(broker: Broker) {
    if skipped() {
        return;
    }
    let queue = unique("queue");
    // Celery's default namespace: what `celery inspect ping` sees with no settings.
    let _worker = Worker::start_in(broker, "celery", &[&queue]);

    let check = broker.check();
    assert_eq!(check.identifier(), "CeleryBackend");
    assert_eq!(check.component_type(), "component");
    let mut timings = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        check.check().await.unwrap();
        timings.push(start.elapsed());
    }
    eprintln!(
        "{} ping, 5 runs on one kept connection: {timings:?}",
        broker.name()
    );
    // It returns on the first reply instead of waiting for the reply timeout.
    assert!(timings.iter().all(|t| *t < FAST), "{timings:?}");

    let with_queue = broker.check().queues([queue.as_str()]);
    let start = Instant::now();
    with_queue.check().await.unwrap();
    eprintln!("{} active_queues: {:?}", broker.name(), start.elapsed());

    let (report, _) = run_one(broker.check(), Duration::from_secs(5)).await;
    assert_eq!(report.checks[0].name, "CeleryBackend");
    assert_eq!(text(&report), "working");
    assert_no_reply_queue_left(broker, "celery").await;
}

#[tokio::test]
async fn works_with_celerys_defaults_on_rabbitmq() {
    works_with_celerys_defaults(Broker::Amqp).await;
}

#[tokio::test]
async fn works_with_celerys_defaults_on_redis() {
    works_with_celerys_defaults(Broker::Redis).await;
}

async fn a_stopped_worker_is_reported(broker: Broker) {
    if skipped() {
        return;
    }
    let mut worker = Worker::start(broker, &[]);
    let check = broker.check().control_exchange(worker.namespace());
    check.check().await.unwrap();

    worker.stop();
    let start = Instant::now();
    let error = check.check().await.unwrap_err();
    let took = start.elapsed();
    eprintln!("{} worker stopped: {error} after {took:?}", broker.name());
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(error.message(), "no celery worker replied within 1s");
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");

    // Through the runner, the reply timeout ends the run well before the runner's.
    let (report, took) = run_one(
        broker.check().control_exchange(worker.namespace()),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        text(&report),
        "unavailable: no celery worker replied within 1s"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_no_reply_queue_left(broker, worker.namespace()).await;
}

#[tokio::test]
async fn a_stopped_worker_is_reported_on_rabbitmq() {
    a_stopped_worker_is_reported(Broker::Amqp).await;
}

#[tokio::test]
async fn a_stopped_worker_is_reported_on_redis() {
    a_stopped_worker_is_reported(Broker::Redis).await;
}

async fn a_queue_nobody_consumes_is_named(broker: Broker) {
    if skipped() {
        return;
    }
    let (consumed, forgotten) = (unique("default"), unique("emails"));
    let worker = Worker::start(broker, &[&consumed]);
    let check = |queues: &[&str]| {
        broker
            .check()
            .control_exchange(worker.namespace())
            .queues(queues.iter().copied())
            .reply_timeout(Duration::from_millis(700))
    };

    let start = Instant::now();
    check(&[&consumed]).check().await.unwrap();
    assert!(start.elapsed() < FAST, "{:?}", start.elapsed());

    let start = Instant::now();
    let error = check(&[&consumed, &forgotten]).check().await.unwrap_err();
    eprintln!(
        "{} missing queue: {error} after {:?}",
        broker.name(),
        start.elapsed()
    );
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        format!("no worker consumes queue \"{forgotten}\"")
    );
    assert_no_reply_queue_left(broker, worker.namespace()).await;
}

#[tokio::test]
async fn a_queue_nobody_consumes_is_named_on_rabbitmq() {
    a_queue_nobody_consumes_is_named(Broker::Amqp).await;
}

#[tokio::test]
async fn a_queue_nobody_consumes_is_named_on_redis() {
    a_queue_nobody_consumes_is_named(Broker::Redis).await;
}

async fn min_workers_counts_the_replies(broker: Broker) {
    if skipped() {
        return;
    }
    let first = Worker::start(broker, &[]);
    let namespace = first.namespace().to_owned();
    let two = || broker.check().control_exchange(&namespace).min_workers(2);
    let error = two().check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        "only 1 of 2 celery workers replied within 1s"
    );

    let _second = Worker::start_in(broker, &namespace, &[]);
    let start = Instant::now();
    two().check().await.unwrap();
    assert!(start.elapsed() < FAST, "{:?}", start.elapsed());
    assert_no_reply_queue_left(broker, &namespace).await;
}

#[tokio::test]
async fn min_workers_counts_the_replies_on_rabbitmq() {
    min_workers_counts_the_replies(Broker::Amqp).await;
}

#[tokio::test]
async fn min_workers_counts_the_replies_on_redis() {
    min_workers_counts_the_replies(Broker::Redis).await;
}

async fn a_broker_down_or_hung_is_unavailable(broker: Broker) {
    if skipped() {
        return;
    }
    let closed = broker.check_at(&broker.url_at(net::closed_port()));
    let (report, took) = run_one(closed, Duration::from_secs(2)).await;
    let down = text(&report);
    eprintln!("{} broker down: {down} after {took:?}", broker.name());
    assert!(
        down.starts_with("unavailable: cannot connect to the broker: "),
        "{down}"
    );
    assert!(down.to_lowercase().contains("connection refused"), "{down}");
    assert!(!down.contains("s3cr3t"), "{down}");
    assert!(took < Duration::from_secs(2), "{took:?}");

    let hung = net::HungListener::start();
    let registry = Registry::builder()
        .check_with(
            broker.check_at(&broker.url_at(hung.addr())),
            CheckOptions::new().timeout(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    for _ in 0..2 {
        let start = Instant::now();
        let report = registry.run(&Selection::all()).await.unwrap();
        let took = start.elapsed();
        eprintln!(
            "{} broker hung: {} after {took:?}",
            broker.name(),
            text(&report)
        );
        assert_eq!(text(&report), "unavailable: timed out after 1s");
        assert!(took < Duration::from_secs(3), "{took:?}");
    }
    // Each run made an attempt of its own, and the runner's timeout closed its socket:
    // no attempt (nor a thread driving it) outlives its run.
    assert_eq!(hung.accepted(), 2);
    assert_eq!(backend::established_to(hung.addr().port()), 0);
}

#[tokio::test]
async fn a_broker_down_or_hung_is_unavailable_on_rabbitmq() {
    a_broker_down_or_hung_is_unavailable(Broker::Amqp).await;
}

#[tokio::test]
async fn a_broker_down_or_hung_is_unavailable_on_redis() {
    a_broker_down_or_hung_is_unavailable(Broker::Redis).await;
}

async fn a_run_cut_short_leaves_no_reply_queue(broker: Broker) {
    if skipped() {
        return;
    }
    celery::require_broker(broker);
    // No worker in this namespace: the check waits for replies until the runner's
    // timeout drops it half-way through its reply timeout.
    let namespace = unique("ns");
    let check = broker
        .check()
        .control_exchange(&namespace)
        .reply_timeout(Duration::from_secs(5));
    let run = tokio::spawn(run_one(check, Duration::from_millis(2500)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let during = reply_queues_left(broker, &namespace).await;
    assert!(
        !during.is_empty(),
        "no reply queue while waiting for replies"
    );
    let (report, took) = run.await.unwrap();
    assert_eq!(text(&report), "unavailable: timed out after 2s 500ms");
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_no_reply_queue_left(broker, &namespace).await;
    // Like a Celery client, the check declared the namespace's exchanges.
    celery::forget(broker, celery::namespace_exchanges(&namespace).into());
}

#[tokio::test]
async fn a_run_cut_short_leaves_no_reply_queue_on_rabbitmq() {
    a_run_cut_short_leaves_no_reply_queue(Broker::Amqp).await;
}

#[tokio::test]
async fn a_run_cut_short_leaves_no_reply_queue_on_redis() {
    a_run_cut_short_leaves_no_reply_queue(Broker::Redis).await;
}

#[tokio::test]
async fn a_wrong_password_on_rabbitmq_is_refused_at_once_and_never_shown() {
    if skipped() {
        return;
    }
    celery::require_broker(Broker::Amqp);
    let password = "s3cr3t-PASSWORD";
    let mut url = url::Url::parse(&Broker::Amqp.url()).unwrap();
    url.set_password(Some(password)).unwrap();
    let check = Celery::new(url.as_str()).unwrap();
    let debug = format!("{check:?}");
    let (report, took) = run_one(check, Duration::from_secs(2)).await;
    let refused = text(&report);
    eprintln!("amqp wrong password: {refused} after {took:?}");
    assert_eq!(
        refused,
        "unavailable: cannot connect to the broker: ACCESS_REFUSED - Login was refused using \
         authentication mechanism PLAIN. For details see the broker logfile."
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    for shown in [&debug, &refused] {
        assert!(!shown.contains(password), "the password leaked: {shown}");
    }
}

/// Celery over RabbitMQ with TLS (`amqps://`), a real worker included: the node of
/// `scripts/services.sh rabbitmq-tls`, its certificate signed by the test CA.
#[cfg(feature = "rustls")]
mod over_tls {
    use super::*;

    #[tokio::test]
    async fn works_with_a_worker_over_tls() {
        if skipped() {
            return;
        }
        // Celery's default names: nothing for the test to remove afterwards.
        let _worker = Worker::start_in(Broker::Amqps, "celery", &[]);
        let check = Broker::Amqps.check();
        for _ in 0..3 {
            check.check().await.unwrap();
        }
        let queues = Broker::Amqps.check().queues(["celery"]);
        queues.check().await.unwrap();
        let (report, _) = run_one(Broker::Amqps.check(), Duration::from_secs(5)).await;
        assert_eq!(text(&report), "working");
        assert_no_reply_queue_left(Broker::Amqps, "celery").await;
    }

    #[tokio::test]
    async fn a_broker_certificate_from_an_unknown_ca_is_not_trusted() {
        if skipped() {
            return;
        }
        celery::require_broker(Broker::Amqps);
        let url = Broker::Amqps.url().replace("amqps://", "pyamqps://");
        let (report, _) = run_one(Celery::new(&url).unwrap(), Duration::from_secs(2)).await;
        assert_eq!(
            text(&report),
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
    }
}

/// Celery over `rediss://`: a worker on the TLS instance of Redis (`scripts/services.sh
/// redis-tls`) and the check take the same broker URL, which names the private CA the
/// way Celery takes it (`?ssl_cert_reqs=required&ssl_ca_certs=…`).
#[cfg(feature = "rustls")]
mod over_rediss {
    use super::*;

    #[tokio::test]
    async fn a_worker_answers_over_rediss() {
        if skipped() {
            return;
        }
        // Celery's default names: see `Broker::RedisTls`.
        let _worker = Worker::start_in(Broker::RedisTls, "celery", &[]);
        let check = Broker::RedisTls.check();
        let mut timings = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            check.check().await.unwrap();
            timings.push(start.elapsed());
        }
        eprintln!("rediss ping, 3 runs on one kept connection: {timings:?}");
        assert!(timings.iter().all(|t| *t < FAST), "{timings:?}");

        // Without the private CA, the check says why in TLS terms.
        let url = Broker::RedisTls.url();
        let without_ca = url.split_once('?').map_or(url.as_str(), |(url, _)| url);
        let (report, _) = run_one(
            Broker::RedisTls.check_at(without_ca),
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(
            text(&report),
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
    }

    #[tokio::test]
    async fn a_broker_down_or_hung_is_unavailable_over_rediss() {
        a_broker_down_or_hung_is_unavailable(Broker::RedisTls).await;
    }
}
