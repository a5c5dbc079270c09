//! How a check is registered: the [`CheckOptions`] a user gives, and the validated
//! [`Registration`] the registry keeps. Descriptions only: what runs, and the state it
//! leaves, belong to the runner.

use std::sync::Arc;
use std::time::Duration;

use crate::check::DynHealthCheck;
use crate::sanitize::is_bidi_control;

/// How a check is registered: its name, timeout, criticality and tags; how fresh its
/// result must be (run on every request, cached, or run in the background); and how
/// many failures or successes in a row change what it reports.
///
/// ```
/// use std::time::Duration;
/// use healthz::CheckOptions;
///
/// // Probed every 10 s whatever the request rate; a blip is not an outage.
/// let database = CheckOptions::new()
///     .interval(Duration::from_secs(10))
///     .failure_threshold(3)
///     .tag("ready");
/// // At most one probe a minute, the previous result served while it runs.
/// let storage = CheckOptions::new().cache_ttl(Duration::from_secs(60)).serve_stale(true);
/// # drop((database, storage));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CheckOptions {
    name: Option<String>,
    timeout: Option<Duration>,
    critical: bool,
    tags: Vec<String>,
    cache_ttl: Option<Duration>,
    serve_stale: bool,
    interval: Option<Duration>,
    stale_after: Option<Duration>,
    failure_threshold: u32,
    success_threshold: u32,
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
            cache_ttl: None,
            serve_stale: false,
            interval: None,
            stale_after: None,
            failure_threshold: 1,
            success_threshold: 1,
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

    /// Serves a result younger than `ttl` from memory: a request after that runs the
    /// check once more (one run shared by every request that wants it). Not with
    /// [`interval`](Self::interval).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// With [`cache_ttl`](Self::cache_ttl): once the result is older than the TTL, a
    /// request gets it at once, marked with its age, while one run refreshes it,
    /// instead of waiting for that run.
    pub fn serve_stale(mut self, yes: bool) -> Self {
        self.serve_stale = yes;
        self
    }

    /// Runs the check in the background every `interval` (with a small random jitter,
    /// so that a fleet does not probe in step), from when the registry starts: requests
    /// read the latest result and never wait on the backend. Before the first result
    /// the check is `pending`. Not with [`cache_ttl`](Self::cache_ttl).
    ///
    /// Requests that run nothing (each check they select is in the background, or
    /// cached and fresh) share the report made for the same selection in the last
    /// 10 ms, until a new result comes in.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// With [`interval`](Self::interval): a result older than this is reported as
    /// failing (`unavailable: stale: last result 47s ago`); three intervals unless set.
    pub fn stale_after(mut self, age: Duration) -> Self {
        self.stale_after = Some(age);
        self
    }

    /// How many failures in a row it takes before the check is reported failing (1,
    /// the first, unless set). Until then it is reported working, with the failures
    /// counted (`working (1 of 3 failures)`).
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = failures;
        self
    }

    /// How many successes in a row it takes before a failing check is reported
    /// working again (1 unless set).
    pub fn success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = successes;
        self
    }
}

impl CheckOptions {
    /// The name `check` gets: the options' own, else its `identifier()`.
    pub(crate) fn name_or(&self, check: &dyn DynHealthCheck) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| check.identifier().into_owned())
    }

    /// The registration of `check` named `name` under these options, with the registry's default
    /// timeout unless they set one; the name, timeout and tags are not validated here.
    ///
    /// # Errors
    ///
    /// Returns an [`InvalidOption`] when an option is out of range or contradicts
    /// another.
    pub(crate) fn into_registration(
        self,
        name: String,
        check: Arc<dyn DynHealthCheck>,
        default_timeout: Duration,
    ) -> Result<Registration, InvalidOption> {
        let freshness = self.freshness()?;
        let invalid = |option, reason| Err(InvalidOption { option, reason });
        if self.failure_threshold == 0 {
            return invalid("failure_threshold", "must be at least 1");
        }
        if self.success_threshold == 0 {
            return invalid("success_threshold", "must be at least 1");
        }
        Ok(Registration {
            name,
            timeout: self.timeout.unwrap_or(default_timeout),
            critical: self.critical,
            tags: self.tags,
            freshness,
            thresholds: Thresholds {
                failures: self.failure_threshold,
                successes: self.success_threshold,
            },
            check,
        })
    }

    /// The freshness the options ask for, if they agree with each other.
    fn freshness(&self) -> Result<Freshness, InvalidOption> {
        let invalid = |option, reason| Err(InvalidOption { option, reason });
        match (self.cache_ttl, self.interval) {
            (Some(_), Some(_)) => invalid(
                "cache_ttl",
                "cannot be set with `interval`: a check is cached or runs in the background",
            ),
            (Some(ttl), None) if ttl.is_zero() => invalid("cache_ttl", "must be more than zero"),
            (_, Some(interval)) if interval.is_zero() => {
                invalid("interval", "must be more than zero")
            }
            _ if self.serve_stale && self.cache_ttl.is_none() => {
                invalid("serve_stale", "only applies with `cache_ttl`")
            }
            _ if self.stale_after.is_some() && self.interval.is_none() => {
                invalid("stale_after", "only applies with `interval`")
            }
            (Some(ttl), None) => Ok(Freshness::Cached {
                ttl,
                serve_stale: self.serve_stale,
            }),
            (None, Some(interval)) => {
                let stale_after = self.stale_after.unwrap_or(interval * 3);
                if stale_after < interval {
                    return invalid("stale_after", "must not be shorter than `interval`");
                }
                Ok(Freshness::Background {
                    interval,
                    stale_after,
                })
            }
            (None, None) => Ok(Freshness::OnRequest),
        }
    }
}

/// An option that is out of range or contradicts another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidOption {
    /// The builder method that set it: `cache_ttl`, `interval`…
    pub(crate) option: &'static str,
    pub(crate) reason: &'static str,
}

/// One registered check: what to run, under which name, for how long at most, how
/// fresh its result must be and how its failures are damped.
pub(crate) struct Registration {
    pub(crate) name: String,
    pub(crate) check: Arc<dyn DynHealthCheck>,
    pub(crate) timeout: Duration,
    pub(crate) critical: bool,
    pub(crate) tags: Vec<String>,
    pub(crate) freshness: Freshness,
    pub(crate) thresholds: Thresholds,
}

/// When a check runs and how old its result may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// On every request that needs it (requests in flight share a run).
    OnRequest,
    /// On a request, when the last result is older than `ttl`.
    Cached { ttl: Duration, serve_stale: bool },
    /// On its own schedule; a result older than `stale_after` fails.
    Background {
        interval: Duration,
        stale_after: Duration,
    },
}

/// How many failures, or successes, in a row change what a check reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Thresholds {
    pub(crate) failures: u32,
    pub(crate) successes: u32,
}

/// The first character of `name` that breaks a format: a control character (a line
/// break forges a line in the text format and in a terminal), a bidirectional control
/// (it reorders what a person reads), or `:` (it separates the component from the
/// measurement in the keys of `application/health+json`).
pub(crate) fn forbidden_name_character(name: &str) -> Option<char> {
    name.chars()
        .find(|&c| c.is_control() || is_bidi_control(c) || c == ':')
}

/// Whether `tag` works as a group's URL path segment.
pub(crate) fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && tag != "."
        && tag != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_break_a_format_are_found() {
        assert_eq!(forbidden_name_character("DatabaseBackend[replica]"), None);
        assert_eq!(forbidden_name_character("Café · ok"), None);
        assert_eq!(forbidden_name_character("a\nFake: unavailable"), Some('\n'));
        assert_eq!(forbidden_name_character("nul\0"), Some('\0'));
        assert_eq!(forbidden_name_character("esc\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(forbidden_name_character("abc\u{202E}def"), Some('\u{202E}'));
        assert_eq!(forbidden_name_character("db:primary"), Some(':'));
    }

    #[test]
    fn tags_are_plain_path_segments() {
        for tag in ["ready", "live", "db-1", "a.b_c"] {
            assert!(is_valid_tag(tag), "{tag}");
        }
        for tag in ["", ".", "..", "a/b", "a b", "é"] {
            assert!(!is_valid_tag(tag), "{tag}");
        }
    }
}
