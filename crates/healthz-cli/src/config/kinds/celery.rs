//! `kind = "celery"` (named CeleryBackend): Celery workers answer a control `ping`
//! sent through their broker.

use std::time::Duration;

use healthz::checks::Celery;
use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use super::shared::TlsKeys;
use super::url_tls::REDIS;
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;
use crate::config::values::Url;

/// The keys of a `celery` check: `url`, and the others over the library's defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct CeleryKeys {
    /// Celery's `broker_url`, whose scheme names the broker; required.
    url: Spanned<Url>,
    /// How many workers must answer.
    min_workers: Option<usize>,
    /// How long to wait for answers.
    reply_timeout: Option<Spanned<String>>,
    /// Task queues that a worker which answered must consume; none unless set.
    #[serde(default)]
    queues: Vec<Spanned<String>>,
    /// Celery's `control_exchange` setting.
    control_exchange: Option<Spanned<String>>,
}

impl Kind for Celery {
    const NAME: &'static str = "celery";
    type Keys = With<CeleryKeys, TlsKeys>;

    /// Over Redis, the URL may carry redis-py's `ssl_*` parameters as Celery takes them.
    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own: keys, shared } = keys;
        let mut celery = cx.url(&keys.url, Self::new)?;
        if let Some(tls) = shared.read_for(&keys.url, &REDIS, cx)? {
            celery = celery.tls(tls);
        }
        if let Some(workers) = keys.min_workers {
            celery = celery.min_workers(workers);
        }
        if let Some(timeout) = &keys.reply_timeout {
            celery = celery.reply_timeout(reply_timeout(timeout, cx)?);
        }
        if !keys.queues.is_empty() {
            let queues: Vec<&str> = keys
                .queues
                .iter()
                .map(|queue| cx.non_empty(queue))
                .collect::<Result<_, _>>()?;
            celery = celery.queues(queues);
        }
        if let Some(exchange) = &keys.control_exchange {
            celery = celery.control_exchange(cx.non_empty(exchange)?);
        }
        Ok(celery)
    }
}

/// `reply-timeout`: more than zero and shorter than the check's timeout, which bounds
/// the whole run (connecting included), so that a missing worker is reported as such
/// rather than as a timeout.
fn reply_timeout(value: &Spanned<String>, cx: &Context<'_>) -> Result<Duration, ConfigError> {
    let reply = cx.duration(value)?;
    if reply.is_zero() {
        return Err(cx.invalid(value.span(), "must be more than zero"));
    }
    if reply >= cx.timeout() {
        return Err(cx.invalid(
            value.span(),
            format!(
                "must be shorter than the check's `timeout` ({}), not {}",
                cx.timeout_shown(),
                cx.diagnostics().shown(value)
            ),
        ));
    }
    Ok(reply)
}
