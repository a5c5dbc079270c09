//! The check API: [`HealthCheck`] for async checks, [`BlockingHealthCheck`] for checks
//! on synchronous clients.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::blocking::{BlockingGuard, run_blocking};
use crate::error::CheckError;

/// What a check returns: `Ok(())` when the backend works.
pub type CheckResult = Result<(), CheckError>;

/// A health check: one real, cheap action against one backend.
///
/// ```
/// use healthz::{CheckError, CheckResult, HealthCheck};
///
/// struct Answer;
///
/// impl HealthCheck for Answer {
///     async fn check(&self) -> CheckResult {
///         let answer = "42".parse::<u32>()?; // foreign errors become `unknown error`
///         if answer != 42 {
///             return Err(CheckError::unexpected_result("the answer changed"));
///         }
///         Ok(())
///     }
/// }
/// ```
///
/// The runner enforces the timeout by dropping the future, so a check needs no timeout
/// of its own; it must only not block the thread (see [`BlockingHealthCheck`]).
pub trait HealthCheck: Send + Sync + 'static {
    /// Runs the check once.
    fn check(&self) -> impl Future<Output = CheckResult> + Send;

    /// The display name on the endpoint, unless the registration names it. Defaults to
    /// the type's name without its module path or generics (`Answer` above).
    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed(short_type_name::<Self>())
    }

    /// The `componentType` in `application/health+json`: `datastore`, `system`,
    /// `component`… Defaults to `component`.
    fn component_type(&self) -> &'static str {
        "component"
    }
}

/// A check on a synchronous (blocking) client, run on Tokio's blocking thread pool so it
/// never stalls the async workers.
///
/// A blocking check cannot be cancelled: when it times out the runner reports the
/// timeout at once and the thread finishes in the background. Until it has, the check
/// starts no other thread: its runs report `unavailable: the previous run is still
/// running after …`, so that a hung backend holds one thread of the pool, not one per
/// run.
pub trait BlockingHealthCheck: Send + Sync + 'static {
    /// Runs the check once, blocking the current thread.
    ///
    /// # Errors
    ///
    /// Returns a [`CheckError`] when the backend does not work.
    fn check_blocking(&self) -> CheckResult;

    /// The display name; see [`HealthCheck::identifier`].
    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed(short_type_name::<Self>())
    }

    /// The `componentType`; see [`HealthCheck::component_type`].
    fn component_type(&self) -> &'static str {
        "component"
    }
}

/// Adapts a [`BlockingHealthCheck`] to [`HealthCheck`]; made by
/// [`RegistryBuilder::blocking`](crate::RegistryBuilder::blocking).
#[derive(Debug)]
pub struct Blocking<C> {
    check: Arc<C>,
    guard: BlockingGuard,
}

impl<C> Blocking<C> {
    /// Wraps a blocking check.
    #[must_use]
    pub fn new(check: C) -> Self {
        Self {
            check: Arc::new(check),
            guard: BlockingGuard::default(),
        }
    }
}

impl<C: BlockingHealthCheck> HealthCheck for Blocking<C> {
    async fn check(&self) -> CheckResult {
        let check = Arc::clone(&self.check);
        run_blocking(&self.guard, move || check.check_blocking()).await
    }

    fn identifier(&self) -> Cow<'static, str> {
        self.check.identifier()
    }

    fn component_type(&self) -> &'static str {
        self.check.component_type()
    }
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe twin of [`HealthCheck`] that the registry stores.
pub(crate) trait DynHealthCheck: Send + Sync + 'static {
    fn check_boxed(&self) -> BoxFuture<'_, CheckResult>;
    fn identifier(&self) -> Cow<'static, str>;
    fn component_type(&self) -> &'static str;
}

impl<C: HealthCheck> DynHealthCheck for C {
    fn check_boxed(&self) -> BoxFuture<'_, CheckResult> {
        Box::pin(HealthCheck::check(self))
    }

    fn identifier(&self) -> Cow<'static, str> {
        HealthCheck::identifier(self)
    }

    fn component_type(&self) -> &'static str {
        HealthCheck::component_type(self)
    }
}

/// `my_app::checks::Queue<Foo>` → `Queue`.
fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let without_generics = full.split('<').next().unwrap_or(full);
    without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    struct Plain;
    impl HealthCheck for Plain {
        async fn check(&self) -> CheckResult {
            Ok(())
        }
    }

    struct Generic<T>(T);
    impl<T: Send + Sync + 'static> HealthCheck for Generic<T> {
        async fn check(&self) -> CheckResult {
            Ok(())
        }
    }

    struct SyncCheck;
    impl BlockingHealthCheck for SyncCheck {
        fn check_blocking(&self) -> CheckResult {
            std::thread::sleep(std::time::Duration::from_millis(1));
            Err(CheckError::warning("slow"))
        }
    }

    struct Panicky;
    impl BlockingHealthCheck for Panicky {
        fn check_blocking(&self) -> CheckResult {
            panic!("sync boom")
        }
    }

    #[test]
    fn default_identifier_is_the_short_type_name() {
        assert_eq!(HealthCheck::identifier(&Plain), "Plain");
        assert_eq!(HealthCheck::identifier(&Generic(1_u8)), "Generic");
        assert_eq!(
            HealthCheck::identifier(&Blocking::new(SyncCheck)),
            "SyncCheck"
        );
    }

    #[tokio::test]
    async fn blocking_checks_run_on_the_blocking_pool() {
        let error = HealthCheck::check(&Blocking::new(SyncCheck))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Warning);
    }

    #[tokio::test]
    async fn a_panicking_blocking_check_is_an_unknown_error() {
        let error = HealthCheck::check(&Blocking::new(Panicky))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownError);
        assert_eq!(error.message(), "check panicked: sync boom");
    }
}
