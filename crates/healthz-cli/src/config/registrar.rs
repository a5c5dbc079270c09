//! Adding a built check to the registry under the name its config gives it:
//! [`Registrar`], which a kind hands its check to once built, and a notification
//! target its delivery check.

use healthz::{CheckOptions, HealthCheck, RegistryBuilder};

/// Adds one check to the builder, under the name the registry will use.
#[derive(Debug)]
pub(super) struct Registrar {
    builder: RegistryBuilder,
    options: CheckOptions,
    naming: Naming,
}

/// How a check is named: explicitly, or by its identifier and an optional alias.
#[derive(Debug)]
pub(super) enum Naming {
    /// `name`: the whole name.
    Name(String),
    /// The check's identifier, with `[alias]` after it when set.
    Alias(Option<String>),
}

impl Registrar {
    /// A registrar adding to `builder`, with the check's options and naming.
    pub(super) fn new(builder: RegistryBuilder, options: CheckOptions, naming: Naming) -> Self {
        Self {
            builder,
            options,
            naming,
        }
    }

    /// Registers the check.
    pub(super) fn add(self, check: impl HealthCheck) -> Registered {
        let name = match self.naming {
            Naming::Name(name) => name,
            Naming::Alias(None) => check.identifier().into_owned(),
            Naming::Alias(Some(alias)) => format!("{}[{alias}]", check.identifier()),
        };
        Registered {
            builder: self
                .builder
                .check_with(check, self.options.name(name.clone())),
            name,
        }
    }
}

/// A registered check: the builder holding it, and its name.
#[derive(Debug)]
pub(super) struct Registered {
    pub(super) builder: RegistryBuilder,
    pub(super) name: String,
}
