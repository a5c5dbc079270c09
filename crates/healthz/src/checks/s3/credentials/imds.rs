//! EC2 instance metadata (IMDSv2): a session token from a `PUT`, then, with it, the
//! name of the instance's role and the role's credentials as JSON.

use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode, Uri};
use hyper::body::Bytes;

use super::env::Env;
use super::fetch::{Fetched, exchange, from_json};
use crate::checks::http_client::{self, HttpClient};
use crate::redact::redact_url;

/// How long each request has to be answered, as in the SDKs: on a machine that is not
/// an EC2 instance nothing answers, and the check should say so soon.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Instance metadata over IPv4 and (`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`)
/// IPv6.
const IPV4: &str = "http://169.254.169.254";
const IPV6: &str = "http://[fd00:ec2::254]";

/// Where the session token comes from, and how long it lasts (the longest allowed).
const TOKEN_PATH: &str = "/latest/api/token";
const TOKEN_TTL: (&str, &str) = ("x-aws-ec2-metadata-token-ttl-seconds", "21600");

/// The header that carries the session token.
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";

/// Lists the instance's role; the role's credentials are below it.
const ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// The instance metadata service.
pub(super) struct Imds {
    /// Its base URL, without a trailing `/`.
    endpoint: String,
}

impl Imds {
    /// The service at `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else at the address of
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` (IPv4 unless `IPv6`); `None` when
    /// `AWS_EC2_METADATA_DISABLED` is `true`.
    pub(super) fn from_env(env: &Env) -> Option<Self> {
        if env
            .var("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|disabled| disabled.eq_ignore_ascii_case("true"))
        {
            return None;
        }
        let endpoint = env
            .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .unwrap_or_else(|| {
                let ipv6 = env
                    .var("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
                    .is_some_and(|mode| mode.eq_ignore_ascii_case("ipv6"));
                (if ipv6 { IPV6 } else { IPV4 }).to_owned()
            });
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        Some(Self { endpoint })
    }

    /// The source as messages name it.
    pub(super) fn source(&self) -> String {
        format!("instance metadata at {}", redact_url(&self.endpoint))
    }

    /// Asks for a session token, the role's name and its credentials.
    pub(super) async fn fetch(&self, client: &HttpClient) -> Result<Fetched, String> {
        let ttl = (
            HeaderName::from_static(TOKEN_TTL.0),
            HeaderValue::from_static(TOKEN_TTL.1),
        );
        let token = self.call(client, Method::PUT, TOKEN_PATH, ttl).await?;
        let mut token = HeaderValue::from_bytes(&token)
            .map_err(|_| "the session token is not a header value".to_owned())?;
        token.set_sensitive(true);
        let token = (HeaderName::from_static(TOKEN_HEADER), token);
        let roles = self
            .call(client, Method::GET, ROLES_PATH, token.clone())
            .await?;
        let role = String::from_utf8_lossy(&roles);
        let role = role
            .lines()
            .next()
            .map(str::trim)
            .filter(|role| !role.is_empty())
            .ok_or_else(|| "no IAM role is attached to the instance".to_owned())?;
        let credentials = format!("{ROLES_PATH}{role}");
        let body = self.call(client, Method::GET, &credentials, token).await?;
        from_json(&body)
    }

    /// One request, with one header; the body of a successful answer.
    async fn call(
        &self,
        client: &HttpClient,
        method: Method,
        path: &str,
        (name, value): (HeaderName, HeaderValue),
    ) -> Result<Bytes, String> {
        let step = format!("{method} {path}");
        let uri: Uri = format!("{}{path}", self.endpoint)
            .parse()
            .map_err(|e| format!("{step}: the endpoint is not a URL: {e}"))?;
        let mut request = http_client::request(method, uri, Bytes::new());
        request.headers_mut().insert(name, value);
        let (status, body) = exchange(client, request, TIMEOUT)
            .await
            .map_err(|why| format!("{step}: {why}"))?;
        match status {
            status if status.is_success() => Ok(body),
            StatusCode::NOT_FOUND if path == ROLES_PATH => {
                Err("no IAM role is attached to the instance".to_owned())
            }
            status => Err(format!("{step} answered {}", status.as_u16())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imds(vars: &[(&str, &str)]) -> Option<Imds> {
        Imds::from_env(&Env::of(vars))
    }

    #[test]
    fn the_endpoint_is_the_sdks_variable_or_the_link_local_address() {
        let source = |vars: &[(&str, &str)]| imds(vars).unwrap().source();
        assert_eq!(source(&[]), "instance metadata at http://169.254.169.254");
        assert_eq!(
            source(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")]),
            "instance metadata at http://[fd00:ec2::254]"
        );
        assert_eq!(
            source(&[
                (
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                    "http://127.0.0.1:9105/"
                ),
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")
            ]),
            "instance metadata at http://127.0.0.1:9105"
        );
        assert!(imds(&[("AWS_EC2_METADATA_DISABLED", "TRUE")]).is_none());
        assert!(imds(&[("AWS_EC2_METADATA_DISABLED", "false")]).is_some());
    }
}
