//! The README's "A typical web app" section, run for real so that it cannot rot: its
//! config validates, and served against the real PostgreSQL, Redis and S3 it answers
//! the Kubernetes probes of its YAML snippet.

mod support;

use std::process::Command;

use support::backends::{Bucket, Service, skipped};
use support::{Ran, Server, health_check, temp_dir, write};

const README: &str = include_str!("../../../README.md");
const HEADING: &str = "### A typical web app";

/// The first fenced block of `language` in the section.
fn block(language: &str) -> &'static str {
    let section = README
        .split_once(HEADING)
        .unwrap_or_else(|| panic!("README.md has no `{HEADING}`"))
        .1;
    let section = section.split("\n## ").next().unwrap_or(section);
    let fence = format!("```{language}\n");
    let start = section
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{language} block after `{HEADING}`"))
        + fence.len();
    let end = section[start..]
        .find("\n```")
        .unwrap_or_else(|| panic!("the ```{language} block after `{HEADING}` is not closed"));
    &section[start..=start + end]
}

/// The environment the config reads, with these values.
fn with_env(mut command: Command, vars: &[(&str, &str)]) -> Command {
    for (name, value) in vars {
        command.env(name, value);
    }
    command
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
    let run: Ran = with_env(health_check(dir.path()), &vars)
        .args(["config", "app.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "app.toml: ok (4 checks)\n");

    // Without its secrets, it names the first variable that is missing.
    let run: Ran = health_check(dir.path())
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
        "args: [\"serve\", \"--config\", \"/etc/health-check/app.toml\"]",
        "containerPort: 8000",
        "path: /ht/live/",
        "path: /ht/ready/",
    ] {
        assert!(yaml.contains(expected), "`{expected}` in {yaml}");
    }
    assert!(
        README.contains("health-check serve --config app.toml"),
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
        ("S3_ACCESS_KEY_ID", "health-check-test"),
        ("S3_SECRET_ACCESS_KEY", "health-check-test-secret"),
    ];

    let run: Ran = with_env(health_check(dir.path()), &vars)
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
        with_env(health_check(dir.path()), &vars),
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
