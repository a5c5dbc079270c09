//! `healthz serve`: the endpoint over HTTP until SIGTERM or Ctrl-C, then a drain.
//!
//! The shutdown follows what Kubernetes and load balancers expect: at the signal the
//! `ready` group starts failing (`shutting down`) while the server keeps answering, so
//! that traffic moves elsewhere; after `[server] drain` the server stops accepting
//! connections, finishes the requests in flight and exits 0, closing whatever is left
//! after `[server] shutdown-timeout`. A second signal ends the drain at once.
//!
//! The connections are the [`accept`] loop's: each one is served by hyper in
//! [`connection`], within the limits of [`open`].

mod accept;
mod connection;
mod open;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::{any, get};
use healthz::{Endpoint, EndpointRequest, Registry};
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::config::{self, Config};
use crate::{notify, runtime};

/// The root aliases of `[server] probes`, and the group each one serves: the paths
/// Kubernetes' own components answer on.
const PROBES: [(&str, &str); 3] = [
    ("/livez", "/live/"),
    ("/readyz", "/ready/"),
    ("/startupz", "/startup/"),
];

/// Loads the config, then serves until a shutdown signal and the drain after it; the
/// exit code is 0 after a graceful shutdown.
///
/// # Errors
///
/// Fails on a config error or when the address cannot be bound.
pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = config::load(args.config.as_deref())?;
    let runtime = runtime::multi_thread()?;
    let bind = args.bind.unwrap_or(config.bind);
    // `serve` owns the config: the checks are dropped inside the runtime when it returns.
    let served = runtime.block_on(serve(config, bind));
    // Even with a check stuck in a system call, the process exits within seconds.
    runtime::shut_down(runtime, ());
    served?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config, bind: SocketAddr) -> anyhow::Result<()> {
    let signals = Signals::new()?;
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let registry = config.endpoint.registry().clone();
    // Subscribed before the background checks start, so that their first results
    // are seen; the config was built before this runtime existed, so they start now.
    notify::spawn(&registry, config.notify);
    registry.start();
    // The real address, so that `--bind 127.0.0.1:0` tells where it went.
    println!("healthz listening on http://{addr}{}", config.path);
    tracing::info!(%addr, path = %config.path, checks = config.checks.len(), "listening");
    let app = app(config.endpoint, &config.path, config.probes);
    let stop = drain(signals, registry, config.drain);
    accept::serve(listener, app, config.connections, stop).await;
    tracing::info!("stopped");
    Ok(())
}

/// Waits for a shutdown signal, then fails `ready` for `period` while the server keeps
/// serving; the server stops when this returns.
async fn drain(mut signals: Signals, registry: Registry, period: Duration) {
    let signal = signals.recv().await;
    registry.begin_shutdown();
    tracing::info!(
        signal,
        drain = %humantime::format_duration(period),
        "shutting down: ready fails while the server keeps serving for the drain"
    );
    tokio::select! {
        () = tokio::time::sleep(period) => {
            tracing::info!("drain over: finishing the requests in flight");
        }
        signal = signals.recv() => {
            tracing::info!(signal, "drain cut short: finishing the requests in flight");
        }
    }
}

/// The endpoint at `path`, `/` redirecting to it, the root aliases of its groups with
/// `probes`, and a 404 that says where it is.
fn app(endpoint: Endpoint, path: &str, probes: bool) -> Router {
    let aliases = probes.then(|| root_aliases(endpoint.clone()));
    let mut app = endpoint.router(path);
    if let Some(aliases) = aliases {
        app = app.merge(aliases);
    }
    if path != "/" {
        let target = path.to_owned();
        app = app.route(
            "/",
            get(move || async move { Redirect::temporary(&target) }),
        );
    }
    let not_found = format!("not found; the health endpoint is at {path}\n");
    app.fallback(move || async move { (StatusCode::NOT_FOUND, not_found) })
}

/// `/livez`, `/readyz` and `/startupz`: each answers as its group below the endpoint
/// does (formats, `?verbose`, HEAD, 405), since each is that group's request.
fn root_aliases(endpoint: Endpoint) -> Router {
    let endpoint = Arc::new(endpoint);
    PROBES.iter().fold(Router::new(), |router, &(path, group)| {
        let endpoint = Arc::clone(&endpoint);
        router.route(
            path,
            any(move |request: Request| async move {
                let (parts, _body) = request.into_parts();
                endpoint
                    .respond(EndpointRequest {
                        method: &parts.method,
                        sub_path: group,
                        query: parts.uri.query(),
                        headers: &parts.headers,
                    })
                    .await
            }),
        )
    })
}

/// SIGTERM (what Docker, Kubernetes and systemd send) and Ctrl-C.
///
/// The handlers are installed when this is made, before the server announces itself:
/// a signal that arrives between the announcement and the first wait must not kill
/// the process with the default action.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?,
            terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
        })
    }

    /// The next signal's name.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "Ctrl-C",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    /// Never fails: the signature is Unix's.
    fn new() -> anyhow::Result<Self> {
        Ok(Self)
    }

    /// The next signal's name; never, when Ctrl-C cannot be listened for.
    async fn recv(&mut self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}
