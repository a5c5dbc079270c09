//! The real servers the backend tests check through the binary: their addresses, a
//! clear failure when one is down, and an S3 bucket of the test's own.
//!
//! Each address comes from the environment variable the library's backend tests read,
//! with the same loopback default (`scripts/services.sh` starts them all).
//! `HEALTHZ_SKIP_BACKEND_TESTS` (`all`, or names like `postgres,s3`) is the only
//! way to skip these tests; CI never sets it.
//!
//! [`Worker`] is a real Celery worker, started and stopped by `scripts/celery-worker.sh`.

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use healthz::redact::redact_url;

/// One backend server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Postgres,
    Mysql,
    Redis,
    Memcached,
    S3,
    RabbitMq,
    Nats,
    Mqtt,
    /// RabbitMQ as Celery's broker, with a Celery worker (`scripts/celery-worker.sh`).
    Celery,
}

impl Service {
    /// The name in `HEALTHZ_SKIP_BACKEND_TESTS` and in messages.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Redis => "redis",
            Self::Memcached => "memcached",
            Self::S3 => "s3",
            Self::RabbitMq => "rabbitmq",
            Self::Nats => "nats",
            Self::Mqtt => "mqtt",
            Self::Celery => "celery",
        }
    }

    /// The server, for people.
    pub(crate) const fn title(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Mysql => "MySQL/MariaDB",
            Self::Redis => "Redis",
            Self::Memcached => "Memcached",
            Self::S3 => "The S3 server",
            Self::RabbitMq => "RabbitMQ",
            Self::Nats => "The NATS server",
            Self::Mqtt => "The MQTT broker",
            Self::Celery => "Celery's RabbitMQ broker",
        }
    }

    /// The environment variable that overrides the address.
    pub(crate) const fn var(self) -> &'static str {
        match self {
            Self::Postgres => "HEALTHZ_TEST_POSTGRES_URL",
            Self::Mysql => "HEALTHZ_TEST_MYSQL_URL",
            Self::Redis => "HEALTHZ_TEST_REDIS_URL",
            Self::Memcached => "HEALTHZ_TEST_MEMCACHED_ADDR",
            Self::S3 => "HEALTHZ_TEST_S3_ENDPOINT",
            Self::RabbitMq => "HEALTHZ_TEST_AMQP_URL",
            Self::Nats => "HEALTHZ_TEST_NATS_URL",
            Self::Mqtt => "HEALTHZ_TEST_MQTT_URL",
            // What scripts/celery-worker.sh gives its workers.
            Self::Celery => "HEALTHZ_TEST_CELERY_AMQP_URL",
        }
    }

    const fn default_address(self) -> &'static str {
        match self {
            Self::Postgres => "postgres://postgres@127.0.0.1:5432/test",
            Self::Mysql => "mysql://root@127.0.0.1:3306/test",
            Self::Redis => "redis://127.0.0.1:6379",
            Self::Memcached => "127.0.0.1:11211",
            Self::S3 => "http://127.0.0.1:9000",
            Self::RabbitMq => "amqp://guest:guest@127.0.0.1:5672/%2f",
            Self::Nats => "nats://127.0.0.1:4222",
            Self::Mqtt => "mqtt://127.0.0.1:1883",
            Self::Celery => "amqp://guest:guest@127.0.0.1:5672//",
        }
    }

    const fn default_port(self) -> u16 {
        match self {
            Self::Postgres => 5432,
            Self::Mysql => 3306,
            Self::Redis => 6379,
            Self::Memcached => 11211,
            Self::S3 => 80,
            Self::RabbitMq | Self::Celery => 5672,
            Self::Nats => 4222,
            Self::Mqtt => 1883,
        }
    }

    /// The server's URL (or address, for Memcached), after checking that it accepts
    /// connections; the test fails here, naming the service, when it does not.
    pub(crate) fn require(self) -> String {
        let address = std::env::var(self.var()).unwrap_or_else(|_| self.default_address().into());
        let host_port = host_port(&address, self.default_port());
        let shown = redact_url(&address);
        let reachable = host_port
            .to_socket_addrs()
            .map_err(|e| e.to_string())
            .and_then(|mut addrs| addrs.next().ok_or_else(|| "no address".to_owned()))
            .and_then(|addr| {
                TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())
            });
        if let Err(error) = reachable {
            panic!(
                "{} is not reachable at {shown} ({}): {error}. Start it with scripts/services.sh \
                 (or opt out with HEALTHZ_SKIP_BACKEND_TESTS={}).",
                self.title(),
                self.var(),
                self.name()
            );
        }
        address
    }
}

/// Whether the tests that need `services` are explicitly opted out; says so when they
/// are.
pub(crate) fn skipped(services: &[Service]) -> bool {
    let skip = std::env::var("HEALTHZ_SKIP_BACKEND_TESTS").unwrap_or_default();
    let opted_out = skip
        .split(',')
        .map(str::trim)
        .any(|name| name == "all" || services.iter().any(|service| service.name() == name));
    if opted_out {
        eprintln!("skipped: HEALTHZ_SKIP_BACKEND_TESTS={skip}");
    }
    opted_out
}

/// `host:port` of a URL or an address, with `default_port` when it names none.
pub(crate) fn host_port(address: &str, default_port: u16) -> String {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    match host_port.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => host_port.to_owned(),
        _ => format!("{host_port}:{default_port}"),
    }
}

/// `url` with `password` set for its user (`scheme://user:password@host…`).
pub(crate) fn with_password(url: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (user, host) = match rest.rsplit_once('@') {
        Some((user_info, host)) => (user_info.split(':').next().unwrap_or_default(), host),
        None => ("", rest),
    };
    format!("{scheme}://{user}:{password}@{host}")
}

/// A bucket of the test's own on the S3 server, deleted (it is empty by then: the check
/// removes its probe objects) when dropped.
pub(crate) struct Bucket {
    pub endpoint: String,
    pub name: String,
}

impl Bucket {
    /// Creates a uniquely named bucket with an unsigned `PUT`, which moto accepts.
    pub(crate) fn create(endpoint: &str) -> Self {
        let name = format!(
            "hc-cli-test-{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_nanos()
        );
        let status = request(endpoint, "PUT", &name).unwrap_or_else(|error| panic!("{error}"));
        assert!(
            (200..300).contains(&status),
            "the S3 server at {endpoint} (HEALTHZ_TEST_S3_ENDPOINT) refused to create bucket \
             {name}: HTTP {status} (the test creates it unsigned, as moto allows)"
        );
        Self {
            endpoint: endpoint.to_owned(),
            name,
        }
    }
}

impl Drop for Bucket {
    fn drop(&mut self) {
        // Best effort: a bucket left behind is harmless.
        let _ = request(&self.endpoint, "DELETE", &self.name);
    }
}

/// Sends `METHOD /path` with an empty body to an `http://` endpoint and returns the
/// status code.
fn request(endpoint: &str, method: &str, path: &str) -> Result<u16, String> {
    let host = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("the S3 test endpoint must be http://, not {endpoint}"))?
        .trim_end_matches('/');
    let unreachable = |error: std::io::Error| {
        format!(
            "the S3 server is not reachable at {endpoint} (HEALTHZ_TEST_S3_ENDPOINT): \
             {error}. Start it with scripts/services.sh."
        )
    };
    let mut stream = TcpStream::connect(host_port(host, 80)).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(unreachable)?;
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(unreachable)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(unreachable)?;
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("the S3 server at {endpoint} did not answer HTTP: {response:?}"))
}

/// A real Celery 5 worker on the broker of [`Service::Celery`], started by
/// `scripts/celery-worker.sh` under a unique node name and stopped when dropped.
///
/// Its namespace (Celery's `control_exchange`) and queue are the CLI tests' own and fixed:
/// no other test's worker answers the checks here, and the exchanges and queue Celery
/// declares for good are the same ones run after run instead of piling up.
pub(crate) struct Worker {
    broker: &'static str,
    name: String,
}

impl Worker {
    /// The CLI tests' namespace.
    pub(crate) const NAMESPACE: &str = "hc-cli-test";
    /// The queue the worker consumes.
    pub(crate) const QUEUE: &str = "hc-cli-test-emails";

    /// Starts a worker on `broker` (`amqp` or `redis`, as the script takes it), which
    /// returns once the worker answers `celery inspect ping`.
    pub(crate) fn start(broker: &'static str) -> Self {
        let name = format!(
            "hc-cli-{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .subsec_nanos()
        );
        let started = script(&[
            "start",
            broker,
            "--name",
            &name,
            "--namespace",
            Self::NAMESPACE,
            "--queues",
            Self::QUEUE,
        ]);
        if let Err(error) = started {
            panic!("{error}");
        }
        Self { broker, name }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The script stops only the worker of this name, by its pid file. No panic
        // here: the test may be failing already.
        if let Err(error) = script(&["stop", self.broker, "--name", &self.name]) {
            eprintln!("{error}");
        }
        // A failed test keeps the worker's log for a look; a passed one leaves nothing.
        if !std::thread::panicking() {
            let run_dir = std::env::var("HEALTHZ_CELERY_RUN_DIR")
                .unwrap_or_else(|_| "/tmp/healthz-celery".to_owned());
            let log = std::path::Path::new(&run_dir).join(format!("{}.log", self.name));
            let _ = std::fs::remove_file(log);
        }
    }
}

/// Runs `scripts/celery-worker.sh`; its output is the error when it fails.
fn script(args: &[&str]) -> Result<(), String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/celery-worker.sh");
    let output = std::process::Command::new(&path)
        .args(args)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", path.display()))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{} {} failed ({}):\n{}{}",
        path.display(),
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// The Redis broker `scripts/celery-worker.sh redis` gives its workers.
pub(crate) fn celery_redis_url() -> String {
    std::env::var("HEALTHZ_TEST_CELERY_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/5".to_owned())
}
