//! Real Celery 5 workers for the `CeleryBackend` tests, started and stopped through
//! `scripts/celery-worker.sh`, and what the tests need to know about their brokers.
//!
//! Every worker gets a unique node name and its own Celery `control_exchange`
//! (namespace), so tests running side by side never answer each other's broadcasts.
//! What those throwaway names leave on the brokers is removed when the worker stops.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use healthz::checks::Celery;

/// The variable that opts out of backend tests (`celery` or `all`); CI never sets it.
const SKIP_VAR: &str = "HEALTHZ_SKIP_BACKEND_TESTS";

/// The brokers a Celery worker can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broker {
    Amqp,
    /// RabbitMQ's node with TLS (`scripts/services.sh rabbitmq-tls`), verified with the
    /// test CA. Its workers use Celery's default names only, so that they leave nothing
    /// to remove.
    #[cfg(feature = "rustls")]
    Amqps,
    Redis,
    /// Redis over TLS (`scripts/services.sh redis-tls`), its URL naming the test CA the
    /// way Celery takes it. The tests' own Redis client has no TLS: its workers use
    /// Celery's default names only, so that they leave nothing to remove.
    #[cfg(feature = "rustls")]
    RedisTls,
}

impl Broker {
    /// The broker's name as `scripts/celery-worker.sh` takes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Amqp => "amqp",
            #[cfg(feature = "rustls")]
            Self::Amqps => "amqps",
            Self::Redis => "redis",
            #[cfg(feature = "rustls")]
            Self::RedisTls => "rediss",
        }
    }

    /// The variable holding the broker's URL, as the script reads it.
    pub(crate) fn url_var(self) -> &'static str {
        match self {
            Self::Amqp => "HEALTHZ_TEST_CELERY_AMQP_URL",
            #[cfg(feature = "rustls")]
            Self::Amqps => "HEALTHZ_TEST_CELERY_AMQPS_URL",
            Self::Redis => "HEALTHZ_TEST_CELERY_REDIS_URL",
            #[cfg(feature = "rustls")]
            Self::RedisTls => "HEALTHZ_TEST_CELERY_REDISS_URL",
        }
    }

    /// The broker's URL: the variable, or the script's loopback default.
    pub(crate) fn url(self) -> String {
        std::env::var(self.url_var()).unwrap_or_else(|_| match self {
            Self::Amqp => "amqp://guest:guest@127.0.0.1:5672//".to_owned(),
            #[cfg(feature = "rustls")]
            Self::Amqps => "amqps://guest:guest@127.0.0.1:5671//".to_owned(),
            Self::Redis => "redis://127.0.0.1:6379/5".to_owned(),
            #[cfg(feature = "rustls")]
            Self::RedisTls => format!(
                "rediss://127.0.0.1:6380/5?ssl_cert_reqs=required&ssl_ca_certs={}",
                crate::tls::file("ca.pem").display()
            ),
        })
    }

    /// A check on this broker's URL with its defaults.
    pub(crate) fn check(self) -> Celery {
        self.check_at(&self.url())
    }

    /// A check on `url`, an URL of this broker's kind.
    pub(crate) fn check_at(self, url: &str) -> Celery {
        let check = Celery::new(url).expect("a valid broker URL");
        match self {
            #[cfg(feature = "rustls")]
            Self::Amqps => check.tls(crate::tls::trusting_the_ca()),
            _ => check,
        }
    }

    /// `url` of this kind pointing at another address.
    pub(crate) fn url_at(self, addr: std::net::SocketAddr) -> String {
        match self {
            Self::Amqp => format!("amqp://guest:s3cr3t-PASSWORD@{addr}//"),
            #[cfg(feature = "rustls")]
            Self::Amqps => format!("amqps://guest:s3cr3t-PASSWORD@{addr}//"),
            Self::Redis => format!("redis://:s3cr3t-PASSWORD@{addr}/5"),
            #[cfg(feature = "rustls")]
            Self::RedisTls => format!("rediss://:s3cr3t-PASSWORD@{addr}/5"),
        }
    }
}

/// True when the Celery tests are explicitly opted out.
pub(crate) fn skipped() -> bool {
    let skip = std::env::var(SKIP_VAR).unwrap_or_default();
    let skipped = skip
        .split(',')
        .any(|s| s.trim() == "celery" || s.trim() == "all");
    if skipped {
        eprintln!("skipped: {SKIP_VAR}={skip}");
    }
    skipped
}

/// Fails the test, naming the broker, when nothing answers at its address.
pub(crate) fn require_broker(broker: Broker) {
    let url = broker.url();
    let (_, rest) = url.split_once("://").expect("a broker URL");
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let addr = host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("cannot resolve the {} broker {host_port}", broker.name()));
    if let Err(error) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
        panic!(
            "the {} broker is not reachable at {addr} ({}): {error}. \
             Start it with scripts/services.sh {}.",
            broker.name(),
            broker.url_var(),
            match broker {
                Broker::Amqp => "rabbitmq",
                #[cfg(feature = "rustls")]
                Broker::Amqps => "rabbitmq-tls",
                Broker::Redis => "redis",
                #[cfg(feature = "rustls")]
                Broker::RedisTls => "redis-tls",
            }
        );
    }
}

/// A name no other test uses: `hc-<what>-<random>`.
pub(crate) fn unique(what: &str) -> String {
    format!("hc-{what}-{:08x}", fastrand::u32(..))
}

/// A running Celery worker, stopped when dropped.
pub(crate) struct Worker {
    broker: Broker,
    name: String,
    namespace: String,
    /// Whether the namespace is the worker's own, to forget once it stopped.
    own_namespace: bool,
    queues: Vec<String>,
    running: bool,
}

impl Worker {
    /// Starts a worker in a namespace of its own, consuming `queues` (names unique to
    /// the test). Returns once the worker answers `celery inspect ping`.
    pub(crate) fn start(broker: Broker, queues: &[&str]) -> Self {
        let mut worker = Self::start_in(broker, &unique("ns"), queues);
        worker.own_namespace = true;
        worker
    }

    /// Starts a worker in `namespace` (Celery's `control_exchange`), consuming
    /// `queues` (names unique to the test).
    pub(crate) fn start_in(broker: Broker, namespace: &str, queues: &[&str]) -> Self {
        require_broker(broker);
        let name = unique("worker");
        let mut args = vec![
            "start",
            broker.name(),
            "--name",
            &name,
            "--namespace",
            namespace,
        ];
        let queues = queues.join(",");
        if !queues.is_empty() {
            args.extend(["--queues", &queues]);
        }
        script(&args);
        Self {
            broker,
            name,
            namespace: namespace.to_owned(),
            own_namespace: false,
            queues: queues
                .split(',')
                .filter(|q| !q.is_empty())
                .map(str::to_owned)
                .collect(),
            running: true,
        }
    }

    /// The worker's namespace, to give the check as its `control_exchange`.
    pub(crate) fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Stops the worker and waits until it has exited.
    pub(crate) fn stop(&mut self) {
        if std::mem::take(&mut self.running) {
            script(&["stop", self.broker.name(), "--name", &self.name]);
        }
    }

    /// Removes what the worker's names left on the broker, once it stopped.
    fn forget(&self) {
        let mut exchanges = self.queues.clone();
        if self.own_namespace {
            exchanges.extend(namespace_exchanges(&self.namespace));
        }
        forget(self.broker, exchanges);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
        self.forget();
        // A failed test keeps the worker's log for a look; a passed one leaves nothing.
        if !std::thread::panicking() {
            let run_dir = std::env::var("HEALTHZ_CELERY_RUN_DIR")
                .unwrap_or_else(|_| "/tmp/healthz-celery".to_owned());
            let _ = std::fs::remove_file(PathBuf::from(run_dir).join(format!("{}.log", self.name)));
        }
    }
}

/// The control exchanges of a Celery namespace.
pub(crate) fn namespace_exchanges(namespace: &str) -> [String; 2] {
    [
        format!("{namespace}.pidbox"),
        format!("reply.{namespace}.pidbox"),
    ]
}

/// Removes throwaway exchanges, with their kombu bindings on Redis, from the broker.
/// Celery declares its control exchanges for good, and kombu keeps a Redis binding
/// table per queue; a test's unique names would otherwise pile up run after run.
pub(crate) fn forget(broker: Broker, exchanges: Vec<String>) {
    if exchanges.is_empty() {
        return;
    }
    let url = broker.url();
    // Called from `Drop` inside the test's runtime, which cannot block on a future:
    // a thread of its own runs one.
    let forgotten = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            match broker {
                Broker::Amqp => {
                    use amqprs::channel::ExchangeDeleteArguments;
                    use amqprs::connection::{Connection, OpenConnectionArguments};

                    let url = url::Url::parse(&url)?;
                    let arguments = OpenConnectionArguments::new(
                        url.host_str().unwrap_or("127.0.0.1"),
                        url.port().unwrap_or(5672),
                        url.username(),
                        url.password().unwrap_or("guest"),
                    );
                    let conn = Connection::open(&arguments).await?;
                    let channel = conn.open_channel(None).await?;
                    for exchange in &exchanges {
                        channel
                            .exchange_delete(ExchangeDeleteArguments::new(exchange))
                            .await?;
                    }
                    channel.close().await?;
                    conn.close().await?;
                }
                #[cfg(feature = "rustls")]
                Broker::Amqps => panic!("workers on RabbitMQ with TLS use Celery's default names"),
                Broker::RedisTls => panic!("workers on Redis with TLS use Celery's default names"),
                Broker::Redis => {
                    let client = redis::Client::open(url)?;
                    let mut conn = client.get_multiplexed_async_connection().await?;
                    let mut pipe = redis::pipe();
                    for exchange in &exchanges {
                        pipe.del(format!("_kombu.binding.{exchange}"))
                            .del(format!("_kombu.binding_permanent.{exchange}"));
                    }
                    pipe.zrem("_kombu.binding_deadlines", &exchanges);
                    pipe.exec_async(&mut conn).await?;
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
    })
    .join()
    .expect("the clean-up thread does not panic");
    if let Err(error) = forgotten {
        eprintln!(
            "could not remove test exchanges from {}: {error}",
            broker.name()
        );
    }
}

/// Runs `scripts/celery-worker.sh` and fails the test with its output when it fails.
fn script(args: &[&str]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/celery-worker.sh");
    let output = Command::new(&path)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", path.display()));
    if !output.status.success() {
        panic!(
            "{} {} failed ({}):\n{}{}",
            path.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The queues named `…<suffix>` on a RabbitMQ node, as `rabbitmqctl` (with `node`'s
/// options) lists them.
fn rabbitmq_queues(node: &[&str], suffix: &str) -> Vec<String> {
    let output = Command::new("rabbitmqctl")
        .args(node)
        .args(["-q", "list_queues", "name"])
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run rabbitmqctl to list RabbitMQ's queues: {error}")
        });
    assert!(
        output.status.success(),
        "rabbitmqctl list_queues failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|name| name.ends_with(suffix))
        .map(str::to_owned)
        .collect()
}

/// The check's reply queues of `namespace` still on the broker: queues (RabbitMQ) or
/// keys and bindings (Redis) named `….reply.<namespace>.pidbox`.
pub(crate) async fn reply_queues_left(broker: Broker, namespace: &str) -> Vec<String> {
    let suffix = format!(".reply.{namespace}.pidbox");
    match broker {
        Broker::Amqp => rabbitmq_queues(&[], &suffix),
        // The node's own cookie, from its HOME (scripts/services.d/rabbitmq-tls.sh).
        #[cfg(feature = "rustls")]
        Broker::Amqps => {
            let home = std::env::var("HOME").expect("HOME is set");
            let cookie_file =
                format!("{home}/.cache/healthz/rabbitmq-tls/healthz-tls/.erlang.cookie");
            let cookie = std::fs::read_to_string(&cookie_file)
                .unwrap_or_else(|error| panic!("cannot read {cookie_file}: {error}"));
            let node = [
                "-n",
                "healthz-tls@localhost",
                "--erlang-cookie",
                cookie.trim(),
            ];
            rabbitmq_queues(&node, &suffix)
        }
        #[cfg(feature = "rustls")]
        Broker::RedisTls => panic!("the tests' Redis client has no TLS: see `Broker::RedisTls`"),
        Broker::Redis => {
            let client = redis::Client::open(broker.url()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let mut left: Vec<String> = redis::cmd("KEYS")
                .arg(format!("*{suffix}*"))
                .query_async(&mut conn)
                .await
                .unwrap();
            let bindings: Vec<String> = redis::cmd("SMEMBERS")
                .arg(format!("_kombu.binding.reply.{namespace}.pidbox"))
                .query_async(&mut conn)
                .await
                .unwrap();
            left.extend(bindings.into_iter().map(|b| format!("binding {b:?}")));
            left
        }
    }
}
