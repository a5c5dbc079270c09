//! The connections of the HTTP client: straight to the server, or through an HTTP
//! proxy, which gets `http` requests in absolute form and a `CONNECT` for `https`, the
//! TLS handshake then running through that tunnel.
//!
//! hyper-util's own tunnel connector reports a refused `CONNECT` without its status and
//! keeps its error type private, so the few lines of the `CONNECT` exchange are here,
//! where a failure can say what the proxy answered.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Intercept;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tower_service::Service;

use super::proxy::{Proxies, ProxyError};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The most a proxy's answer to `CONNECT` may hold before its blank line.
const MAX_CONNECT_ANSWER: usize = 8 << 10;

/// Opens the TCP connection of a request, through the proxy its URL is routed to.
#[derive(Clone)]
pub(crate) struct Dialer {
    tcp: HttpConnector,
    proxies: Proxies,
}

impl Dialer {
    pub(crate) fn new(proxies: Proxies) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        // The TLS layer above, not this one, decides which schemes it serves.
        tcp.enforce_http(false);
        Self { tcp, proxies }
    }
}

impl Service<Uri> for Dialer {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        let proxy = self.proxies.route(&destination);
        Box::pin(async move {
            let Some(proxy) = proxy else {
                let io = tcp.call(destination).await?;
                return Ok(Conn {
                    io,
                    forwarding: false,
                });
            };
            if proxy.uri().scheme_str() != Some("http") {
                return Err(ProxyError::unsupported(&proxy).into());
            }
            let mut io = tcp
                .call(proxy.uri().clone())
                .await
                .map_err(|error| connect_failure(&proxy, error.into()))?;
            // `https` goes through a tunnel; `http` is forwarded by the proxy, which
            // must then get the request's whole URL (`Connected::proxy`).
            let forwarding = destination.scheme_str() != Some("https");
            if !forwarding {
                tunnel(io.inner_mut(), &proxy, &destination).await?;
            }
            Ok(Conn { io, forwarding })
        })
    }
}

/// The connection to the proxy failed: the I/O error inside `error` names why.
fn connect_failure(proxy: &Intercept, error: BoxError) -> ProxyError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&*error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<io::Error>() {
            return ProxyError::io(proxy, io);
        }
        source = current.source();
    }
    ProxyError::new(proxy, crate::checks::lower_first(&error.to_string()))
}

/// Asks the proxy on `tcp` for a tunnel to `destination`'s host and port, with the
/// proxy's credentials when its URL has some.
async fn tunnel(
    tcp: &mut TcpStream,
    proxy: &Intercept,
    destination: &Uri,
) -> Result<(), ProxyError> {
    let host = destination.host().unwrap_or_default();
    let port = destination.port_u16().unwrap_or(443);
    let mut request =
        format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n").into_bytes();
    if let Some(credentials) = proxy.basic_auth() {
        request.extend_from_slice(b"Proxy-Authorization: ");
        request.extend_from_slice(credentials.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    tcp.write_all(&request)
        .await
        .map_err(|error| ProxyError::io(proxy, &error))?;

    // The proxy says nothing after its answer until the server does, and the server
    // waits for the TLS handshake: reading in chunks takes nothing of the tunnel's.
    let mut answer = Vec::new();
    let mut chunk = [0; 1024];
    while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = tcp
            .read(&mut chunk)
            .await
            .map_err(|error| ProxyError::io(proxy, &error))?;
        if read == 0 {
            return Err(ProxyError::new(
                proxy,
                "it closed the connection before answering CONNECT",
            ));
        }
        answer.extend_from_slice(&chunk[..read]);
        if answer.len() > MAX_CONNECT_ANSWER {
            return Err(ProxyError::new(proxy, "its answer to CONNECT is too long"));
        }
    }
    let status_line = answer
        .split(|&byte| byte == b'\r')
        .next()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    // `HTTP/1.1 200 Connection established`
    let status = status_line.split(' ').nth(1).unwrap_or_default();
    match status {
        "407" => Err(ProxyError::authentication(proxy)),
        _ if status.starts_with('2') && status.len() == 3 => Ok(()),
        _ => {
            let answered = status_line.split_once(' ').map_or("", |(_, rest)| rest);
            Err(ProxyError::new(
                proxy,
                format!(
                    "it refused the tunnel to {host}:{port} ({})",
                    answered.trim()
                ),
            ))
        }
    }
}

/// A connection to the server, or to the proxy that forwards the requests sent on it.
pub(crate) struct Conn {
    io: TokioIo<TcpStream>,
    /// Whether the proxy forwards requests (so they carry the whole URL).
    forwarding: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarding)
    }
}

impl Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(context, buffer)
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(context, bytes)
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(context)
    }
}
