//! HEAD over a real connection, where the server writes the framing headers: a HEAD
//! answer must keep the `Content-Length` of the GET answer rather than the length of its
//! empty body.

use std::net::SocketAddr;

use healthz::Endpoint;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::with_failure;

/// The raw answer to `method /ht/?format=json` on a fresh HTTP/1.1 connection: the
/// header block, lower-cased, and the body.
async fn exchange(addr: SocketAddr, method: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} /ht/?format=json HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {answer:?}"));
    (head.to_ascii_lowercase(), body.to_owned())
}

/// Asserts that HEAD repeats the `Content-Length` of GET and sends no body.
async fn assert_head_keeps_the_length(addr: SocketAddr) {
    let (get_head, get_body) = exchange(addr, "GET").await;
    assert!(get_head.contains("\r\ncontent-length: "), "{get_head}");
    let (head_head, head_body) = exchange(addr, "HEAD").await;
    assert!(head_head.starts_with("http/1.1 500"), "{head_head}");
    let length = format!("\r\ncontent-length: {}\r\n", get_body.len());
    assert!(head_head.contains(&length), "{head_head}");
    assert!(!head_head.contains("transfer-encoding"), "{head_head}");
    assert_eq!(head_body, "");
}

/// axum on hyper; the axum router routes to the tower service, so this covers both.
#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_head_keeps_the_get_content_length() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Endpoint::new(with_failure(true)).router("/ht/");
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    assert_head_keeps_the_length(addr).await;
    server.abort();
}

#[cfg(feature = "actix")]
#[tokio::test]
async fn actix_head_keeps_the_get_content_length() {
    use actix_web::{App, HttpServer};

    let health = Endpoint::new(with_failure(true)).actix_service("/ht/");
    let server = HttpServer::new(move || App::new().service(health.clone()))
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    assert_head_keeps_the_length(addr).await;
    handle.stop(false).await;
}
