//! What a kind is: [`Kind`], implemented by each library check the config can
//! declare, and [`AnyKind`], the same with its types erased so that all kinds fit in
//! one list.

use healthz::HealthCheck;

use super::context::Context;
use crate::config::diagnostic::ConfigError;
use crate::config::registrar::{Registered, Registrar};
use crate::config::table::{Keys, Table};

/// A kind of check: the library's check, built from the keys of `kind = "…"`.
pub(in crate::config) trait Kind: HealthCheck + Sized {
    /// The name in `kind = "…"`.
    const NAME: &'static str;

    /// The kind's keys, besides those every check takes: a serde struct with
    /// `deny_unknown_fields` and kebab-case names, or [`With`](crate::config::table::With)
    /// one and keys shared with other kinds.
    type Keys: Keys;

    /// Builds the check from its keys.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] at the key whose value is invalid.
    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError>;
}

/// A [`Kind`] whose types are erased.
#[derive(Debug)]
pub(in crate::config) struct AnyKind {
    name: &'static str,
    keys: fn() -> Vec<&'static str>,
    register: fn(Table<'_>, &Context<'_>, Registrar) -> Result<Registered, ConfigError>,
}

impl AnyKind {
    /// The kind `K`.
    pub(super) const fn of<K: Kind>() -> Self {
        Self {
            name: K::NAME,
            keys: K::Keys::names,
            register: register::<K>,
        }
    }

    /// The name in `kind = "…"`.
    pub(in crate::config) const fn name(&self) -> &'static str {
        self.name
    }

    /// The kind's keys, besides those every check takes.
    pub(in crate::config) fn keys(&self) -> Vec<&'static str> {
        (self.keys)()
    }

    /// Reads the kind's keys from `table`, which must hold no other, builds the check
    /// and registers it.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] when a key is missing or a value is invalid.
    pub(in crate::config) fn register(
        &self,
        table: Table<'_>,
        cx: &Context<'_>,
        registrar: Registrar,
    ) -> Result<Registered, ConfigError> {
        (self.register)(table, cx, registrar)
    }
}

fn register<K: Kind>(
    table: Table<'_>,
    cx: &Context<'_>,
    registrar: Registrar,
) -> Result<Registered, ConfigError> {
    let keys = K::Keys::read(table).map_err(|error| cx.diagnostics().deserialize(&error))?;
    Ok(registrar.add(K::build(keys, cx)?))
}
