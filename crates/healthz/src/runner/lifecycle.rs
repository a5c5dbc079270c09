//! The service's lifecycle as Kubernetes probes it: `startup` passes for good once its
//! checks have each worked once, and `ready` fails from the moment a shutdown begins
//! while `live` keeps passing.

use std::sync::atomic::{AtomicBool, Ordering};

/// The group Kubernetes' readiness probe asks for; it fails while shutting down.
pub(crate) const READY: &str = "ready";
/// The group Kubernetes' startup probe asks for.
pub(crate) const STARTUP: &str = "startup";

/// What the runner knows of the service's lifecycle.
#[derive(Debug, Default)]
pub(super) struct Lifecycle {
    shutting_down: AtomicBool,
    /// Set once every check tagged `startup` has worked once: it never goes back.
    started: AtomicBool,
}

impl Lifecycle {
    pub(super) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    pub(super) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }

    /// Whether startup is over, now that `all_worked` says whether each startup check
    /// has worked once.
    pub(super) fn started(&self, all_worked: impl FnOnce() -> bool) -> bool {
        if self.started.load(Ordering::Relaxed) {
            return true;
        }
        let started = all_worked();
        if started {
            self.started.store(true, Ordering::Relaxed);
        }
        started
    }
}
