//! One run of one check: under its timeout, with a panic caught by the check's own
//! task.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::CheckError;
use crate::observe::{Observation, Observations};
use crate::registration::Registration;

/// What one run of a check produced.
pub(super) struct Run {
    pub(super) result: Result<(), CheckError>,
    pub(super) duration: Duration,
    pub(super) finished_at: SystemTime,
    /// What the check observed; nothing when it was stopped.
    pub(super) observations: Vec<Observation>,
}

/// Runs the check once. A run that outlives the timeout is stopped (its task is
/// aborted, so a connection attempt stops there) and reported as `unavailable: timed
/// out after …`.
pub(super) async fn run_check(registration: &Registration) -> Run {
    let check = Arc::clone(&registration.check);
    let observations = Observations::default();
    let collector = observations.clone();
    let start = Instant::now();
    let task = AbortOnDrop(tokio::spawn(async move {
        collector.collect(check.check_boxed()).await
    }));
    let result = match tokio::time::timeout(registration.timeout, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join_error)) => Err(CheckError::from_join_error(join_error)),
        // Dropping the task aborted the check: its connection attempt stops here, and
        // what it observed before is not a result.
        Err(_elapsed) => {
            observations.take();
            Err(CheckError::unavailable(format!(
                "timed out after {}",
                humantime::format_duration(registration.timeout)
            )))
        }
    };
    Run {
        result,
        duration: start.elapsed(),
        finished_at: SystemTime::now(),
        observations: observations.take(),
    }
}

/// Aborts the task when dropped, so a cancelled run leaves no check running.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}
