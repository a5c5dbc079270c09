//! The config file as plain serde data: what the TOML says, checked for unknown keys and
//! types but not for meaning, which is [`super::validate`]'s job.
//!
//! Values that need a span for a later error are [`Spanned`]. Durations, addresses and
//! paths stay strings here so that `${VAR}` works in them and their errors read the same
//! as the other validation errors.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawConfig {
    /// `[server]`.
    #[serde(default)]
    pub(super) server: RawServer,
    /// Every `[[check]]`, in order.
    #[serde(default)]
    pub(super) check: Vec<Spanned<RawCheck>>,
}

/// `[server]`: where and how the endpoint answers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawServer {
    pub(super) bind: Option<Spanned<String>>,
    pub(super) path: Option<Spanned<String>>,
    pub(super) failure_status: Option<Spanned<u16>>,
    pub(super) degraded_status: Option<Spanned<u16>>,
    pub(super) warnings_as_errors: Option<bool>,
    pub(super) max_age: Option<Spanned<String>>,
    pub(super) history: Option<Spanned<usize>>,
}

/// One `[[check]]`: the keys every kind has, then the kind-specific ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCheck {
    pub(super) kind: Spanned<String>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) alias: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) critical: Option<bool>,
    pub(super) tags: Option<Vec<Spanned<String>>>,
    // Kind-specific: `Kind::keys` says which kind takes which.
    pub(super) path: Option<Spanned<String>>,
    pub(super) addr: Option<Spanned<String>>,
    pub(super) warn_above: Option<Spanned<f64>>,
    pub(super) fail_above: Option<Spanned<f64>>,
}

impl RawCheck {
    /// The kind-specific keys this check sets, with the span of each value; a new
    /// kind-specific key is added here as well as to the struct.
    pub(super) fn kind_specific_keys(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        [
            ("path", self.path.as_ref().map(Spanned::span)),
            ("addr", self.addr.as_ref().map(Spanned::span)),
            ("warn-above", self.warn_above.as_ref().map(Spanned::span)),
            ("fail-above", self.fail_above.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(key, span)| Some((key, span?)))
        .collect()
    }
}
