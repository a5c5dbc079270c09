//! `kind = "http"` (named HttpEndpoint): `GET url` answers with an expected status
//! and, if set, a body containing a text.

use std::fmt;

use healthz::checks::HttpEndpoint;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::context::Context;
use super::kind::Kind;
use super::shared::{BearerToken, ProxyKey, TlsKeys};
use crate::config::diagnostic::ConfigError;
use crate::config::table::With;
use crate::config::values::Url;

/// The keys of an `http` check, besides [`BearerToken`], [`TlsKeys`] and [`ProxyKey`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(in crate::config) struct HttpKeys {
    /// The URL; required.
    url: Spanned<Url>,
    /// The status codes that pass; any 2xx unless set.
    expect_status: Option<Spanned<StatusCodes>>,
    /// A text the body must contain; the body is not read unless set.
    body_contains: Option<Spanned<String>>,
    /// How many redirects to follow; none unless set.
    follow_redirects: Option<usize>,
}

impl Kind for HttpEndpoint {
    const NAME: &'static str = "http";
    type Keys = With<With<With<HttpKeys, BearerToken>, TlsKeys>, ProxyKey>;

    fn build(keys: Self::Keys, cx: &Context<'_>) -> Result<Self, ConfigError> {
        let With { own, shared: proxy } = keys;
        let With { own, shared: tls } = own;
        let With { own: keys, shared } = own;
        let mut http = cx.url(&keys.url, Self::new)?;
        if let Some(tls) = tls.read_for_https(Some(&keys.url), cx)? {
            http = http.tls(tls);
        }
        http = proxy.apply(cx, http, Self::proxy, Self::no_proxy)?;
        if let Some(codes) = &keys.expect_status {
            http = http.expect_statuses(statuses(codes, cx)?);
        }
        if let Some(text) = &keys.body_contains {
            http = http.body_contains(cx.non_empty(text)?);
        }
        if let Some(limit) = keys.follow_redirects {
            http = http.follow_redirects(limit);
        }
        shared.apply(cx, http, Self::bearer_token)
    }
}

/// `expect-status`: status codes from 100 to 599, at least one.
fn statuses(codes: &Spanned<StatusCodes>, cx: &Context<'_>) -> Result<Vec<u16>, ConfigError> {
    if codes.get_ref().0.is_empty() {
        return Err(cx.invalid(
            codes.span(),
            "must name at least one status code (leave it out to accept any 2xx)",
        ));
    }
    codes
        .get_ref()
        .0
        .iter()
        .map(|&code| {
            u16::try_from(code)
                .ok()
                .filter(|code| (100..=599).contains(code))
                .ok_or_else(|| {
                    cx.invalid(
                        codes.span(),
                        format!("must be status codes from 100 to 599, not {code}"),
                    )
                })
        })
        .collect()
}

/// `expect-status`: one status code or an array of them, as written (range-checked
/// when the check is built, so that the message can say what a status code is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::config) struct StatusCodes(Vec<i64>);

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
