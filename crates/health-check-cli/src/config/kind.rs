//! The kinds of check a config can declare: the one place to add a kind.
//!
//! Adding a kind is a variant of [`Kind`], its name and kind-specific keys, and an arm
//! of [`Kind::register`] that builds the check from [`KindKeys`]; a new key also goes
//! into [`RawCheck`] and `reference.toml`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use health_check::checks::{DiskUsage, Filesystem, MemoryCache, MemoryUsage, Sqlite, TcpConnect};
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics, Section};
use super::raw::RawCheck;
use super::validate::{Registered, Registrar};

/// A kind of check, as written in `kind = "…"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Sqlite,
    Filesystem,
    MemoryCache,
    Disk,
    Memory,
    Tcp,
}

impl Kind {
    /// Every kind, in the order error messages list them.
    pub(super) const ALL: [Self; 6] = [
        Self::Sqlite,
        Self::Filesystem,
        Self::MemoryCache,
        Self::Disk,
        Self::Memory,
        Self::Tcp,
    ];

    /// The name in `kind = "…"`.
    pub(super) const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Filesystem => "filesystem",
            Self::MemoryCache => "memory-cache",
            Self::Disk => "disk",
            Self::Memory => "memory",
            Self::Tcp => "tcp",
        }
    }

    /// The kind named `name`, if any.
    pub(super) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind-specific keys this kind accepts; the others are errors.
    pub(super) const fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Sqlite | Self::Filesystem => &["path"],
            Self::MemoryCache => &[],
            Self::Disk => &["path", "warn-above", "fail-above"],
            Self::Memory => &["warn-above", "fail-above"],
            Self::Tcp => &["addr"],
        }
    }

    /// Builds the check from its keys and registers it.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] when a required key is missing or a value is invalid.
    pub(super) fn register(
        self,
        keys: &KindKeys<'_>,
        registrar: Registrar,
    ) -> Result<Registered, ConfigError> {
        Ok(match self {
            Self::Sqlite => {
                let path = keys.path()?;
                let dir = path.parent().map(Path::to_path_buf);
                registrar.add(Sqlite::open(path)).expecting_dir(dir)
            }
            Self::Filesystem => {
                let dir = keys.path()?;
                registrar
                    .add(Filesystem::new(&dir))
                    .expecting_dir(Some(dir))
            }
            Self::MemoryCache => registrar.add(MemoryCache::new()),
            Self::Disk => {
                let mut check = DiskUsage::new(keys.path()?);
                let (warn, fail) = keys.thresholds()?;
                if let Some(percent) = warn {
                    check = check.warn_above(percent);
                }
                if let Some(percent) = fail {
                    check = check.fail_above(percent);
                }
                registrar.add(check)
            }
            Self::Memory => {
                let (warn, fail) = keys.thresholds()?;
                let mut check = MemoryUsage::new();
                if let Some(percent) = warn {
                    check = check.warn_above(percent);
                }
                if let Some(percent) = fail {
                    check = check.fail_above(percent);
                }
                registrar.add(check)
            }
            Self::Tcp => registrar.add(TcpConnect::new(keys.addr()?)),
        })
    }
}

/// The kind-specific values of one check, validated on the way out.
pub(super) struct KindKeys<'a> {
    pub(super) check: &'a RawCheck,
    /// The span of the check's table, for errors about a missing key.
    pub(super) header: Range<usize>,
    pub(super) section: &'a Section,
    pub(super) diagnostics: &'a Diagnostics<'a>,
    /// Relative paths are relative to this: the config file's directory.
    pub(super) base_dir: &'a Path,
}

impl KindKeys<'_> {
    fn required<'v, T>(
        &self,
        key: &str,
        value: &'v Option<Spanned<T>>,
    ) -> Result<&'v Spanned<T>, ConfigError> {
        value.as_ref().ok_or_else(|| {
            self.diagnostics.error(
                self.header.clone(),
                format!("{}: missing key `{key}`", self.section),
            )
        })
    }

    fn invalid(&self, key: &str, span: Range<usize>, problem: &str) -> ConfigError {
        self.diagnostics
            .error(span, format!("{}: `{key}`: {problem}", self.section))
    }

    /// `path`, required, resolved against the config file's directory.
    fn path(&self) -> Result<PathBuf, ConfigError> {
        let path = self.required("path", &self.check.path)?;
        if path.get_ref().is_empty() {
            return Err(self.invalid("path", path.span(), "must not be empty"));
        }
        Ok(self.base_dir.join(path.get_ref()))
    }

    /// `addr`, required, as `host:port`.
    fn addr(&self) -> Result<String, ConfigError> {
        let addr = self.required("addr", &self.check.addr)?;
        let valid = addr
            .get_ref()
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            let problem = format!(
                "must be `host:port` (like `db.internal:5432`), not {}",
                self.diagnostics.shown(addr)
            );
            return Err(self.invalid("addr", addr.span(), &problem));
        }
        Ok(addr.get_ref().clone())
    }

    /// `warn-above` and `fail-above`, optional percentages, the warning below the
    /// failure when both are set.
    fn thresholds(&self) -> Result<(Option<f64>, Option<f64>), ConfigError> {
        let percent = |key: &str, value: &Option<Spanned<f64>>| match value {
            Some(value) if !(0.0..=100.0).contains(value.get_ref()) => Err(self.invalid(
                key,
                value.span(),
                &format!(
                    "must be a percentage from 0 to 100, not {}",
                    value.get_ref()
                ),
            )),
            Some(value) => Ok(Some(*value.get_ref())),
            None => Ok(None),
        };
        let warn = percent("warn-above", &self.check.warn_above)?;
        let fail = percent("fail-above", &self.check.fail_above)?;
        if let (Some(warn), Some(fail), Some(span)) = (
            warn,
            fail,
            self.check.fail_above.as_ref().map(Spanned::span),
        ) && warn > fail
        {
            return Err(self.invalid(
                "fail-above",
                span,
                &format!("must not be below `warn-above` ({warn} > {fail})"),
            ));
        }
        Ok((warn, fail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("postgres"), None);
    }
}
