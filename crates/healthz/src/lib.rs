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
//! # Features
//!
//! | feature  | gives |
//! |----------|-------|
//! | `axum`   | [`Endpoint::router`] (default; turns on `tower`) |
//! | `actix`  | [`Endpoint::actix_service`]: the endpoint on an actix-web `App` or `Scope` |
//! | `tower`  | [`Endpoint::into_service`]: the endpoint as a `tower::Service` |
//! | `sqlite` | [`checks::Sqlite`]: `DatabaseBackend` on SQLite |
//! | `disk`   | [`checks::DiskUsage`]: free space with thresholds |
//! | `memory` | [`checks::MemoryUsage`]: memory in use with thresholds |
//! | `postgres` | [`checks::Postgres`]: `DatabaseBackend` on PostgreSQL |
//! | `mysql`  | [`checks::MySql`]: `DatabaseBackend` on MySQL and MariaDB |
//! | `redis`  | [`checks::RedisCache`]: `CacheBackend`, and [`checks::RedisPing`]: `RedisBackend` |
//! | `memcached` | [`checks::Memcached`]: `CacheBackend` on Memcached |
//! | `s3`     | [`checks::S3Storage`]: `S3StorageBackend` on S3 and S3-compatible servers |
//! | `http`   | [`checks::HttpEndpoint`]: a URL answers with an expected status and body |
//! | `remote` | [`checks::RemoteHealth`]: each check of another service's health endpoint |
//! | `dns`    | [`checks::DnsLookup`]: a name resolves |
//! | `celery` | [`checks::Celery`]: `CeleryBackend`, Celery workers answer a control `ping` over RabbitMQ or Redis |
//! | `rabbitmq` | [`checks::RabbitMq`]: `RabbitMQBackend`, a message's round trip through RabbitMQ (AMQP 0-9-1) |
//! | `nats`   | [`checks::Nats`]: `NatsBackend`, a request/reply round trip through NATS, optionally JetStream |
//! | `mqtt`   | [`checks::Mqtt`]: `MqttBackend`, a QoS 1 message's round trip through an MQTT broker |
//! | `rustls` | HTTPS for `s3`, `http` and `remote` (rustls, webpki roots) |
//! | `full`   | all of the above |
//!
//! The checks that need no extra dependency are always there:
//! [`checks::Filesystem`], [`checks::MemoryCache`] and [`checks::TcpConnect`].
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blocking;
mod check;
pub mod checks;
mod error;
mod http;
pub mod redact;
mod registration;
mod registry;
mod render;
mod report;
mod runner;
mod secret;
mod selection;

pub use check::{Blocking, BlockingHealthCheck, CheckResult, HealthCheck};
pub use error::{CheckError, ErrorKind, ResultExt};
#[cfg(feature = "actix")]
pub use http::ActixService;
#[cfg(feature = "tower")]
pub use http::EndpointService;
pub use http::{Endpoint, EndpointRequest, Unauthorized};
pub use registration::CheckOptions;
pub use registry::{
    BuildError, BuildRule, DEFAULT_HISTORY_LEN, DEFAULT_TIMEOUT, Registry, RegistryBuilder,
};
pub use render::{Format, Renderer, render};
pub use report::{CheckReport, HealthStatus, HistoryEntry, Outcome, Report};
pub use secret::Secret;
pub use selection::{Selection, SelectionError, WELL_KNOWN_GROUPS};

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
