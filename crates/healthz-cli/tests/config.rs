//! `healthz config` and config errors, run for real: every error names the file,
//! the line and the key, and never shows an interpolated value.

mod support;

use support::{Ran, Server, healthz, ran, temp_dir, write};

const REFERENCE: &str = include_str!("../reference.toml");

/// The starter configs of `config --example`, as the README shows them (its tests
/// validate them there, and run the web app's against real backends).
const EXAMPLES: [(&str, &str); 3] = [
    ("minimal", include_str!("../examples/minimal.toml")),
    ("web-app", include_str!("../examples/web-app.toml")),
    ("workers", include_str!("../examples/workers.toml")),
];

#[test]
fn config_prints_the_reference() {
    let dir = temp_dir();
    let run = ran(dir.path(), &["config"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, REFERENCE);
}

#[test]
fn the_printed_reference_validates() {
    let dir = temp_dir();
    write(dir.path(), "health.toml", REFERENCE);
    let run = ran(dir.path(), &["config", "health.toml"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        "health.toml: ok (20 checks, 1 notification target)\n"
    );
}

#[test]
fn config_file_validates_without_touching_anything() {
    let dir = temp_dir();
    write(
        dir.path(),
        "one.toml",
        "[[check]]\nkind = \"filesystem\"\npath = \"not-yet\"\n",
    );
    let run = ran(dir.path(), &["config", "one.toml"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "one.toml: ok (1 check)\n");
    assert!(!dir.path().join("not-yet").exists());
}

#[test]
fn config_example_prints_the_starters() {
    let dir = temp_dir();
    for (name, text) in EXAMPLES {
        let run = ran(dir.path(), &["config", "--example", name]);
        assert_eq!(run.code, Some(0), "{name}: {run:?}");
        assert_eq!(run.stdout, text, "{name}");
    }
    let unknown = ran(dir.path(), &["config", "--example", "kubernetes"]);
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("[possible values: minimal, web-app, workers]"),
        "{unknown:?}"
    );
}

/// The minimal starter, its URL filled in with a running service's (a `healthz serve`
/// of the built-in config), checked once and served.
#[test]
fn the_minimal_starter_works_once_its_url_is_filled_in() {
    let dir = temp_dir();
    let service = Server::start(dir.path(), &[]);
    let (_, minimal) = EXAMPLES[0];
    let filled = minimal.replace("http://127.0.0.1:8080/", &service.url);
    assert_ne!(filled, minimal, "the URL to fill in");
    write(dir.path(), "healthz.toml", &filled);

    let run = ran(dir.path(), &["check", "--config", "healthz.toml"]);
    // The disk may be full enough for a warning here: it only degrades the report.
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.starts_with("HttpEndpoint: working\nDiskUsage: "),
        "{run:?}"
    );

    let server = Server::start(dir.path(), &["--config", "healthz.toml"]);
    let ready = server.get("/ht/ready/?format=text");
    assert_eq!(ready.status, 200, "{ready:?}");
    assert_eq!(ready.body, "HttpEndpoint: working\n");
}

#[test]
fn a_config_without_a_check_is_an_error_that_points_to_the_starters() {
    let expected = "healthz: health.toml: no check: add a `[[check]]` table for each backend; \
                    `healthz config --example minimal` (or `web-app`, `workers`) prints a config to start from\n";
    for text in ["", "[server]\nbind = \"0.0.0.0:8000\"\n"] {
        assert_eq!(invalid(text).stderr, expected, "{text:?}");
    }
    let dir = temp_dir();
    write(dir.path(), "health.toml", "");
    let run = ran(dir.path(), &["check", "--config", "health.toml"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stderr, expected);
}

/// Validates `text` as `health.toml` and returns the run, which must fail with 2.
fn invalid(text: &str) -> Ran {
    let dir = temp_dir();
    write(dir.path(), "health.toml", text);
    let run = ran(dir.path(), &["config", "health.toml"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "one line: {run:?}");
    run
}

/// Asserts that validating `text` fails at `line` with a message naming `key`.
#[track_caller]
fn assert_error(text: &str, line: usize, key: &str) -> String {
    let run = invalid(text);
    let prefix = format!("healthz: health.toml:{line}: ");
    assert!(run.stderr.starts_with(&prefix), "{prefix}: {run:?}");
    assert!(run.stderr.contains(&format!("`{key}`")), "{key}: {run:?}");
    run.stderr
}

const TCP: &str = "[[check]]\nkind = \"tcp\"\naddr = \"127.0.0.1:5432\"\n";

#[test]
fn every_kind_of_config_error_names_the_file_line_and_key() {
    // Not TOML.
    assert_error("[server]\npath = \"/a\"\npath = \"/b\"\n", 3, "path");
    // An unknown key, in each table.
    let unknown = assert_error(&format!("{TCP}adress = \"x\"\n"), 4, "adress");
    assert!(
        unknown.contains("unknown key `adress` in a `tcp` check (a `tcp` check takes: addr; "),
        "{unknown}"
    );
    let typo = assert_error(&format!("{TCP}critcal = false\n"), 4, "critcal");
    assert!(typo.contains("did you mean `critical`?"), "{typo}");
    // `[check]`, single brackets.
    let table = assert_error("\n[check]\nkind = \"tcp\"\n", 2, "[[check]]");
    assert!(table.contains("`[check]` is a single table"), "{table}");
    assert_error("[server]\n\nbnd = \"x\"\n", 3, "bnd");
    assert_error("# comment\nchecks = []\n", 2, "checks");
    // A missing key.
    let missing = assert_error(&format!("{TCP}\n[[check]]\nkind = \"tcp\"\n"), 5, "addr");
    assert!(
        missing.contains("check #2 (tcp): missing key `addr`"),
        "{missing}"
    );
    assert_error("[[check]]\nname = \"X\"\n", 1, "kind");
    // A key of another kind.
    assert_error(&format!("{TCP}path = \"/tmp\"\n"), 4, "path");
    // A wrong type, a wrong value.
    assert_error(&format!("{TCP}critical = \"yes\"\n"), 4, "critical");
    assert_error(&format!("{TCP}timeout = \"soon\"\n"), 4, "timeout");
    assert_error("[server]\nfailure-status = 302\n", 2, "failure-status");
    let unknown_kind = assert_error("[[check]]\nkind = \"mongodb\"\n", 2, "kind");
    assert!(
        unknown_kind.contains("unknown kind `mongodb`"),
        "{unknown_kind}"
    );
    // A tag the endpoint cannot serve, on the line of `tags`.
    assert_error(
        &format!("{TCP}tags = [\n  \"ready\",\n  \"no/slash\",\n]\n"),
        4,
        "tags",
    );
    // A literal secret of the wrong type, not shown.
    let secret = assert_error(
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\naccess-key-id = \"k\"\nsecret-access-key = 271828\n",
        5,
        "secret-access-key",
    );
    assert!(!secret.contains("271828"), "{secret}");
    // Name and alias, and a duplicate name on the second check.
    assert_error(&format!("{TCP}name = \"A\"\nalias = \"b\"\n"), 5, "alias");
    let duplicate = assert_error(&format!("{TCP}\n{TCP}"), 6, "TcpConnect");
    assert!(
        duplicate.contains("check #2 (tcp): check #1 has the same name"),
        "{duplicate}"
    );
    // An unset variable.
    let unset = assert_error(
        "[[check]]\nkind = \"tcp\"\naddr = \"${NOT_SET_ANYWHERE}:1\"\n",
        3,
        "addr",
    );
    assert!(unset.contains("`NOT_SET_ANYWHERE` is not set"), "{unset}");
}

#[test]
fn every_runtime_key_s_error_names_the_file_line_and_key() {
    // Freshness and damping, which every kind takes.
    for (keys, line, key) in [
        ("cache-ttl = \"0s\"\n", 4, "cache-ttl"),
        ("serve-stale = true\n", 4, "serve-stale"),
        ("interval = \"99999999999999h\"\n", 4, "interval"),
        (
            "interval = \"1m\"\nstale-after = \"1s\"\n",
            5,
            "stale-after",
        ),
        ("failure-threshold = 0\n", 4, "failure-threshold"),
        ("success-threshold = -2\n", 4, "success-threshold"),
        ("timeout = \"999h\"\n", 4, "timeout"),
    ] {
        assert_error(&format!("{TCP}{keys}"), line, key);
    }
    assert_error("[server]\ndrain = \"1000h\"\n", 2, "drain");
    assert_error("[server]\nprobes = 1\n", 2, "probes");
    assert_error("[server]\nservice = \"\"\n", 2, "service");
    // The notification targets.
    let hook = "[[notify]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/\"\n";
    for (keys, line, key) in [
        ("tries = 0\n", 4, "tries"),
        ("timeout = \"0s\"\n", 4, "timeout"),
        ("min-interval = \"forever\"\n", 4, "min-interval"),
        ("header = \"Authorization\"\n", 4, "header-value-env"),
        (
            "header = \"Authorization\"\nheader-value-env = \"HEALTHZ_TEST_NOT_SET\"\n",
            5,
            "header-value-env",
        ),
        ("name = \"\"\n", 4, "name"),
        ("nme = \"x\"\n", 4, "nme"),
    ] {
        assert_error(&format!("{hook}{keys}"), line, key);
    }
    assert_error(
        "[[notify]]\nkind = \"pager\"\nurl = \"http://h/\"\n",
        2,
        "kind",
    );
    let slack = assert_error(
        "[[notify]]\nkind = \"slack\"\nurl = \"ftp://hooks.example/T0/B0/s3cretPath\"\n",
        3,
        "url",
    );
    assert!(!slack.contains("s3cretPath"), "{slack}");
}

#[test]
fn a_header_value_from_the_environment_is_never_shown() {
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        "[[notify]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/\"\n\
         header = \"Authorization\"\nheader-value-env = \"HOOK_AUTH\"\n",
    );
    let run: Ran = healthz(dir.path())
        .env("HOOK_AUTH", "Bearer s3cret\nX-Injected: 1")
        .args(["config", "health.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("health.toml:5: notify #1 (webhook): `header-value-env`: the environment variable `HOOK_AUTH` holds characters"), "{run:?}");
    assert!(!run.stderr.contains("s3cret"), "{run:?}");
}

#[test]
fn every_backend_kind_rule_names_the_file_line_and_key() {
    // Required keys.
    for kind in ["postgres", "mysql", "redis", "redis-ping", "http", "remote"] {
        let missing = assert_error(&format!("[[check]]\nkind = \"{kind}\"\n"), 1, "url");
        assert!(
            missing.contains(&format!("check #1 ({kind}): missing key")),
            "{missing}"
        );
    }
    assert_error("[[check]]\nkind = \"memcached\"\n", 1, "addr");
    assert_error(
        "[[check]]\nkind = \"s3\"\nregion = \"eu-west-1\"\n",
        1,
        "bucket",
    );
    assert_error("[[check]]\nkind = \"dns\"\n", 1, "host");
    // A key of another kind.
    let misplaced = assert_error(
        "[[check]]\nkind = \"redis\"\nurl = \"redis://h\"\nwrite-probe = true\n",
        4,
        "write-probe",
    );
    assert!(
        misplaced.contains("does not apply to kind `redis`"),
        "{misplaced}"
    );
    assert_error(
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nurl = \"http://h\"\n",
        4,
        "url",
    );
    assert_error(
        "[[check]]\nkind = \"postgres\"\nurl = \"postgres://h/db\"\n\nbearer-token = \"t\"\n",
        5,
        "bearer-token",
    );
    assert_error(
        "[[check]]\nkind = \"dns\"\nhost = \"h\"\naddr = \"h:1\"\n",
        4,
        "addr",
    );
    // URLs and addresses the library cannot use, never shown.
    for (kind, key, value) in [
        ("postgres", "url", "mysql://app:hunter2@db/x"),
        ("mysql", "url", "mysql://app:hunter2@db:port/x"),
        ("redis", "url", "http://:hunter2@cache/"),
        ("redis-ping", "url", "redis://:hunter2@cache:x"),
        ("memcached", "addr", "memcache://u:hunter2@cache"),
        ("http", "url", "ftp://u:hunter2@files/"),
        ("remote", "url", "http://u:hunter2@orders/ht/"),
    ] {
        let text = format!("[[check]]\nkind = \"{kind}\"\n{key} = \"{value}\"\n");
        let message = assert_error(&text, 3, key);
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains(value), "{message}");
    }
    let endpoint = assert_error(
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"s3.example.com\"\n",
        4,
        "endpoint",
    );
    assert!(
        endpoint.contains("invalid URL: ") && !endpoint.contains("s3.example.com"),
        "{endpoint}"
    );
    // Values.
    assert_error(
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\naccess-key-id = \"k\"\n",
        4,
        "secret-access-key",
    );
    assert_error(
        "[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nexpect-status = 42\n",
        4,
        "expect-status",
    );
    assert_error(
        "[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nfollow-redirects = \"yes\"\n",
        4,
        "follow-redirects",
    );
    assert_error(
        "[[check]]\nkind = \"postgres\"\nurl = \"postgres://h/db\"\nwrite-probe = 1\n",
        4,
        "write-probe",
    );
    assert_error(
        "[[check]]\nkind = \"dns\"\nhost = \"h\"\nexpect-addresses = [\"h\"]\n",
        4,
        "expect-addresses",
    );
}

#[test]
fn every_broker_kind_rule_names_the_file_line_and_key() {
    // Required keys.
    for kind in ["celery", "rabbitmq", "nats", "mqtt"] {
        let missing = assert_error(
            &format!("[[check]]\nkind = \"{kind}\"\ntimeout = \"2s\"\n"),
            1,
            "url",
        );
        assert!(
            missing.contains(&format!("check #1 ({kind}): missing key")),
            "{missing}"
        );
    }
    // The keys of one kind on another.
    for (kind, url, key, value) in [
        ("rabbitmq", "amqp://h", "queues", "[\"q\"]"),
        ("nats", "nats://h", "min-workers", "2"),
        ("mqtt", "h:1883", "jetstream", "true"),
        ("celery", "amqp://h//", "jetstream", "true"),
        ("redis-ping", "redis://h", "control-exchange", "\"x\""),
        ("http", "http://h/", "reply-timeout", "\"1s\""),
    ] {
        let text = format!("[[check]]\nkind = \"{kind}\"\nurl = \"{url}\"\n\n{key} = {value}\n");
        let misplaced = assert_error(&text, 5, key);
        assert!(
            misplaced.contains(&format!("does not apply to kind `{kind}`")),
            "{misplaced}"
        );
    }
    // `reply-timeout` below `timeout`, naming both.
    let celery = "[[check]]\nkind = \"celery\"\nurl = \"amqp://h//\"\n";
    for text in [
        format!("{celery}timeout = \"1s\"\nreply-timeout = \"1s\"\n"),
        format!("{celery}reply-timeout = \"1m\"\ntimeout = \"1s\"\n"),
    ] {
        let line = 1 + text
            .lines()
            .position(|l| l.starts_with("reply-timeout"))
            .unwrap();
        let reply = assert_error(&text, line, "reply-timeout");
        assert!(reply.contains("`timeout`"), "{reply}");
    }
    let default = assert_error(
        &format!("{celery}reply-timeout = \"6s\"\n"),
        4,
        "reply-timeout",
    );
    assert!(default.contains("`timeout` (5s by default)"), "{default}");
    // Values.
    assert_error(&format!("{celery}min-workers = \"2\"\n"), 4, "min-workers");
    assert_error(&format!("{celery}queues = [\"a\", \"\"]\n"), 4, "queues");
    assert_error(
        &format!("{celery}control-exchange = \" \"\n"),
        4,
        "control-exchange",
    );
    assert_error(
        "[[check]]\nkind = \"nats\"\nurl = \"nats://h\"\njetstream = \"yes\"\n",
        4,
        "jetstream",
    );
    // URLs the library cannot use (or, for celery, a scheme of no broker it speaks to),
    // their password masked.
    for (kind, value) in [
        ("celery", "sqs://u:hunter2@sqs.eu-west-1.amazonaws.com/"),
        ("celery", "amqps://u:hunter2@rabbitmq:port//"),
        ("celery", "redis://:hunter2@cache:port/0"),
        ("rabbitmq", "amqps://u:hunter2@rabbitmq:port/%2f"),
        ("nats", "ws://u:hunter2@nats:8080"),
        ("mqtt", "ws://u:hunter2@mqtt:8080"),
    ] {
        let text = format!("[[check]]\nkind = \"{kind}\"\nurl = \"{value}\"\n");
        let message = assert_error(&text, 3, "url");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains(value), "{message}");
    }
}

#[test]
fn an_interpolated_url_or_token_never_appears_in_an_error() {
    let dir = temp_dir();
    for (text, value) in [
        (
            "[[check]]\nkind = \"postgres\"\nurl = \"${V}\"\n",
            "postgres://app:pa55w0rd@db:54x/app",
        ),
        (
            "[[check]]\nkind = \"mysql\"\nurl = \"${V}\"\n",
            "postgres://app:pa55w0rd@db/app",
        ),
        ("[[check]]\nkind = \"redis\"\nurl = \"${V}\"\n", "pa55w0rd"),
        (
            "[[check]]\nkind = \"memcached\"\naddr = \"${V}\"\n",
            "cache:pa55w0rd",
        ),
        (
            "[[check]]\nkind = \"http\"\nurl = \"${V}\"\n",
            "http://u:pa55w0rd@h/",
        ),
        (
            "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"${V}\"\n",
            "pa55w0rd",
        ),
        (
            "[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nbearer-token = \"${V}\"\n",
            "pa55w0rd\n",
        ),
        ("[[check]]\nkind = \"dns\"\nhost = \"${V}\"\n", "pa55w0rd:1"),
        (
            "[[check]]\nkind = \"celery\"\nurl = \"${V}\"\n",
            "sqs://u:pa55w0rd@q/",
        ),
        (
            "[[check]]\nkind = \"celery\"\nurl = \"${V}\"\n",
            "amqp://u:pa55w0rd@h:x//",
        ),
        (
            "[[check]]\nkind = \"rabbitmq\"\nurl = \"${V}\"\n",
            "amqp://u:pa55w0rd@",
        ),
        (
            "[[check]]\nkind = \"nats\"\nurl = \"${V}\"\n",
            "pa55w0rd@h:x",
        ),
        (
            "[[check]]\nkind = \"mqtt\"\nurl = \"${V}\"\n",
            "mqtt://u:pa55w0rd@h:99999",
        ),
    ] {
        write(dir.path(), "health.toml", text);
        let output = healthz(dir.path())
            .env("V", value)
            .args(["config", "health.toml"])
            .output()
            .unwrap();
        let run = Ran::from(output);
        assert_eq!(run.code, Some(2), "{run:?}");
        assert!(!run.stderr.contains("pa55"), "{run:?}");
        assert!(run.stderr.starts_with("healthz: health.toml:"), "{run:?}");
    }
}

#[test]
fn variables_are_interpolated_from_the_environment() {
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        "[[check]]\nkind = \"filesystem\"\npath = \"${STORAGE}\"\nalias = \"${ALIAS:-files}\"\n",
    );
    let storage = dir.path().join("store");
    std::fs::create_dir(&storage).unwrap();
    let output = healthz(dir.path())
        .env("STORAGE", &storage)
        .args(["check", "--config", "health.toml"])
        .output()
        .unwrap();
    let run = Ran::from(output);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "StorageBackend[files]: working\n");
}

#[test]
fn an_interpolated_secret_never_appears_in_an_error() {
    let dir = temp_dir();
    let secret = "pa55/w0rd@db";
    for text in [
        "[[check]]\nkind = \"tcp\"\naddr = \"${DB_SECRET}\"\n",
        "[server]\nbind = \"${DB_SECRET}\"\n",
        "[server]\nhistory = \"${DB_SECRET}\"\n",
        "[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ntags = [\"${DB_SECRET}\"]\n",
    ] {
        write(dir.path(), "health.toml", text);
        let output = healthz(dir.path())
            .env("DB_SECRET", secret)
            .args(["config", "health.toml"])
            .output()
            .unwrap();
        let run = Ran::from(output);
        assert_eq!(run.code, Some(2), "{run:?}");
        assert!(!run.stderr.contains("pa55"), "{run:?}");
        assert!(run.stderr.contains("***"), "{run:?}");
        assert!(run.stderr.starts_with("healthz: health.toml:"), "{run:?}");
    }
}

#[test]
fn a_config_that_is_not_utf8_is_an_error_at_its_line() {
    let dir = temp_dir();
    let mut bytes = b"[server]\nbind = \"127.0.0.1:8000\"\n# caf".to_vec();
    // Latin-1 "é": a file saved in another encoding.
    bytes.extend_from_slice(b"\xe9\n");
    std::fs::write(dir.path().join("health.toml"), bytes).unwrap();
    let run = ran(dir.path(), &["config", "health.toml"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(
        run.stderr,
        "healthz: health.toml:3: not valid UTF-8; save the file as UTF-8\n"
    );
}
