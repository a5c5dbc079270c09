//! The web face: the framework-neutral [`Endpoint`] and its integrations.
//!
//! [`Endpoint::respond`] holds the whole endpoint contract (methods, negotiation,
//! selection, auth, headers); each integration only turns its framework's request into
//! an [`EndpointRequest`] and the answer back into its framework's response.

mod auth;
mod endpoint;
mod negotiate;

#[cfg(feature = "axum")]
mod axum;

pub use endpoint::{Endpoint, EndpointRequest, Unauthorized};
