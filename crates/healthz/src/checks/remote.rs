//! Another service's health endpoint, check by check: [`RemoteHealth`].

mod format;

use std::borrow::Cow;
use std::fmt;

use http::header::{CONTENT_TYPE, HeaderMap, LOCATION};
use http::{StatusCode, Uri};

use self::format::{parse_health_json, parse_json};
use super::InvalidUrl;
use super::http_client::{HttpClient, parse_url, read_body};
use crate::redact::redact_url;
use crate::{CheckError, CheckResult, HealthCheck};

/// What the check asks for: the detailed format first, the seed's JSON second.
const ACCEPT: &str = "application/health+json, application/json;q=0.9";

/// The most body the check reads.
const MAX_BODY: usize = 1 << 20;

/// How much of one remote check's name or output a message quotes.
const MAX_OUTPUT_CHARS: usize = 200;

/// Checks another service's health endpoint and reports each of its checks: working
/// when all of them pass. Named `RemoteHealth`.
///
/// It asks for `application/health+json` (or the seed's flat JSON) and reads whichever
/// the `Content-Type` says it got, so it reads this crate's endpoint,
/// django-health-check's and any endpoint of the IETF draft. A remote check that fails
/// makes this one `unavailable`, naming each failing check with its output:
///
/// ```text
/// unavailable: remote check(s) failing: DatabaseBackend (unavailable: connection refused)
/// ```
///
/// A remote check that only warns (a warning, or a failing non-critical check) makes
/// this one a `warning`. A body that is not one of the two formats is an
/// `unexpected result`. The remote checks are summed up in this one check's message,
/// not shown as rows of their own.
///
/// ```
/// use healthz::checks::RemoteHealth;
/// use healthz::{CheckOptions, Registry};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let orders = RemoteHealth::new("http://orders.internal:8000/ht/ready/")?;
/// let registry = Registry::builder()
///     .check_with(orders, CheckOptions::new().name("RemoteHealth[orders]"))
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
///
/// In the seed's flat JSON a failure carries no criticality, so the HTTP status
/// decides: failures in a `2xx` answer count as warnings (the remote service itself
/// does not consider them critical), failures in any other answer as failures.
#[derive(Clone)]
pub struct RemoteHealth {
    url: Uri,
    bearer_token: Option<String>,
    client: HttpClient,
}

impl RemoteHealth {
    /// Checks the health endpoint at `url` (`http://…`, or `https://…` with the
    /// `rustls` feature). Building the check never touches the network.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the URL does not parse, has no host, holds
    /// credentials (use [`bearer_token`](Self::bearer_token)) or uses a scheme the
    /// client cannot speak.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        Ok(Self {
            url: parse_url(url)?,
            bearer_token: None,
            client: HttpClient::new(),
        })
    }

    /// Sends `Authorization: Bearer <token>`, for an endpoint that shows details only
    /// to holders of a token. The token never shows in `Debug` output or messages.
    #[must_use]
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// The TLS options of an `https` URL: how the server's certificate is verified, a
    /// CA bundle to trust besides the system's and the bundled web roots, a client
    /// certificate for mutual TLS. `verify-full` with no client certificate unless set.
    ///
    /// ```
    /// use healthz::checks::{RemoteHealth, Tls};
    ///
    /// let check = RemoteHealth::new("https://orders.internal:8000/ht/ready/")?
    ///     .tls(Tls::new().ca_file("/etc/ssl/private-ca.pem"));
    /// # Ok::<(), healthz::checks::InvalidUrl>(())
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn tls(mut self, tls: super::Tls) -> Self {
        self.client = self.client.with_tls(tls);
        self
    }

    super::http_client::proxy_options!();

    fn shown(&self) -> String {
        redact_url(&self.url.to_string())
    }
}

impl fmt::Debug for RemoteHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteHealth")
            .field("url", &self.shown())
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl HealthCheck for RemoteHealth {
    async fn check(&self) -> CheckResult {
        let response = self
            .client
            .get(
                &self.url,
                Some(ACCEPT),
                &HeaderMap::new(),
                self.bearer_token.as_deref(),
            )
            .await?;
        let status = response.status();
        let media_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                let essence = value.split(';').next().unwrap_or_default();
                essence.trim().to_ascii_lowercase()
            });
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .map_or_else(|| "nowhere".to_owned(), redact_url);
            return Err(CheckError::unexpected_result(format!(
                "{} answered {}, a redirect to {location}; point the check at the final URL",
                self.shown(),
                status.as_u16()
            )));
        }
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            let hint = match self.bearer_token {
                Some(_) => "the bearer token was refused",
                None => "it needs a bearer token",
            };
            return Err(CheckError::unavailable(format!(
                "{} answered {}: {hint}",
                self.shown(),
                status.as_u16()
            )));
        }
        let body = read_body(response.into_body(), MAX_BODY).await?;
        judge(status, media_type.as_deref(), &body, &self.shown())
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("RemoteHealth")
    }
}

/// The verdict on a remote endpoint's answer: its status, the essence of its
/// `Content-Type` (lower case) and its body; `shown` names the endpoint in messages.
pub(crate) fn judge(
    status: StatusCode,
    media_type: Option<&str>,
    body: &[u8],
    shown: &str,
) -> CheckResult {
    let report = match media_type {
        Some("application/health+json") => parse_health_json(body),
        Some("application/json") => parse_json(body, status),
        other => {
            return Err(CheckError::unexpected_result(format!(
                "{shown} answered {} with {}, not application/health+json or application/json",
                status.as_u16(),
                other.unwrap_or("no Content-Type")
            )));
        }
    }
    .map_err(|why| {
        CheckError::unexpected_result(format!("cannot read the health report of {shown}: {why}"))
    })?;
    report.verdict(status, shown)
}

/// A remote check's status, as the draft names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    /// The draft's values and the aliases it allows.
    fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "pass" | "ok" | "up" => Some(Self::Pass),
            "warn" => Some(Self::Warn),
            "fail" | "error" | "down" => Some(Self::Fail),
            _ => None,
        }
    }
}

/// One remote check.
#[derive(Debug, PartialEq, Eq)]
struct RemoteCheck {
    name: String,
    status: Status,
    output: Option<String>,
}

/// What the remote endpoint said.
#[derive(Debug, PartialEq, Eq)]
struct RemoteReport {
    /// The overall status, when the format has one.
    status: Option<Status>,
    checks: Vec<RemoteCheck>,
}

impl RemoteReport {
    fn verdict(&self, http_status: StatusCode, shown: &str) -> CheckResult {
        let list = |wanted: Status| {
            self.checks
                .iter()
                .filter(|check| check.status == wanted)
                .map(|check| {
                    let output = check.output.as_deref().unwrap_or(match wanted {
                        Status::Fail => "fail",
                        _ => "warn",
                    });
                    format!(
                        "{} ({})",
                        crate::sanitize::clean(&check.name, MAX_OUTPUT_CHARS),
                        crate::sanitize::clean(output, MAX_OUTPUT_CHARS)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let failing = list(Status::Fail);
        let warning = list(Status::Warn);
        match (failing.is_empty(), warning.is_empty()) {
            (false, true) => Err(CheckError::unavailable(format!(
                "remote check(s) failing: {failing}"
            ))),
            (false, false) => Err(CheckError::unavailable(format!(
                "remote check(s) failing: {failing}; warning: {warning}"
            ))),
            (true, false) => Err(CheckError::warning(format!(
                "remote check(s) warning: {warning}"
            ))),
            (true, true) => match self.status {
                Some(Status::Fail) => Err(CheckError::unavailable(format!("{shown} reports fail"))),
                Some(Status::Warn) => Err(CheckError::warning(format!("{shown} reports warn"))),
                _ if !http_status.is_success() => Err(CheckError::unexpected_result(format!(
                    "{shown} answered {} with no failing check",
                    http_status.as_u16()
                ))),
                _ => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const SHOWN: &str = "http://orders.test/ht/";

    fn verdict_of(report: Result<RemoteReport, String>, status: StatusCode) -> CheckResult {
        report.unwrap().verdict(status, SHOWN)
    }

    #[test]
    fn seed_json_all_working_passes() {
        let body = br#"{"CacheBackend":"working","DatabaseBackend":"working"}"#;
        assert!(verdict_of(parse_json(body, StatusCode::OK), StatusCode::OK).is_ok());
    }

    #[test]
    fn seed_json_failures_in_a_500_fail_in_document_order() {
        let body = br#"{"Zeta":"unavailable: down","CacheBackend":"working","DatabaseBackend":"unavailable: connection refused"}"#;
        let status = StatusCode::INTERNAL_SERVER_ERROR;
        let error = verdict_of(parse_json(body, status), status).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unavailable: remote check(s) failing: Zeta (unavailable: down), DatabaseBackend (unavailable: connection refused)"
        );
    }

    #[test]
    fn seed_json_warnings_and_failures_in_a_200_warn() {
        let body = br#"{"Disk":"warning: 91% full","Replica":"unavailable: down"}"#;
        let error = verdict_of(parse_json(body, StatusCode::OK), StatusCode::OK).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Warning);
        assert_eq!(
            error.message(),
            "remote check(s) warning: Disk (warning: 91% full), Replica (unavailable: down)"
        );
    }

    #[test]
    fn health_json_is_read_per_component() {
        let body = br#"{"status":"fail","checks":{
            "db:primary:responseTime":[{"status":"fail","output":"unavailable: refused"}],
            "disk:utilization":[{"status":"warn","output":"warning: 91% full"}],
            "cache:responseTime":{"status":"pass"},
            "nodes:count":[{"status":"pass"},{"status":"down"}]
        }}"#;
        let report = parse_health_json(body).unwrap();
        assert_eq!(report.checks[0].name, "db:primary");
        let error = report
            .verdict(StatusCode::INTERNAL_SERVER_ERROR, SHOWN)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "unavailable: remote check(s) failing: db:primary (unavailable: refused), nodes (fail); warning: disk (warning: 91% full)"
        );
    }

    #[test]
    fn a_status_only_answer_uses_the_top_level_status() {
        let report = parse_health_json(br#"{"status":"warn"}"#).unwrap();
        let error = report.verdict(StatusCode::OK, SHOWN).unwrap_err();
        assert_eq!(error.to_string(), format!("warning: {SHOWN} reports warn"));
        let report = parse_health_json(br#"{"status":"pass"}"#).unwrap();
        assert!(report.verdict(StatusCode::OK, SHOWN).is_ok());
        let error = report.verdict(StatusCode::BAD_GATEWAY, SHOWN).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnexpectedResult);
    }

    #[test]
    fn health_json_under_the_plain_json_type_is_recognised() {
        let body = br#"{"status":"pass","checks":{"a:x":[{"status":"pass"}]}}"#;
        let report = parse_json(body, StatusCode::OK).unwrap();
        assert_eq!(report.status, Some(Status::Pass));
        assert_eq!(report.checks.len(), 1);
    }

    #[test]
    fn unreadable_bodies_are_errors() {
        assert!(parse_json(b"<html>", StatusCode::OK).is_err());
        assert!(parse_json(b"[1,2]", StatusCode::OK).is_err());
        assert!(parse_health_json(br#"{"status":"sideways"}"#).is_err());
        assert!(parse_health_json(br#"{"checks":{}}"#).is_err());
    }

    #[test]
    fn remote_names_and_outputs_reach_the_message_clean() {
        let body = br#"{"Disk\u001b[2J":"unavailable: \u001b[31mdown\u001b[0m\nFORGED: working"}"#;
        let status = StatusCode::INTERNAL_SERVER_ERROR;
        let error = verdict_of(parse_json(body, status), status).unwrap_err();
        assert_eq!(
            error.message(),
            "remote check(s) failing: Disk (unavailable: down FORGED: working)"
        );
        let long = format!(
            r#"{{"status":"fail","checks":{{"db":{{"status":"fail","output":"{}"}}}}}}"#,
            "z".repeat(1000)
        );
        let error = verdict_of(parse_health_json(long.as_bytes()), status).unwrap_err();
        assert_eq!(
            error.message(),
            format!(
                "remote check(s) failing: db ({}…)",
                "z".repeat(MAX_OUTPUT_CHARS)
            )
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let check = RemoteHealth::new("http://a.test/ht/")
            .unwrap()
            .bearer_token("s3cr3t");
        assert!(!format!("{check:?}").contains("s3cr3t"));
    }
}
