//! The broker kinds (`celery`, `rabbitmq`, `nats`, `mqtt`) checked for real through the
//! binary: against the servers `scripts/services.sh` starts and real Celery workers
//! that `scripts/celery-worker.sh` starts. A server that is down fails the test,
//! naming it.

mod support;

use support::backends::{Service, Worker, celery_redis_url, skipped, with_password};
use support::{Ran, healthz, temp_dir, write};

/// A password that must never show in any output.
const PASSWORD: &str = "s3cr3t-PASSWORD";

#[test]
fn every_broker_kind_works_against_its_real_server() {
    let services = [
        Service::RabbitMq,
        Service::Nats,
        Service::Mqtt,
        Service::Celery,
        Service::Redis,
    ];
    if skipped(&services) {
        return;
    }
    let [amqp, nats, mqtt, celery_amqp, _redis] = services.map(Service::require);
    let amqp_worker = Worker::start("amqp");
    let redis_worker = Worker::start("redis");
    let dir = temp_dir();
    let config = format!(
        r#"
[[check]]
kind = "celery"
url = "${{CELERY_AMQP_URL}}"
min-workers = 1
reply-timeout = "2s"
queues = ["{queue}"]
control-exchange = "{namespace}"

[[check]]
kind = "celery"
url = "${{CELERY_REDIS_URL}}"
queues = ["{queue}"]
control-exchange = "{namespace}"
alias = "redis"

[[check]]
kind = "rabbitmq"
url = "${{AMQP_URL}}"

[[check]]
kind = "nats"
url = "{nats}"

[[check]]
kind = "mqtt"
url = "{mqtt}"
"#,
        queue = Worker::QUEUE,
        namespace = Worker::NAMESPACE,
    );
    write(dir.path(), "health.toml", &config);
    let run: Ran = healthz(dir.path())
        .env("CELERY_AMQP_URL", &celery_amqp)
        .env("CELERY_REDIS_URL", celery_redis_url())
        .env("AMQP_URL", &amqp)
        .args(["check", "--config", "health.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        "CeleryBackend: working\nCeleryBackend[redis]: working\nRabbitMQBackend: working\n\
         NatsBackend: working\nMqttBackend: working\n",
        "{run:?}"
    );
    assert_eq!(run.stderr, "", "{run:?}");

    // A queue no worker consumes, and more workers than there are: unhealthy, named.
    write(
        dir.path(),
        "missing.toml",
        &format!(
            "[[check]]\nkind = \"celery\"\nurl = \"${{CELERY_AMQP_URL}}\"\n\
             queues = [\"{queue}\", \"hc-cli-test-nobody\"]\ncontrol-exchange = \"{namespace}\"\n\n\
             [[check]]\nkind = \"celery\"\nurl = \"${{CELERY_AMQP_URL}}\"\nmin-workers = 50\n\
             control-exchange = \"{namespace}\"\nalias = \"fifty\"\n",
            queue = Worker::QUEUE,
            namespace = Worker::NAMESPACE,
        ),
    );
    let run: Ran = healthz(dir.path())
        .env("CELERY_AMQP_URL", &celery_amqp)
        .args(["check", "--config", "missing.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(1), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run:?}");
    assert!(
        lines[0].starts_with("CeleryBackend: unavailable: ")
            && lines[0].contains("\"hc-cli-test-nobody\""),
        "{run:?}"
    );
    assert!(
        lines[1].starts_with("CeleryBackend[fifty]: unavailable: "),
        "{run:?}"
    );
    drop((amqp_worker, redis_worker));
}

#[test]
fn a_wrong_rabbitmq_password_is_unhealthy_and_never_shown() {
    let services = [Service::RabbitMq, Service::Celery];
    if skipped(&services) {
        return;
    }
    let [amqp, celery_amqp] = services.map(Service::require);
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        "[[check]]\nkind = \"rabbitmq\"\nurl = \"${AMQP_URL}\"\ntimeout = \"5s\"\n\n\
         [[check]]\nkind = \"celery\"\nurl = \"${CELERY_URL}\"\ntimeout = \"5s\"\n",
    );
    for format in ["text", "json", "table"] {
        let run: Ran = healthz(dir.path())
            .env("AMQP_URL", with_password(&amqp, PASSWORD))
            .env("CELERY_URL", with_password(&celery_amqp, PASSWORD))
            .args(["check", "--config", "health.toml", "--format", format])
            .output()
            .expect("the binary runs")
            .into();
        assert_eq!(run.code, Some(1), "{format}: {run:?}");
        assert!(!run.stdout.contains(PASSWORD), "{format}: {run:?}");
        assert_eq!(run.stderr, "", "the report says it all: {run:?}");
        if format == "text" {
            let lines: Vec<&str> = run.stdout.lines().collect();
            assert_eq!(lines.len(), 2, "{run:?}");
            assert!(
                lines[0].starts_with("RabbitMQBackend: unavailable: "),
                "{run:?}"
            );
            assert!(
                lines[1].starts_with("CeleryBackend: unavailable: "),
                "{run:?}"
            );
        }
    }
    // Every event, the clients' included, still shows no password.
    let run: Ran = healthz(dir.path())
        .env("AMQP_URL", with_password(&amqp, PASSWORD))
        .env("CELERY_URL", with_password(&celery_amqp, PASSWORD))
        .env("RUST_LOG", "trace")
        .args(["check", "--config", "health.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!run.stdout.contains(PASSWORD), "{run:?}");
    assert!(!run.stderr.contains(PASSWORD), "{run:?}");
}

#[test]
fn a_broker_that_is_down_is_unhealthy_without_its_password() {
    let dir = temp_dir();
    let port = support::closed_port();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"celery\"\nurl = \"amqp://app:{PASSWORD}@127.0.0.1:{port}//\"\n\n\
             [[check]]\nkind = \"celery\"\nurl = \"redis://:{PASSWORD}@127.0.0.1:{port}/0\"\nalias = \"redis\"\n\n\
             [[check]]\nkind = \"rabbitmq\"\nurl = \"amqp://app:{PASSWORD}@127.0.0.1:{port}/%2f\"\n\n\
             [[check]]\nkind = \"nats\"\nurl = \"nats://app:{PASSWORD}@127.0.0.1:{port}\"\n\n\
             [[check]]\nkind = \"mqtt\"\nurl = \"mqtt://app:{PASSWORD}@127.0.0.1:{port}\"\n"
        ),
    );
    let run = support::ran(dir.path(), &["check", "--config", "health.toml"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!run.stdout.contains(PASSWORD), "{run:?}");
    assert!(!run.stderr.contains(PASSWORD), "{run:?}");
    assert_eq!(run.stdout.lines().count(), 5, "{run:?}");
    for line in run.stdout.lines() {
        assert!(line.contains(": unavailable: "), "{line}: {run:?}");
    }
}
