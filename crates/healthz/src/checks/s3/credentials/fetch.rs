//! What the sources that fetch temporary credentials share: the [`Fetch`] trait the
//! cache refreshes through, one bounded request, and the JSON answer that the
//! container endpoint and instance metadata both give.

use std::path::Path;
use std::time::{Duration, SystemTime};

use http::{Request, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::Bytes;
use rusty_s3::Credentials;
use serde::Deserialize;
use tokio::time::Instant;

use crate::Secret;
use crate::checks::describe_io;
use crate::checks::http_client::{HttpClient, check_scheme, read_body};
use crate::redact::redact_url;

/// The most of an answer a fetch reads: credentials take a few KiB.
const MAX_ANSWER: usize = 64 << 10;

/// Credentials as a source gave them, with when they stop working (`None`: never).
/// Their `Debug` shows the access key ID only.
#[derive(Clone, Debug)]
pub(super) struct Fetched {
    pub(super) credentials: Credentials,
    pub(super) expires: Option<Instant>,
}

/// A source of temporary credentials.
pub(super) trait Fetch: Send + Sync + 'static {
    /// The source as messages name it: `instance metadata at http://169.254.169.254`.
    fn source(&self) -> String;

    /// Fetches fresh credentials, or says why it cannot, without the source's name
    /// and without any secret.
    fn fetch(&self) -> impl Future<Output = Result<Fetched, String>> + Send;
}

/// A URL from the environment, as messages show it and as requests use it.
pub(super) struct Endpoint {
    /// The URL, redacted.
    pub(super) shown: String,
    /// The URL, or why requests cannot go there.
    uri: Result<Uri, String>,
}

impl Endpoint {
    /// `url`, which must be `http` or `https` (with the `rustls` feature) and pass
    /// `allowed`.
    pub(super) fn new(url: &str, allowed: impl FnOnce(&Uri) -> Result<(), String>) -> Self {
        let uri = url
            .parse::<Uri>()
            .map_err(|e| format!("it is not a URL: {e}"))
            .and_then(|uri| {
                check_scheme(&uri)?;
                allowed(&uri)?;
                Ok(uri)
            });
        Self {
            shown: redact_url(url),
            uri,
        }
    }

    /// The URL to send a request to.
    ///
    /// # Errors
    ///
    /// Why no request can go there: it does not parse, or is not allowed.
    pub(super) fn uri(&self) -> Result<Uri, String> {
        self.uri.clone()
    }
}

/// The token in the file at `path` (a service-account token, an agent's token), which
/// its issuer rotates: read at each fetch.
pub(super) async fn read_token(path: &Path) -> Result<String, String> {
    let token = tokio::fs::read_to_string(path).await.map_err(|e| {
        format!(
            "cannot read the token file {}: {}",
            path.display(),
            describe_io(&e)
        )
    })?;
    Ok(token.trim().to_owned())
}

/// Sends `request` and reads the answer, all within `timeout`: the status and the
/// body, or why there is none (`connection refused`, `no answer within 2s`).
pub(super) async fn exchange(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<(StatusCode, Bytes), String> {
    let exchange = async {
        let response = client.send(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = read_body(response.into_body(), MAX_ANSWER)
            .await
            .map_err(|e| e.message().to_owned())?;
        Ok((status, body))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no answer within {}",
                humantime::format_duration(timeout)
            ))
        })
}

/// The credentials in the JSON answer of the container endpoint or of instance
/// metadata: `{"AccessKeyId": …, "SecretAccessKey": …, "Token": …, "Expiration": …}`,
/// with `"Code": "Success"` from instance metadata.
pub(super) fn from_json(body: &[u8]) -> Result<Fetched, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        code: Option<String>,
        access_key_id: String,
        secret_access_key: Secret,
        token: Option<Secret>,
        expiration: Option<String>,
    }

    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not credentials: {e}"))?;
    if let Some(code) = answer.code.filter(|code| code != "Success") {
        return Err(format!("the answer is {code}, not credentials"));
    }
    let expires = answer.expiration.as_deref().map(expires_at).transpose()?;
    let credentials = match answer.token {
        Some(token) => Credentials::new_with_token(
            answer.access_key_id,
            answer.secret_access_key.into_inner(),
            token.into_inner(),
        ),
        None => Credentials::new(answer.access_key_id, answer.secret_access_key.into_inner()),
    };
    Ok(Fetched {
        credentials,
        expires,
    })
}

/// When credentials whose expiration is `timestamp` (RFC 3339, UTC) stop working, on
/// Tokio's clock, so that the cache's refreshes follow a paused clock in tests.
pub(super) fn expires_at(timestamp: &str) -> Result<Instant, String> {
    let expiration = humantime::parse_rfc3339_weak(timestamp)
        .map_err(|e| format!("the expiration {timestamp:?} is not a time: {e}"))?;
    let left = expiration
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    Ok(Instant::now() + left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn json_answers_give_credentials_and_their_expiry() {
        let in_an_hour =
            humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(3600));
        let body = format!(
            r#"{{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAEXAMPLE",
                "SecretAccessKey": "s3cr3t", "Token": "t0ken", "Expiration": "{in_an_hour}"}}"#
        );
        let fetched = from_json(body.as_bytes()).unwrap();
        assert_eq!(fetched.credentials.key(), "ASIAEXAMPLE");
        assert_eq!(fetched.credentials.secret(), "s3cr3t");
        assert_eq!(fetched.credentials.token(), Some("t0ken"));
        let left = fetched.expires.unwrap() - Instant::now();
        assert!(
            left > Duration::from_secs(3500) && left <= Duration::from_secs(3600),
            "{left:?}"
        );

        let fixed = from_json(br#"{"AccessKeyId": "AKID", "SecretAccessKey": "s"}"#).unwrap();
        assert_eq!(fixed.credentials.token(), None);
        assert!(fixed.expires.is_none());
    }

    #[test]
    fn answers_that_are_not_credentials_say_so_without_secrets() {
        let failed = br#"{"Code": "AssumeRoleUnauthorizedAccess", "AccessKeyId": "", "SecretAccessKey": "s3cr3t"}"#;
        assert_eq!(
            from_json(failed).unwrap_err(),
            "the answer is AssumeRoleUnauthorizedAccess, not credentials"
        );
        let missing = from_json(br#"{"SecretAccessKey": "s3cr3t"}"#).unwrap_err();
        assert!(
            missing.starts_with("the answer is not credentials: missing field `AccessKeyId`"),
            "{missing}"
        );
        assert!(!missing.contains("s3cr3t"), "{missing}");
        let bad_time = br#"{"AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "soon"}"#;
        assert!(
            from_json(bad_time)
                .unwrap_err()
                .starts_with("the expiration \"soon\" is not a time"),
        );
    }

    #[tokio::test(start_paused = true)]
    async fn past_expirations_are_now_and_fractions_of_seconds_are_read() {
        let now = Instant::now();
        assert_eq!(expires_at("2001-02-03T04:05:06Z").unwrap(), now);
        let later = expires_at("2999-01-01T00:00:00.204346Z").unwrap();
        assert!(later > now + Duration::from_secs(86_400 * 365 * 900));
    }
}
