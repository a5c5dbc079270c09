//! Helpers for the tests that run the real `healthz` binary.

// Each test file uses its own part of these helpers.
#![allow(dead_code)]

pub(crate) mod backends;
pub(crate) mod tls;
pub(crate) mod webhook;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_healthz");

/// A command for the binary, run in `dir`, with an environment that does not leak the
/// developer's settings into the test.
pub(crate) fn healthz(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir).stdin(Stdio::null());
    for var in [
        "RUST_LOG",
        "NO_COLOR",
        "HEALTHZ_DATA_DIR",
        "HEALTHZ_CONFIG",
        "HEALTHZ_BIND",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(var);
    }
    command
}

/// Runs the binary in `dir` with `args` and waits for it.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    healthz(dir).args(args).output().expect("the binary runs")
}

/// The exit code, stdout and stderr of a finished run, for assertions.
pub(crate) struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Ran {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Ran {
    /// Runs `command`, a prepared command for the binary, and returns what it did.
    pub(crate) fn of(mut command: Command) -> Self {
        command.output().expect("the binary runs").into()
    }
}

/// Runs the binary and returns what it did.
pub(crate) fn ran(dir: &Path, args: &[&str]) -> Ran {
    run(dir, args).into()
}

/// A fresh temporary directory.
pub(crate) fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Writes `text` to `dir/name` and returns its path.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the file is written");
    path
}

/// A loopback port that nothing listens on (it was free a moment ago).
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A listener that accepts connections (the kernel does, up to its backlog) and never
/// answers, like a server whose process hangs; dropping it closes them.
pub(crate) fn hung_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("a free port")
}

/// Waits up to `limit` for `child` to exit; kills it (only it, by handle) and returns
/// `None` when it has not.
pub(crate) fn wait_or_kill(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited on") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A host name whose lookup blocks for good in a system call, for tests of a check
/// that never returns from the blocking pool (as on a hung network file system).
///
/// glibc's resolver reads the file named by `$HOSTALIASES` when it looks up a name
/// without a dot that `/etc/hosts` does not know; that file is a FIFO no one ever
/// writes to, so `getaddrinfo` blocks in `open` until the process ends. Set
/// [`StuckLookup::VAR`] to [`StuckLookup::path`] in the binary's environment.
#[cfg(unix)]
pub(crate) struct StuckLookup {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

#[cfg(unix)]
impl StuckLookup {
    /// The variable to set.
    pub(crate) const VAR: &str = "HOSTALIASES";
    /// The host name to look up.
    pub(crate) const HOST: &str = "healthz-stuck-lookup";

    /// Makes the FIFO.
    pub(crate) fn new() -> Self {
        let dir = temp_dir();
        let path = dir.path().join("hostaliases.fifo");
        let status = Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo {} failed", path.display());
        Self { _dir: dir, path }
    }

    /// The FIFO.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// A running `healthz serve`, killed when dropped.
pub(crate) struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// The URL the binary announced on stdout.
    pub url: String,
}

impl Server {
    /// Starts `serve --bind 127.0.0.1:0` with `args` in `dir` and waits for its
    /// announcement.
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_command(healthz(dir), args)
    }

    /// Like [`Server::start`], from a prepared command (for its environment).
    pub(crate) fn start_command(mut command: Command, args: &[&str]) -> Self {
        command
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(args);
        Self::launch(command)
    }

    /// Runs `command`, a whole `serve` command line of the test's own (its address
    /// free to pick), and waits for its announcement.
    pub(crate) fn launch(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut line)
            .expect("stdout is readable");
        let Some(url) = line.trim().strip_prefix("healthz listening on ") else {
            let _ = child.kill();
            let output = child.wait_with_output().expect("the binary ends");
            panic!(
                "no announcement on stdout: {line:?}; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let url = url.to_owned();
        let addr = url
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("not an http URL with an address: {url}"));
        Self { child, addr, url }
    }

    /// GETs `path` from the server.
    pub(crate) fn get(&self, path: &str) -> Response {
        get(self.addr, path)
    }

    /// GETs `path` from the server with extra request headers.
    pub(crate) fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        get_with(self.addr, path, headers)
    }

    /// Sends `signal` (`TERM`, `INT`) to the server.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Sends `method` to `path` on the server.
    pub(crate) fn request(&self, method: &str, path: &str) -> Response {
        request(self.addr, method, path, &[])
    }

    /// Sends SIGTERM, waits up to `limit` for the server to exit, and returns its
    /// status and what it wrote to stderr.
    pub(crate) fn stop(&mut self, limit: Duration) -> (ExitStatus, String) {
        self.signal("TERM");
        self.stop_after_signal(limit)
    }

    /// Waits up to `limit` for the server to exit after a signal it was sent, and
    /// returns its status and what it wrote to stderr.
    pub(crate) fn stop_after_signal(&mut self, limit: Duration) -> (ExitStatus, String) {
        let status = self.wait_for_exit(limit);
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .expect("stderr is piped")
            .read_to_string(&mut stderr)
            .expect("stderr is readable");
        (status, stderr)
    }

    /// Waits up to `limit` for the server to exit, and returns its status.
    pub(crate) fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited on") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only ours, by handle; already gone after a successful shutdown test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response, as the tiny client below reads it.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first header named `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// GET over HTTP/1.1 with `Connection: close`, so the body is the rest of the stream:
/// enough for the server under test, which sends a `Content-Length` and no chunks.
pub(crate) fn get(addr: SocketAddr, path: &str) -> Response {
    get_with(addr, path, &[])
}

/// [`get`] with extra request headers.
pub(crate) fn get_with(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Response {
    request(addr, "GET", path, headers)
}

/// Sends `method` to `path` with extra request headers and no body.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let mut stream = TcpStream::connect(addr).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a read timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n"
    )
    .expect("the request is sent");
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .expect("the response is read");
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {raw:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// How many file descriptors the process `pid` has open.
pub(crate) fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc lists the server's file descriptors")
        .count()
}

/// Polls `condition` every 100 ms for up to `limit`; whether it came true.
pub(crate) fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
