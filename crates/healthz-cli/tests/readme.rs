//! The README's "A typical web app", "Task queues" and "Managed services" sections,
//! run for real so that they cannot rot: their configs validate, the web app's, served
//! against the real PostgreSQL, Redis and S3, answers the Kubernetes probes of its YAML
//! snippet, and the managed services' works against TLS servers of the test's own.

mod support;

use std::process::Command;

use support::backends::{Bucket, Service, skipped};
use support::{Ran, Server, healthz, temp_dir, write};

const README: &str = include_str!("../../../README.md");
const HEADING: &str = "### A typical web app";
const TASK_QUEUES: &str = "### Task queues";
const MANAGED_SERVICES: &str = "### Managed services";

/// The first fenced block of `language` in the web app's section.
fn block(language: &str) -> &'static str {
    block_in(HEADING, language, 0)
}

/// The `nth` (from 0) fenced block of `language` in the section under `heading`.
fn block_in(heading: &str, language: &str, nth: usize) -> &'static str {
    let section = README
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no `{heading}`"))
        .1;
    // Up to the next heading of the same or a higher level (a `# ` line is a comment
    // in the blocks).
    let end = ["\n## ", "\n### "]
        .iter()
        .filter_map(|next| section.find(next))
        .min()
        .unwrap_or(section.len());
    let section = &section[..end];
    let fence = format!("```{language}\n");
    let mut rest = section;
    for _ in 0..nth {
        let start = rest
            .find(&fence)
            .unwrap_or_else(|| panic!("fewer than {nth} ```{language} blocks in `{heading}`"))
            + fence.len();
        rest = &rest[start..];
        let end = rest.find("\n```").expect("a closed block");
        rest = &rest[end + 4..];
    }
    let start = rest
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{language} block #{nth} in `{heading}`"))
        + fence.len();
    let end = rest[start..]
        .find("\n```")
        .unwrap_or_else(|| panic!("a ```{language} block in `{heading}` is not closed"));
    &rest[start..=start + end]
}

/// The environment the config reads, with these values.
fn with_env(mut command: Command, vars: &[(&str, &str)]) -> Command {
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// The sections show the starter configs that `healthz config --example` prints, so
/// that the tests below test those too.
#[test]
fn the_sections_show_the_starter_configs() {
    assert_eq!(block("toml"), include_str!("../examples/web-app.toml"));
    assert_eq!(
        block_in(TASK_QUEUES, "toml", 0),
        include_str!("../examples/workers.toml")
    );
    assert!(README.contains("healthz config --example minimal"));
}

#[test]
fn the_config_validates() {
    let dir = temp_dir();
    write(dir.path(), "app.toml", block("toml"));
    let vars = [
        ("DATABASE_URL", "postgres://app:pw@db.internal:5432/app"),
        ("REDIS_URL", "redis://:pw@cache.internal:6379/0"),
        ("S3_BUCKET", "app-uploads"),
        ("S3_ENDPOINT", "https://s3.eu-west-1.amazonaws.com"),
        ("S3_REGION", "eu-west-1"),
        ("S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("S3_SECRET_ACCESS_KEY", "secret"),
    ];
    let run: Ran = with_env(healthz(dir.path()), &vars)
        .args(["config", "app.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "app.toml: ok (4 checks)\n");

    // Without its secrets, it names the first variable that is missing.
    let run: Ran = healthz(dir.path())
        .env_remove("DATABASE_URL")
        .args(["config", "app.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("`url`: environment variable `DATABASE_URL` is not set"),
        "{run:?}"
    );
}

#[test]
fn the_kubernetes_probes_point_at_what_the_config_serves() {
    let config = block("toml");
    let yaml = block("yaml");
    assert!(config.contains("bind = \"0.0.0.0:8000\""), "{config}");
    assert!(config.contains("path = \"/ht/\""), "{config}");
    for expected in [
        "args: [\"serve\", \"--config\", \"/etc/healthz/app.toml\"]",
        "containerPort: 8000",
        "path: /ht/live/",
        "path: /ht/ready/",
    ] {
        assert!(yaml.contains(expected), "`{expected}` in {yaml}");
    }
    assert!(
        README.contains("healthz serve --config app.toml"),
        "the section shows the command"
    );
}

#[test]
fn served_against_real_backends_it_is_ready_and_live() {
    let services = [Service::Postgres, Service::Redis, Service::S3];
    if skipped(&services) {
        return;
    }
    let [postgres, redis, s3] = services.map(Service::require);
    let bucket = Bucket::create(&s3);
    let dir = temp_dir();
    write(dir.path(), "app.toml", block("toml"));
    let vars = [
        ("DATABASE_URL", postgres.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("S3_BUCKET", bucket.name.as_str()),
        ("S3_ENDPOINT", s3.as_str()),
        ("S3_REGION", "us-east-1"),
        ("S3_ACCESS_KEY_ID", "healthz-test"),
        ("S3_SECRET_ACCESS_KEY", "healthz-test-secret"),
    ];

    let run: Ran = with_env(healthz(dir.path()), &vars)
        .args(["check", "--config", "app.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    // The disk may be full enough for a warning here: it only degrades the report.
    assert!(
        run.stdout.starts_with(
            "DatabaseBackend: working\nCacheBackend: working\nS3StorageBackend: working\nDiskUsage: "
        ),
        "{run:?}"
    );

    let server = Server::start_command(
        with_env(healthz(dir.path()), &vars),
        &["--config", "app.toml"],
    );
    let ready = server.get("/ht/ready/?format=text");
    assert_eq!(ready.status, 200, "{ready:?}");
    assert_eq!(
        ready.body,
        "DatabaseBackend: working\nCacheBackend: working\nS3StorageBackend: working\n"
    );
    let live = server.get("/ht/live/");
    assert_eq!(live.status, 200, "{live:?}");
}

#[test]
fn the_task_queue_configs_validate() {
    let dir = temp_dir();
    write(dir.path(), "workers.toml", block_in(TASK_QUEUES, "toml", 0));
    write(dir.path(), "brokers.toml", block_in(TASK_QUEUES, "toml", 1));
    let vars = [
        (
            "CELERY_BROKER_URL",
            "amqp://app:pw@rabbitmq.internal:5672/app",
        ),
        ("RABBITMQ_URL", "amqp://app:pw@rabbitmq.internal:5672/app"),
        ("NATS_URL", "nats://app:pw@nats.internal:4222"),
        ("MQTT_URL", "mqtt://app:pw@mqtt.internal:1883"),
    ];
    for (file, checks) in [("workers.toml", 2), ("brokers.toml", 2)] {
        let run: Ran = with_env(healthz(dir.path()), &vars)
            .args(["config", file])
            .output()
            .expect("the binary runs")
            .into();
        assert_eq!(run.code, Some(0), "{file}: {run:?}");
        assert_eq!(run.stdout, format!("{file}: ok ({checks} checks)\n"));
    }

    // A Celery broker URL on Redis works as well.
    let mut redis = vars;
    redis[0].1 = "redis://:pw@cache.internal:6379/0";
    let run: Ran = with_env(healthz(dir.path()), &redis)
        .args(["config", "workers.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");

    // Without the broker URL, it names the variable.
    let run: Ran = healthz(dir.path())
        .env_remove("CELERY_BROKER_URL")
        .args(["config", "workers.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("`url`: environment variable `CELERY_BROKER_URL` is not set"),
        "{run:?}"
    );
}

#[test]
fn the_nats_and_mqtt_example_works_against_the_real_brokers() {
    let services = [Service::Nats, Service::Mqtt];
    if skipped(&services) {
        return;
    }
    let [nats, mqtt] = services.map(Service::require);
    let dir = temp_dir();
    write(dir.path(), "brokers.toml", block_in(TASK_QUEUES, "toml", 1));
    let run: Ran = with_env(
        healthz(dir.path()),
        &[("NATS_URL", nats.as_str()), ("MQTT_URL", mqtt.as_str())],
    )
    .args(["check", "--config", "brokers.toml"])
    .output()
    .expect("the binary runs")
    .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "NatsBackend: working\nMqttBackend: working\n");
}

#[test]
fn the_managed_services_example_works_against_tls_servers() {
    for (service, port) in [
        ("postgres-tls", 5433),
        ("mariadb-tls", 3307),
        ("redis-tls", 6380),
        ("rabbitmq-tls", 5671),
        ("memcached-tls", 11212),
    ] {
        support::tls::require(service, port);
    }
    let ca = support::tls::file("ca.pem");
    let dir = temp_dir();
    write(
        dir.path(),
        "managed.toml",
        block_in(MANAGED_SERVICES, "toml", 0),
    );
    // The private CA stands in for the RDS bundle and, through the system store that
    // `SSL_CERT_FILE` replaces, for the public roots of the other providers.
    let vars = [
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5433/test"),
        ("REPORTS_DATABASE_URL", "mysql://root@127.0.0.1:3307/test"),
        ("RDS_CA", ca.as_str()),
        ("REDIS_URL", "rediss://127.0.0.1:6380"),
        ("RABBITMQ_URL", "amqps://guest:guest@127.0.0.1:5671/%2f"),
        ("SITE_ADDR", "127.0.0.1:11212"),
        ("SSL_CERT_FILE", ca.as_str()),
    ];
    let run: Ran = with_env(healthz(dir.path()), &vars)
        .args(["check", "--config", "managed.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout.lines().count(), 5, "{run:?}");
    assert!(
        run.stdout.lines().all(|line| line.ends_with(": working")),
        "{run:?}"
    );

    // Trusting another certificate instead, the database check says why in TLS terms.
    let other = support::tls::file("client.pem");
    let mut untrusted = vars;
    untrusted[2].1 = other.as_str();
    untrusted[6].1 = other.as_str();
    let run: Ran = with_env(healthz(dir.path()), &untrusted)
        .args([
            "check",
            "--config",
            "managed.toml",
            "--check",
            "DatabaseBackend",
        ])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.starts_with(
            "DatabaseBackend: unavailable: TLS: certificate not trusted (unknown issuer)"
        ),
        "{run:?}"
    );
}

#[test]
fn the_s3_example_on_irsa_validates() {
    let dir = temp_dir();
    write(dir.path(), "s3.toml", block_in(MANAGED_SERVICES, "toml", 1));
    let run: Ran = with_env(healthz(dir.path()), &[("S3_BUCKET", "app-uploads")])
        .args(["config", "s3.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "s3.toml: ok (1 check)\n", "{run:?}");
}
