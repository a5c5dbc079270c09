//! The set of registered checks: [`Registry`], built with [`RegistryBuilder`].

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{Blocking, BlockingHealthCheck, DynHealthCheck, HealthCheck};
use crate::history::History;
use crate::report::Report;
use crate::runner::{InFlight, Runner};
use crate::selection::{Selection, SelectionError};

/// The timeout of a check whose registration sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many past runs each check remembers, unless the builder says otherwise.
pub const DEFAULT_HISTORY_LEN: usize = 30;

/// How a check is registered: its name, timeout, criticality and tags.
#[derive(Debug, Clone)]
#[must_use]
pub struct CheckOptions {
    name: Option<String>,
    timeout: Option<Duration>,
    critical: bool,
    tags: Vec<String>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl CheckOptions {
    /// Critical, untagged, named by the check's `identifier()`, with the registry's
    /// default timeout.
    pub fn new() -> Self {
        Self {
            name: None,
            timeout: None,
            critical: true,
            tags: Vec::new(),
        }
    }

    /// The unique name on the endpoint, instead of the check's `identifier()`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How long the check may take before the runner stops it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether a failure makes the report unhealthy (`true`, the default) or only
    /// degraded.
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Adds the check to a group, served as a sub-path (`/ht/ready/`).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Adds the check to several groups.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }
}

/// Why a registry could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// Two checks have the same name.
    #[error("two checks are named `{name}`; name one of them differently")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// A check's name is empty.
    #[error("a check has an empty name")]
    EmptyName,
    /// A check's timeout is zero.
    #[error("check `{name}` has a zero timeout")]
    ZeroTimeout {
        /// The check.
        name: String,
    },
    /// A tag is not usable as a URL path segment.
    #[error(
        "check `{name}` has the tag `{tag}`; tags are non-empty and use only letters, digits, `-`, `_` and `.`"
    )]
    InvalidTag {
        /// The check.
        name: String,
        /// The tag.
        tag: String,
    },
}

/// Collects checks and their options; [`build`](RegistryBuilder::build) validates them.
#[must_use]
pub struct RegistryBuilder {
    registrations: Vec<(Arc<dyn DynHealthCheck>, CheckOptions)>,
    default_timeout: Duration,
    history_len: usize,
    warnings_as_errors: bool,
}

impl fmt::Debug for RegistryBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryBuilder")
            .field("checks", &self.registrations.len())
            .field("default_timeout", &self.default_timeout)
            .field("history_len", &self.history_len)
            .field("warnings_as_errors", &self.warnings_as_errors)
            .finish()
    }
}

impl RegistryBuilder {
    /// Registers a check with the default options.
    pub fn check(self, check: impl HealthCheck) -> Self {
        self.check_with(check, CheckOptions::new())
    }

    /// Registers a check with the given options.
    pub fn check_with(mut self, check: impl HealthCheck, options: CheckOptions) -> Self {
        self.registrations.push((Arc::new(check), options));
        self
    }

    /// Registers a blocking check, run on Tokio's blocking thread pool.
    pub fn blocking(self, check: impl BlockingHealthCheck) -> Self {
        self.check(Blocking::new(check))
    }

    /// Registers a blocking check with the given options.
    pub fn blocking_with(self, check: impl BlockingHealthCheck, options: CheckOptions) -> Self {
        self.check_with(Blocking::new(check), options)
    }

    /// The timeout of checks whose options set none ([`DEFAULT_TIMEOUT`] unless set).
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// How many past runs each check remembers for the status page
    /// ([`DEFAULT_HISTORY_LEN`] unless set; at least one).
    pub fn history_len(mut self, len: usize) -> Self {
        self.history_len = len.max(1);
        self
    }

    /// Whether a warning of a critical check makes the report unhealthy instead of
    /// degraded (`false` unless set).
    pub fn warnings_as_errors(mut self, yes: bool) -> Self {
        self.warnings_as_errors = yes;
        self
    }

    /// Validates the registrations and builds the registry.
    ///
    /// # Errors
    ///
    /// Returns a [`BuildError`] when two checks share a name, a name is empty, a timeout
    /// is zero or a tag is not a valid path segment.
    pub fn build(self) -> Result<Registry, BuildError> {
        let mut names = HashSet::new();
        let mut entries = Vec::with_capacity(self.registrations.len());
        for (check, options) in self.registrations {
            let name = options
                .name
                .unwrap_or_else(|| check.identifier().into_owned());
            if name.is_empty() {
                return Err(BuildError::EmptyName);
            }
            if !names.insert(name.clone()) {
                return Err(BuildError::DuplicateName { name });
            }
            let timeout = options.timeout.unwrap_or(self.default_timeout);
            if timeout.is_zero() {
                return Err(BuildError::ZeroTimeout { name });
            }
            if let Some(tag) = options.tags.iter().find(|tag| !is_valid_tag(tag)) {
                return Err(BuildError::InvalidTag {
                    name,
                    tag: tag.clone(),
                });
            }
            entries.push(Entry {
                name,
                check,
                timeout,
                critical: options.critical,
                tags: options.tags,
                history: History::new(self.history_len),
                in_flight: InFlight::default(),
            });
        }
        Ok(Registry {
            runner: Arc::new(Runner::new(entries, self.warnings_as_errors)),
        })
    }
}

pub(crate) fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && tag != "."
        && tag != ".."
}

/// One registered check.
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) check: Arc<dyn DynHealthCheck>,
    pub(crate) timeout: Duration,
    pub(crate) critical: bool,
    pub(crate) tags: Vec<String>,
    pub(crate) history: History,
    pub(crate) in_flight: InFlight,
}

/// The registered checks and the runner that runs them. Cheap to clone (shared state).
///
/// ```
/// # use healthz::{HealthCheck, CheckResult, Registry, Selection, CheckOptions};
/// # use std::time::Duration;
/// # struct Database;
/// # impl HealthCheck for Database { async fn check(&self) -> CheckResult { Ok(()) } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let registry = Registry::builder()
///     .check(Database)
///     .check_with(Database, CheckOptions::new().name("Replica").critical(false).tag("ready"))
///     .build()
///     .expect("valid registrations");
/// let report = registry.run(&Selection::all()).await.expect("valid selection");
/// assert_eq!(report.checks.len(), 2);
/// # }
/// ```
#[derive(Clone)]
pub struct Registry {
    runner: Arc<Runner>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("checks", &self.check_names().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// Starts a registry.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder {
            registrations: Vec::new(),
            default_timeout: DEFAULT_TIMEOUT,
            history_len: DEFAULT_HISTORY_LEN,
            warnings_as_errors: false,
        }
    }

    /// The check names, in registration order.
    pub fn check_names(&self) -> impl Iterator<Item = &str> {
        self.runner
            .entries()
            .iter()
            .map(|entry| entry.name.as_str())
    }

    /// Every tag used by a check, once each, in order of first use.
    #[must_use]
    pub fn tags(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.runner
            .entries()
            .iter()
            .flat_map(|entry| entry.tags.iter().map(String::as_str))
            .filter(|tag| seen.insert(*tag))
            .collect()
    }

    /// Runs the selected checks concurrently and reports them.
    ///
    /// Each check runs at most once at a time: concurrent calls share its run in flight
    /// (single-flight per check, whatever their selections), so the load on the
    /// backends never grows with the request rate.
    ///
    /// # Errors
    ///
    /// Returns a [`SelectionError`] when the selection names an unknown group or check.
    pub async fn run(&self, selection: &Selection) -> Result<Arc<Report>, SelectionError> {
        let indices = selection.resolve(self.runner.entries())?;
        Ok(Arc::clone(&self.runner).run_shared(indices).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckResult;

    struct Ok1;
    impl HealthCheck for Ok1 {
        async fn check(&self) -> CheckResult {
            Ok(())
        }
    }

    #[test]
    fn duplicate_names_are_a_build_error() {
        let error = Registry::builder()
            .check(Ok1)
            .check(Ok1)
            .build()
            .unwrap_err();
        assert_eq!(error, BuildError::DuplicateName { name: "Ok1".into() });
        assert_eq!(
            error.to_string(),
            "two checks are named `Ok1`; name one of them differently"
        );
    }

    #[test]
    fn a_second_instance_can_be_named() {
        let registry = Registry::builder()
            .check(Ok1)
            .check_with(Ok1, CheckOptions::new().name("Ok1[replica]"))
            .build()
            .unwrap();
        assert_eq!(
            registry.check_names().collect::<Vec<_>>(),
            ["Ok1", "Ok1[replica]"]
        );
    }

    #[test]
    fn invalid_options_are_build_errors() {
        let zero = CheckOptions::new().timeout(Duration::ZERO);
        assert_eq!(
            Registry::builder()
                .check_with(Ok1, zero)
                .build()
                .unwrap_err(),
            BuildError::ZeroTimeout { name: "Ok1".into() }
        );
        assert_eq!(
            Registry::builder()
                .check_with(Ok1, CheckOptions::new().name(""))
                .build()
                .unwrap_err(),
            BuildError::EmptyName
        );
        assert_eq!(
            Registry::builder()
                .check_with(Ok1, CheckOptions::new().tag("a/b"))
                .build()
                .unwrap_err(),
            BuildError::InvalidTag {
                name: "Ok1".into(),
                tag: "a/b".into()
            }
        );
    }

    #[test]
    fn tags_are_listed_once_in_order() {
        let registry = Registry::builder()
            .check_with(Ok1, CheckOptions::new().tags(["ready", "live"]))
            .check_with(Ok1, CheckOptions::new().name("b").tags(["live", "db"]))
            .build()
            .unwrap();
        assert_eq!(registry.tags(), ["ready", "live", "db"]);
    }
}
