//! The accept loop: [`serve`] takes connections until told to stop, within the
//! `[server]` limits, then closes them by a deadline.
//!
//! axum's own `serve` has no header timeout, no connection limit and no deadline for
//! its graceful shutdown, so that one half-sent request keeps the process alive until
//! its client gives up; this loop is axum's, with those added. It is mini-redis'
//! shape: accept, spawn a task per connection, and on shutdown tell every task to
//! finish, then wait for them.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use socket2::{SockRef, TcpKeepalive};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::connection;
use super::open::Open;
use crate::config::ConnectionLimits;
use crate::throttle::Throttle;

/// How long the loop pauses after `accept` fails for want of a file descriptor or
/// memory when no connection can give way: the pending connection stays in the
/// backlog and would fail again at once.
const ACCEPT_PAUSE: Duration = Duration::from_millis(20);

/// Serves `app` on the connections of `listener` until `stop` resolves; then stops
/// accepting, lets the requests in flight finish for up to `limits.shutdown_timeout`
/// and closes every connection left.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let limits = Arc::new(limits);
    let http1 = Arc::new(connection::http1(&limits));
    let open = Open::new(limits.max_connections);
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut refused = Throttle::new();
    let mut accept_failed = Throttle::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let accepted = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        // Reap the connections that ended, so that the set holds only open ones.
        while connections.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                out_of_resources(&error, &open, &mut accept_failed).await;
                continue;
            }
        };
        let Some(slot) = open.admit() else {
            // Every connection is answering a request: closing this one at once tells
            // its client to go elsewhere, where waiting would tell it nothing.
            if let Some(held_back) = refused.allow(Instant::now()) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    refused_since_last_line = held_back,
                    "connection refused: every connection is answering a request; raise `max-connections` if this is load, not an attack"
                );
            }
            continue;
        };
        configure(&stream, limits.keepalive);
        let app = app.clone();
        let http1 = Arc::clone(&http1);
        let limits = Arc::clone(&limits);
        let closing = closing_seen.clone();
        connections.spawn(async move {
            connection::serve(stream, slot, app, http1, &limits, closing).await;
        });
    }
    drop(listener);
    let _ = closing.send(true);
    let open_at_stop = connections.len();
    let deadline = limits.shutdown_timeout;
    let finished = tokio::time::timeout(deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            connections = connections.len(),
            of = open_at_stop,
            shutdown_timeout = %humantime::format_duration(deadline),
            "shutdown deadline reached: closing the connections left"
        );
        connections.shutdown().await;
    }
}

/// After `accept` failed. An error of one connection (its client gave up before it
/// was accepted) is skipped, as axum's `serve` does; any other is the process or the
/// system out of file descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the
/// oldest quiet connection is closed to make room and a line is logged (at most one
/// a minute); with no room to make, the loop pauses rather than spinning on a
/// backlog that fails again at once.
async fn out_of_resources(error: &io::Error, open: &Open, throttle: &mut Throttle) {
    if is_connection_error(error) {
        tracing::debug!(%error, "accept failed for one connection");
        return;
    }
    let made_room = open.evict_one();
    if let Some(held_back) = throttle.allow(Instant::now()) {
        tracing::warn!(
            %error,
            open_connections = open.len(),
            made_room,
            failed_since_last_line = held_back,
            "cannot accept connections; if out of file descriptors, lower `max-connections` below the process's limit (`ulimit -n`) or raise the limit"
        );
    }
    if made_room {
        // The evicted connection's task closes its descriptor as soon as it runs.
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(ACCEPT_PAUSE).await;
    }
}

/// Whether `accept` failed for one connection only.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Turns off Nagle's algorithm (a response is one write, sent at once) and turns on
/// TCP keepalive, so that a peer that vanished without a word is noticed and its
/// connection closed rather than kept for hours.
fn configure(stream: &TcpStream, keepalive: Option<Duration>) {
    let socket = SockRef::from(stream);
    let result = socket.set_tcp_nodelay(true).and_then(|()| match keepalive {
        Some(idle) => socket.set_tcp_keepalive(&keepalive_probes(idle)),
        None => Ok(()),
    });
    if let Err(error) = result {
        tracing::debug!(%error, "cannot set the options of a connection");
    }
}

/// Probes after `idle` of silence, then every quarter of it, up to four: a vanished
/// peer is noticed within about twice `idle`.
fn keepalive_probes(idle: Duration) -> TcpKeepalive {
    let probes = TcpKeepalive::new().with_time(idle);
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd"))]
    let probes = probes
        .with_interval((idle / 4).max(Duration::from_secs(1)))
        .with_retries(4);
    probes
}
