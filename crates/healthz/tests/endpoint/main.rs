//! The endpoint contract of DESIGN.md, through every framework integration: each case
//! below is one test per framework (`status_codes::healthy_is_200_with_the_seed_json::
//! {axum, actix, tower}`), so that the integrations cannot drift apart.

#![cfg(any(feature = "axum", feature = "actix", feature = "tower"))]

#[path = "../support/mod.rs"]
mod support;

/// Turns each `async fn name<F>() { … }` into a module `name` with the case, generic
/// over [`frameworks::Framework`], and one test per enabled framework that runs it.
macro_rules! contract {
    ($(
        $(#[doc = $doc:literal])*
        async fn $case:ident<$framework:ident>() $body:block
    )*) => {$(
        $(#[doc = $doc])*
        mod $case {
            use super::*;

            async fn case<$framework: $crate::frameworks::Framework>() $body

            #[cfg(feature = "axum")]
            #[tokio::test]
            async fn axum() {
                case::<$crate::frameworks::Axum>().await;
            }

            #[cfg(feature = "actix")]
            #[tokio::test]
            async fn actix() {
                case::<$crate::frameworks::Actix>().await;
            }

            #[cfg(feature = "tower")]
            #[tokio::test]
            async fn tower() {
                case::<$crate::frameworks::Tower>().await;
            }
        }
    )*};
}

mod frameworks;

mod auth;
mod customising;
mod headers;
mod methods;
#[cfg(feature = "tower")]
mod metrics;
mod negotiation;
mod selection;
mod status_codes;

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "tower")]
mod tower;
#[cfg(any(feature = "axum", feature = "actix"))]
mod wire;

use healthz::{CheckOptions, Endpoint, Registry};
use support::{Failing, Working, unavailable, warning};

/// Cache and database working, one check per group.
fn healthy() -> Endpoint {
    Endpoint::new(
        Registry::builder()
            .check_with(
                Working,
                CheckOptions::new().name("CacheBackend").tag("ready"),
            )
            .check_with(
                Working,
                CheckOptions::new()
                    .name("DatabaseBackend")
                    .tags(["ready", "db"]),
            )
            .check_with(Working, CheckOptions::new().name("Disk[data]"))
            .build()
            .unwrap(),
    )
}

fn with_failure(critical: bool) -> Registry {
    Registry::builder()
        .check_with(Working, CheckOptions::new().name("CacheBackend"))
        .check_with(
            Failing(unavailable),
            CheckOptions::new()
                .name("DatabaseBackend")
                .critical(critical),
        )
        .build()
        .unwrap()
}

fn with_warning(warnings_as_errors: bool) -> Registry {
    Registry::builder()
        .warnings_as_errors(warnings_as_errors)
        .check_with(Failing(warning), CheckOptions::new().name("DiskUsage"))
        .build()
        .unwrap()
}
