//! Health checks for Rust services and the backends they depend on.
//!
//! A [`Registry`] holds checks: types implementing [`HealthCheck`], one real and cheap
//! action against one backend each. The runner runs them concurrently, each under a
//! timeout it enforces, catches panics, and lets concurrent requests share one run. An
//! [`Endpoint`] serves the resulting [`Report`] on one URL: an HTML status page for
//! people, JSON, `application/health+json`, text or OpenMetrics for machines; 200 when
//! healthy, 500 when not.
//!
//! ```no_run
//! use healthz::{CheckError, CheckResult, Endpoint, HealthCheck, Registry};
//!
//! struct Answer;
//!
//! impl HealthCheck for Answer {
//!     async fn check(&self) -> CheckResult {
//!         let answer: u32 = "42".parse()?;
//!         if answer == 42 { Ok(()) } else { Err(CheckError::unexpected_result("not 42")) }
//!     }
//! }
//!
//! # #[cfg(feature = "axum")]
//! #[tokio::main]
//! async fn main() {
//!     let registry = Registry::builder().check(Answer).build().expect("unique names");
//!     let app = Endpoint::new(registry).router("/ht/");
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
//!     axum::serve(listener, app).await.unwrap();
//! }
//! # #[cfg(not(feature = "axum"))] fn main() {}
//! ```
//!
//! # How it fits together
//!
//! ```text
//!  request ──► Endpoint::respond ─► Selection ──► Registry::run ──► runner ───► Report ──► Renderer ──► response
//!  (axum, actix,  (method, auth,    (group,      (one call per    (each check:   (public   (HTML, JSON,
//!   tower, or     negotiation,      ?check=,     request)          single-flight, data)     health+json,
//!   your own)     headers)          ?exclude=)                     timeout,                 text, OpenMetrics,
//!                                                                  panic caught,            or your own)
//!                                                                  history)
//! ```
//!
//! - A [`Registry`] describes the checks: each a [`HealthCheck`] with its
//!   [`CheckOptions`] (name, timeout, criticality, tags), validated once by
//!   [`RegistryBuilder::build`].
//! - A [`Selection`] says which checks a request means: a group (tag) and
//!   `?check=`/`?exclude=` filters, by name.
//! - The runner owns everything that changes: it runs the selected checks concurrently,
//!   each under its timeout, shares one run in flight between concurrent requests
//!   (single-flight per check) and keeps each check's recent history.
//! - A [`Report`] is what a run produced, a public data type; a [`Renderer`] turns it
//!   into one [`Format`].
//! - An [`Endpoint`] holds the whole HTTP contract in [`Endpoint::respond`]; the
//!   framework integrations only adapt requests and responses.
//! - [`checks`] holds the bundled checks, each behind the cargo feature named after its
//!   backend; the network ones share one connection layer for URLs, credentials, TLS
//!   and redaction.
//!
//! # Features
//!
//! The checks that need no extra dependency are always there:
//! [`checks::Filesystem`], [`checks::MemoryCache`] and [`checks::TcpConnect`].
//!
#![doc = document_features::document_features!()]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blocking;
mod check;
pub mod checks;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod observe;
pub mod redact;
mod registration;
mod registry;
mod render;
mod report;
mod runner;
mod sanitize;
mod secret;
mod selection;

pub use check::{Blocking, BlockingHealthCheck, CheckResult, HealthCheck};
pub use error::{CheckError, ErrorKind, ResultExt};
#[cfg(feature = "actix")]
pub use http::ActixService;
#[cfg(feature = "tower")]
pub use http::EndpointService;
pub use http::{Endpoint, EndpointRequest, InvalidStatus, Unauthorized};
pub use observe::{Observation, ObservedValue, observe};
pub use registration::CheckOptions;
pub use registry::{
    BuildError, BuildRule, DEFAULT_HISTORY_LEN, DEFAULT_TIMEOUT, Registry, RegistryBuilder,
};
pub use render::{Format, Renderer, ServiceInfo, render};
pub use report::{
    CheckReport, CheckState, Damping, HealthStatus, HistoryEntry, Mode, Outcome, Report,
};
pub use runner::Transition;
pub use secret::Secret;
pub use selection::{Selection, SelectionError, WELL_KNOWN_GROUPS};

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
