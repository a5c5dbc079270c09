//! Every bundled network check against its real server, one module per backend, and
//! against the failure modes every backend check is tested on (nothing listening, a
//! hung server, wrong credentials, runs cut short by the runner's timeout).
//!
//! The servers are on loopback; `scripts/services.sh` starts them. A test fails, naming
//! the service and how to start it, when its server is missing; only
//! `HEALTHZ_SKIP_BACKEND_TESTS` skips one, and CI never sets it.

#[path = "../support/backend.rs"]
mod backend;
#[cfg(feature = "celery")]
#[path = "../support/celery.rs"]
mod celery_broker;
#[path = "../support/logs.rs"]
mod logs;
#[cfg(any(feature = "http", feature = "s3"))]
#[path = "../support/proxy.rs"]
mod proxy;
#[path = "../support/mod.rs"]
mod support;
#[cfg(feature = "rustls")]
#[path = "../support/tls.rs"]
mod tls;

use support::net;

#[cfg(feature = "http")]
mod behind_proxy;
#[cfg(feature = "celery")]
mod celery;
#[cfg(feature = "dns")]
mod dns;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "memcached")]
mod memcached;
#[cfg(feature = "mqtt")]
mod mqtt;
#[cfg(feature = "mysql")]
mod mysql;

#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
#[cfg(feature = "redis")]
mod redis;
#[cfg(all(feature = "remote", feature = "axum"))]
mod remote;
#[cfg(feature = "s3")]
mod s3;
#[cfg(all(feature = "rustls", any(feature = "postgres", feature = "mysql")))]
mod sql_tls;
#[cfg(feature = "tls")]
mod tls_certificate;
