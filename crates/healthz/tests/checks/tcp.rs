//! `checks::TcpConnect` against loopback listeners. Only loopback addresses are ever
//! targeted, and names are resolved from the hosts file only.

use std::time::Duration;

use healthz::checks::TcpConnect;
use healthz::{CheckOptions, ErrorKind, HealthCheck, Registry, Selection};
use tokio::net::TcpListener;
use tokio::time::Instant;

#[tokio::test]
async fn an_open_port_works() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let check = TcpConnect::new(addr.to_string());
    assert_eq!(check.identifier(), "TcpConnect");
    assert_eq!(check.component_type(), "system");
    check.check().await.unwrap();
}

/// `localhost` may resolve to `::1` before `127.0.0.1`; every address is tried, so a
/// listener on the IPv4 one alone is found.
#[tokio::test]
async fn a_name_is_resolved_and_each_address_tried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    TcpConnect::new(format!("localhost:{port}"))
        .check()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_closed_port_is_refused_at_once() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let start = Instant::now();
    let error = TcpConnect::new(addr.to_string()).check().await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(error.message(), format!("connection to {addr} refused"));
}

/// Without a port there is nothing to resolve (and nothing is asked of a DNS server).
#[tokio::test]
async fn an_address_that_cannot_be_resolved_is_unavailable() {
    let error = TcpConnect::new("127.0.0.1").check().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.message(),
        "cannot resolve 127.0.0.1: invalid socket address"
    );
}

/// A listener whose accept queue is full makes Linux drop new SYNs without an answer:
/// a peer that never answers, on loopback. The runner's timeout must stop the attempt.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_peer_that_never_answers_is_stopped_by_the_timeout() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    // Never accepted: with a backlog of 0 the queue holds one connection.
    let _listener = socket.listen(0).unwrap();
    let mut queued = Vec::new();
    let mut full = false;
    for _ in 0..8 {
        let attempt = tokio::net::TcpStream::connect(addr);
        match tokio::time::timeout(Duration::from_millis(200), attempt).await {
            Ok(stream) => queued.push(stream.unwrap()),
            Err(_elapsed) => {
                full = true;
                break;
            }
        }
    }
    assert!(
        full,
        "could not fill the accept queue of a loopback listener: every SYN was answered"
    );

    let registry = Registry::builder()
        .check_with(
            TcpConnect::new(addr.to_string()),
            CheckOptions::new().timeout(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    let start = Instant::now();
    let report = registry.run(&Selection::all()).await.unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        report.checks[0].outcome.text(),
        "unavailable: timed out after 300ms"
    );
}
