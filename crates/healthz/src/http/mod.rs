//! The web face: the framework-neutral [`Endpoint`] and its integrations.
//!
//! [`Endpoint::respond`] holds the whole endpoint contract (methods, negotiation,
//! selection, auth, headers); each integration only turns its framework's request into
//! an [`EndpointRequest`] and the answer back into its framework's response. The axum
//! router routes to the tower service; actix-web, which is not built on tower and speaks
//! `http` 0.2, has an adapter of its own.

mod auth;
mod endpoint;
pub(crate) mod negotiate;
pub(crate) mod query;

#[cfg(any(feature = "actix", feature = "tower"))]
mod mount;

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "tower")]
mod tower;

#[cfg(feature = "actix")]
pub use self::actix::ActixService;
#[cfg(feature = "tower")]
pub use self::tower::EndpointService;
pub use endpoint::{Endpoint, EndpointRequest, InvalidStatus, Unauthorized};
