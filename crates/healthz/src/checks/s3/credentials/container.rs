//! The container credentials endpoint: the ECS agent
//! (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, on 169.254.170.2) and the EKS Pod
//! Identity agent (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, with a token file), which
//! answer a `GET` with the task's or pod's credentials as JSON.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use http::{Method, Uri};
use hyper::body::Bytes;

use super::env::Env;
use super::fetch::{Endpoint, Fetched, exchange, from_json, read_token};
use crate::Secret;
use crate::checks::http_client::{self, HttpClient};

/// How long the endpoint has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The ECS agent, which `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is a path on.
const ECS_AGENT: &str = "http://169.254.170.2";

/// The hosts besides loopback that a plain-http `AWS_CONTAINER_CREDENTIALS_FULL_URI`
/// may name, as the SDKs allow: the ECS agent and the EKS Pod Identity agent. The
/// token must not travel in clear anywhere else.
const AGENTS: [&str; 3] = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"];

/// A container credentials endpoint and the token it wants.
pub(super) struct Container {
    endpoint: Endpoint,
    token: Option<Token>,
}

/// The `Authorization` header's value, read at each fetch from a file (which the
/// agent rotates) or given.
enum Token {
    File(PathBuf),
    Given(Secret),
}

impl Container {
    /// The endpoint the environment names, if it names one: the relative URI on the
    /// ECS agent, else the full URI, with the token file, else the token.
    pub(super) fn from_env(env: &Env) -> Option<Self> {
        let endpoint = match env.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            Some(path) => Endpoint::new(&format!("{ECS_AGENT}{path}"), |_| Ok(())),
            None => Endpoint::new(&env.var("AWS_CONTAINER_CREDENTIALS_FULL_URI")?, allowed),
        };
        let token = env
            .var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
            .map(|path| Token::File(PathBuf::from(path)))
            .or_else(|| {
                env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN")
                    .map(|token| Token::Given(Secret::from(token)))
            });
        Some(Self { endpoint, token })
    }

    /// The source as messages name it.
    pub(super) fn source(&self) -> String {
        format!("the container endpoint {}", self.endpoint.shown)
    }

    /// Asks the endpoint for credentials.
    pub(super) async fn fetch(&self, client: &HttpClient) -> Result<Fetched, String> {
        let uri = self.endpoint.uri()?;
        let mut request = http_client::request(Method::GET, uri, Bytes::new());
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = &self.token {
            headers.insert(AUTHORIZATION, token.header().await?);
        }
        let (status, body) = exchange(client, request, TIMEOUT).await?;
        if !status.is_success() {
            return Err(format!("it answered {}", status.as_u16()));
        }
        from_json(&body)
    }
}

impl Token {
    async fn header(&self) -> Result<HeaderValue, String> {
        let token = match self {
            Self::File(path) => read_token(path).await?,
            Self::Given(token) => token.expose().clone(),
        };
        let mut value = HeaderValue::from_str(&token)
            .map_err(|_| "the token holds characters a header cannot carry".to_owned())?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// `Ok` for a full URI the token may be sent to: any `https` URL, or an `http` one on
/// loopback or one of the [`AGENTS`].
fn allowed(uri: &Uri) -> Result<(), String> {
    if uri.scheme_str() == Some("https") {
        return Ok(());
    }
    let host = uri.host().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback || AGENTS.contains(&host) {
        Ok(())
    } else {
        Err(format!(
            "plain http may only go to loopback or the ECS or EKS agent ({}), not {host}",
            AGENTS.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(vars: &[(&str, &str)]) -> Option<Container> {
        Container::from_env(&Env::of(vars))
    }

    #[test]
    fn the_relative_uri_is_on_the_ecs_agent_and_wins() {
        let ecs = container(&[
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/abc",
            ),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/"),
        ])
        .unwrap();
        assert_eq!(
            ecs.source(),
            "the container endpoint http://169.254.170.2/v2/credentials/abc"
        );
        assert!(container(&[("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t")]).is_none());
    }

    #[test]
    fn plain_http_goes_only_to_loopback_and_the_agents() {
        for url in [
            "http://127.0.0.1:9101/creds",
            "http://localhost/creds",
            "http://[::1]:80/creds",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "https://creds.internal/v1",
        ] {
            let uri: Uri = url.parse().unwrap();
            assert_eq!(allowed(&uri), Ok(()), "{url}");
        }
        let remote = container(&[(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://10.0.0.8/creds",
        )])
        .unwrap();
        assert_eq!(
            remote.endpoint.uri().unwrap_err(),
            "plain http may only go to loopback or the ECS or EKS agent \
             (169.254.170.2, 169.254.170.23, fd00:ec2::23), not 10.0.0.8"
        );
    }

    #[tokio::test]
    async fn the_token_file_wins_and_is_read_at_each_fetch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "first\n").unwrap();
        let path = file.display().to_string();
        let pod = container(&[
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://169.254.170.23/v1/credentials",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &path),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "given"),
        ])
        .unwrap();
        let token = pod.token.as_ref().unwrap();
        assert_eq!(token.header().await.unwrap(), "first");
        std::fs::write(&file, "rotated").unwrap();
        assert_eq!(token.header().await.unwrap(), "rotated");
        assert!(token.header().await.unwrap().is_sensitive());

        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            token.header().await.unwrap_err(),
            format!("cannot read the token file {path}: no such file or directory")
        );
        let bad = Token::Given(Secret::from("two\nlines"));
        assert_eq!(
            bad.header().await.unwrap_err(),
            "the token holds characters a header cannot carry"
        );
    }
}
