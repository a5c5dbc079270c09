//! Web identity: a token file (EKS IRSA's service-account token) exchanged for a
//! role's temporary credentials at STS, with `AssumeRoleWithWebIdentity`.
//!
//! The request is unsigned (the token is what proves the caller), a form `POST` as the
//! SDKs send it; STS answers in XML.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use hyper::body::Bytes;
use rusty_s3::Credentials;

use super::env::Env;
use super::fetch::{Endpoint, Fetched, exchange, expires_at, read_token};
use crate::checks::http_client::{self, HttpClient};
use crate::checks::s3::xml::xml_text;
use crate::redact::Redactor;

/// How long STS has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The version of the STS API the request speaks.
const STS_VERSION: &str = "2011-06-15";

/// A role to assume with the token in a file.
pub(super) struct WebIdentity {
    token_file: PathBuf,
    role_arn: String,
    session_name: String,
    sts: Endpoint,
}

impl WebIdentity {
    /// Assumes `role_arn` with the token in `token_file`, under `session_name` (a
    /// name of the check's own unless given). STS is `AWS_ENDPOINT_URL_STS`, else
    /// `AWS_ENDPOINT_URL`, else the regional endpoint of `region` (the global one
    /// without a region).
    pub(super) fn new(
        token_file: &str,
        role_arn: &str,
        session_name: Option<&str>,
        env: &Env,
        region: Option<&str>,
    ) -> Self {
        let session_name = session_name.map_or_else(
            || {
                let since_epoch = SystemTime::UNIX_EPOCH.elapsed().unwrap_or_default();
                format!("healthz-{}", since_epoch.as_secs())
            },
            str::to_owned,
        );
        let sts = env
            .var("AWS_ENDPOINT_URL_STS")
            .or_else(|| env.var("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| match region {
                Some(region) => format!("https://sts.{region}.amazonaws.com/"),
                None => "https://sts.amazonaws.com/".to_owned(),
            });
        Self {
            token_file: PathBuf::from(token_file),
            role_arn: role_arn.to_owned(),
            session_name,
            sts: Endpoint::new(&sts, |_| Ok(())),
        }
    }

    /// The source as messages name it.
    pub(super) fn source(&self) -> String {
        format!("web identity (role {})", self.role_arn)
    }

    /// Exchanges the token for credentials.
    pub(super) async fn fetch(&self, client: &HttpClient) -> Result<Fetched, String> {
        let shown = &self.sts.shown;
        let sts = self
            .sts
            .uri()
            .map_err(|why| format!("the STS endpoint {shown}: {why}"))?;
        let token = read_token(&self.token_file).await?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "AssumeRoleWithWebIdentity")
            .append_pair("Version", STS_VERSION)
            .append_pair("RoleArn", &self.role_arn)
            .append_pair("RoleSessionName", &self.session_name)
            .append_pair("WebIdentityToken", &token)
            .finish();
        let mut request = http_client::request(Method::POST, sts, Bytes::from(form));
        request.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let (status, body) = exchange(client, request, TIMEOUT)
            .await
            .map_err(|why| format!("STS at {shown}: {why}"))?;
        let body = String::from_utf8_lossy(&body);
        if status.is_success() {
            credentials(&body).map_err(|why| format!("STS at {shown}: {why}"))
        } else {
            let mut redactor = Redactor::default();
            redactor.add_secret(&token);
            Err(redactor.redact(&refusal(shown, status, &body)))
        }
    }
}

/// The credentials in STS's answer.
fn credentials(body: &str) -> Result<Fetched, String> {
    let field = |tag| xml_text(body, tag).ok_or_else(|| format!("its answer has no {tag}"));
    let credentials = Credentials::new_with_token(
        field("AccessKeyId")?,
        field("SecretAccessKey")?,
        field("SessionToken")?,
    );
    let expires = expires_at(&field("Expiration")?)?;
    Ok(Fetched {
        credentials,
        expires: Some(expires),
    })
}

/// Why STS at `shown` refused, from the error document it answered with.
fn refusal(shown: &str, status: StatusCode, body: &str) -> String {
    let status = status.as_u16();
    match (xml_text(body, "Code"), xml_text(body, "Message")) {
        (Some(code), Some(message)) => {
            format!("STS at {shown} answered {status} {code}: {message}")
        }
        (Some(code), None) => format!("STS at {shown} answered {status} {code}"),
        (None, _) => format!("STS at {shown} answered {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::of(vars)
    }

    fn sts(env: &Env, region: Option<&str>) -> String {
        let identity = WebIdentity::new("/token", "arn:aws:iam::1:role/r", None, env, region);
        identity.sts.shown
    }

    #[test]
    fn sts_is_the_sdks_variable_else_the_regional_endpoint() {
        let both = env(&[
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9000"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9001"),
        ]);
        assert_eq!(sts(&both, None), "http://127.0.0.1:9000");
        let general = env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9001")]);
        assert_eq!(sts(&general, None), "http://127.0.0.1:9001");
        assert_eq!(
            sts(&env(&[]), Some("eu-west-1")),
            "https://sts.eu-west-1.amazonaws.com/"
        );
        assert_eq!(sts(&env(&[]), None), "https://sts.amazonaws.com/");
    }

    #[test]
    fn the_session_is_named_unless_a_name_is_given() {
        let named = WebIdentity::new("/t", "arn", Some("ci"), &env(&[]), None);
        assert_eq!(named.session_name, "ci");
        let unnamed = WebIdentity::new("/t", "arn", None, &env(&[]), None);
        assert!(unnamed.session_name.starts_with("healthz-"));
    }

    #[tokio::test]
    async fn answers_give_credentials_and_refusals_their_code() {
        let answer = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>\
            <Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey>\
            <SessionToken>t0ken</SessionToken><Expiration>2999-01-01T00:00:00Z</Expiration></Credentials>\
            </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
        let fetched = credentials(answer).unwrap();
        assert_eq!(fetched.credentials.key(), "ASIAEXAMPLE");
        assert_eq!(fetched.credentials.token(), Some("t0ken"));
        assert!(fetched.expires.is_some());
        assert_eq!(
            credentials("<Credentials></Credentials>").unwrap_err(),
            "its answer has no AccessKeyId"
        );

        let refused = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>\
            <Message>No OpenIDConnect provider found</Message></Error></ErrorResponse>";
        assert_eq!(
            refusal("https://sts", StatusCode::BAD_REQUEST, refused),
            "STS at https://sts answered 400 InvalidIdentityToken: No OpenIDConnect provider found"
        );
        assert_eq!(
            refusal("https://sts", StatusCode::BAD_GATEWAY, "<html>"),
            "STS at https://sts answered 502"
        );
    }

    #[tokio::test]
    async fn a_bad_endpoint_or_a_missing_token_file_is_why_it_fails() {
        let client = HttpClient::new();
        let bad = env(&[("AWS_ENDPOINT_URL_STS", "ftp://sts.internal")]);
        let identity = WebIdentity::new("/t", "arn", None, &bad, None);
        assert_eq!(
            identity.fetch(&client).await.err().unwrap(),
            "the STS endpoint ftp://sts.internal: the scheme is `ftp`, not http or https"
        );
        let local = env(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]);
        let identity = WebIdentity::new("/nonexistent/token", "arn", None, &local, None);
        assert_eq!(
            identity.fetch(&client).await.err().unwrap(),
            "cannot read the token file /nonexistent/token: no such file or directory"
        );
    }
}
