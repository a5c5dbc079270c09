//! Checks with fixed outcomes, shared by the integration tests.

#![allow(dead_code, missing_docs)]

pub(crate) mod net;

use healthz::{CheckError, CheckResult, HealthCheck};

/// Always works.
pub(crate) struct Working;
impl HealthCheck for Working {
    async fn check(&self) -> CheckResult {
        Ok(())
    }
}

/// Always fails with the given error, made afresh each run.
pub(crate) struct Failing(pub fn() -> CheckError);
impl HealthCheck for Failing {
    async fn check(&self) -> CheckResult {
        Err((self.0)())
    }
}

pub(crate) fn unavailable() -> CheckError {
    CheckError::unavailable("connection refused")
}

pub(crate) fn warning() -> CheckError {
    CheckError::warning("disk 91% full")
}
