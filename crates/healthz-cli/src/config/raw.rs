//! The config file as plain serde data: what the TOML says, checked for unknown keys and
//! types but not for meaning, which is [`super::validate`]'s job.
//!
//! Values that need a span for a later error are [`Spanned`]. Durations, addresses and
//! paths stay strings here so that `${VAR}` works in them and their errors read the same
//! as the other validation errors.
//!
//! URLs and secrets have types of their own, [`Url`] and [`Secret`], whose `Debug` masks
//! what must not be printed: a config printed with `{:?}` shows no password.

use std::fmt;

use healthz::redact::redact_url;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawConfig {
    /// `[server]`.
    #[serde(default)]
    pub(super) server: RawServer,
    /// Every `[[check]]`, in order.
    #[serde(default)]
    pub(super) check: Vec<Spanned<RawCheck>>,
}

/// `[server]`: where and how the endpoint answers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawServer {
    pub(super) bind: Option<Spanned<String>>,
    pub(super) path: Option<Spanned<String>>,
    pub(super) failure_status: Option<Spanned<u16>>,
    pub(super) degraded_status: Option<Spanned<u16>>,
    pub(super) warnings_as_errors: Option<bool>,
    pub(super) max_age: Option<Spanned<String>>,
    pub(super) history: Option<Spanned<usize>>,
    pub(super) tokens: Option<Spanned<Vec<Spanned<Secret>>>>,
    pub(super) unauthorized: Option<Spanned<String>>,
}

/// One `[[check]]`: the keys every kind has, then the kind-specific ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCheck {
    pub(super) kind: Spanned<String>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) alias: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) critical: Option<bool>,
    pub(super) tags: Option<Spanned<Vec<Spanned<String>>>>,
    // Kind-specific: `Kind::keys` says which kind takes which.
    pub(super) path: Option<Spanned<String>>,
    pub(super) addr: Option<Spanned<String>>,
    pub(super) warn_at: Option<Spanned<f64>>,
    pub(super) fail_at: Option<Spanned<f64>>,
    pub(super) url: Option<Spanned<Url>>,
    pub(super) write_probe: Option<Spanned<bool>>,
    pub(super) bucket: Option<Spanned<String>>,
    pub(super) endpoint: Option<Spanned<Url>>,
    pub(super) region: Option<Spanned<String>>,
    pub(super) path_style: Option<Spanned<bool>>,
    pub(super) access_key_id: Option<Spanned<String>>,
    pub(super) secret_access_key: Option<Spanned<Secret>>,
    pub(super) prefix: Option<Spanned<String>>,
    pub(super) expect_status: Option<Spanned<StatusCodes>>,
    pub(super) body_contains: Option<Spanned<String>>,
    pub(super) follow_redirects: Option<Spanned<usize>>,
    pub(super) bearer_token: Option<Spanned<Secret>>,
    pub(super) host: Option<Spanned<String>>,
    pub(super) expect_addresses: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) min_workers: Option<Spanned<usize>>,
    pub(super) reply_timeout: Option<Spanned<String>>,
    pub(super) queues: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) control_exchange: Option<Spanned<String>>,
    pub(super) jetstream: Option<Spanned<bool>>,
}

impl RawCheck {
    /// The kind-specific keys this check sets, with the span of each value; a new
    /// kind-specific key is added here as well as to the struct.
    pub(super) fn kind_specific_keys(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        [
            ("path", self.path.as_ref().map(Spanned::span)),
            ("addr", self.addr.as_ref().map(Spanned::span)),
            ("warn-at", self.warn_at.as_ref().map(Spanned::span)),
            ("fail-at", self.fail_at.as_ref().map(Spanned::span)),
            ("url", self.url.as_ref().map(Spanned::span)),
            ("write-probe", self.write_probe.as_ref().map(Spanned::span)),
            ("bucket", self.bucket.as_ref().map(Spanned::span)),
            ("endpoint", self.endpoint.as_ref().map(Spanned::span)),
            ("region", self.region.as_ref().map(Spanned::span)),
            ("path-style", self.path_style.as_ref().map(Spanned::span)),
            (
                "access-key-id",
                self.access_key_id.as_ref().map(Spanned::span),
            ),
            (
                "secret-access-key",
                self.secret_access_key.as_ref().map(Spanned::span),
            ),
            ("prefix", self.prefix.as_ref().map(Spanned::span)),
            (
                "expect-status",
                self.expect_status.as_ref().map(Spanned::span),
            ),
            (
                "body-contains",
                self.body_contains.as_ref().map(Spanned::span),
            ),
            (
                "follow-redirects",
                self.follow_redirects.as_ref().map(Spanned::span),
            ),
            (
                "bearer-token",
                self.bearer_token.as_ref().map(Spanned::span),
            ),
            ("host", self.host.as_ref().map(Spanned::span)),
            (
                "expect-addresses",
                self.expect_addresses.as_ref().map(Spanned::span),
            ),
            ("min-workers", self.min_workers.as_ref().map(Spanned::span)),
            (
                "reply-timeout",
                self.reply_timeout.as_ref().map(Spanned::span),
            ),
            ("queues", self.queues.as_ref().map(Spanned::span)),
            (
                "control-exchange",
                self.control_exchange.as_ref().map(Spanned::span),
            ),
            ("jetstream", self.jetstream.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(key, span)| Some((key, span?)))
        .collect()
    }
}

/// Whether the value of `key` may be a secret, or hold one (a URL's password): an
/// error about such a value never shows it, not even when its type is wrong.
///
/// Besides the keys listed, any key whose name says it holds a password, a token, a
/// secret or a key counts, so that a new key of that sort is covered from the start.
pub(super) fn holds_secret(key: &str) -> bool {
    const LISTED: [&str; 2] = ["url", "endpoint"];
    const WORDS: [&str; 6] = [
        "password",
        "token",
        "secret",
        "key-id",
        "credential",
        "auth",
    ];
    LISTED.contains(&key) || WORDS.iter().any(|word| key.contains(word))
}

/// A URL that may hold a password: `Debug` shows it with the password masked.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(super) struct Url(pub(super) String);

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

/// A secret (a token, a key): `Debug` shows `***`, never the value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(super) struct Secret(pub(super) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// `expect-status`: one status code or an array of them, as written (range-checked
/// later, so that the message can say what a status code is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StatusCodes(pub(super) Vec<i64>);

impl<'de> Deserialize<'de> for StatusCodes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Codes;

        impl<'de> Visitor<'de> for Codes {
            type Value = StatusCodes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code or an array of status codes")
            }

            fn visit_i64<E: de::Error>(self, code: i64) -> Result<StatusCodes, E> {
                Ok(StatusCodes(vec![code]))
            }

            fn visit_u64<E: de::Error>(self, code: u64) -> Result<StatusCodes, E> {
                i64::try_from(code)
                    .map(|code| StatusCodes(vec![code]))
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(code), &self))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusCodes, A::Error> {
                let mut codes = Vec::new();
                while let Some(code) = seq.next_element::<i64>()? {
                    codes.push(code);
                }
                Ok(StatusCodes(codes))
            }
        }

        deserializer.deserialize_any(Codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_hold_secrets_are_known() {
        for key in [
            "url",
            "endpoint",
            "bearer-token",
            "access-key-id",
            "secret-access-key",
            "password",
            "token",
        ] {
            assert!(holds_secret(key), "{key}");
        }
        for key in [
            "kind", "name", "addr", "bucket", "timeout", "tags", "queues",
        ] {
            assert!(!holds_secret(key), "{key}");
        }
    }

    #[test]
    fn urls_and_secrets_are_masked_in_debug_output() {
        let url = Url("postgres://app:hunter2@db/orders".to_owned());
        assert_eq!(format!("{url:?}"), "\"postgres://app:***@db/orders\"");
        let secret = Secret("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "\"***\"");
    }
}
