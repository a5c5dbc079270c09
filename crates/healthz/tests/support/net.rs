//! Loopback peers for the failure modes every backend check is tested against.

// Each test binary includes this file and uses only some of it.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A loopback address where nothing listens: a port that was bound, then released.
pub(crate) fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// A listener that accepts connections and never answers, like a backend whose process
/// hangs. Connections stay open until the value is dropped.
pub(crate) struct HungListener {
    addr: SocketAddr,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl HungListener {
    /// Starts listening on a free loopback port.
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::downgrade(&held);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let (Ok(stream), Some(keep)) = (stream, keep.upgrade()) else {
                    return;
                };
                keep.lock().unwrap().push(stream);
            }
        });
        Self { addr, held }
    }

    /// The address to point a check at.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections it has accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

/// A TCP proxy to the server of `url` that holds every chunk for a millisecond before
/// passing it on, so that short timeouts cut a probe at every stage. Returns `url`
/// pointing at the proxy.
pub(crate) async fn slow_proxy(url: &str, default_port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpStream};

    async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf) {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf).await {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }

    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let (user_info, host_and_path) = match rest.rsplit_once('@') {
        Some((user_info, host)) => (format!("{user_info}@"), host),
        None => (String::new(), rest),
    };
    let host_end = host_and_path
        .find(['/', '?'])
        .unwrap_or(host_and_path.len());
    let (host, path) = host_and_path.split_at(host_end);
    let upstream = match tokio::net::lookup_host(host).await {
        Ok(mut addrs) => addrs.next().unwrap(),
        // No port in the URL.
        Err(_) => tokio::net::lookup_host((host, default_port))
            .await
            .unwrap()
            .next()
            .unwrap(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(upstream).await else {
                continue;
            };
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(pipe(client_read, server_write));
            tokio::spawn(pipe(server_read, client_write));
        }
    });
    format!("{scheme}{user_info}{proxy}{path}")
}
