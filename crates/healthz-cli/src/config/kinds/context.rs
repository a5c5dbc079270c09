//! What a kind's [`build`](super::kind::Kind::build) has besides its keys: [`Context`], with
//! the readers of the values several kinds take.
//!
//! Every error names the key and its line (found from the value's span); a value that
//! came from `${VAR}` is shown as `***`, a URL only with its password masked, and a
//! secret never.

use std::cell::Cell;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use healthz::Secret;
use healthz::checks::InvalidUrl;
use toml::Spanned;

use crate::config::diagnostic::{ConfigError, Diagnostics};
use crate::config::values::{self, Url};

/// The check being built: where its errors go, where its relative paths start, and
/// its timeout.
pub(in crate::config) struct Context<'a> {
    diagnostics: &'a Diagnostics<'a>,
    /// Relative paths are relative to this: the config file's directory.
    base_dir: &'a Path,
    timeout: Duration,
    /// `timeout` as written, unless the check takes the registry's default.
    written_timeout: Option<&'a Spanned<String>>,
    /// The directory the check expects to exist, which the built-in config creates.
    /// Two kinds note one while they build their check: a cell keeps `build` the same
    /// for every kind.
    expected_dir: Cell<Option<PathBuf>>,
}

impl<'a> Context<'a> {
    /// The context of a check whose timeout is `timeout`, as written in
    /// `written_timeout` unless it is the default.
    pub(in crate::config) fn new(
        diagnostics: &'a Diagnostics<'a>,
        base_dir: &'a Path,
        timeout: Duration,
        written_timeout: Option<&'a Spanned<String>>,
    ) -> Self {
        Self {
            diagnostics,
            base_dir,
            timeout,
            written_timeout,
            expected_dir: Cell::new(None),
        }
    }

    /// Where errors are located and redacted.
    pub(super) fn diagnostics(&self) -> &'a Diagnostics<'a> {
        self.diagnostics
    }

    /// The check's timeout, which bounds a whole run.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The check's timeout for a message: `` `2s` `` as written, or `5s by default`.
    pub(super) fn timeout_shown(&self) -> String {
        match self.written_timeout {
            Some(timeout) => self.diagnostics.shown(timeout),
            None => format!("{} by default", humantime::format_duration(self.timeout)),
        }
    }

    /// Notes a directory the check expects to exist.
    pub(super) fn expect_dir(&self, dir: Option<PathBuf>) {
        self.expected_dir.set(dir);
    }

    /// The directory the check expects to exist, if it noted one.
    pub(in crate::config) fn into_expected_dir(self) -> Option<PathBuf> {
        self.expected_dir.into_inner()
    }

    /// An error about the value at `span`, naming its key.
    pub(super) fn invalid(
        &self,
        span: Range<usize>,
        problem: impl std::fmt::Display,
    ) -> ConfigError {
        self.diagnostics.invalid(span, problem)
    }

    /// A string that must not be blank.
    pub(super) fn non_empty<'v>(&self, value: &'v Spanned<String>) -> Result<&'v str, ConfigError> {
        values::non_empty(value, self.diagnostics)
    }

    /// A duration like `2s`.
    pub(super) fn duration(&self, value: &Spanned<String>) -> Result<Duration, ConfigError> {
        values::duration(value, self.diagnostics)
    }

    /// A URL, built into a check (or a part of one) by the library's constructor.
    pub(super) fn url<T>(
        &self,
        url: &Spanned<Url>,
        build: impl FnOnce(&str) -> Result<T, InvalidUrl>,
    ) -> Result<T, ConfigError> {
        self.built("URL", url.span(), url.get_ref().expose(), build)
    }

    /// An address, built into a check by the library's constructor (for the kinds
    /// whose library check reads more than `host:port`).
    pub(super) fn address<T>(
        &self,
        address: &Spanned<String>,
        build: impl FnOnce(&str) -> Result<T, InvalidUrl>,
    ) -> Result<T, ConfigError> {
        self.built("address", address.span(), address.get_ref(), build)
    }

    /// What a library constructor makes of a URL or an address (`noun`), its error
    /// located at the key without the value: see [`values::invalid_url`].
    fn built<T>(
        &self,
        noun: &str,
        span: Range<usize>,
        text: &str,
        build: impl FnOnce(&str) -> Result<T, InvalidUrl>,
    ) -> Result<T, ConfigError> {
        build(text)
            .map_err(|error| values::invalid_url(self.diagnostics, span, noun, text, &error.reason))
    }

    /// A path, resolved against the config file's directory.
    pub(super) fn path(&self, path: &Spanned<String>) -> Result<PathBuf, ConfigError> {
        if path.get_ref().is_empty() {
            return Err(self.invalid(path.span(), "must not be empty"));
        }
        Ok(self.base_dir.join(path.get_ref()))
    }

    /// A secret's value, which no message shows.
    pub(super) fn secret(&self, value: &Spanned<Secret>) -> Result<String, ConfigError> {
        let secret = value.get_ref().expose();
        if secret.trim().is_empty() {
            return Err(self.invalid(value.span(), "must not be empty"));
        }
        Ok(secret.clone())
    }
}
