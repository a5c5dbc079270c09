//! The backend kinds (`postgres`, `mysql`, `redis`, `redis-ping`, `memcached`, `s3`,
//! `http`, `remote`, `dns`) checked for real through the binary: against the servers
//! `scripts/services.sh` starts, and against a `healthz serve` of the test's own
//! for `http` and `remote`. A server that is down fails the test, naming it.

mod support;

use support::backends::{Bucket, Service, skipped, with_password};
use support::{Ran, Server, healthz, temp_dir, write};

const ALL: [Service; 5] = [
    Service::Postgres,
    Service::Mysql,
    Service::Redis,
    Service::Memcached,
    Service::S3,
];

/// A password that must never show in any output.
const PASSWORD: &str = "s3cr3t-PASSWORD";

#[test]
fn every_backend_kind_works_against_its_real_server() {
    if skipped(&ALL) {
        return;
    }
    let [postgres, mysql, redis, memcached, s3] = ALL.map(Service::require);
    let bucket = Bucket::create(&s3);
    let dir = temp_dir();
    // The target of the http and remote checks: the built-in config, all working.
    let target = Server::start(dir.path(), &[]);
    let base = format!("http://{}", target.addr);
    let config = format!(
        r#"
[[check]]
kind = "postgres"
url = "${{PG_URL}}"
write-probe = true

[[check]]
kind = "mysql"
url = "${{MYSQL_URL}}"
write-probe = true
alias = "mysql"

[[check]]
kind = "redis"
url = "${{REDIS_URL}}"

[[check]]
kind = "redis-ping"
url = "${{REDIS_URL}}"

[[check]]
kind = "memcached"
addr = "{memcached}"
alias = "memcached"

[[check]]
kind = "s3"
bucket = "{bucket}"
endpoint = "{s3}"
region = "us-east-1"
path-style = true
access-key-id = "healthz-test"
secret-access-key = "${{S3_SECRET}}"
prefix = "probes/"

[[check]]
kind = "http"
url = "{base}/"
expect-status = [200, 204]
body-contains = "CacheBackend"
follow-redirects = 1
bearer-token = "${{TOKEN}}"

[[check]]
kind = "remote"
url = "{base}/ht/ready/"
bearer-token = "${{TOKEN}}"

[[check]]
kind = "dns"
host = "localhost"
expect-addresses = ["127.0.0.1"]
"#,
        bucket = bucket.name,
    );
    write(dir.path(), "health.toml", &config);
    let run: Ran = healthz(dir.path())
        .env("PG_URL", &postgres)
        .env("MYSQL_URL", &mysql)
        .env("REDIS_URL", &redis)
        .env("S3_SECRET", PASSWORD)
        .env("TOKEN", PASSWORD)
        .args(["check", "--config", "health.toml"])
        .output()
        .expect("the binary runs")
        .into();
    assert_eq!(run.code, Some(0), "{run:?}");
    let names = [
        "DatabaseBackend",
        "DatabaseBackend[mysql]",
        "CacheBackend",
        "RedisBackend",
        "CacheBackend[memcached]",
        "S3StorageBackend",
        "HttpEndpoint",
        "RemoteHealth",
        "DnsLookup",
    ];
    let expected: String = names
        .iter()
        .map(|name| format!("{name}: working\n"))
        .collect();
    assert_eq!(run.stdout, expected, "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
}

#[test]
fn a_wrong_password_is_unhealthy_and_never_shown() {
    let services = [Service::Mysql, Service::Redis];
    if skipped(&services) {
        return;
    }
    let [mysql, redis] = services.map(Service::require);
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        "[[check]]\nkind = \"mysql\"\nurl = \"${PG_URL}\"\n\n\
         [[check]]\nkind = \"redis\"\nurl = \"${REDIS_URL}\"\n",
    );
    for format in ["text", "json", "table"] {
        let run: Ran = healthz(dir.path())
            .env("PG_URL", with_password(&mysql, PASSWORD))
            .env("REDIS_URL", with_password(&redis, PASSWORD))
            .args(["check", "--config", "health.toml", "--format", format])
            .output()
            .expect("the binary runs")
            .into();
        assert_eq!(run.code, Some(1), "{format}: {run:?}");
        assert!(
            !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
            "{format}: {run:?}"
        );
        if format == "text" {
            let lines: Vec<&str> = run.stdout.lines().collect();
            assert_eq!(lines.len(), 2, "{run:?}");
            assert!(
                lines[0].starts_with("DatabaseBackend: unavailable: cannot connect: Access denied"),
                "{run:?}"
            );
            assert!(
                lines[1].starts_with("CacheBackend: unavailable: "),
                "{run:?}"
            );
        }
    }
}

#[test]
fn a_server_that_is_down_is_unhealthy_and_named() {
    let dir = temp_dir();
    let port = support::closed_port();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"postgres\"\nurl = \"postgres://app:{PASSWORD}@127.0.0.1:{port}/app\"\n\n\
             [[check]]\nkind = \"redis-ping\"\nurl = \"redis://:{PASSWORD}@127.0.0.1:{port}\"\n\n\
             [[check]]\nkind = \"memcached\"\naddr = \"127.0.0.1:{port}\"\n\n\
             [[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"http://127.0.0.1:{port}\"\n\
             access-key-id = \"k\"\nsecret-access-key = \"{PASSWORD}\"\n\n\
             [[check]]\nkind = \"http\"\nurl = \"http://127.0.0.1:{port}/\"\nbearer-token = \"{PASSWORD}\"\n"
        ),
    );
    let run = support::ran(dir.path(), &["check", "--config", "health.toml"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!run.stdout.contains(PASSWORD), "{run:?}");
    for line in run.stdout.lines() {
        assert!(line.contains(": unavailable: "), "{line}: {run:?}");
        assert!(line.contains("refused"), "{line}: {run:?}");
    }
    assert_eq!(run.stdout.lines().count(), 5, "{run:?}");
}

#[test]
fn validating_a_config_never_touches_the_network() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let addr = listener.local_addr().expect("its address");
    let dir = temp_dir();
    let mut config = String::new();
    for (kind, key, value) in [
        ("postgres", "url", format!("postgres://app@{addr}/app")),
        ("mysql", "url", format!("mysql://app@{addr}/app")),
        ("redis", "url", format!("redis://{addr}")),
        ("redis-ping", "url", format!("redis://{addr}")),
        ("memcached", "addr", addr.to_string()),
        ("http", "url", format!("http://{addr}/")),
        ("remote", "url", format!("http://{addr}/ht/")),
        ("celery", "url", format!("amqp://guest:guest@{addr}//")),
        ("rabbitmq", "url", format!("amqp://guest:guest@{addr}/%2f")),
        ("nats", "url", format!("nats://{addr}")),
        ("mqtt", "url", format!("mqtt://{addr}")),
    ] {
        config.push_str(&format!(
            "[[check]]\nkind = \"{kind}\"\n{key} = \"{value}\"\nname = \"{kind}\"\n\n"
        ));
    }
    config.push_str(&format!(
        "[[check]]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"http://{addr}\"\n\n\
         [[check]]\nkind = \"celery\"\nurl = \"redis://{addr}/0\"\nname = \"celery-redis\"\n"
    ));
    write(dir.path(), "health.toml", &config);
    let run = support::ran(dir.path(), &["config", "health.toml"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "health.toml: ok (13 checks)\n");
    match listener.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a check connected while the config was validated: {other:?}"),
    }
}

/// The TLS-enabled instances `scripts/services.sh` starts next to the plain ones, each
/// serving the private CA's certificate for `localhost`/`127.0.0.1`: their service
/// names, and the `[[check]]` table that reaches them (`{ca}` is the CA key's line).
const TLS_SERVERS: [(&str, u16, &str); 9] = [
    (
        "postgres-tls",
        5433,
        "kind = \"postgres\"\nurl = \"postgres://postgres@127.0.0.1:5433/test\"\ntls = \"verify-full\"\n",
    ),
    (
        "mariadb-tls",
        3307,
        "kind = \"mysql\"\nurl = \"mysql://root@127.0.0.1:3307/test\"\nalias = \"mysql\"\ntls = \"verify-full\"\n",
    ),
    (
        "redis-tls",
        6380,
        "kind = \"redis\"\nurl = \"rediss://127.0.0.1:6380\"\n",
    ),
    (
        "redis-tls",
        6380,
        "kind = \"redis-ping\"\nurl = \"rediss://127.0.0.1:6380\"\n",
    ),
    (
        "memcached-tls",
        11212,
        "kind = \"memcached\"\naddr = \"127.0.0.1:11212\"\nalias = \"memcached\"\ntls = \"verify-full\"\n",
    ),
    (
        "rabbitmq-tls",
        5671,
        "kind = \"rabbitmq\"\nurl = \"amqps://guest:guest@127.0.0.1:5671/%2f\"\n",
    ),
    (
        "nats-tls",
        4223,
        "kind = \"nats\"\nurl = \"tls://127.0.0.1:4223\"\n",
    ),
    (
        "mosquitto-tls",
        8883,
        "kind = \"mqtt\"\nurl = \"mqtts://127.0.0.1:8883\"\n",
    ),
    (
        "memcached-tls",
        11212,
        "kind = \"tls\"\naddr = \"127.0.0.1:11212\"\n",
    ),
];

/// Fails the test, naming the service, when a TLS instance does not listen.
fn require_tls_servers() {
    for (service, port, _) in TLS_SERVERS {
        support::tls::require(service, port);
    }
}

/// Every TLS instance as one config, trusting `ca` when given.
fn tls_config(ca: Option<&str>) -> String {
    TLS_SERVERS
        .iter()
        .map(|(_, _, table)| {
            let ca_line = ca
                .map(|ca| format!("tls-ca = \"{ca}\"\n"))
                .unwrap_or_default();
            format!("[[check]]\n{table}{ca_line}\n")
        })
        .collect()
}

#[test]
fn every_network_kind_checks_a_tls_server_through_the_binary() {
    require_tls_servers();
    let ca = support::tls::file("ca.pem");
    let dir = temp_dir();
    write(dir.path(), "health.toml", &tls_config(Some(&ca)));
    let run = support::ran(dir.path(), &["check", "--config", "health.toml"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout.lines().count(), TLS_SERVERS.len(), "{run:?}");
    for line in run.stdout.lines() {
        assert!(line.ends_with(": working"), "{line}: {run:?}");
    }
}

#[test]
fn without_the_private_ca_every_tls_kind_says_the_certificate_is_not_trusted() {
    require_tls_servers();
    let dir = temp_dir();
    write(dir.path(), "health.toml", &tls_config(None));
    let run = support::ran(dir.path(), &["check", "--config", "health.toml"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout.lines().count(), TLS_SERVERS.len(), "{run:?}");
    for line in run.stdout.lines() {
        assert!(
            line.contains("TLS: certificate not trusted (unknown issuer)"),
            "{line}: {run:?}"
        );
    }
}
