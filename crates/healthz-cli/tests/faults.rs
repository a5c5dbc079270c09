//! Backend faults under load, run for real: `healthz serve` checks PostgreSQL and Redis
//! through a TCP proxy of the test's own, twenty keep-alive clients ask all the
//! while, and the proxy cuts the backends off and lets them back. Linux only: the
//! server's file descriptors and memory are read in `/proc`.
#![cfg(target_os = "linux")]

mod support;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs as _};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::backends::{Service, host_port, skipped};
use support::{Server, eventually, open_fds, temp_dir, write};

/// A TCP proxy in front of one backend, with a switch: cut, it closes every
/// connection it carries and accepts new ones only to close them; restored, it
/// forwards again.
struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    cut: AtomicBool,
    next_id: AtomicU64,
    /// Both ends of each connection it carries, to close them when cut.
    open: Mutex<HashMap<u64, (TcpStream, TcpStream)>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target`.
    fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().expect("its address");
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        // The accept loop lives as long as the test process: nothing connects once
        // the server is gone.
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if accepting.cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(backend) = TcpStream::connect(target) else {
                    continue;
                };
                forward(&accepting, client, backend);
            }
        });
        Self { addr, shared }
    }

    /// Closes every connection and refuses new ones.
    fn cut(&self) {
        self.shared.cut.store(true, Ordering::SeqCst);
        for (client, backend) in self.shared.open.lock().unwrap().values() {
            let _ = client.shutdown(Shutdown::Both);
            let _ = backend.shutdown(Shutdown::Both);
        }
    }

    /// Forwards again.
    fn restore(&self) {
        self.shared.cut.store(false, Ordering::SeqCst);
    }

    /// How many connections it carries to the backend.
    fn connections(&self) -> usize {
        self.shared.open.lock().unwrap().len()
    }

    /// `url` with its host and port replaced by the proxy's.
    fn in_front_of(&self, url: &str, default_port: u16) -> String {
        let authority = host_port(url, default_port);
        // A URL without a port names only the host.
        let named = if url.contains(&authority) {
            authority.as_str()
        } else {
            authority
                .rsplit_once(':')
                .map_or(authority.as_str(), |(host, _)| host)
        };
        url.replacen(named, &self.addr.to_string(), 1)
    }
}

/// Carries bytes both ways between `client` and `backend` on two threads; the first
/// direction to end closes both, and the second forgets the connection.
fn forward(shared: &Arc<Shared>, client: TcpStream, backend: TcpStream) {
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let (Ok(client_copy), Ok(backend_copy)) = (client.try_clone(), backend.try_clone()) else {
        return;
    };
    shared
        .open
        .lock()
        .unwrap()
        .insert(id, (client_copy, backend_copy));
    // A cut between the accept and the line above has not seen this connection.
    if shared.cut.load(Ordering::SeqCst) {
        let _ = client.shutdown(Shutdown::Both);
        let _ = backend.shutdown(Shutdown::Both);
    }
    let finished = Arc::new(AtomicUsize::new(0));
    let directions = [
        (client.try_clone(), backend.try_clone()),
        (backend.try_clone(), client.try_clone()),
    ];
    for (from, to) in directions {
        let (Ok(mut from), Ok(mut to)) = (from, to) else {
            continue;
        };
        let shared = Arc::clone(shared);
        let finished = Arc::clone(&finished);
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
            if finished.fetch_add(1, Ordering::SeqCst) == 1 {
                shared.open.lock().unwrap().remove(&id);
            }
        });
    }
}

/// The address a backend URL names.
fn target(url: &str, default_port: u16) -> SocketAddr {
    host_port(url, default_port)
        .to_socket_addrs()
        .expect("the backend's address resolves")
        .next()
        .expect("an address")
}

/// What one answer of the endpoint said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// 200, both checks `working`.
    Healthy,
    /// 500, both checks `unavailable`.
    Down,
    /// Anything else that is a complete HTTP response (one check down, say).
    Other,
}

/// One answer of the load: when its request was sent, when it came, and what it said.
#[derive(Debug, Clone, Copy)]
struct Answer {
    sent: Instant,
    came: Instant,
    seen: Seen,
}

/// The answers of the load, and its socket errors.
#[derive(Default)]
struct Load {
    stop: AtomicBool,
    answers: Mutex<Vec<Answer>>,
    errors: Mutex<Vec<String>>,
}

impl Load {
    /// When the first answer of `kind` to a request sent after `since` came.
    fn first_after(&self, since: Instant, kind: Seen) -> Option<Instant> {
        self.answers
            .lock()
            .unwrap()
            .iter()
            .filter(|answer| answer.sent >= since && answer.seen == kind)
            .map(|answer| answer.came)
            .min()
    }

    /// The answers to requests sent from `from` that came before `to` and are not
    /// `kind`.
    fn not_between(&self, from: Instant, to: Instant, kind: Seen) -> Vec<Seen> {
        self.answers
            .lock()
            .unwrap()
            .iter()
            .filter(|answer| answer.sent >= from && answer.came < to && answer.seen != kind)
            .map(|answer| answer.seen)
            .collect()
    }
}

/// Sends `GET /ht/?format=json` on a keep-alive connection and reads one whole
/// response by its `Content-Length`; an error for anything less.
fn ask(stream: &mut BufReader<TcpStream>) -> Result<Seen, String> {
    stream
        .get_mut()
        .write_all(b"GET /ht/?format=json HTTP/1.1\r\nHost: healthz\r\n\r\n")
        .map_err(|e| format!("writing: {e}"))?;
    let mut status_line = String::new();
    stream
        .read_line(&mut status_line)
        .map_err(|e| format!("reading the status line: {e}"))?;
    let status: u16 = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3)?.parse().ok())
        .ok_or_else(|| format!("not a status line: {status_line:?}"))?;
    let mut length = None;
    loop {
        let mut line = String::new();
        let read = stream
            .read_line(&mut line)
            .map_err(|e| format!("reading the headers: {e}"))?;
        if read == 0 {
            return Err("closed in the headers".to_owned());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length.ok_or("no Content-Length")?];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("reading the body: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))?;
    let both = |test: &dyn Fn(&str) -> bool| {
        ["DatabaseBackend", "CacheBackend"]
            .iter()
            .all(|name| json[name].as_str().is_some_and(test))
    };
    Ok(match status {
        200 if both(&|text| text == "working") => Seen::Healthy,
        500 if both(&|text| text.starts_with("unavailable")) => Seen::Down,
        _ => Seen::Other,
    })
}

/// One client of the load: asks until told to stop, on one connection while it
/// lasts; every failure to connect, write or read a whole response is a socket error.
fn client(addr: SocketAddr, load: &Load) {
    let connect = || -> Result<BufReader<TcpStream>, String> {
        let stream = TcpStream::connect(addr).map_err(|e| format!("connecting: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        Ok(BufReader::new(stream))
    };
    let mut stream = None;
    while !load.stop.load(Ordering::SeqCst) {
        let sent = Instant::now();
        let answer = match &mut stream {
            Some(stream) => ask(stream),
            None => connect().and_then(|mut new| {
                let answer = ask(&mut new);
                stream = Some(new);
                answer
            }),
        };
        match answer {
            Ok(seen) => load.answers.lock().unwrap().push(Answer {
                sent,
                came: Instant::now(),
                seen,
            }),
            Err(error) => {
                load.errors.lock().unwrap().push(error);
                stream = None;
            }
        }
    }
}

/// The resident memory of the process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// Waits up to `limit` for an answer of `kind` to a request sent after `since`; how
/// long after `since` it came.
fn wait_for(load: &Load, since: Instant, kind: Seen, limit: Duration) -> Duration {
    let mut first = None;
    eventually(limit, || {
        first = load.first_after(since, kind);
        first.is_some()
    });
    first
        .unwrap_or_else(|| panic!("no {kind:?} answer within {limit:?}"))
        .duration_since(since)
}

const CLIENTS: usize = 20;
/// The checks' timeout.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How long each phase is held once reached.
const HOLD: Duration = Duration::from_secs(2);
/// Generous bounds for the answers to change after a cut or a restore.
const CHANGE_WITHIN: Duration = Duration::from_secs(5);

#[test]
fn an_outage_and_return_of_postgres_and_redis_under_load() {
    let services = [Service::Postgres, Service::Redis];
    if skipped(&services) {
        return;
    }
    let [postgres, redis] = services.map(Service::require);
    let postgres_proxy = Proxy::start(target(&postgres, 5432));
    let redis_proxy = Proxy::start(target(&redis, 6379));
    let dir = temp_dir();
    let timeout = format!("{}s", TIMEOUT.as_secs());
    let config = write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"postgres\"\nurl = \"{}\"\ntimeout = \"{timeout}\"\n\n\
             [[check]]\nkind = \"redis\"\nurl = \"{}\"\ntimeout = \"{timeout}\"\n",
            postgres_proxy.in_front_of(&postgres, 5432),
            redis_proxy.in_front_of(&redis, 6379),
        ),
    );
    let config = config.to_str().expect("a UTF-8 path");
    let server = Server::start(dir.path(), &["--config", config]);
    let (addr, pid) = (server.addr, server.child.id());

    // The start: the checks have run once and hold their connections.
    let first = server.get("/ht/?format=json");
    assert_eq!(first.status, 200, "{first:?}");
    let start_fds = open_fds(pid);
    let start_backends = postgres_proxy.connections() + redis_proxy.connections();
    let start_rss = rss_kib(pid);

    let load = Arc::new(Load::default());
    let began = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let load = Arc::clone(&load);
            std::thread::spawn(move || client(addr, &load))
        })
        .collect();

    // Working.
    wait_for(&load, began, Seen::Healthy, CHANGE_WITHIN);
    std::thread::sleep(HOLD);
    let peak_fds = open_fds(pid);

    // Cut: both checks unavailable within a few seconds.
    let cut = Instant::now();
    postgres_proxy.cut();
    redis_proxy.cut();
    let down_after = wait_for(&load, cut, Seen::Down, CHANGE_WITHIN);
    std::thread::sleep(HOLD);

    // Restore: working again within one run, with a generous bound.
    let restored = Instant::now();
    postgres_proxy.restore();
    redis_proxy.restore();
    let up_after = wait_for(&load, restored, Seen::Healthy, CHANGE_WITHIN);
    std::thread::sleep(HOLD);

    load.stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("a client thread");
    }
    let ended = Instant::now();

    // Back to the start once the clients have gone.
    let fds_back = eventually(Duration::from_secs(10), || {
        open_fds(pid).abs_diff(start_fds) <= 2
    });
    let end_fds = open_fds(pid);
    let backends_back = eventually(Duration::from_secs(10), || {
        postgres_proxy.connections() + redis_proxy.connections() <= start_backends + 2
    });
    let end_backends = postgres_proxy.connections() + redis_proxy.connections();
    let end_rss = rss_kib(pid);

    let answers = load.answers.lock().unwrap().clone();
    let errors = load.errors.lock().unwrap().clone();
    let count = |kind: Seen| answers.iter().filter(|answer| answer.seen == kind).count();
    println!(
        "{CLIENTS} keep-alive clients for {:?}: {} answers ({} healthy, {} down, {} other), \
         {} socket errors",
        ended - began,
        answers.len(),
        count(Seen::Healthy),
        count(Seen::Down),
        count(Seen::Other),
        errors.len()
    );
    println!(
        "cut -> first down answer: {down_after:?}; restore -> first healthy answer: {up_after:?}"
    );
    println!("server fds: start {start_fds}, under load {peak_fds}, end {end_fds}");
    println!("backend connections through the proxies: start {start_backends}, end {end_backends}");
    println!("server RSS: start {start_rss} KiB, end {end_rss} KiB");

    assert!(errors.is_empty(), "socket errors: {errors:?}");
    // Each phase, once reached and a run's timeout past, answers only as it should.
    let settle = TIMEOUT + Duration::from_millis(500);
    let working = load.not_between(began, cut, Seen::Healthy);
    assert!(working.is_empty(), "before the cut: {working:?}");
    let down = load.not_between(cut + down_after + settle, restored, Seen::Down);
    assert!(down.is_empty(), "during the outage: {down:?}");
    let up = load.not_between(restored + up_after + settle, ended, Seen::Healthy);
    assert!(up.is_empty(), "after the return: {up:?}");
    assert!(fds_back, "fds: start {start_fds}, end {end_fds}");
    assert!(
        backends_back,
        "backend connections: start {start_backends}, end {end_backends}"
    );
    assert!(
        end_rss < 2 * start_rss + 20 * 1024,
        "RSS: start {start_rss} KiB, end {end_rss} KiB"
    );
}
