//! A forward HTTP proxy on loopback, for the tests of the HTTP-based checks behind a
//! proxy: it opens `CONNECT` tunnels and forwards absolute-form requests, as Squid
//! does, optionally only for a client with its credentials, and records the head of
//! every request it gets.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy, for the rest of the test.
pub(crate) struct ForwardProxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    /// A proxy open to anyone.
    pub(crate) async fn open() -> Self {
        Self::start(None).await
    }

    /// A proxy that answers `407` unless a request carries `Proxy-Authorization:
    /// Basic` with `user` and `password`.
    pub(crate) async fn requiring(user: &str, password: &str) -> Self {
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Self::start(Some(format!("Basic {credentials}"))).await
    }

    async fn start(authorization: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&heads);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let heads = Arc::clone(&recorded);
                let authorization = authorization.clone();
                tokio::spawn(serve(client, authorization, heads));
            }
        });
        Self { addr, heads }
    }

    /// `host:port`.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`, or with `user:password@` when given.
    pub(crate) fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// The heads of the requests so far, in order.
    pub(crate) fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// The request lines so far: `CONNECT 127.0.0.1:4443 HTTP/1.1`.
    pub(crate) fn request_lines(&self) -> Vec<String> {
        self.heads()
            .iter()
            .map(|head| head.lines().next().unwrap_or_default().to_owned())
            .collect()
    }
}

/// One client connection: its request, then the tunnel or the forwarded exchange.
async fn serve(
    mut client: TcpStream,
    authorization: Option<String>,
    heads: Arc<Mutex<Vec<String>>>,
) {
    let Some((head, rest)) = read_head(&mut client).await else {
        return;
    };
    heads.lock().unwrap().push(head.clone());
    if let Some(expected) = authorization {
        let given = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("proxy-authorization")
                .then(|| value.trim().to_owned())
        });
        if given.as_deref() != Some(expected.as_str()) {
            let _ = client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await;
            return;
        }
    }
    let mut words = head.split(' ');
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let upstream_addr = if method == "CONNECT" {
        target.to_owned()
    } else {
        // An absolute-form request: `GET http://host:port/path HTTP/1.1`.
        match target
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| uri.authority().cloned())
        {
            Some(authority) => authority.to_string(),
            None => {
                let _ = client
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    .await;
                return;
            }
        }
    };
    let Ok(mut upstream) = TcpStream::connect(&upstream_addr).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
    } else {
        // The origin (hyper) takes the absolute form as it is.
        let forwarded = [head.as_bytes(), &rest].concat();
        if upstream.write_all(&forwarded).await.is_err() {
            return;
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// The head of the request on `client` up to its blank line (included), and the bytes
/// read after it.
async fn read_head(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut read = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        if let Some(end) = read.windows(4).position(|window| window == b"\r\n\r\n") {
            let rest = read.split_off(end + 4);
            return Some((String::from_utf8(read).ok()?, rest));
        }
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 || read.len() > 64 << 10 {
            return None;
        }
        read.extend_from_slice(&chunk[..n]);
    }
}
