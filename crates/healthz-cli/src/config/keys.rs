//! The kind-specific keys of one check, read and validated: [`KindKeys`], which
//! [`Kind::register`](super::kind::Kind::register) builds each check from.
//!
//! Every error names the key and its line; a value that came from `${VAR}` is shown as
//! `***`, a URL only with its password masked, and a secret never.

use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::HeaderValue;
use healthz::checks::InvalidUrl;

use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics, REDACTED, Section};
use super::raw::{RawCheck, Secret};
use super::validate::duration;

/// An optional boolean key, false unless set.
pub(super) fn flag(value: &Option<Spanned<bool>>) -> bool {
    value.as_ref().is_some_and(|value| *value.get_ref())
}

/// `text` with every `quoted` part that comes from `value` replaced by `***`.
fn mask_quoted(text: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else if !part.is_empty() && value.contains(part) {
            out.push_str(REDACTED);
        } else {
            out.push('`');
            out.push_str(part);
            out.push('`');
        }
    }
    out
}

/// The kind-specific values of one check, validated on the way out.
pub(super) struct KindKeys<'a> {
    pub(super) check: &'a RawCheck,
    /// The check's timeout: its `timeout`, or the registry's default.
    pub(super) timeout: Duration,
    /// The span of the check's table, for errors about a missing key.
    pub(super) header: Range<usize>,
    pub(super) section: &'a Section,
    pub(super) diagnostics: &'a Diagnostics<'a>,
    /// Relative paths are relative to this: the config file's directory.
    pub(super) base_dir: &'a Path,
}

impl KindKeys<'_> {
    /// A required key's value, or an error on the check's first line.
    pub(super) fn required<'v, T>(
        &self,
        key: &str,
        value: &'v Option<Spanned<T>>,
    ) -> Result<&'v Spanned<T>, ConfigError> {
        value.as_ref().ok_or_else(|| {
            self.diagnostics.error(
                self.header.clone(),
                format!("{}: missing key `{key}`", self.section),
            )
        })
    }

    fn invalid(&self, key: &str, span: Range<usize>, problem: &str) -> ConfigError {
        self.diagnostics
            .error(span, format!("{}: `{key}`: {problem}", self.section))
    }

    /// A string that must not be blank.
    pub(super) fn non_empty<'v>(
        &self,
        key: &str,
        value: &'v Spanned<String>,
    ) -> Result<&'v str, ConfigError> {
        if value.get_ref().trim().is_empty() {
            return Err(self.invalid(key, value.span(), "must not be empty"));
        }
        Ok(value.get_ref())
    }

    /// `url`, required, built into a check by the library's constructor.
    pub(super) fn url<T>(
        &self,
        build: impl FnOnce(&str) -> Result<T, InvalidUrl>,
    ) -> Result<T, ConfigError> {
        let url = self.required("url", &self.check.url)?;
        self.built("url", url.span(), &url.get_ref().0, build)
    }

    /// `addr`, required, built into a check by the library's constructor (for the
    /// kinds whose library check reads more than `host:port`).
    pub(super) fn address<T>(
        &self,
        build: impl FnOnce(&str) -> Result<T, InvalidUrl>,
    ) -> Result<T, ConfigError> {
        let addr = self.required("addr", &self.check.addr)?;
        self.built("addr", addr.span(), addr.get_ref(), build)
    }

    /// What a library constructor makes of a URL or an address, its error located at
    /// the key and shown without a password: the library redacts the URL and its
    /// reason, and an interpolated value is not shown at all.
    pub(super) fn built<T>(
        &self,
        key: &str,
        span: Range<usize>,
        text: &str,
        build: impl FnOnce(&str) -> Result<T, InvalidUrl>,
    ) -> Result<T, ConfigError> {
        build(text).map_err(|error| {
            let (shown, reason) = if self.diagnostics.is_interpolated(&span) {
                // The reason may quote a part of the value (`x` is not a port number).
                let reason = mask_quoted(&self.diagnostics.redact(&span, &error.reason), text);
                (REDACTED.to_owned(), reason)
            } else {
                (format!("`{}`", error.url), error.reason)
            };
            let noun = if key == "addr" { "address" } else { "URL" };
            self.invalid(key, span, &format!("invalid {noun} {shown}: {reason}"))
        })
    }

    /// `path`, required, resolved against the config file's directory.
    pub(super) fn path(&self) -> Result<PathBuf, ConfigError> {
        let path = self.required("path", &self.check.path)?;
        if path.get_ref().is_empty() {
            return Err(self.invalid("path", path.span(), "must not be empty"));
        }
        Ok(self.base_dir.join(path.get_ref()))
    }

    /// `addr`, required, as `host:port`.
    pub(super) fn addr(&self) -> Result<String, ConfigError> {
        let addr = self.required("addr", &self.check.addr)?;
        let valid = addr
            .get_ref()
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            let problem = format!(
                "must be `host:port` (like `db.internal:5432`), not {}",
                self.diagnostics.shown(addr)
            );
            return Err(self.invalid("addr", addr.span(), &problem));
        }
        Ok(addr.get_ref().clone())
    }

    /// `access-key-id` and `secret-access-key`: both or neither.
    pub(super) fn credentials(&self) -> Result<Option<(String, String)>, ConfigError> {
        const EITHER: &str =
            "(set both, or neither to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
        match (&self.check.access_key_id, &self.check.secret_access_key) {
            (Some(id), Some(secret)) => {
                let id = self.non_empty("access-key-id", id)?;
                let secret = self.secret("secret-access-key", secret)?;
                Ok(Some((id.to_owned(), secret)))
            }
            (None, None) => Ok(None),
            (Some(id), None) => Err(self.invalid(
                "access-key-id",
                id.span(),
                &format!("needs `secret-access-key` too {EITHER}"),
            )),
            (None, Some(secret)) => Err(self.invalid(
                "secret-access-key",
                secret.span(),
                &format!("needs `access-key-id` too {EITHER}"),
            )),
        }
    }

    /// A secret's value, which no message shows.
    fn secret(&self, key: &str, value: &Spanned<Secret>) -> Result<String, ConfigError> {
        let secret = &value.get_ref().0;
        if secret.trim().is_empty() {
            return Err(self.invalid(key, value.span(), "must not be empty"));
        }
        Ok(secret.clone())
    }

    /// `bearer-token`, optional; it must fit in an `Authorization` header.
    pub(super) fn bearer_token(&self) -> Result<Option<String>, ConfigError> {
        let Some(token) = &self.check.bearer_token else {
            return Ok(None);
        };
        let secret = self.secret("bearer-token", token)?;
        let problem = if secret.trim() != secret {
            "must not start or end with white space"
        } else if HeaderValue::from_str(&format!("Bearer {secret}")).is_err() {
            "holds characters an HTTP header cannot carry (a line break, a control character)"
        } else {
            return Ok(Some(secret));
        };
        Err(self.invalid("bearer-token", token.span(), problem))
    }

    /// `expect-status`, optional: status codes from 100 to 599, at least one.
    pub(super) fn expected_statuses(&self) -> Result<Option<Vec<u16>>, ConfigError> {
        let Some(codes) = &self.check.expect_status else {
            return Ok(None);
        };
        if codes.get_ref().0.is_empty() {
            return Err(self.invalid(
                "expect-status",
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
                        self.invalid(
                            "expect-status",
                            codes.span(),
                            &format!("must be status codes from 100 to 599, not {code}"),
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// `host`, required: a host name or an IP address, without a port.
    pub(super) fn host(&self) -> Result<String, ConfigError> {
        let host = self.required("host", &self.check.host)?;
        let text = host.get_ref();
        let valid = !text.is_empty()
            && !text.contains(|c: char| c.is_whitespace() || matches!(c, '/' | '@'))
            && (text.parse::<IpAddr>().is_ok() || !text.contains(':'));
        if !valid {
            let problem = format!(
                "must be a host name without a port (like `db.internal`), not {}",
                self.diagnostics.shown(host)
            );
            return Err(self.invalid("host", host.span(), &problem));
        }
        Ok(text.clone())
    }

    /// `expect-addresses`, optional: IP addresses the host must resolve to.
    pub(super) fn expected_addresses(&self) -> Result<Vec<IpAddr>, ConfigError> {
        let Some(addresses) = &self.check.expect_addresses else {
            return Ok(Vec::new());
        };
        addresses
            .get_ref()
            .iter()
            .map(|address| {
                address.get_ref().parse().map_err(|_| {
                    let problem = format!(
                        "must be IP addresses (like `10.0.0.5` or `::1`), not {}",
                        self.diagnostics.shown(address)
                    );
                    self.invalid("expect-addresses", address.span(), &problem)
                })
            })
            .collect()
    }

    /// `reply-timeout`, optional: more than zero and shorter than the check's timeout,
    /// which bounds the whole run (connecting included), so that a missing worker is
    /// reported as such rather than as a timeout.
    pub(super) fn reply_timeout(&self) -> Result<Option<Duration>, ConfigError> {
        let Some(value) = &self.check.reply_timeout else {
            return Ok(None);
        };
        let reply = duration("reply-timeout", value, self.section, self.diagnostics)?;
        if reply.is_zero() {
            return Err(self.invalid("reply-timeout", value.span(), "must be more than zero"));
        }
        if reply >= self.timeout {
            let timeout = match &self.check.timeout {
                Some(timeout) => self.diagnostics.shown(timeout),
                None => format!("{} by default", humantime::format_duration(self.timeout)),
            };
            let problem = format!(
                "must be shorter than the check's `timeout` ({timeout}), not {}",
                self.diagnostics.shown(value)
            );
            return Err(self.invalid("reply-timeout", value.span(), &problem));
        }
        Ok(Some(reply))
    }

    /// `queues`, optional: names that must not be blank.
    pub(super) fn queues(&self) -> Result<Vec<String>, ConfigError> {
        let Some(queues) = &self.check.queues else {
            return Ok(Vec::new());
        };
        queues
            .get_ref()
            .iter()
            .map(|queue| self.non_empty("queues", queue).map(str::to_owned))
            .collect()
    }

    /// `warn-at` and `fail-at`, optional percentages, the warning below the
    /// failure when both are set.
    pub(super) fn thresholds(&self) -> Result<(Option<f64>, Option<f64>), ConfigError> {
        let percent = |key: &str, value: &Option<Spanned<f64>>| match value {
            Some(value) if !(0.0..=100.0).contains(value.get_ref()) => Err(self.invalid(
                key,
                value.span(),
                &format!(
                    "must be a percentage from 0 to 100, not {}",
                    value.get_ref()
                ),
            )),
            Some(value) => Ok(Some(*value.get_ref())),
            None => Ok(None),
        };
        let warn = percent("warn-at", &self.check.warn_at)?;
        let fail = percent("fail-at", &self.check.fail_at)?;
        if let (Some(warn), Some(fail), Some(span)) =
            (warn, fail, self.check.fail_at.as_ref().map(Spanned::span))
            && warn > fail
        {
            return Err(self.invalid(
                "fail-at",
                span,
                &format!("must not be below `warn-at` ({warn} > {fail})"),
            ));
        }
        Ok((warn, fail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_parts_are_masked() {
        let value = "memcache://cache:hunter2";
        assert_eq!(
            mask_quoted("`hunter2` is not a port number", value),
            "*** is not a port number"
        );
        assert_eq!(
            mask_quoted("use `secret-access-key`, not `cache`", value),
            "use `secret-access-key`, not ***"
        );
        assert_eq!(mask_quoted("no quotes", value), "no quotes");
    }
}
