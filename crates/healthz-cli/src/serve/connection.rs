//! One accepted connection, served by hyper's HTTP/1 until it ends, idles, gives way
//! to a new one or is told to close: [`serve`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::Service as _;

use super::open::{Activity, Slot};
use crate::config::ConnectionLimits;

/// hyper's HTTP/1 settings for every connection.
pub(super) fn http1(limits: &ConnectionLimits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
}

/// Serves the requests of `stream` with `app` until the client closes it, it stays
/// idle for `limits.idle_timeout`, its slot is taken by a new connection, or
/// `closing` turns true: then it finishes the request it is answering, if any, and
/// closes. The caller bounds how long that may take.
pub(super) async fn serve(
    stream: TcpStream,
    slot: Slot,
    app: Router,
    http1: Arc<http1::Builder>,
    limits: &ConnectionLimits,
    mut closing: watch::Receiver<bool>,
) {
    let activity = Arc::clone(slot.activity());
    let io = TokioIo::new(Tracked {
        stream,
        activity: Arc::clone(&activity),
    });
    let requests = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request| {
            let answering = activity.answering();
            let response = app.clone().call(request);
            async move {
                let response = response.await;
                drop(answering);
                response
            }
        })
    };
    let connection = http1.serve_connection(io, requests);
    let mut connection = std::pin::pin!(connection);
    let mut told_to_close = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    // Timeouts, malformed requests and clients that went away: the
                    // client's doing, worth a line only when debugging.
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = activity.evicted() => {
                tracing::debug!("connection closed to make room for a new one");
                return;
            }
            () = activity.idle_for(limits.idle_timeout) => {
                tracing::debug!("idle connection closed");
                return;
            }
            _ = closing.wait_for(|closing| *closing), if !told_to_close => {
                // hyper closes an idle connection at once, and one with a request
                // in flight after its response.
                connection.as_mut().graceful_shutdown();
                told_to_close = true;
            }
        }
    }
}

/// A TCP stream that notes in its [`Activity`] every time bytes move.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Tracked {
    /// Notes the activity when `poll` moved bytes.
    fn note<T>(&self, poll: Poll<io::Result<T>>, moved: bool) -> Poll<io::Result<T>> {
        if moved && matches!(poll, Poll::Ready(Ok(_))) {
            self.activity.moved();
        }
        poll
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.stream).poll_read(cx, buf);
        let moved = buf.filled().len() > before;
        self.note(poll, moved)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        let moved = matches!(poll, Poll::Ready(Ok(written)) if written > 0);
        self.note(poll, moved)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        let moved = matches!(poll, Poll::Ready(Ok(written)) if written > 0);
        self.note(poll, moved)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
