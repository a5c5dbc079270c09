//! The kinds of check a config can declare: the one place to add a kind.
//!
//! Adding a kind is a variant of [`Kind`], its name and kind-specific keys, and an arm
//! of [`Kind::register`] that builds the check from [`KindKeys`]; a new key also goes
//! into [`RawCheck`](super::raw::RawCheck), a reader in [`KindKeys`] when it needs
//! validating, and `reference.toml`.

use std::path::Path;

use healthz::checks::{
    Celery, DiskUsage, DnsLookup, Filesystem, HttpEndpoint, Memcached, MemoryCache, MemoryUsage,
    Mqtt, MySql, Nats, Postgres, RabbitMq, RedisCache, RedisPing, RemoteHealth, S3Storage, Sqlite,
    TcpConnect,
};

use super::diagnostic::ConfigError;
use super::keys::{KindKeys, flag};
use super::validate::{Registered, Registrar};

/// A kind of check, as written in `kind = "…"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Sqlite,
    Postgres,
    Mysql,
    Filesystem,
    S3,
    MemoryCache,
    Redis,
    Memcached,
    RedisPing,
    Disk,
    Memory,
    Tcp,
    Dns,
    Http,
    Remote,
    Celery,
    Rabbitmq,
    Nats,
    Mqtt,
}

impl Kind {
    /// Every kind, in the order error messages list them.
    pub(super) const ALL: [Self; 19] = [
        Self::Sqlite,
        Self::Postgres,
        Self::Mysql,
        Self::Filesystem,
        Self::S3,
        Self::MemoryCache,
        Self::Redis,
        Self::Memcached,
        Self::RedisPing,
        Self::Disk,
        Self::Memory,
        Self::Tcp,
        Self::Dns,
        Self::Http,
        Self::Remote,
        Self::Celery,
        Self::Rabbitmq,
        Self::Nats,
        Self::Mqtt,
    ];

    /// The name in `kind = "…"`.
    pub(super) const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Filesystem => "filesystem",
            Self::S3 => "s3",
            Self::MemoryCache => "memory-cache",
            Self::Redis => "redis",
            Self::Memcached => "memcached",
            Self::RedisPing => "redis-ping",
            Self::Disk => "disk",
            Self::Memory => "memory",
            Self::Tcp => "tcp",
            Self::Dns => "dns",
            Self::Http => "http",
            Self::Remote => "remote",
            Self::Celery => "celery",
            Self::Rabbitmq => "rabbitmq",
            Self::Nats => "nats",
            Self::Mqtt => "mqtt",
        }
    }

    /// The kind named `name`, if any.
    pub(super) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind-specific keys this kind accepts; the others are errors.
    pub(super) const fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Sqlite | Self::Filesystem => &["path"],
            Self::Postgres | Self::Mysql => &["url", "write-probe"],
            Self::S3 => &[
                "bucket",
                "endpoint",
                "region",
                "path-style",
                "access-key-id",
                "secret-access-key",
                "prefix",
            ],
            Self::MemoryCache => &[],
            Self::Redis | Self::RedisPing => &["url"],
            Self::Memcached | Self::Tcp => &["addr"],
            Self::Disk => &["path", "warn-at", "fail-at"],
            Self::Memory => &["warn-at", "fail-at"],
            Self::Dns => &["host", "expect-addresses"],
            Self::Http => &[
                "url",
                "expect-status",
                "body-contains",
                "follow-redirects",
                "bearer-token",
            ],
            Self::Remote => &["url", "bearer-token"],
            Self::Celery => &[
                "url",
                "min-workers",
                "reply-timeout",
                "queues",
                "control-exchange",
            ],
            Self::Rabbitmq | Self::Mqtt => &["url"],
            Self::Nats => &["url", "jetstream"],
        }
    }

    /// Builds the check from its keys and registers it. Building never touches the
    /// network: the checks connect when they first run.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] when a required key is missing or a value is invalid.
    pub(super) fn register(
        self,
        keys: &KindKeys<'_>,
        registrar: Registrar,
    ) -> Result<Registered, ConfigError> {
        let check = keys.check;
        Ok(match self {
            Self::Sqlite => {
                let path = keys.path()?;
                let dir = path.parent().map(Path::to_path_buf);
                registrar.add(Sqlite::new(path)).expecting_dir(dir)
            }
            Self::Postgres => registrar.add(
                keys.url(Postgres::new)?
                    .write_probe(flag(&check.write_probe)),
            ),
            Self::Mysql => {
                registrar.add(keys.url(MySql::new)?.write_probe(flag(&check.write_probe)))
            }
            Self::Filesystem => {
                let dir = keys.path()?;
                registrar
                    .add(Filesystem::new(&dir))
                    .expecting_dir(Some(dir))
            }
            Self::S3 => registrar.add(s3(keys)?),
            Self::MemoryCache => registrar.add(MemoryCache::new()),
            Self::Redis => registrar.add(keys.url(RedisCache::new)?),
            Self::Memcached => registrar.add(keys.address(Memcached::new)?),
            Self::RedisPing => registrar.add(keys.url(RedisPing::new)?),
            Self::Disk => {
                let mut check = DiskUsage::new(keys.path()?);
                let (warn, fail) = keys.thresholds()?;
                if let Some(percent) = warn {
                    check = check.warn_at(percent);
                }
                if let Some(percent) = fail {
                    check = check.fail_at(percent);
                }
                registrar.add(check)
            }
            Self::Memory => {
                let (warn, fail) = keys.thresholds()?;
                let mut check = MemoryUsage::new();
                if let Some(percent) = warn {
                    check = check.warn_at(percent);
                }
                if let Some(percent) = fail {
                    check = check.fail_at(percent);
                }
                registrar.add(check)
            }
            Self::Tcp => registrar.add(TcpConnect::new(keys.addr()?)),
            Self::Dns => {
                let mut lookup = DnsLookup::new(keys.host()?);
                for address in keys.expected_addresses()? {
                    lookup = lookup.expect_address(address);
                }
                registrar.add(lookup)
            }
            Self::Http => {
                let mut http = keys.url(HttpEndpoint::new)?;
                if let Some(codes) = keys.expected_statuses()? {
                    http = http.expect_statuses(codes);
                }
                if let Some(text) = &check.body_contains {
                    http = http.body_contains(keys.non_empty("body-contains", text)?);
                }
                if let Some(limit) = &check.follow_redirects {
                    http = http.follow_redirects(*limit.get_ref());
                }
                if let Some(token) = keys.bearer_token()? {
                    http = http.bearer_token(token);
                }
                registrar.add(http)
            }
            Self::Remote => {
                let mut remote = keys.url(RemoteHealth::new)?;
                if let Some(token) = keys.bearer_token()? {
                    remote = remote.bearer_token(token);
                }
                registrar.add(remote)
            }
            Self::Celery => registrar.add(celery(keys)?),
            Self::Rabbitmq => registrar.add(keys.url(RabbitMq::new)?),
            Self::Nats => registrar.add(keys.url(Nats::new)?.jetstream(flag(&check.jetstream))),
            Self::Mqtt => registrar.add(keys.url(Mqtt::new)?),
        })
    }
}

/// The `s3` check: `bucket`, required, and the optional keys over the library's
/// defaults (which read the standard `AWS_*` environment variables).
fn s3(keys: &KindKeys<'_>) -> Result<S3Storage, ConfigError> {
    let check = keys.check;
    let bucket = keys.required("bucket", &check.bucket)?;
    let mut s3 = S3Storage::new(keys.non_empty("bucket", bucket)?);
    if let Some(endpoint) = &check.endpoint {
        s3 = keys.built("endpoint", endpoint.span(), &endpoint.get_ref().0, |url| {
            // The library's advice names its builder method, not the config's keys.
            s3.endpoint(url).map_err(|mut error| {
                error.reason = error.reason.replace(
                    "use `credentials`",
                    "use `access-key-id` and `secret-access-key`",
                );
                error
            })
        })?;
    }
    if let Some(region) = &check.region {
        s3 = s3.region(keys.non_empty("region", region)?);
    }
    if let Some(path_style) = &check.path_style {
        s3 = s3.path_style(*path_style.get_ref());
    }
    if let Some((id, secret)) = keys.credentials()? {
        s3 = s3.credentials(id, secret);
    }
    if let Some(prefix) = &check.prefix {
        s3 = s3.prefix(prefix.get_ref());
    }
    Ok(s3)
}

/// The `celery` check: `url`, required, on the broker its scheme names, and the
/// optional keys over the library's defaults.
fn celery(keys: &KindKeys<'_>) -> Result<Celery, ConfigError> {
    let check = keys.check;
    let mut celery = keys.url(Celery::new)?;
    if let Some(workers) = &check.min_workers {
        celery = celery.min_workers(*workers.get_ref());
    }
    if let Some(timeout) = keys.reply_timeout()? {
        celery = celery.reply_timeout(timeout);
    }
    let queues = keys.queues()?;
    if !queues.is_empty() {
        celery = celery.queues(queues);
    }
    if let Some(exchange) = &check.control_exchange {
        celery = celery.control_exchange(keys.non_empty("control-exchange", exchange)?);
    }
    Ok(celery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name_and_lists_each_key_once() {
        for (i, kind) in Kind::ALL.iter().enumerate() {
            assert!(
                !Kind::ALL[..i]
                    .iter()
                    .any(|other| other.name() == kind.name()),
                "{kind:?}"
            );
            let keys = kind.keys();
            for (j, key) in keys.iter().enumerate() {
                assert!(!keys[..j].contains(key), "{kind:?}: {key}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("mongodb"), None);
    }
}
