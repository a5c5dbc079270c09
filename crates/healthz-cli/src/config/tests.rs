//! The whole config, parsed from text: the helpers here serve the tests of the
//! modules below `config` too.

use std::collections::HashMap;
use std::env::VarError;
use std::path::PathBuf;

use super::*;

/// An environment for tests: the process's own cannot be changed safely.
pub(super) fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Result<String, VarError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| vars.get(name).cloned().ok_or(VarError::NotPresent)
}

/// Parses `text` as `health.toml` in `/etc/hc`, with `vars` as the environment.
pub(super) fn parse_with(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    parse(text, "health.toml", Path::new("/etc/hc"), &env_of(vars))
}

/// The error of parsing `text`, which must fail.
pub(super) fn error(text: &str) -> String {
    error_with(text, &[])
}

/// The error of parsing `text` with `vars` as the environment, which must fail.
pub(super) fn error_with(text: &str, vars: &[(&str, &str)]) -> String {
    parse_with(text, vars).unwrap_err().to_string()
}

#[test]
fn the_reference_and_the_default_are_valid() {
    let reference = parse_with(REFERENCE, &[]).unwrap();
    assert_eq!(
        reference.checks,
        [
            "DatabaseBackend",
            "DatabaseBackend[postgres]",
            "DatabaseBackend[mysql]",
            "StorageBackend",
            "S3StorageBackend",
            "CacheBackend",
            "CacheBackend[redis]",
            "CacheBackend[memcached]",
            "RedisBackend",
            "DiskUsage",
            "MemoryUsage",
            "TcpConnect[postgres]",
            "DnsLookup",
            "HttpEndpoint",
            "RemoteHealth",
            "CeleryBackend",
            "RabbitMQBackend",
            "NatsBackend",
            "MqttBackend",
            "TlsCertificate"
        ]
    );
    let default = parse_with(DEFAULT, &[("HEALTHZ_DATA_DIR", "/srv/hc")]).unwrap();
    assert_eq!(default.bind.to_string(), "127.0.0.1:8000");
    assert_eq!(default.path, "/ht/");
    assert_eq!(
        default.checks,
        [
            "DatabaseBackend",
            "StorageBackend",
            "CacheBackend",
            "DiskUsage",
            "MemoryUsage"
        ]
    );
    assert_eq!(
        default.expected_dirs,
        [PathBuf::from("/srv/hc"), PathBuf::from("/srv/hc/storage")]
    );
}

#[test]
fn every_key_is_in_the_reference() {
    let documented = |part: &str, key: &str| {
        part.lines().any(|line| {
            let line = line.trim_start_matches(['#', ' ']);
            line.starts_with(&format!("{key} =")) || line.starts_with(&format!("{key} "))
        })
    };
    // [server], then the keys every check takes, listed once before the first check.
    let (head, checks) = REFERENCE.split_once("\n[[check]]").unwrap();
    for key in table::names_of::<server::ServerKeys>() {
        assert!(documented(head, key), "`{key}` of [server]");
    }
    for key in check::common_keys() {
        assert!(documented(head, key), "`{key}` of every check");
    }
    let (_, targets) = REFERENCE.split_once("\n[[notify]]").unwrap();
    for key in table::names_of::<notify::NotifyKeys>() {
        assert!(documented(targets, key), "`{key}` of [[notify]]");
    }
    // Each kind's keys, in the part about that kind: from its `kind = "…"` to the
    // next check.
    for kind in &kinds::ALL {
        let start = format!("\nkind = \"{}\"\n", kind.name());
        let part = checks
            .split_once(&start)
            .unwrap_or_else(|| panic!("kind `{}` is not in reference.toml", kind.name()))
            .1;
        let part = part.split("\n[[check]]").next().unwrap();
        for key in kind.keys() {
            assert!(documented(part, key), "`{key}` of kind `{}`", kind.name());
        }
    }
}

#[test]
fn no_kind_takes_a_key_every_check_takes() {
    // The common keys are taken out of a check's table first: a kind's key of the
    // same name would never be read.
    let common = check::common_keys();
    for kind in &kinds::ALL {
        for key in kind.keys() {
            assert!(!common.contains(&key), "kind `{}`: `{key}`", kind.name());
        }
    }
}

#[test]
fn values_are_validated_and_resolved() {
    let config = parse_with(
            "[server]\nbind = \"[::1]:9000\"\npath = \"/health\"\nfailure-status = 503\nmax-age = \"10s\"\nhistory = 5\n\
             [[check]]\nkind = \"filesystem\"\npath = \"uploads\"\nalias = \"uploads\"\n\
             [[check]]\nkind = \"filesystem\"\npath = \"/abs\"\nname = \"Abs\"\ntimeout = \"500ms\"\ncritical = false\ntags = [\"ready\"]\n",
            &[],
        )
        .unwrap();
    assert_eq!(config.bind.to_string(), "[::1]:9000");
    assert_eq!(config.path, "/health/");
    assert_eq!(config.checks, ["StorageBackend[uploads]", "Abs"]);
    assert_eq!(
        config.expected_dirs,
        [PathBuf::from("/etc/hc/uploads"), PathBuf::from("/abs")]
    );
    let endpoint = format!("{:?}", config.endpoint);
    assert!(endpoint.contains("503"), "{endpoint}");
    assert_eq!(config.endpoint.registry().tags(), ["ready"]);
}

#[test]
fn syntax_errors_name_the_line() {
    assert_eq!(
        error("[server]\nbind = \"x\"\nbind = \"y\"\n"),
        "health.toml:3: invalid TOML: duplicate key `bind`"
    );
}

#[test]
fn unknown_keys_name_the_table_and_the_nearest_key() {
    assert_eq!(
        error("[server]\nbind = \"127.0.0.1:1\"\nbnd = 1\n"),
        "health.toml:3: unknown key `bnd` in [server]; did you mean `bind`? (expected one of: bind, path, failure-status, degraded-status, warnings-as-errors, max-age, history, tokens, unauthorized, drain, shutdown-timeout, header-timeout, idle-timeout, keepalive, max-connections, probes, service, version, release-id, description)"
    );
    assert_eq!(
        error("[server]\nzzz = 1\n"),
        "health.toml:2: unknown key `zzz` in [server] (expected one of: bind, path, failure-status, degraded-status, warnings-as-errors, max-age, history, tokens, unauthorized, drain, shutdown-timeout, header-timeout, idle-timeout, keepalive, max-connections, probes, service, version, release-id, description)"
    );
    assert_eq!(
        error("[servers]\n"),
        "health.toml:1: unknown key `servers` at the top level; did you mean `server`? (expected one of: server, check, notify)"
    );
}

#[test]
fn an_unknown_key_of_a_check_lists_only_its_kind_s_keys() {
    assert_eq!(
        error(
            "[[check]]\nkind = \"s3\"\nbucket = \"b\"\n\n[[check]]\nkind = \"s3\"\nbukcet = \"b\"\n"
        ),
        "health.toml:7: unknown key `bukcet` in a `s3` check; did you mean `bucket`? (a `s3` check takes: bucket, endpoint, region, path-style, access-key-id, secret-access-key, prefix, anonymous, tls, tls-ca, tls-cert, tls-key, proxy; every check takes: kind, name, alias, timeout, critical, tags, cache-ttl, serve-stale, interval, stale-after, failure-threshold, success-threshold)"
    );
    // A key every check takes is suggested too, and a far-off one is not.
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ncritcal = false\n"),
        "health.toml:4: unknown key `critcal` in a `tcp` check; did you mean `critical`? (a `tcp` check takes: addr; every check takes: kind, name, alias, timeout, critical, tags, cache-ttl, serve-stale, interval, stale-after, failure-threshold, success-threshold)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"memory-cache\"\nsize = 3\n"),
        "health.toml:3: unknown key `size` in a `memory-cache` check (a `memory-cache` check takes only the keys every check takes: kind, name, alias, timeout, critical, tags, cache-ttl, serve-stale, interval, stale-after, failure-threshold, success-threshold)"
    );
    // The keys that `disk` shares with `memory` are its keys too.
    assert_eq!(
        error("[[check]]\nkind = \"disk\"\npath = \"/\"\nwarn_at = 80.0\n"),
        "health.toml:4: unknown key `warn_at` in a `disk` check; did you mean `warn-at`? (a `disk` check takes: path, warn-at, fail-at; every check takes: kind, name, alias, timeout, critical, tags, cache-ttl, serve-stale, interval, stale-after, failure-threshold, success-threshold)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"postgress\"\n"),
        "health.toml:2: check #1: `kind`: unknown kind `postgress`; did you mean `postgres`? (expected one of: sqlite, postgres, mysql, filesystem, s3, memory-cache, redis, memcached, redis-ping, disk, memory, tcp, dns, http, remote, celery, rabbitmq, nats, mqtt, tls)"
    );
}

#[test]
fn checks_written_as_a_single_table_are_explained() {
    assert_eq!(
        error("[server]\nbind = \"127.0.0.1:1\"\n\n[check]\nkind = \"tcp\"\naddr = \"h:1\"\n"),
        "health.toml:4: `[check]` is a single table: write each check as an array table, `[[check]]`, with double brackets"
    );
    assert_eq!(
        error("check = 1\n"),
        "health.toml:1: `check`: must be checks written as `[[check]]` tables, not a integer"
    );
    assert_eq!(
        error("check = [{ kind = \"memory\" }, \"tcp\"]\n"),
        "health.toml:1: check #2: must be a table (`[[check]]`), not a string"
    );
    let inline = parse_with("check = [{ kind = \"memory\" }]\n", &[]).unwrap();
    assert_eq!(inline.checks, ["MemoryUsage"]);
}

#[test]
fn missing_and_misplaced_kind_keys_name_the_check() {
    assert_eq!(
        error("[[check]]\nkind = \"disk\"\npath = \"/\"\n\n[[check]]\nkind = \"tcp\"\n"),
        "health.toml:5: check #2 (tcp): missing key `addr`"
    );
    assert_eq!(
        error("[[check]]\nname = \"x\"\n"),
        "health.toml:1: check #1: missing key `kind`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\npath = \"/x\"\n"),
        "health.toml:4: check #1 (tcp): key `path` does not apply to kind `tcp` (it takes: addr)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"memory-cache\"\nwarn-at = 3\n"),
        "health.toml:3: check #1 (memory-cache): key `warn-at` does not apply to kind `memory-cache` (it takes none)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"mongodb\"\n"),
        "health.toml:2: check #1: `kind`: unknown kind `mongodb` (expected one of: sqlite, postgres, mysql, filesystem, s3, memory-cache, redis, memcached, redis-ping, disk, memory, tcp, dns, http, remote, celery, rabbitmq, nats, mqtt, tls)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"s3\"\nalias = \"x\"\n"),
        "health.toml:1: check #1 (s3): missing key `bucket`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"redis\"\nurl = \"redis://h\"\nwrite-probe = true\n"),
        "health.toml:4: check #1 (redis): key `write-probe` does not apply to kind `redis` (it takes: url, tls, tls-ca, tls-cert, tls-key)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"remote\"\nurl = \"http://h/\"\nbody-contains = \"ok\"\n"),
        "health.toml:4: check #1 (remote): key `body-contains` does not apply to kind `remote` (it takes: url, bearer-token, tls, tls-ca, tls-cert, tls-key, proxy)"
    );
}

#[test]
fn wrong_types_and_values_name_the_key() {
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ntimeout = 3\n"),
        "health.toml:4: check #1 (tcp): `timeout`: invalid type: integer `3`, expected a string"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ntimeout = \"soon\"\n"),
        "health.toml:4: check #1 (tcp): `timeout`: must be a duration like `2s` or `500ms`, not `soon`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ntimeout = \"0s\"\n"),
        "health.toml:4: check #1 (tcp): `timeout`: must be more than zero"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"nohost\"\n"),
        "health.toml:3: check #1 (tcp): `addr`: must be `host:port` (like `db.internal:5432`), not `nohost`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"disk\"\npath = \"/\"\nwarn-at = 96\nfail-at = 95\n"),
        "health.toml:5: check #1 (disk): `fail-at`: must not be below `warn-at` (96 > 95)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"memory\"\nfail-at = 101\n"),
        "health.toml:3: check #1 (memory): `fail-at`: must be a percentage from 0 to 100, not 101"
    );
    assert_eq!(
        error("[server]\nfailure-status = 302\n"),
        "health.toml:2: [server]: `failure-status`: a failure status must be 4xx or 5xx, not 302 Found"
    );
    assert_eq!(
        error("[server]\ndegraded-status = 503\n"),
        "health.toml:2: [server]: `degraded-status`: a degraded status must be 2xx or 3xx (the service still serves), not 503 Service Unavailable"
    );
    assert_eq!(
        error("[server]\nfailure-status = 42\n"),
        "health.toml:2: [server]: `failure-status`: must be an HTTP status code (100 to 999), not 42"
    );
    assert_eq!(
        error("[server]\nfailure-status = 70000\n"),
        "health.toml:2: [server]: `failure-status`: invalid value: integer `70000`, expected u16"
    );
    assert_eq!(
        error("[server]\nbind = \"localhost\"\n"),
        "health.toml:2: [server]: `bind`: must be an IP address and port (like `0.0.0.0:8000`, `[::]:8000` or `localhost:8000`), not `localhost`"
    );
    assert_eq!(
        error("[server]\npath = \"ht\"\n"),
        "health.toml:2: [server]: `path`: must be a URL path like `/ht/` (segments of letters, digits, `-`, `_`, `.` and `~`), not `ht`"
    );
    assert_eq!(
        error("[server]\nhistory = 0\n"),
        "health.toml:2: [server]: `history`: must be from 1 to 1000, not 0"
    );
    assert_eq!(
        error("server = 1\n"),
        "health.toml:1: `server`: invalid type: integer `1`, expected a table"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ntags = [\"ok\", \"a/b\"]\n"),
        "health.toml:4: check #1 (tcp): `tags`: `a/b` is not a valid tag; tags are non-empty and use only letters, digits, `-`, `_` and `.`"
    );
}

#[test]
fn invalid_tags_name_the_key_on_its_line() {
    assert_eq!(
        error(
            "[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\n\n[[check]]\nkind = \"memory\"\nname = \"M\"\ntags = [\n  \"ready\",\n  \"a b\",\n]\n"
        ),
        "health.toml:8: check #2 (memory): `tags`: `a b` is not a valid tag; tags are non-empty and use only letters, digits, `-`, `_` and `.`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"memory\"\ncritical = false\ntags = [\"\"]\n"),
        "health.toml:4: check #1 (memory): `tags`: a tag is empty; tags are non-empty and use only letters, digits, `-`, `_` and `.`"
    );
    assert_eq!(
        error_with(
            "[[check]]\nkind = \"memory\"\ntags = [\"${TAG}\"]\n",
            &[("TAG", "hunter2/x")]
        ),
        "health.toml:3: check #1 (memory): `tags`: *** is not a valid tag; tags are non-empty and use only letters, digits, `-`, `_` and `.`"
    );
}

#[test]
fn a_secret_of_the_wrong_type_is_not_shown() {
    let s3 = "[[check]]\nkind = \"s3\"\nbucket = \"b\"\naccess-key-id = \"k\"\n";
    assert_eq!(
        error(&format!("{s3}secret-access-key = 5\n")),
        "health.toml:5: check #1 (s3): `secret-access-key`: must be a string (the value is not shown: this key may hold a secret)"
    );
    for text in [
            format!("{s3}secret-access-key = 987654321\n"),
            format!("{s3}secret-access-key = [987654321]\n"),
            format!("{s3}secret-access-key = 9876.54321\n"),
            "[[check]]\nkind = \"s3\"\nbucket = \"b\"\naccess-key-id = 987654321\nsecret-access-key = \"x\"\n".to_owned(),
            "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = 987654321\n".to_owned(),
            "[[check]]\nkind = \"postgres\"\nurl = 987654321\n".to_owned(),
            "[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nbearer-token = 987654321\n".to_owned(),
            "[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nbearer-token = { value = 987654321 }\n".to_owned(),
        ] {
            let message = error(&text);
            assert!(!message.contains("98765"), "{message}");
            assert!(message.contains("(the value is not shown: this key may hold a secret)"), "{message}");
        }
    // Other keys still say what was written.
    assert_eq!(
        error("[[check]]\nkind = \"s3\"\nbucket = 5\n"),
        "health.toml:3: check #1 (s3): `bucket`: invalid type: integer `5`, expected a string"
    );
}

#[test]
fn names_are_unique_and_either_named_or_aliased() {
    assert_eq!(
        error("[[check]]\nkind = \"memory-cache\"\n\n[[check]]\nkind = \"memory-cache\"\n"),
        "health.toml:5: check #2 (memory-cache): check #1 has the same name `CacheBackend`; give one of them an `alias` or a `name`"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"memory-cache\"\nname = \"C\"\n[[check]]\nkind = \"memory\"\nname = \"C\"\n"
        ),
        "health.toml:6: check #2 (memory): check #1 has the same name `C`; give one of them an `alias` or a `name`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"memory-cache\"\nname = \"C\"\nalias = \"x\"\n"),
        "health.toml:4: check #1 (memory-cache): `name` and `alias` cannot be used together (`alias` gives `Identifier[alias]`, `name` replaces the whole name)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"memory-cache\"\nname = \"\"\n"),
        "health.toml:3: check #1 (memory-cache): `name`: must not be empty"
    );
}

#[test]
fn names_that_would_forge_output_are_located_at_their_key() {
    assert_eq!(
        error("[[check]]\nkind = \"memory\"\nname = \"a\\nFakeCheck: unavailable\\nb\"\n"),
        "health.toml:3: check #1 (memory): the name `a\\nFakeCheck: unavailable\\nb` is not valid: \
         the name holds the control character \\u{a}; names may not hold control characters, bidirectional controls or `:`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\nalias = \"db:1\"\n"),
        "health.toml:4: check #1 (tcp): the name `TcpConnect[db:1]` is not valid: \
         the name holds `:`; names may not hold control characters, bidirectional controls or `:`"
    );
    assert_eq!(
        error_with(
            "[[check]]\nkind = \"memory\"\nname = \"${NAME}\"\n",
            &[("NAME", "x\u{0}")]
        ),
        "health.toml:3: check #1 (memory): the name *** is not valid: \
         the name holds the control character \\u{0}; names may not hold control characters, bidirectional controls or `:`"
    );
}

#[test]
fn interpolation_fills_strings_and_names_unset_variables() {
    let config = parse_with(
        "[[check]]\nkind = \"tcp\"\naddr = \"${HOST}:${PORT:-5432}\"\nalias = \"$${literal}\"\n",
        &[("HOST", "db")],
    )
    .unwrap();
    assert_eq!(config.checks, ["TcpConnect[${literal}]"]);
    assert_eq!(
        error("[[check]]\nkind = \"tcp\"\naddr = \"${DB_HOST}:5432\"\n"),
        "health.toml:3: check #1 (tcp): `addr`: environment variable `DB_HOST` is not set (write `${DB_HOST:-default}` to give a default)"
    );
    assert_eq!(
        error("[server]\npath = \"/${X\"\n"),
        "health.toml:2: [server]: `path`: `${` has no closing `}` (write `$${` for a literal `${`)"
    );
}

#[test]
fn interpolated_values_never_appear_in_errors() {
    let secret = "hunter2/s3cr3t";
    let vars = [("SECRET", secret)];
    for text in [
        "[[check]]\nkind = \"tcp\"\naddr = \"${SECRET}\"\n",
        "[server]\nbind = \"${SECRET}\"\n",
        "[server]\npath = \"${SECRET}\"\n",
        "[server]\nfailure-status = \"${SECRET}\"\n",
        "[[check]]\nkind = \"${SECRET}\"\n",
        "[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ntimeout = \"${SECRET}\"\n",
        "[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ncritical = \"${SECRET}\"\n",
        "[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\ntags = [\"${SECRET}\"]\n",
        "[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\nname = \"${SECRET}\"\n[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\nname = \"${SECRET}\"\n",
        "[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\nalias = \"${SECRET}\"\n[[check]]\nkind = \"tcp\"\naddr = \"h:1\"\nalias = \"${SECRET}\"\n",
    ] {
        let message = error_with(text, &vars);
        assert!(!message.contains(secret), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains("***"), "{message}");
    }
    assert_eq!(
        error_with("[server]\nfailure-status = \"${SECRET}\"\n", &vars),
        "health.toml:2: [server]: `failure-status`: invalid type: string \"***\", expected u16"
    );
    // Found by fuzzing: a value interpolated before one that fails was shown, as the
    // check's kind in the failure's location.
    assert_eq!(
        error_with(
            "[[check]]\nkind = \"${SECRET}\"\naddr = \"${UNCLOSED\"\n",
            &vars
        ),
        "health.toml:3: check #1: `addr`: `${` has no closing `}` (write `$${` for a literal `${`)"
    );
}

/// Every key of every new kind, set: the checks build, offline, under their names.
const EVERY_KEY: &str = r#"
[[check]]
kind = "postgres"
url = "postgres://app:${DB_PASSWORD}@db.internal:5432/orders?sslmode=disable"
write-probe = true

[[check]]
kind = "mysql"
url = "mariadb://app@db.internal/shop"
write-probe = false
alias = "shop"

[[check]]
kind = "s3"
bucket = "uploads"
endpoint = "http://127.0.0.1:9000"
region = "eu-west-1"
path-style = true
access-key-id = "health"
secret-access-key = "${S3_SECRET}"
prefix = "probes/"

[[check]]
kind = "redis"
url = "redis://:${REDIS_PASSWORD}@cache.internal:6379/1"

[[check]]
kind = "memcached"
addr = "memcache://cache.internal"
alias = "memcached"

[[check]]
kind = "redis-ping"
url = "redis://broker.internal"

[[check]]
kind = "dns"
host = "localhost"
expect-addresses = ["127.0.0.1", "::1"]

[[check]]
kind = "http"
url = "https://status.example.com/health?token=abc"
expect-status = [200, 204]
body-contains = "ok"
follow-redirects = 3
bearer-token = "${TOKEN}"

[[check]]
kind = "http"
url = "http://127.0.0.1:8080/"
expect-status = 503
alias = "maintenance"

[[check]]
kind = "remote"
url = "http://orders.internal:8000/ht/ready/"
bearer-token = "t0ken-hunter2"

[[check]]
kind = "celery"
url = "amqp://app:${BROKER_PASSWORD}@rabbitmq.internal:5672//"
min-workers = 2
reply-timeout = "1500ms"
timeout = "3s"
queues = ["celery", "emails"]
control-exchange = "myapp"

[[check]]
kind = "celery"
url = "pyamqp://app:hunter2-literal@rabbitmq.internal//"
alias = "pyamqp"

[[check]]
kind = "celery"
url = "redis://:${REDIS_PASSWORD}@broker.internal:6379/5"
alias = "redis"

[[check]]
kind = "rabbitmq"
url = "amqp://app:${BROKER_PASSWORD}@rabbitmq.internal:5672/%2f"

[[check]]
kind = "nats"
url = "nats://app:hunter2-nats@nats.internal:4222"
jetstream = true

[[check]]
kind = "mqtt"
url = "mqtt://app:${MQTT_PASSWORD}@mqtt.internal:1883"
"#;

const SECRETS: [(&str, &str); 6] = [
    ("DB_PASSWORD", "hunter2-db"),
    ("S3_SECRET", "hunter2-s3"),
    ("REDIS_PASSWORD", "hunter2-redis"),
    ("TOKEN", "hunter2-token"),
    ("BROKER_PASSWORD", "hunter2-broker"),
    ("MQTT_PASSWORD", "hunter2-mqtt"),
];

#[test]
fn every_key_of_the_backend_kinds_builds_offline() {
    let config = parse_with(EVERY_KEY, &SECRETS).unwrap();
    assert_eq!(
        config.checks,
        [
            "DatabaseBackend",
            "DatabaseBackend[shop]",
            "S3StorageBackend",
            "CacheBackend",
            "CacheBackend[memcached]",
            "RedisBackend",
            "DnsLookup",
            "HttpEndpoint",
            "HttpEndpoint[maintenance]",
            "RemoteHealth",
            "CeleryBackend",
            "CeleryBackend[pyamqp]",
            "CeleryBackend[redis]",
            "RabbitMQBackend",
            "NatsBackend",
            "MqttBackend"
        ]
    );
}

#[test]
fn debug_output_shows_no_secret() {
    let config = parse_with(EVERY_KEY, &SECRETS).unwrap();
    let mut tree = DeTable::parse(EVERY_KEY).unwrap();
    let (interpolated, failure) = interpolate::document(tree.get_mut(), &env_of(&SECRETS));
    assert!(failure.is_none());
    for debug in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{interpolated:?}"),
    ] {
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}

#[test]
fn the_broker_kinds_take_their_own_keys_and_require_a_url() {
    for kind in ["celery", "rabbitmq", "nats", "mqtt"] {
        assert_eq!(
            error(&format!("[[check]]\nkind = \"{kind}\"\nname = \"x\"\n")),
            format!("health.toml:1: check #1 ({kind}): missing key `url`")
        );
    }
    assert_eq!(
        error("[[check]]\nkind = \"rabbitmq\"\nurl = \"amqp://h\"\nqueues = [\"q\"]\n"),
        "health.toml:4: check #1 (rabbitmq): key `queues` does not apply to kind `rabbitmq` (it takes: url, tls, tls-ca, tls-cert, tls-key)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"mqtt\"\nurl = \"h:1883\"\njetstream = true\n"),
        "health.toml:4: check #1 (mqtt): key `jetstream` does not apply to kind `mqtt` (it takes: url, tls, tls-ca, tls-cert, tls-key)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"redis-ping\"\nurl = \"redis://h\"\nmin-workers = 1\n"),
        "health.toml:4: check #1 (redis-ping): key `min-workers` does not apply to kind `redis-ping` (it takes: url, tls, tls-ca, tls-cert, tls-key)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"nats\"\nurl = \"nats://h\"\ncontrol-exchange = \"x\"\n"),
        "health.toml:4: check #1 (nats): key `control-exchange` does not apply to kind `nats` (it takes: url, jetstream, tls, tls-ca, tls-cert, tls-key)"
    );
}

#[test]
fn celery_keys_are_validated() {
    const CELERY: &str = "[[check]]\nkind = \"celery\"\nurl = \"amqp://h//\"\n";
    assert_eq!(
        error(&format!("{CELERY}reply-timeout = \"5s\"\n")),
        "health.toml:4: check #1 (celery): `reply-timeout`: must be shorter than the check's `timeout` (5s by default), not `5s`"
    );
    assert_eq!(
        error(&format!(
            "{CELERY}timeout = \"2s\"\nreply-timeout = \"2500ms\"\n"
        )),
        "health.toml:5: check #1 (celery): `reply-timeout`: must be shorter than the check's `timeout` (`2s`), not `2500ms`"
    );
    assert_eq!(
        error(&format!("{CELERY}reply-timeout = \"0s\"\n")),
        "health.toml:4: check #1 (celery): `reply-timeout`: must be more than zero"
    );
    assert_eq!(
        error(&format!("{CELERY}reply-timeout = 1\n")),
        "health.toml:4: check #1 (celery): `reply-timeout`: invalid type: integer `1`, expected a string"
    );
    assert_eq!(
        error(&format!("{CELERY}reply-timeout = \"a while\"\n")),
        "health.toml:4: check #1 (celery): `reply-timeout`: must be a duration like `2s` or `500ms`, not `a while`"
    );
    assert_eq!(
        error(&format!("{CELERY}min-workers = -1\n")),
        "health.toml:4: check #1 (celery): `min-workers`: invalid value: integer `-1`, expected usize"
    );
    assert_eq!(
        error(&format!("{CELERY}queues = [\"celery\", \" \"]\n")),
        "health.toml:4: check #1 (celery): `queues`: must not be empty"
    );
    assert_eq!(
        error(&format!("{CELERY}queues = \"celery\"\n")),
        "health.toml:4: check #1 (celery): `queues`: invalid type: string \"celery\", expected an array"
    );
    assert_eq!(
        error(&format!("{CELERY}control-exchange = \"\"\n")),
        "health.toml:4: check #1 (celery): `control-exchange`: must not be empty"
    );
    // The broker follows the scheme; another scheme is named, its password masked.
    assert_eq!(
        error("[[check]]\nkind = \"celery\"\nurl = \"sqs://key:hunter2@\"\n"),
        "health.toml:3: check #1 (celery): `url`: invalid URL: expected amqp://, amqps://, pyamqp:// or pyamqps:// (RabbitMQ), or redis:// or rediss:// (Redis)"
    );
    assert_eq!(
        error_with(
            "[[check]]\nkind = \"celery\"\nurl = \"${URL}\"\n",
            &[("URL", "sqs://key:hunter2@")]
        ),
        "health.toml:3: check #1 (celery): `url`: invalid URL: expected amqp://, amqps://, pyamqp:// or pyamqps:// (RabbitMQ), or redis:// or rediss:// (Redis)"
    );
    // The TLS schemes are brokers too.
    for url in ["amqps://u:hunter2@h//", "rediss://:hunter2@h"] {
        parse_with(
            &format!("[[check]]\nkind = \"celery\"\nurl = \"{url}\"\n"),
            &[],
        )
        .unwrap();
    }
}

#[test]
fn broker_urls_are_config_errors_without_their_password() {
    for (kind, url) in [
        ("rabbitmq", "http://u:hunter2@h/"),
        ("nats", "ws://u:hunter2@h:8080"),
        ("mqtt", "ws://u:hunter2@h:8080"),
    ] {
        let message = error(&format!("[[check]]\nkind = \"{kind}\"\nurl = \"{url}\"\n"));
        assert!(
            message.starts_with(&format!(
                "health.toml:3: check #1 ({kind}): `url`: invalid URL: "
            )),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }
}

#[test]
fn invalid_urls_are_config_errors_without_their_password() {
    assert_eq!(
        error("[[check]]\nkind = \"postgres\"\nurl = \"mysql://app:hunter2@db/x\"\n"),
        "health.toml:3: check #1 (postgres): `url`: invalid URL: expected postgres:// or postgresql://"
    );
    assert_eq!(
        error("[[check]]\nkind = \"mysql\"\nurl = \"mysql://app:hunter2@db:port/x\"\n"),
        "health.toml:3: check #1 (mysql): `url`: invalid URL: the port is not a number from 0 to 65535"
    );
    assert_eq!(
        error("[[check]]\nkind = \"redis\"\nurl = \"rediss://:hunter2@cache?ssl_wat=1\"\n"),
        "health.toml:3: check #1 (redis): `url`: invalid URL: *** is not supported (TLS parameters: ssl_cert_reqs, ssl_check_hostname, ssl_ca_certs, ssl_certfile, ssl_keyfile)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"memcached\"\naddr = \"cache:port\"\n"),
        "health.toml:3: check #1 (memcached): `addr`: invalid address: the port is not a number from 0 to 65535"
    );
    assert_eq!(
        error("[[check]]\nkind = \"http\"\nurl = \"http://u:hunter2@a.test/\"\n"),
        "health.toml:3: check #1 (http): `url`: invalid URL: credentials in the URL are not supported; use a bearer token"
    );
    assert_eq!(
        error("[[check]]\nkind = \"remote\"\nurl = \"/ht/\"\n"),
        "health.toml:3: check #1 (remote): `url`: invalid URL: it has no scheme (http:// or https://)"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"http://k:hunter2@s3.test\"\n"
        ),
        "health.toml:4: check #1 (s3): `endpoint`: invalid URL: credentials in the URL are not supported; use `access-key-id` and `secret-access-key`"
    );
    // Interpolated: nor a part of it the reason quotes.
    assert_eq!(
        error_with(
            "[[check]]\nkind = \"postgres\"\nurl = \"${URL}\"\n",
            &[("URL", "postgres://app:hunter2@db:5432x/x")]
        ),
        "health.toml:3: check #1 (postgres): `url`: invalid URL: the port is not a number from 0 to 65535"
    );
    assert_eq!(
        error_with(
            "[[check]]\nkind = \"memcached\"\naddr = \"${ADDR}\"\n",
            &[("ADDR", "cache:hunter2")]
        ),
        "health.toml:3: check #1 (memcached): `addr`: invalid address: the port is not a number from 0 to 65535"
    );
}

#[test]
fn backend_keys_are_validated() {
    assert_eq!(
        error("[[check]]\nkind = \"s3\"\nbucket = \"b\"\n\nsecret-access-key = \"hunter2\"\n"),
        "health.toml:5: check #1 (s3): `secret-access-key`: needs `access-key-id` too (set both, or neither to use the standard AWS credential chain)"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"s3\"\nbucket = \"b\"\naccess-key-id = \"k\"\nsecret-access-key = \" \"\n"
        ),
        "health.toml:5: check #1 (s3): `secret-access-key`: must not be empty"
    );
    assert_eq!(
        error("[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nexpect-status = [200, 42]\n"),
        "health.toml:4: check #1 (http): `expect-status`: must be status codes from 100 to 599, not 42"
    );
    assert_eq!(
        error("[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nexpect-status = \"200\"\n"),
        "health.toml:4: check #1 (http): `expect-status`: invalid type: string \"200\", expected a status code or an array of status codes"
    );
    assert_eq!(
        error("[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nfollow-redirects = -1\n"),
        "health.toml:4: check #1 (http): `follow-redirects`: invalid value: integer `-1`, expected usize"
    );
    assert_eq!(
        error_with(
            "[[check]]\nkind = \"http\"\nurl = \"http://h/\"\nbearer-token = \"${T}\"\n",
            &[("T", "hunter2\r\nX-Evil: 1")]
        ),
        "health.toml:4: check #1 (http): `bearer-token`: holds characters an HTTP header cannot carry (a line break, a control character)"
    );
    assert_eq!(
        error("[[check]]\nkind = \"dns\"\nhost = \"db:5432\"\n"),
        "health.toml:3: check #1 (dns): `host`: must be a host name without a port (like `db.internal`), not `db:5432`"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"dns\"\nhost = \"db\"\nexpect-addresses = [\"10.0.0.1\",\n  \"ten\"]\n"
        ),
        "health.toml:5: check #1 (dns): `expect-addresses`: must be IP addresses (like `10.0.0.5` or `::1`), not `ten`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"postgres\"\nurl = \"postgres://h/db\"\nwrite-probe = \"yes\"\n"),
        "health.toml:4: check #1 (postgres): `write-probe`: invalid type: string \"yes\", expected a boolean"
    );
}

#[test]
fn server_tokens_guard_the_endpoint_and_stay_secret() {
    let text = "[server]\ntokens = [\"${HEALTH_TOKEN}\", \"hunter2-literal\"]\nunauthorized = \"status-only\"\n\n\
                [[check]]\nkind = \"memory-cache\"\n";
    let config = parse_with(text, &[("HEALTH_TOKEN", "hunter2-env")]).unwrap();
    let debug = format!("{config:?} {config:#?}");
    assert!(debug.contains("tokens: 2"), "{debug}");
    assert!(debug.contains("StatusOnly"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    let mut tree = DeTable::parse(text).unwrap();
    let (_, failure) =
        interpolate::document(tree.get_mut(), &env_of(&[("HEALTH_TOKEN", "hunter2-env")]));
    assert!(failure.is_none());
    let server = tree.get_ref()["server"].clone();
    let table = table::Table::new(
        server.span(),
        server.into_inner().as_table().unwrap().clone(),
    );
    let keys = format!("{:?}", table.read::<server::ServerKeys>().unwrap());
    assert!(!keys.contains("hunter2"), "{keys}");
    assert_eq!(keys.matches("value: ***").count(), 2, "{keys}");

    let forbidden = parse_with(
        "[server]\ntokens = [\"t\"]\n\n[[check]]\nkind = \"memory-cache\"\n",
        &[],
    )
    .unwrap();
    assert!(format!("{:?}", forbidden.endpoint).contains("Forbidden"));
    let open = parse_with("[[check]]\nkind = \"memory-cache\"\n", &[]).unwrap();
    assert!(format!("{:?}", open.endpoint).contains("tokens: 0"));
}

#[test]
fn server_tokens_are_validated_without_showing_them() {
    assert_eq!(
        error("[server]\ntokens = []\n"),
        "health.toml:2: [server]: `tokens`: must list at least one token; remove the key to serve without one"
    );
    assert_eq!(
        error("[server]\ntokens = [\"ok\", \"\"]\n"),
        "health.toml:2: [server]: `tokens`: token #2 is empty"
    );
    assert_eq!(
        error_with("[server]\ntokens = [\n  \"${T}\",\n]\n", &[("T", "")]),
        "health.toml:3: [server]: `tokens`: token #1 is empty"
    );
    let message = error_with("[server]\ntokens = [\"${T}\"]\n", &[("T", "hunter2 x")]);
    assert_eq!(
        message,
        "health.toml:2: [server]: `tokens`: token #1 holds whitespace or a control character, which a client cannot send"
    );
    for text in [
        "[server]\ntokens = \"hunter2\"\n",
        "[server]\ntokens = [987654321]\n",
        "[server]\ntokens = [\"ok\", 987654321]\n",
    ] {
        let message = error(text);
        assert!(
            !message.contains("98765") && !message.contains("hunter2"),
            "{message}"
        );
        assert!(message.contains("[server]: `tokens`"), "{message}");
    }
}

#[test]
fn unauthorized_needs_tokens_and_a_known_value() {
    assert_eq!(
        error("[server]\nunauthorized = \"status-only\"\n"),
        "health.toml:2: [server]: `unauthorized`: only applies with `tokens`; set them or remove this key"
    );
    assert_eq!(
        error("[server]\ntokens = [\"t\"]\nunauthorized = \"hide\"\n"),
        "health.toml:3: [server]: `unauthorized`: must be `forbidden` or `status-only`, not `hide`"
    );
    assert!(
        parse_with(
            "[server]\ntokens = [\"t\"]\nunauthorized = \"forbidden\"\n\n[[check]]\nkind = \"memory-cache\"\n",
            &[]
        )
        .is_ok()
    );
}

#[test]
fn the_connection_limits_are_read_and_bounded() {
    use std::time::Duration;
    let check = "[[check]]\nkind = \"memory-cache\"\n";
    let default = parse_with(check, &[]).unwrap();
    assert_eq!(default.connections, ConnectionLimits::default());
    let config = parse_with(
        &format!(
            "[server]\nshutdown-timeout = \"0s\"\nheader-timeout = \"2s\"\nidle-timeout = \"3s\"\n\
             keepalive = \"0s\"\nmax-connections = 50\n\n{check}"
        ),
        &[],
    )
    .unwrap();
    assert_eq!(
        config.connections,
        ConnectionLimits {
            header_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(3),
            keepalive: None,
            max_connections: 50,
            shutdown_timeout: Duration::ZERO,
        }
    );
    for (key, value, problem) in [
        ("header-timeout", "\"0s\"", "must be more than zero"),
        ("idle-timeout", "\"0s\"", "must be more than zero"),
        ("header-timeout", "\"2h\"", "must be at most 1h, not `2h`"),
        (
            "keepalive",
            "\"99999999999999h\"",
            "must be at most 1h, not `99999999999999h`",
        ),
        ("shutdown-timeout", "\"1d\"", "must be at most 1h, not `1d`"),
        ("max-connections", "0", "must be from 1 to 1000000, not 0"),
        (
            "max-connections",
            "-1",
            "invalid value: integer `-1`, expected usize",
        ),
    ] {
        assert_eq!(
            error(&format!("[server]\n{key} = {value}\n")),
            format!("health.toml:2: [server]: `{key}`: {problem}"),
        );
    }
}

#[test]
fn max_age_is_bounded() {
    assert_eq!(
        error("[server]\nmax-age = \"99999999999999h\"\n"),
        "health.toml:2: [server]: `max-age`: must be at most 1h, not `99999999999999h`"
    );
    assert_eq!(
        error("[server]\nmax-age = \"2h\"\n"),
        "health.toml:2: [server]: `max-age`: must be at most 1h, not `2h`"
    );
}

#[test]
fn a_url_is_never_shown_in_its_error_whatever_its_shape() {
    // Shapes that URL redaction cannot see a password in: a libpq keyword string, no
    // scheme, a user name that is a key. The error names the key and the shape.
    for (kind, key, value) in [
        (
            "postgres",
            "url",
            "host=db.internal user=app password=hunter2 dbname=orders",
        ),
        ("postgres", "url", "app:hunter2@db.internal/orders"),
        ("mysql", "url", "app:hunter2@db.internal:3306/orders"),
        ("redis", "url", "default:hunter2@cache:6379"),
        ("rabbitmq", "url", "guest:hunter2@mq:5672/"),
        ("http", "url", "AKIAHUNTER2@api.internal/health"),
        ("remote", "url", "user:hunter2@orders/ht/"),
        ("memcached", "addr", "u:hunter2@cache:11211"),
    ] {
        let message = error(&format!(
            "[[check]]\nkind = \"{kind}\"\n{key} = \"{value}\"\n"
        ));
        let prefix = format!("health.toml:3: check #1 ({kind}): `{key}`: invalid ");
        assert!(message.starts_with(&prefix), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains("HUNTER2"), "{message}");
        assert!(!message.contains("app"), "{message}");
        assert!(!message.contains("db.internal"), "{message}");
    }
    // An S3 endpoint's user part is not shown either.
    let message = error(
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"https://AKIASECRETID@s3.test\"\n",
    );
    assert_eq!(
        message,
        "health.toml:4: check #1 (s3): `endpoint`: invalid URL: credentials in the URL are not supported; use `access-key-id` and `secret-access-key`"
    );
}

#[test]
fn the_drain_the_probes_and_the_service_name_are_read_and_validated() {
    let check = "[[check]]\nkind = \"memory-cache\"\n";
    let default = parse_with(check, &[]).unwrap();
    assert_eq!(
        (default.drain, default.probes),
        (std::time::Duration::from_secs(5), false)
    );
    let config = parse_with(
        &format!("[server]\ndrain = \"0s\"\nprobes = true\nservice = \"orders\"\n\n{check}"),
        &[],
    )
    .unwrap();
    assert_eq!(
        (config.drain, config.probes),
        (std::time::Duration::ZERO, true)
    );
    assert_eq!(
        error("[server]\ndrain = \"2h\"\n"),
        "health.toml:2: [server]: `drain`: must be at most 1h, not `2h`"
    );
    assert_eq!(
        error("[server]\ndrain = \"soon\"\n"),
        "health.toml:2: [server]: `drain`: must be a duration like `2s` or `500ms`, not `soon`"
    );
    assert_eq!(
        error("[server]\n\nprobes = \"yes\"\n"),
        "health.toml:3: [server]: `probes`: invalid type: string \"yes\", expected a boolean"
    );
    assert_eq!(
        error("[server]\nservice = \" \"\n"),
        "health.toml:2: [server]: `service`: must not be empty"
    );
    assert_eq!(
        error("[server]\nrelease-id = \"\"\n"),
        "health.toml:2: [server]: `release-id`: must not be empty"
    );
}

#[test]
fn a_tls_check_refuses_settings_that_cannot_work() {
    assert_eq!(
        error("[[check]]\nkind = \"tls\"\naddr = \"h:443\"\nwarn-days = 5\nfail-days = 9\n"),
        "health.toml:5: check #1 (tls): `fail-days`: must not be above `warn-days` (9 > 5): the check would never warn"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tls\"\naddr = \"https://h\"\nstarttls = \"smtp\"\n"),
        "health.toml:4: check #1 (tls): `starttls`: does not apply to an `https://` address, which speaks TLS at once"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tls\"\naddr = \"h:25\"\nstarttls = \"imap\"\n"),
        "health.toml:4: check #1 (tls): `starttls`: must be one of smtp, postgres, not `imap`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tls\"\naddr = \"h:25\"\ntls = \"paranoid\"\n"),
        "health.toml:4: check #1 (tls): `tls`: must be one of verify-full, verify-ca, insecure, not `paranoid`"
    );
    assert_eq!(
        error("[[check]]\nkind = \"tls\"\naddr = \"h:25\"\ntls-cert = \"c.pem\"\n"),
        "health.toml:4: check #1 (tls): `tls-cert`: needs `tls-key` too: the client certificate's private key"
    );
    let config = parse_with(
        "[[check]]\nkind = \"tls\"\naddr = \"mail.example.com:25\"\nstarttls = \"smtp\"\ntls-ca = \"ca.pem\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(config.checks, ["TlsCertificate"]);
}

#[test]
fn the_http_kinds_take_the_tls_keys_and_a_proxy() {
    for text in [
        "[[check]]\nkind = \"http\"\nurl = \"https://h/status\"\ntls = \"verify-ca\"\ntls-ca = \"ca.pem\"\ntls-cert = \"c.pem\"\ntls-key = \"k.pem\"\nproxy = \"http://user:pass@proxy:3128\"\n",
        "[[check]]\nkind = \"remote\"\nurl = \"https://h/ht/\"\ntls = \"insecure\"\nproxy = \"none\"\n",
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\ntls-ca = \"ca.pem\"\nproxy = \"http://proxy:3128\"\n",
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"https://minio.internal:9000\"\ntls = \"verify-full\"\n",
        "[[check]]\nkind = \"http\"\nurl = \"http://h/status\"\nproxy = \"none\"\n",
    ] {
        parse_with(text, &[]).unwrap_or_else(|error| panic!("{text}: {error}"));
    }
}

#[test]
fn tls_keys_on_a_plain_http_url_and_bad_proxies_are_refused() {
    assert_eq!(
        error("[[check]]\nkind = \"http\"\nurl = \"http://h/status\"\ntls-ca = \"ca.pem\"\n"),
        "health.toml:4: check #1 (http): `tls-ca`: applies to https:// URLs only, and the URL is http://: use https://, or remove the TLS keys"
    );
    assert_eq!(
        error("[[check]]\nkind = \"remote\"\nurl = \"HTTP://h/ht/\"\ntls = \"verify-ca\"\n"),
        "health.toml:4: check #1 (remote): `tls`: applies to https:// URLs only, and the URL is http://: use https://, or remove the TLS keys"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"http://127.0.0.1:9000\"\ntls = \"verify-ca\"\n"
        ),
        "health.toml:5: check #1 (s3): `tls`: applies to https:// URLs only, and the URL is http://: use https://, or remove the TLS keys"
    );
    let socks = error(
        "[[check]]\nkind = \"http\"\nurl = \"https://h/\"\nproxy = \"socks5://user:hunter2@proxy:1080\"\n",
    );
    assert!(
        socks.starts_with("health.toml:4: check #1 (http): `proxy`: "),
        "{socks}"
    );
    assert!(
        socks.contains("only http:// proxies are supported"),
        "{socks}"
    );
    assert!(!socks.contains("hunter2"), "{socks}");
    assert_eq!(
        error("[[check]]\nkind = \"http\"\nurl = \"https://h/\"\ntls = \"paranoid\"\n"),
        "health.toml:4: check #1 (http): `tls`: must be one of verify-full, verify-ca, insecure, not `paranoid`"
    );
}

#[test]
fn tls_keys_that_disagree_with_the_url_name_both() {
    assert_eq!(
        error(
            "[[check]]\nkind = \"postgres\"\nurl = \"postgres://h/db?sslmode=disable\"\ntls = \"verify-full\"\n"
        ),
        "health.toml:4: check #1 (postgres): `tls`: the URL's `sslmode` turns TLS off: remove one or the other"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"postgres\"\nurl = \"postgres://h/db?sslmode=require\"\ntls = \"verify-full\"\n"
        ),
        "health.toml:4: check #1 (postgres): `tls`: disagrees with the URL's `sslmode`: set the verification in one place (the key, or the URL)"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"mysql\"\nurl = \"mysql://h/db?ssl-ca=/a.pem\"\ntls-ca = \"/b.pem\"\n"
        ),
        "health.toml:4: check #1 (mysql): `tls-ca`: disagrees with the URL's `ssl-ca`: set the CA file in one place (the key, or the URL)"
    );
    assert_eq!(
        error(
            "[[check]]\nkind = \"redis\"\nurl = \"rediss://h/0?ssl_cert_reqs=none\"\ntls = \"verify-ca\"\n"
        ),
        "health.toml:4: check #1 (redis): `tls`: disagrees with the URL's `ssl_cert_reqs`: set the verification in one place (the key, or the URL)"
    );
    // Agreeing is fine, and so is a key the URL says nothing about.
    for text in [
        "[[check]]\nkind = \"postgres\"\nurl = \"postgres://h/db?sslmode=verify-full\"\ntls = \"verify-full\"\n",
        "[[check]]\nkind = \"postgres\"\nurl = \"postgres://h/db?sslmode=verify-ca\"\ntls-ca = \"ca.pem\"\n",
        "[[check]]\nkind = \"rabbitmq\"\nurl = \"amqps://h\"\ntls = \"verify-ca\"\n",
        "[[check]]\nkind = \"nats\"\nurl = \"nats://h\"\ntls-ca = \"ca.pem\"\n",
        "[[check]]\nkind = \"mqtt\"\nurl = \"mqtts://h\"\ntls-cert = \"c.pem\"\ntls-key = \"k.pem\"\n",
        "[[check]]\nkind = \"celery\"\nurl = \"rediss://h/0\"\ntls-ca = \"ca.pem\"\n",
        "[[check]]\nkind = \"redis-ping\"\nurl = \"redis://h\"\ntls = \"insecure\"\n",
    ] {
        parse_with(text, &[]).unwrap_or_else(|error| panic!("{text}: {error}"));
    }
}
