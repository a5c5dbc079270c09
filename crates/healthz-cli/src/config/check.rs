//! One `[[check]]`: the keys every check takes ([`CommonKeys`], and [`PolicyKeys`] for
//! freshness and damping), then its kind's, read from what is left of its table, and
//! the check registered under its name.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use healthz::{BuildError, BuildRule, CheckOptions, DEFAULT_TIMEOUT, RegistryBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics, REDACTED};
use super::kinds::{self, AnyKind, Context};
use super::policy::PolicyKeys;
use super::registrar::{Naming, Registrar};
use super::suggest;
use super::table::{Table, names_of};
use super::values::{non_empty, positive_duration_up_to};

/// The longest `timeout`: a check that may take longer than an hour is not one.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The keys every check takes, whatever its kind, besides [`PolicyKeys`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct CommonKeys {
    /// The kind of check; required.
    kind: Spanned<String>,
    /// The whole name on the endpoint.
    name: Option<Spanned<String>>,
    /// Names a second check of a kind `Identifier[alias]`.
    alias: Option<Spanned<String>>,
    /// How long the check may take; the registry's default unless set.
    timeout: Option<Spanned<String>>,
    /// Whether a failure fails the report; true unless set.
    critical: Option<bool>,
    /// The groups the check is served in.
    tags: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A check, registered.
#[derive(Debug)]
pub(super) struct Added {
    /// The check's name.
    pub(super) name: String,
    /// The directory the check expects to exist, which the built-in config creates.
    pub(super) expected_dir: Option<PathBuf>,
    /// Its table's span and common keys, to locate a rule of the registry that the
    /// check breaks.
    pub(super) span: Range<usize>,
    pub(super) common: CommonKeys,
    pub(super) policy: PolicyKeys,
}

/// Every key that every check takes, as written in the file.
pub(super) fn common_keys() -> Vec<&'static str> {
    let mut keys = names_of::<CommonKeys>().to_vec();
    keys.extend_from_slice(names_of::<PolicyKeys>());
    keys
}

impl Added {
    /// Whether the check runs in the background, on its own schedule.
    pub(super) fn is_background(&self) -> bool {
        self.policy.is_background()
    }
}

/// Reads the `number`th check (from 1) from its table and adds it to `builder`, which
/// is returned with it.
///
/// # Errors
///
/// Returns a [`ConfigError`] at the first key that is unknown, missing or invalid.
pub(super) fn add(
    builder: RegistryBuilder,
    number: usize,
    mut table: Table<'_>,
    diagnostics: &Diagnostics<'_>,
    base_dir: &Path,
) -> Result<(RegistryBuilder, Added), ConfigError> {
    let header = table.span();
    let common: CommonKeys = table
        .take()
        .map_err(|error| diagnostics.deserialize(&error))?;
    let policy: PolicyKeys = table
        .take()
        .map_err(|error| diagnostics.deserialize(&error))?;
    let kind = find_kind(number, &common.kind, diagnostics)?;
    if let Some((key, span)) = table.unknown_key(&kind.keys()) {
        return Err(unknown_key(key, span, kind, diagnostics));
    }
    let naming = match (&common.name, &common.alias) {
        (Some(_), Some(alias)) => {
            let section = diagnostics.locate(&header).section;
            return Err(diagnostics.error(
                alias.span(),
                format!("{section}: `name` and `alias` cannot be used together (`alias` gives `Identifier[alias]`, `name` replaces the whole name)"),
            ));
        }
        (Some(name), None) => Naming::Name(non_empty(name, diagnostics)?.to_owned()),
        (None, Some(alias)) => Naming::Alias(Some(non_empty(alias, diagnostics)?.to_owned())),
        (None, None) => Naming::Alias(None),
    };
    let mut options = CheckOptions::new().critical(common.critical.unwrap_or(true));
    let mut timeout = DEFAULT_TIMEOUT;
    if let Some(value) = &common.timeout {
        timeout = positive_duration_up_to(value, LONGEST_TIMEOUT, diagnostics)?;
        options = options.timeout(timeout);
    }
    if let Some(tags) = &common.tags {
        options = options.tags(tags.get_ref().iter().map(|tag| tag.get_ref().clone()));
    }
    options = policy.apply(options, diagnostics)?;
    let cx = Context::new(diagnostics, base_dir, timeout, common.timeout.as_ref());
    let registered = kind.register(table, &cx, Registrar::new(builder, options, naming))?;
    let added = Added {
        name: registered.name,
        expected_dir: cx.into_expected_dir(),
        span: header,
        common,
        policy,
    };
    Ok((registered.builder, added))
}

/// The kind `kind` names.
fn find_kind(
    number: usize,
    kind: &Spanned<String>,
    diagnostics: &Diagnostics<'_>,
) -> Result<&'static AnyKind, ConfigError> {
    kinds::named(kind.get_ref()).ok_or_else(|| {
        let names: Vec<&str> = kinds::ALL.iter().map(AnyKind::name).collect();
        // A suggestion would tell something of an interpolated value.
        let hint = if diagnostics.is_interpolated(&kind.span()) {
            String::new()
        } else {
            suggest::hint(kind.get_ref(), &names)
        };
        diagnostics.error(
            kind.span(),
            format!(
                "check #{number}: `kind`: unknown kind {}{hint} (expected one of: {})",
                diagnostics.shown(kind),
                names.join(", ")
            ),
        )
    })
}

/// A key that `kind` does not take: another kind's, or one no kind takes, then with
/// the nearest of the keys a check of this kind takes.
fn unknown_key(
    key: &str,
    span: Range<usize>,
    kind: &AnyKind,
    diagnostics: &Diagnostics<'_>,
) -> ConfigError {
    let own = kind.keys();
    let name = kind.name();
    if kinds::ALL.iter().any(|other| other.keys().contains(&key)) {
        let accepted = match own.as_slice() {
            [] => "it takes none".to_owned(),
            keys => format!("it takes: {}", keys.join(", ")),
        };
        let section = diagnostics.locate(&span).section;
        return diagnostics.error(
            span,
            format!("{section}: key `{key}` does not apply to kind `{name}` ({accepted})"),
        );
    }
    let common = common_keys();
    let takes = match own.as_slice() {
        [] => format!(
            "a `{name}` check takes only the keys every check takes: {}",
            common.join(", ")
        ),
        keys => format!(
            "a `{name}` check takes: {}; every check takes: {}",
            keys.join(", "),
            common.join(", ")
        ),
    };
    let accepted: Vec<&str> = own.iter().chain(&common).copied().collect();
    let place = format!("in a `{name}` check");
    diagnostics.unknown_key(key, span, &place, &accepted, Some(&takes))
}

/// Locates a rule of the registry that the check broke, at the key that caused it.
pub(super) fn broken_rule(
    error: &BuildError,
    check: &Added,
    diagnostics: &Diagnostics<'_>,
) -> ConfigError {
    let check_span = check.span.clone();
    let section = diagnostics.locate(&check_span).section;
    let policy = &check.policy;
    let check = &check.common;
    // Where the name comes from: `name`, else `alias`, else `kind`.
    let naming = check
        .name
        .as_ref()
        .or(check.alias.as_ref())
        .unwrap_or(&check.kind)
        .span();
    // The name may have come from an interpolated value: then it is not shown.
    let name = if diagnostics.is_interpolated(&naming) {
        REDACTED.to_owned()
    } else {
        format!("`{}`", error.name.escape_debug())
    };
    let (span, problem) = match &error.rule {
        BuildRule::DuplicateName { first } => (
            naming,
            format!(
                "check #{} has the same name {name}; give one of them an `alias` or a `name`",
                first + 1
            ),
        ),
        BuildRule::NameCharacter { .. } | BuildRule::EmptyName => (
            naming,
            format!("the name {name} is not valid: {}", error.rule),
        ),
        BuildRule::InvalidTag { tag } => match &check.tags {
            Some(tags) => {
                // The message shows the tag, or `***` when it was interpolated.
                let shown = tags
                    .get_ref()
                    .iter()
                    .find(|t| t.get_ref() == tag)
                    .map_or_else(|| format!("`{tag}`"), |t| diagnostics.shown(t));
                let problem = if tag.is_empty() {
                    "a tag is empty".to_owned()
                } else {
                    format!("{shown} is not a valid tag")
                };
                (
                    tags.span(),
                    format!(
                        "`tags`: {problem}; tags are non-empty and use only letters, digits, `-`, `_` and `.`"
                    ),
                )
            }
            None => (check_span, error.rule.to_string()),
        },
        BuildRule::InvalidOption { option, reason } => {
            if let Some((span, reason)) = policy.locate(option, reason) {
                return diagnostics.invalid(span, reason);
            }
            (check_span, error.rule.to_string())
        }
        _ => (check_span, error.rule.to_string()),
    };
    diagnostics.error(span, format!("{section}: {problem}"))
}
