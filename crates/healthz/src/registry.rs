//! The set of registered checks: [`Registry`], built with [`RegistryBuilder`].

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{Blocking, BlockingHealthCheck, DynHealthCheck, HealthCheck};
use crate::registration::{CheckOptions, forbidden_name_character, is_valid_tag};
use crate::report::Report;
use crate::runner::{Runner, Transition};
use crate::selection::{Selection, SelectionError};

/// The timeout of a check whose registration sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many past runs each check remembers, unless the builder says otherwise.
pub const DEFAULT_HISTORY_LEN: usize = 30;

/// Why a registry could not be built: which registration broke which rule.
///
/// ```
/// use healthz::{BuildRule, CheckResult, HealthCheck, Registry};
///
/// struct Ping;
/// impl HealthCheck for Ping {
///     async fn check(&self) -> CheckResult { Ok(()) }
/// }
///
/// let error = Registry::builder().check(Ping).check(Ping).build().unwrap_err();
/// assert_eq!(error.index, 1);
/// assert_eq!(error.rule, BuildRule::DuplicateName { first: 0 });
/// assert_eq!(
///     error.to_string(),
///     "check #2 (`Ping`): check #1 has the same name; name one of them differently"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("check #{} (`{}`): {rule}", index + 1, name.escape_debug())]
#[non_exhaustive]
pub struct BuildError {
    /// The registration's position, from 0, in the order the builder received it.
    pub index: usize,
    /// The check's name: the one its options give, else its `identifier()`.
    pub name: String,
    /// The rule it broke.
    pub rule: BuildRule,
}

/// A rule of [`RegistryBuilder::build`] that a registration broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildRule {
    /// The name is empty.
    #[error("the name is empty")]
    EmptyName,
    /// The name holds a character that would break an output format: a control
    /// character (a line break forges a line of the text format), a bidirectional
    /// control, or `:` (the separator of `application/health+json`'s keys).
    #[error(
        "the name holds {}; names may not hold control characters, bidirectional controls or `:`",
        describe_char(*.character)
    )]
    NameCharacter {
        /// The first such character.
        character: char,
    },
    /// An earlier registration has the same name.
    #[error("check #{} has the same name; name one of them differently", first + 1)]
    DuplicateName {
        /// The position of the earlier registration.
        first: usize,
    },
    /// The timeout is zero.
    #[error("the timeout is zero")]
    ZeroTimeout,
    /// An option is out of range, or contradicts another (`cache_ttl` with `interval`).
    #[error("`{option}` {reason}")]
    InvalidOption {
        /// The builder method of [`CheckOptions`] that set it: `cache_ttl`,
        /// `serve_stale`, `interval`, `stale_after`, `failure_threshold` or
        /// `success_threshold`.
        option: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A tag is not usable as a URL path segment.
    #[error(
        "the tag `{}` is not a valid group name; tags are non-empty and use only letters, digits, `-`, `_` and `.`",
        tag.escape_debug()
    )]
    InvalidTag {
        /// The tag.
        tag: String,
    },
}

/// A character as an error message shows it: `:` as itself, others by code point.
fn describe_char(character: char) -> String {
    match character {
        ':' => "`:`".to_owned(),
        other => format!("the control character {}", other.escape_unicode()),
    }
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
        let mut first_with_name = HashMap::new();
        let mut registrations = Vec::with_capacity(self.registrations.len());
        for (index, (check, options)) in self.registrations.into_iter().enumerate() {
            let name = options.name_or(check.as_ref());
            let broken = |rule| BuildError {
                index,
                name: name.clone(),
                rule,
            };
            let registration = options
                .into_registration(name.clone(), check, self.default_timeout)
                .map_err(|invalid| {
                    broken(BuildRule::InvalidOption {
                        option: invalid.option,
                        reason: invalid.reason,
                    })
                })?;
            if registration.name.is_empty() {
                return Err(broken(BuildRule::EmptyName));
            }
            if let Some(character) = forbidden_name_character(&registration.name) {
                return Err(broken(BuildRule::NameCharacter { character }));
            }
            if let Some(&first) = first_with_name.get(&registration.name) {
                return Err(broken(BuildRule::DuplicateName { first }));
            }
            if registration.timeout.is_zero() {
                return Err(broken(BuildRule::ZeroTimeout));
            }
            if let Some(tag) = registration.tags.iter().find(|tag| !is_valid_tag(tag)) {
                return Err(broken(BuildRule::InvalidTag { tag: tag.clone() }));
            }
            first_with_name.insert(registration.name.clone(), index);
            registrations.push(registration);
        }
        let registry = Registry {
            runner: Arc::new(Runner::new(
                registrations,
                self.history_len,
                self.warnings_as_errors,
            )),
        };
        // Inside a runtime the background checks start now; else with the first run.
        registry.start();
        Ok(registry)
    }
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
            .registrations()
            .map(|registration| registration.name.as_str())
    }

    /// Every tag used by a check, once each, in order of first use.
    #[must_use]
    pub fn tags(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.runner
            .registrations()
            .flat_map(|registration| registration.tags.iter().map(String::as_str))
            .filter(|tag| seen.insert(*tag))
            .collect()
    }

    /// Starts the background checks (those registered with an
    /// [`interval`](CheckOptions::interval)) on the current Tokio runtime, if they have
    /// not started yet; returns whether they run.
    ///
    /// Building the registry inside a runtime starts them already; outside one (a
    /// registry built before the runtime), this or the first [`run`](Self::run) does.
    pub fn start(&self) -> bool {
        self.runner.start()
    }

    /// A receiver of every change of what a check reports, after damping: from pending
    /// or working to warning or failing, and back. Each change is also one `tracing`
    /// event; nothing is sent per request or per unchanged run.
    ///
    /// A receiver that falls more than 256 changes behind misses the oldest and is told
    /// so ([`RecvError::Lagged`](tokio::sync::broadcast::error::RecvError::Lagged)).
    #[must_use]
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Transition> {
        self.runner.subscribe()
    }

    /// Begins the shutdown: from now on the `ready` group fails (`shutting down`), so
    /// that load balancers and Kubernetes stop sending traffic while the service drains,
    /// and `live` keeps passing. Call it first thing in the application's shutdown path,
    /// then keep serving for a drain period. It cannot be undone.
    pub fn begin_shutdown(&self) {
        self.runner.begin_shutdown();
    }

    /// Whether [`begin_shutdown`](Self::begin_shutdown) was called.
    #[must_use]
    pub fn is_shutting_down(&self) -> bool {
        self.runner.is_shutting_down()
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
        let indices = selection.resolve(
            self.runner
                .registrations()
                .map(|registration| (registration.name.as_str(), &registration.tags[..])),
        )?;
        Ok(Arc::clone(&self.runner)
            .run(indices, selection.group_name())
            .await)
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

    fn rule_broken(builder: RegistryBuilder) -> (usize, BuildRule) {
        let error = builder.build().unwrap_err();
        (error.index, error.rule)
    }

    #[test]
    fn duplicate_names_are_a_build_error_naming_both() {
        let error = Registry::builder()
            .check(Ok1)
            .check_with(Ok1, CheckOptions::new().name("other"))
            .check(Ok1)
            .build()
            .unwrap_err();
        assert_eq!((error.index, error.name.as_str()), (2, "Ok1"));
        assert_eq!(error.rule, BuildRule::DuplicateName { first: 0 });
        assert_eq!(
            error.to_string(),
            "check #3 (`Ok1`): check #1 has the same name; name one of them differently"
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
            rule_broken(
                Registry::builder()
                    .check(Ok1)
                    .check_with(Ok1, zero.name("b"))
            ),
            (1, BuildRule::ZeroTimeout)
        );
        assert_eq!(
            rule_broken(Registry::builder().check_with(Ok1, CheckOptions::new().name(""))),
            (0, BuildRule::EmptyName)
        );
        assert_eq!(
            rule_broken(Registry::builder().check_with(Ok1, CheckOptions::new().tag("a/b"))),
            (0, BuildRule::InvalidTag { tag: "a/b".into() })
        );
    }

    #[test]
    fn names_that_would_forge_output_are_build_errors() {
        let forged = CheckOptions::new().name("a\nFakeCheck: unavailable\nb");
        let error = Registry::builder()
            .check_with(Ok1, forged)
            .build()
            .unwrap_err();
        assert_eq!(error.rule, BuildRule::NameCharacter { character: '\n' });
        assert_eq!(
            error.to_string(),
            "check #1 (`a\\nFakeCheck: unavailable\\nb`): the name holds the control character \\u{a}; \
             names may not hold control characters, bidirectional controls or `:`"
        );
        let colon = CheckOptions::new().name("db:primary");
        assert_eq!(
            rule_broken(Registry::builder().check_with(Ok1, colon)),
            (0, BuildRule::NameCharacter { character: ':' })
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
