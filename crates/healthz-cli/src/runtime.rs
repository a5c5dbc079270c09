//! The Tokio runtime that `check` and `serve` run the checks on, and how it ends.
//!
//! Dropping a runtime waits for its blocking threads, with no limit. A check that runs
//! in the blocking pool (a file system, a DNS lookup) can be stuck there for good in a
//! system call, on a hung network file system for instance: the runner's timeout has
//! long reported it, but its thread never returns. The binary must exit all the same,
//! so the runtime is shut down with a time limit instead, and the process's exit ends
//! the stuck thread.

use std::time::Duration;

use anyhow::Context as _;
use tokio::runtime::{Builder, Runtime};

/// How long the binary waits on its way out for the checks' clean-ups (the probe data
/// of a check the timeout stopped half-way) to finish: enough for the S3 check's
/// delete, tried twice a second apart, on a server that answers.
///
/// With [`SHUTDOWN_WAIT`], it is all that `check` may take beyond its checks'
/// timeouts, so that a container's exec probe with a short timeout of its own is not
/// failed by a backend that hangs. A clean-up cut short is dropped with the runtime,
/// and the probe object it would have removed is named in a warning; the object stays
/// under the check's prefix.
const CLEANUP_WAIT: Duration = Duration::from_millis(1500);

/// How long the runtime's shutdown then waits for blocking threads, which have nothing
/// left to do for the binary by then.
const SHUTDOWN_WAIT: Duration = Duration::from_millis(500);

/// A runtime on this thread: one run of concurrent checks needs no more; blocking checks
/// get the blocking pool all the same.
///
/// # Errors
///
/// Fails when the runtime cannot be built (no more threads or file descriptors).
pub(crate) fn current_thread() -> anyhow::Result<Runtime> {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A runtime with a worker thread per core, for the server.
///
/// # Errors
///
/// Fails when the runtime cannot be built.
pub(crate) fn multi_thread() -> anyhow::Result<Runtime> {
    Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Ends `runtime` after dropping `checks` inside it (a check may start its clean-up
/// when dropped): waits up to [`CLEANUP_WAIT`] for the checks' clean-ups, then up to
/// [`SHUTDOWN_WAIT`] for blocking threads, and leaves any still stuck to the process's
/// exit.
pub(crate) fn shut_down<T>(runtime: Runtime, checks: T) {
    {
        let _entered = runtime.enter();
        drop(checks);
    }
    runtime.block_on(healthz::checks::wait_for_cleanup(CLEANUP_WAIT));
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
}
