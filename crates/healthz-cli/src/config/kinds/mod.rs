//! The kinds of check a config declares: one module per kind, or per family of kinds
//! that take the same keys, each with the serde struct of its keys next to the
//! [`Kind`](kind::Kind) impl that builds the library's check from them.
//!
//! - Adding a key is a field of its kind's struct and its use in [`Kind::build`](kind::Kind::build), and
//!   its line in `reference.toml`. Nothing else lists keys: messages and the unknown-key
//!   check read them from the structs (see [`names_of`](super::table::names_of)).
//! - Keys that several kinds take are declared once, in a struct of their own: the
//!   kinds that take nothing else have it as their keys (`type Keys = UrlKeys`), the
//!   others take it besides their own with one line, `type Keys = With<Own, Shared>`
//!   (`bearer-token` in `http` and `remote`, `warn-at` and `fail-at` in `disk` and
//!   `memory`), nested for more than one group (`With<With<Own, TlsKeys>, ProxyKey>`).
//!   Shared keys live in [`shared`], unless one family alone takes them.
//! - Adding a kind is a module, its line in [`ALL`], and its part of `reference.toml`.
//!
//! Building never touches the network: the checks connect when they first run.

mod addr;
mod celery;
mod context;
mod dns;
mod files;
mod http;
mod kind;
mod memory_cache;
mod mqtt;
mod nats;
mod rabbitmq;
mod redis;
mod remote;
mod s3;
mod shared;
mod sql;
mod tls_certificate;
mod url_tls;
mod usage;

use healthz::checks::{
    Celery, DiskUsage, DnsLookup, Filesystem, HttpEndpoint, Memcached, MemoryCache, MemoryUsage,
    Mqtt, MySql, Nats, Postgres, RabbitMq, RedisCache, RedisPing, RemoteHealth, S3Storage, Sqlite,
    TcpConnect, TlsCertificate,
};

pub(super) use context::Context;
pub(super) use kind::AnyKind;

/// Every kind, in the order messages list them.
pub(super) static ALL: [AnyKind; 20] = [
    AnyKind::of::<Sqlite>(),
    AnyKind::of::<Postgres>(),
    AnyKind::of::<MySql>(),
    AnyKind::of::<Filesystem>(),
    AnyKind::of::<S3Storage>(),
    AnyKind::of::<MemoryCache>(),
    AnyKind::of::<RedisCache>(),
    AnyKind::of::<Memcached>(),
    AnyKind::of::<RedisPing>(),
    AnyKind::of::<DiskUsage>(),
    AnyKind::of::<MemoryUsage>(),
    AnyKind::of::<TcpConnect>(),
    AnyKind::of::<DnsLookup>(),
    AnyKind::of::<HttpEndpoint>(),
    AnyKind::of::<RemoteHealth>(),
    AnyKind::of::<Celery>(),
    AnyKind::of::<RabbitMq>(),
    AnyKind::of::<Nats>(),
    AnyKind::of::<Mqtt>(),
    AnyKind::of::<TlsCertificate>(),
];

/// The kind called `name`, if any.
pub(super) fn named(name: &str) -> Option<&'static AnyKind> {
    ALL.iter().find(|kind| kind.name() == name)
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use toml::de::DeTable;

    use super::shared::{BearerToken, UrlKeys};
    use super::*;
    use crate::config::table::{Keys, Table, With};

    /// The keys in `source`, read as `K` and printed with `{:?}`.
    fn debug<K: Keys + Debug>(source: &str) -> String {
        let root = DeTable::parse(source).unwrap();
        let keys = K::read(Table::new(root.span(), root.into_inner())).unwrap();
        format!("{keys:?}")
    }

    #[test]
    fn keys_show_no_secret_in_debug_output() {
        let printed = [
            debug::<sql::SqlKeys>("url = \"postgres://app:hunter2@db/orders\"\n"),
            debug::<UrlKeys>("url = \"redis://:hunter2@cache/1\"\n"),
            debug::<celery::CeleryKeys>("url = \"amqp://app:hunter2@mq//\"\n"),
            debug::<s3::S3Keys>(
                "bucket = \"b\"\naccess-key-id = \"k\"\nsecret-access-key = \"hunter2\"\n",
            ),
            debug::<With<http::HttpKeys, BearerToken>>(
                "url = \"https://h/health?token=hunter2\"\nbearer-token = \"hunter2\"\n",
            ),
            debug::<With<UrlKeys, BearerToken>>(
                "url = \"http://h/\"\nbearer-token = \"hunter2\"\n",
            ),
        ];
        for keys in &printed {
            assert!(!keys.contains("hunter2"), "{keys}");
        }
        assert!(
            printed[0].contains("postgres://app:***@db/orders"),
            "{}",
            printed[0]
        );
        assert!(printed[3].contains("value: ***"), "{}", printed[3]);
        assert!(printed[4].contains("token=***"), "{}", printed[4]);
        assert!(printed[4].contains("value: ***"), "{}", printed[4]);
    }

    #[test]
    fn every_kind_has_its_own_name() {
        for (i, kind) in ALL.iter().enumerate() {
            assert!(
                !ALL[..i].iter().any(|other| other.name() == kind.name()),
                "{}",
                kind.name()
            );
            assert!(std::ptr::eq(named(kind.name()).unwrap(), kind));
        }
        assert!(named("mongodb").is_none());
    }

    #[test]
    fn every_kind_lists_each_key_once() {
        for kind in &ALL {
            let keys = kind.keys();
            for (i, key) in keys.iter().enumerate() {
                assert!(!keys[..i].contains(key), "{}: {key}", kind.name());
            }
        }
    }
}
