//! `healthz serve`: the endpoint over HTTP until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;
use healthz::Endpoint;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::config::{self, Config};
use crate::runtime;

/// Loads the config, then serves until a shutdown signal; the exit code is 0 after a
/// graceful shutdown.
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
    let shutdown = shutdown_signal()?;
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    // The real address, so that `--bind 127.0.0.1:0` tells where it went.
    println!("healthz listening on http://{addr}{}", config.path);
    tracing::info!(%addr, path = %config.path, checks = config.checks.len(), "listening");
    axum::serve(listener, app(config.endpoint, &config.path))
        .with_graceful_shutdown(shutdown)
        .await
        .context("the server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// The endpoint at `path`, `/` redirecting to it, and a 404 that says where it is.
fn app(endpoint: Endpoint, path: &str) -> Router {
    let mut app = endpoint.router(path);
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

/// Listens for SIGTERM (what Docker, Kubernetes and systemd send) and Ctrl-C, and
/// returns a future that resolves on the first of them.
///
/// The handlers are installed here, before the server announces itself: a signal
/// that arrives between the announcement and the first poll of the future must not
/// kill the process with the default action.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("Ctrl-C received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("Ctrl-C received, shutting down");
        }
    })
}
