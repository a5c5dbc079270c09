//! The keys every check takes about how fresh its result must be and how its failures
//! are damped: [`PolicyKeys`], set on the library's [`CheckOptions`].
//!
//! The library owns the rules of how these options combine (a check is cached or runs
//! in the background, `stale-after` is not shorter than `interval`, thresholds are at
//! least 1): its [`BuildRule::InvalidOption`](healthz::BuildRule::InvalidOption) names
//! the builder method that set the option, which is the key's name in snake case, and
//! [`PolicyKeys::locate`] finds that key's line. Only the upper bounds of the
//! durations, which the library leaves to its caller, are checked here.

use std::ops::Range;
use std::time::Duration;

use healthz::CheckOptions;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics};
use super::table::names_of;
use super::values::duration_up_to;

/// The longest `cache-ttl` and `interval`: a result a day old is not a health check.
const LONGEST_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest `stale-after`: a week, so that a daily check may miss a few runs.
const LONGEST_STALE_AFTER: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// `cache-ttl`, `serve-stale`, `interval`, `stale-after`, `failure-threshold` and
/// `success-threshold`; every one optional. They are named after the builder methods
/// of [`CheckOptions`] that they call, so that a rule the library reports by its
/// method's name is found at its key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct PolicyKeys {
    /// Serves a result younger than this from memory.
    cache_ttl: Option<Spanned<String>>,
    /// With `cache-ttl`: serves the expired result while one run refreshes it.
    serve_stale: Option<Spanned<bool>>,
    /// Runs the check in the background this often.
    interval: Option<Spanned<String>>,
    /// With `interval`: a result older than this fails.
    stale_after: Option<Spanned<String>>,
    /// Failures in a row before the check is reported failing.
    failure_threshold: Option<Spanned<u32>>,
    /// Successes in a row before a failing check is reported working again.
    success_threshold: Option<Spanned<u32>>,
}

impl PolicyKeys {
    /// `options` with the keys that are set.
    ///
    /// # Errors
    ///
    /// Returns the first duration that is not one, or is longer than its bound.
    pub(super) fn apply(
        &self,
        mut options: CheckOptions,
        diagnostics: &Diagnostics<'_>,
    ) -> Result<CheckOptions, ConfigError> {
        if let Some(ttl) = &self.cache_ttl {
            options = options.cache_ttl(duration_up_to(ttl, LONGEST_PERIOD, diagnostics)?);
        }
        if let Some(serve_stale) = &self.serve_stale {
            options = options.serve_stale(*serve_stale.get_ref());
        }
        if let Some(interval) = &self.interval {
            options = options.interval(duration_up_to(interval, LONGEST_PERIOD, diagnostics)?);
        }
        if let Some(age) = &self.stale_after {
            options = options.stale_after(duration_up_to(age, LONGEST_STALE_AFTER, diagnostics)?);
        }
        if let Some(failures) = &self.failure_threshold {
            options = options.failure_threshold(*failures.get_ref());
        }
        if let Some(successes) = &self.success_threshold {
            options = options.success_threshold(*successes.get_ref());
        }
        Ok(options)
    }

    /// Whether the check runs in the background, on its own schedule.
    pub(super) fn is_background(&self) -> bool {
        self.interval.is_some()
    }

    /// The value's span of the key that set the library's `option`, and the library's
    /// `reason` with the options it names written as keys (`cache_ttl` as `cache-ttl`).
    /// `None` for an option these keys do not set.
    pub(super) fn locate(&self, option: &str, reason: &str) -> Option<(Range<usize>, String)> {
        let span = match option {
            "cache_ttl" => self.cache_ttl.as_ref().map(Spanned::span),
            "serve_stale" => self.serve_stale.as_ref().map(Spanned::span),
            "interval" => self.interval.as_ref().map(Spanned::span),
            "stale_after" => self.stale_after.as_ref().map(Spanned::span),
            "failure_threshold" => self.failure_threshold.as_ref().map(Spanned::span),
            "success_threshold" => self.success_threshold.as_ref().map(Spanned::span),
            _ => None,
        }?;
        let reason = names_of::<Self>()
            .iter()
            .fold(reason.to_owned(), |text, key| {
                text.replace(&format!("`{}`", key.replace('-', "_")), &format!("`{key}`"))
            });
        Some((span, reason))
    }
}

#[cfg(test)]
mod tests {
    use healthz::{Damping, Mode, Selection};
    use toml::de::DeTable;

    use super::*;
    use crate::config::table::Table;
    use crate::config::tests::{error, parse_with};

    /// A `tcp` check against a port nothing listens on, with `keys` added.
    fn tcp(keys: &str) -> String {
        format!("[[check]]\nkind = \"tcp\"\naddr = \"127.0.0.1:9\"\n{keys}")
    }

    #[tokio::test]
    async fn the_keys_set_the_check_s_freshness_and_damping() {
        let config = parse_with(
            &format!(
                "{}{}{}",
                tcp("name = \"Cached\"\ncache-ttl = \"1m\"\nserve-stale = true\n"),
                tcp("name = \"Background\"\ninterval = \"1h\"\nstale-after = \"2h\"\n"),
                tcp("name = \"Damped\"\nfailure-threshold = 3\nsuccess-threshold = 2\n"),
            ),
            &[],
        )
        .unwrap();
        assert_eq!(config.background, ["Background"]);
        let registry = config.endpoint.registry();
        let report = registry
            .run(&Selection::all().exclude("Background"))
            .await
            .unwrap();
        let [cached, damped] = [&report.checks[0], &report.checks[1]];
        assert_eq!(
            cached.mode,
            Mode::Cached {
                ttl: Duration::from_secs(60)
            }
        );
        assert_eq!(damped.mode, Mode::OnRequest);
        assert_eq!(
            damped.outcome_text(),
            "working (1 of 3 failures)",
            "{damped:?}"
        );
        assert!(matches!(damped.damping, Some(Damping::Failures { .. })));
    }

    #[test]
    fn the_library_s_rules_are_located_at_the_key_that_broke_them() {
        assert_eq!(
            error(&tcp("cache-ttl = \"0s\"\n")),
            "health.toml:4: check #1 (tcp): `cache-ttl`: must be more than zero"
        );
        assert_eq!(
            error(&tcp("interval = \"10s\"\ncache-ttl = \"1m\"\n")),
            "health.toml:5: check #1 (tcp): `cache-ttl`: cannot be set with `interval`: a check is cached or runs in the background"
        );
        assert_eq!(
            error(&tcp("serve-stale = true\n")),
            "health.toml:4: check #1 (tcp): `serve-stale`: only applies with `cache-ttl`"
        );
        assert_eq!(
            error(&tcp("stale-after = \"1m\"\n")),
            "health.toml:4: check #1 (tcp): `stale-after`: only applies with `interval`"
        );
        assert_eq!(
            error(&tcp("interval = \"1m\"\nstale-after = \"30s\"\n")),
            "health.toml:5: check #1 (tcp): `stale-after`: must not be shorter than `interval`"
        );
        assert_eq!(
            error(&tcp("interval = \"0s\"\n")),
            "health.toml:4: check #1 (tcp): `interval`: must be more than zero"
        );
        assert_eq!(
            error(&tcp("\nfailure-threshold = 0\n")),
            "health.toml:5: check #1 (tcp): `failure-threshold`: must be at least 1"
        );
        assert_eq!(
            error(&tcp("success-threshold = 0\n")),
            "health.toml:4: check #1 (tcp): `success-threshold`: must be at least 1"
        );
    }

    #[test]
    fn values_of_the_wrong_type_or_out_of_bounds_name_the_key() {
        assert_eq!(
            error(&tcp("interval = \"99999999999999h\"\n")),
            "health.toml:4: check #1 (tcp): `interval`: must be at most 1day, not `99999999999999h`"
        );
        assert_eq!(
            error(&tcp("cache-ttl = \"2days\"\n")),
            "health.toml:4: check #1 (tcp): `cache-ttl`: must be at most 1day, not `2days`"
        );
        assert_eq!(
            error(&tcp("interval = \"1h\"\nstale-after = \"8days\"\n")),
            "health.toml:5: check #1 (tcp): `stale-after`: must be at most 7days, not `8days`"
        );
        assert_eq!(
            error(&tcp("timeout = \"2h\"\n")),
            "health.toml:4: check #1 (tcp): `timeout`: must be at most 1h, not `2h`"
        );
        assert_eq!(
            error(&tcp("interval = \"often\"\n")),
            "health.toml:4: check #1 (tcp): `interval`: must be a duration like `2s` or `500ms`, not `often`"
        );
        assert_eq!(
            error(&tcp("failure-threshold = -1\n")),
            "health.toml:4: check #1 (tcp): `failure-threshold`: invalid value: integer `-1`, expected u32"
        );
        assert_eq!(
            error(&tcp("success-threshold = \"2\"\n")),
            "health.toml:4: check #1 (tcp): `success-threshold`: invalid type: string \"2\", expected u32"
        );
        assert_eq!(
            error(&tcp("serve-stale = \"yes\"\n")),
            "health.toml:4: check #1 (tcp): `serve-stale`: invalid type: string \"yes\", expected a boolean"
        );
    }

    fn keys(source: &str) -> PolicyKeys {
        let root = DeTable::parse(source).unwrap();
        Table::new(root.span(), root.into_inner()).read().unwrap()
    }

    #[test]
    fn every_option_is_located_at_its_key_in_the_key_s_words() {
        let source = "cache-ttl = \"1s\"\nserve-stale = true\ninterval = \"2s\"\n\
                      stale-after = \"3s\"\nfailure-threshold = 0\nsuccess-threshold = 0\n";
        let keys = keys(source);
        for (option, value) in [
            ("cache_ttl", "\"1s\""),
            ("serve_stale", "true"),
            ("interval", "\"2s\""),
            ("stale_after", "\"3s\""),
            ("failure_threshold", "0"),
            ("success_threshold", "0"),
        ] {
            let (span, _) = keys.locate(option, "").unwrap();
            assert_eq!(&source[span], value, "{option}");
        }
        let (_, reason) = keys
            .locate("serve_stale", "only applies with `cache_ttl`")
            .unwrap();
        assert_eq!(reason, "only applies with `cache-ttl`");
        assert!(keys.locate("timeout", "").is_none());
        assert!(PolicyKeys::default().locate("interval", "").is_none());
    }
}
