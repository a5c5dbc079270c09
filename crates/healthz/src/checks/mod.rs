//! The bundled checks: each one a real, cheap round trip against one backend, behind
//! the cargo feature named after its backend (the crate's docs list them).
//!
//! | check | name on the endpoint | `componentType` | what it does |
//! |---|---|---|---|
//! | [`Filesystem`] | `StorageBackend` | `datastore` | writes a uniquely named file with random bytes, reads it back, compares, deletes it, confirms it is gone |
//! | [`MemoryCache`] | `CacheBackend` | `datastore` | sets a unique key with a short TTL in a [`MemoryStore`], reads it back, compares, deletes it |
//! | [`TcpConnect`] | `TcpConnect` | `system` | resolves `host:port` and opens a TCP connection |
//! | `Sqlite` | `DatabaseBackend` | `datastore` | on the application's pool or its own: reads the schema version from the file, runs `SELECT 1` and checks the row |
//! | `DiskUsage` | `DiskUsage` | `system` | how full the file system holding a path is, against warning and failure thresholds |
//! | `MemoryUsage` | `MemoryUsage` | `system` | how much system memory is in use, against warning and failure thresholds |
//! | `S3Storage` | `S3StorageBackend` | `datastore` | puts a uniquely named object with random bytes under a prefix, gets it back, compares, deletes it, confirms it is gone |
//! | `HttpEndpoint` | `HttpEndpoint` | `component` | `GET` a URL; checks the status (any `2xx` unless set) and optionally a text in the body |
//! | `RemoteHealth` | `RemoteHealth` | `component` | reads another service's health endpoint (health+json or the seed's JSON) and reports each of its checks |
//! | `DnsLookup` | `DnsLookup` | `system` | resolves a name through the system resolver, optionally to given addresses |
//! | `Celery` | `CeleryBackend` | `component` | broadcasts Celery's control `ping` (or `active_queues`) over RabbitMQ or Redis and counts the workers that reply, like `celery inspect ping` |
//! | `RabbitMq` | `RabbitMQBackend` | `component` | on its kept connection, opens a channel, declares an exclusive auto-deleted server-named queue, publishes a unique message to it through the default exchange, consumes it back, compares, closes the channel |
//! | `Nats` | `NatsBackend` | `component` | connects, sends a request on a unique subject and answers it from its own subscription, compares the reply; optionally asks for the account's JetStream info |
//! | `Mqtt` | `MqttBackend` | `component` | connects with a unique client id and a clean session, subscribes to a unique topic, publishes a unique QoS 1 message to it, receives it, compares, unsubscribes, disconnects |
//! | `TlsCertificate` | `TlsCertificate` | `system` | connects (optionally with STARTTLS for SMTP or PostgreSQL), completes the TLS handshake and compares the days the server's certificate has left with warning and failure thresholds |
//!
//! A check touches nothing but its own uniquely named probe data and removes it even
//! when the runner's timeout stops the check half-way (a short-lived program awaits
//! [`wait_for_cleanup`] before it exits, so that such clean-ups are not cancelled with
//! its runtime). To register a second instance of a kind, name it with an alias:
//!
//! ```
//! use healthz::checks::Filesystem;
//! use healthz::{CheckOptions, Registry};
//!
//! let registry = Registry::builder()
//!     .check(Filesystem::new("/var/lib/app/uploads"))
//!     .check_with(
//!         Filesystem::new("/var/lib/app/exports"),
//!         CheckOptions::new().name("StorageBackend[exports]"),
//!     )
//!     .build()
//!     .expect("unique names");
//! # drop(registry);
//! ```

mod cleanup;
mod filesystem;
mod memory_cache;
mod target;
mod tcp;

#[cfg(any(feature = "rabbitmq", feature = "celery"))]
mod amqp;
#[cfg(feature = "celery")]
pub(crate) mod celery;
#[cfg(feature = "disk")]
mod disk;
#[cfg(feature = "dns")]
mod dns;
#[cfg(feature = "http")]
mod http;
#[cfg(any(feature = "http", feature = "remote", feature = "s3"))]
mod http_client;
#[cfg(any(
    feature = "postgres",
    feature = "mysql",
    feature = "redis",
    feature = "memcached",
    feature = "rabbitmq",
    feature = "celery"
))]
mod kept;
#[cfg(feature = "memcached")]
pub(crate) mod memcached;
#[cfg(feature = "memory")]
mod memory;
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
#[cfg(any(feature = "redis", feature = "celery"))]
mod redis_client;
#[cfg(feature = "remote")]
pub(crate) mod remote;
#[cfg(feature = "s3")]
mod s3;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "memcached")]
mod stream;
#[cfg(any(feature = "disk", feature = "memory"))]
mod threshold;
#[cfg(feature = "rustls")]
mod tls;
#[cfg(feature = "tls")]
mod tls_certificate;

pub use cleanup::wait_for_cleanup;
pub use filesystem::Filesystem;
pub use memory_cache::{MemoryCache, MemoryStore};
pub use target::InvalidUrl;
pub use tcp::TcpConnect;

#[cfg(feature = "celery")]
pub use celery::Celery;
#[cfg(feature = "disk")]
pub use disk::DiskUsage;
#[cfg(feature = "dns")]
pub use dns::DnsLookup;
#[cfg(feature = "http")]
pub use http::HttpEndpoint;
#[cfg(feature = "memcached")]
pub use memcached::Memcached;
#[cfg(feature = "memory")]
pub use memory::MemoryUsage;
#[cfg(feature = "mqtt")]
pub use mqtt::Mqtt;
#[cfg(feature = "mysql")]
pub use mysql::MySql;
#[cfg(feature = "nats")]
pub use nats::Nats;
#[cfg(feature = "postgres")]
pub use postgres::Postgres;
#[cfg(feature = "rabbitmq")]
pub use rabbitmq::RabbitMq;
#[cfg(feature = "redis")]
pub use redis::{RedisCache, RedisPing};
#[cfg(feature = "remote")]
pub use remote::RemoteHealth;
#[cfg(feature = "s3")]
pub use s3::S3Storage;
#[cfg(feature = "sqlite")]
pub use sqlite::Sqlite;
#[cfg(feature = "rustls")]
pub use tls::{Tls, TlsMode};
#[cfg(feature = "tls")]
pub use tls_certificate::{Starttls, TlsCertificate};

/// An I/O error as a lower-case phrase without the OS error number, for messages:
/// `Permission denied (os error 13)` → `permission denied`.
fn describe_io(error: &std::io::Error) -> String {
    describe_io_text(&error.to_string())
}

/// The text of an I/O error as [`describe_io`] writes it, for a client library that
/// gives only the text.
#[cfg_attr(
    not(any(feature = "redis", feature = "rabbitmq", feature = "celery")),
    allow(dead_code)
)]
fn describe_io_text(text: &str) -> String {
    lower_first(text.find(" (os error").map_or(text, |end| &text[..end]))
}

/// The TLS failure somewhere in `error` (a rustls error inside a client's error),
/// described in TLS terms: `TLS: client certificate required`. `None` when it holds
/// none, and always without the `rustls` feature.
#[cfg_attr(
    not(any(
        feature = "memcached",
        feature = "postgres",
        feature = "mysql",
        feature = "redis",
        feature = "rabbitmq",
        feature = "celery"
    )),
    allow(dead_code)
)]
fn tls_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    #[cfg(feature = "rustls")]
    {
        tls::describe(error)
    }
    #[cfg(not(feature = "rustls"))]
    {
        let _ = error;
        None
    }
}

/// A foreign error text the way our messages write theirs, lower-case first:
/// `Connection reset by peer` → `connection reset by peer`.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn io_errors_are_described_in_lower_case_without_the_os_number() {
        #[cfg(unix)]
        {
            let denied = io::Error::from_raw_os_error(13);
            assert_eq!(describe_io(&denied), "permission denied");
        }
        let other = io::Error::other("Weird failure");
        assert_eq!(describe_io(&other), "weird failure");
        assert_eq!(
            describe_io_text("Connection refused (os error 111)"),
            "connection refused"
        );
    }

    #[test]
    fn only_the_first_letter_is_lowered() {
        assert_eq!(lower_first("Connection reset"), "connection reset");
        assert_eq!(lower_first("Élan"), "élan");
        assert_eq!(lower_first(""), "");
    }
}
