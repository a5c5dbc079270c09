//! `kind = "sqlite"` (named DatabaseBackend: `SELECT 1` on a SQLite database file)
//! and `kind = "filesystem"` (named StorageBackend: a file written, read back and
//! deleted in a directory): the kinds that take a path.

use std::path::Path;

use healthz::checks::{Filesystem, Sqlite};

use super::context::Context;
use super::kind::Kind;
use super::shared::PathKeys;
use crate::config::diagnostic::ConfigError;

impl Kind for Sqlite {
    const NAME: &'static str = "sqlite";
    type Keys = PathKeys;

    fn build(keys: PathKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let path = cx.path(&keys.path)?;
        // SQLite creates the file, not its directory: the built-in config does.
        cx.expect_dir(path.parent().map(Path::to_path_buf));
        Ok(Self::new(path))
    }
}

impl Kind for Filesystem {
    const NAME: &'static str = "filesystem";
    type Keys = PathKeys;

    fn build(keys: PathKeys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let dir = cx.path(&keys.path)?;
        let check = Self::new(&dir);
        cx.expect_dir(Some(dir));
        Ok(check)
    }
}
