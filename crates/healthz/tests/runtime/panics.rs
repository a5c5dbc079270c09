//! A check that panics on every run, under load, over a real connection: every answer
//! is a complete 500 that reports it failed and its neighbour working, and the server
//! answers as before once the load is over. Real time, not the paused clock: the point
//! is the runtime's threads and the sockets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use healthz::{CheckOptions, CheckResult, Endpoint, HealthCheck, Registry};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use crate::Script;

/// Panics on every run, as a check with a bug would.
struct Panics;

/// What it panics with.
const PANIC: &str = "the panicking check panics on every run";

/// Keeps the default hook from printing each of the check's hundreds of panics (with a
/// backtrace, when `RUST_BACKTRACE` is set); any other panic is printed as before.
fn quiet_the_checks_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&PANIC) {
            default(info);
        }
    }));
}

impl HealthCheck for Panics {
    async fn check(&self) -> CheckResult {
        std::panic::panic_any(PANIC)
    }
}

/// How many clients ask at once, and for how long.
const CLIENTS: usize = 200;
const LOAD: Duration = Duration::from_secs(3);

/// What the runner reports for a check that panicked: the panic itself goes to the
/// logs, not to an anonymous caller.
const PANICKED: &str = "unknown error: internal error, see the service's logs";

/// Sends `GET target` on a keep-alive connection and reads one whole response: its
/// status, and its body by its `Content-Length`. An error for anything short of that.
async fn get(stream: &mut BufReader<TcpStream>, target: &str) -> Result<(u16, String), String> {
    stream
        .get_mut()
        .write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .map_err(|e| format!("writing: {e}"))?;
    let mut status_line = String::new();
    stream
        .read_line(&mut status_line)
        .await
        .map_err(|e| format!("reading the status line: {e}"))?;
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3)?.parse().ok())
        .ok_or_else(|| format!("not a status line: {status_line:?}"))?;
    let mut length = None;
    loop {
        let mut line = String::new();
        let read = stream
            .read_line(&mut line)
            .await
            .map_err(|e| format!("reading the headers: {e}"))?;
        if read == 0 {
            return Err("the connection closed in the headers".to_owned());
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
    let length = length.ok_or("no Content-Length")?;
    let mut body = vec![0; length];
    stream
        .read_exact(&mut body)
        .await
        .map_err(|e| format!("reading the body: {e}"))?;
    let body = String::from_utf8(body).map_err(|_| "a body that is not UTF-8")?;
    Ok((status, body))
}

/// Whether `(status, body)` is the expected answer under load: 500, the panicking
/// check failed with [`PANICKED`], the working one working.
fn expected(status: u16, body: &str) -> Result<(), String> {
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("{e} in {body:?}"))?;
    if status == 500 && json["Panics"] == PANICKED && json["Working"] == "working" {
        Ok(())
    } else {
        Err(format!("{status} {body}"))
    }
}

async fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(addr).await.expect("the server accepts"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_panics_on_every_run_under_load_fails_alone_and_the_server_lives_on() {
    quiet_the_checks_panics();
    let registry = Registry::builder()
        .check_with(Panics, CheckOptions::default().name("Panics"))
        .check_with(Script::working(), CheckOptions::default().name("Working"))
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Endpoint::new(registry).router("/ht/");
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let served = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let served = Arc::clone(&served);
            tokio::spawn(async move {
                let mut stream = connect(addr).await;
                while started.elapsed() < LOAD {
                    let (status, body) = get(&mut stream, "/ht/?format=json").await?;
                    expected(status, &body)?;
                    served.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    let mut failures = Vec::new();
    for client in clients {
        if let Err(failure) = client.await.expect("a client task") {
            failures.push(failure);
        }
    }
    let served = served.load(Ordering::Relaxed);
    println!(
        "{CLIENTS} clients for {:?}: {served} complete 500s, {} failures",
        started.elapsed(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures: {failures:?}",
        failures.len()
    );
    assert!(served >= CLIENTS, "{served} answers");

    // The server still answers, on a fresh connection, both ways.
    let mut stream = connect(addr).await;
    let (status, body) = get(&mut stream, "/ht/?format=json").await.unwrap();
    expected(status, &body).unwrap();
    let (status, body) = get(&mut stream, "/ht/?format=json&check=Working")
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"Working":"working"}"#);
    server.abort();
}
