//! `kind = "disk"` (named DiskUsage) and `kind = "memory"` (named MemoryUsage): how
//! full a file system or the system's memory is, against the same thresholds.

use healthz::checks::{DiskUsage, MemoryUsage};
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;

/// The keys of a `disk` check, besides [`Thresholds`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct DiskKeys {
    /// Any path on the file system to measure; required.
    path: Spanned<String>,
}

/// `warn-at` and `fail-at`, the keys `disk` and `memory` share: percentages, the
/// warning not above the failure; the library's defaults unless set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct Thresholds {
    warn_at: Option<Spanned<f64>>,
    fail_at: Option<Spanned<f64>>,
}

impl Thresholds {
    /// `check` with the thresholds set, through its `warn_at` and `fail_at` builders:
    /// each a percentage from 0 to 100, the warning not above the failure.
    fn apply<C>(
        &self,
        cx: &Context<'_>,
        mut check: C,
        warn_at: fn(C, f64) -> C,
        fail_at: fn(C, f64) -> C,
    ) -> Result<C, ConfigError> {
        let percent = |value: &Option<Spanned<f64>>| match value {
            Some(value) if !(0.0..=100.0).contains(value.get_ref()) => Err(cx.invalid(
                value.span(),
                format!(
                    "must be a percentage from 0 to 100, not {}",
                    value.get_ref()
                ),
            )),
            Some(value) => Ok(Some(*value.get_ref())),
            None => Ok(None),
        };
        let warn = percent(&self.warn_at)?;
        let fail = percent(&self.fail_at)?;
        if let (Some(warn), Some(fail), Some(fail_at)) = (warn, fail, &self.fail_at)
            && warn > fail
        {
            return Err(cx.invalid(
                fail_at.span(),
                format!("must not be below `warn-at` ({warn} > {fail})"),
            ));
        }
        if let Some(percent) = warn {
            check = warn_at(check, percent);
        }
        if let Some(percent) = fail {
            check = fail_at(check, percent);
        }
        Ok(check)
    }
}

impl Kind for DiskUsage {
    const NAME: &'static str = "disk";
    type Keys = With<DiskKeys, Thresholds>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let check = Self::new(cx.path(&keys.own.path)?);
        keys.shared.apply(cx, check, Self::warn_at, Self::fail_at)
    }
}

impl Kind for MemoryUsage {
    const NAME: &'static str = "memory";
    type Keys = Thresholds;

    fn build(keys: Thresholds, cx: &Context<'_>) -> Result<Self, ConfigError> {
        keys.apply(cx, Self::new(), Self::warn_at, Self::fail_at)
    }
}
