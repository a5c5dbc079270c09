//! `S3StorageBackend` on S3 and S3-compatible servers: [`S3Storage`].

mod cleanup;
mod credentials;
mod error;
mod xml;

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use http::{Method, Response, StatusCode, Uri};
use hyper::body::{Bytes, Incoming};
use rusty_s3::{Bucket, S3Action as _, UrlStyle};
use url::{Host, Url};

use self::cleanup::{Cleanup, ProbeObject};
use self::credentials::{Aws, Provider};
use super::InvalidUrl;
use super::http_client::{self, HttpClient, read_body, unreachable};
use crate::redact::redact_url;
use crate::{CheckError, CheckResult, HealthCheck, Secret};

/// Where probe objects go unless [`S3Storage::prefix`] says otherwise.
const DEFAULT_PREFIX: &str = "healthz/";

/// The region unless [`S3Storage::region`] or the environment says otherwise.
const DEFAULT_REGION: &str = "us-east-1";

/// How many random bytes a probe object holds.
const PROBE_LEN: usize = 64;

/// How long a signed request stays valid: long enough for a slow round trip and some
/// clock skew, short enough to be useless if a URL leaks into a log.
const SIGNATURE_TTL: Duration = Duration::from_secs(300);

/// Checks a bucket of S3 or of an S3-compatible server (MinIO, Ceph, R2, moto…): the
/// seed's `S3StorageBackend`.
///
/// Each run puts a uniquely named object with random bytes under a prefix
/// (`healthz/` unless set), gets it back, compares, deletes it and confirms it is
/// gone. It never lists, reads, overwrites or deletes any other object.
///
/// ```no_run
/// use healthz::Registry;
/// use healthz::checks::S3Storage;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // AWS: region and credentials as the AWS SDKs find them (keys, a profile, the
/// // pod's or task's role, the instance's role).
/// let uploads = S3Storage::new("acme-uploads");
/// // An S3-compatible server, configured in code.
/// let minio = S3Storage::new("backups")
///     .endpoint("http://minio.internal:9000")?
///     .region("us-east-1")
///     .path_style(true)
///     .credentials("health", "s3cr3t")
///     .prefix("probes/");
/// let registry = Registry::builder()
///     .check(uploads)
///     .check_with(minio, healthz::CheckOptions::new().name("S3StorageBackend[backups]"))
///     .build()?;
/// # drop(registry);
/// # Ok(())
/// # }
/// ```
///
/// - **Endpoint**: `https://s3.<region>.amazonaws.com` unless
///   [`endpoint`](Self::endpoint) sets one. HTTPS needs the `rustls` feature.
/// - **Region**: [`region`](Self::region), else `AWS_REGION`, else
///   `AWS_DEFAULT_REGION`, else the profile's `region` (see below), else `us-east-1`.
/// - **Addressing**: virtual-hosted (`bucket.host/key`) or path style (`host/bucket/key`),
///   set with [`path_style`](Self::path_style); unless set, path style for an endpoint
///   whose host is an IP address or `localhost`, virtual-hosted otherwise.
/// - **Credentials**: [`credentials`](Self::credentials) or
///   [`anonymous`](Self::anonymous), else the first source of the standard AWS
///   credential chain that the environment sets up when the check is built (or
///   [`environment`](Self::environment), when given):
///   1. `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`;
///   2. the profile `AWS_PROFILE` names (`default` unless set) in `~/.aws/config` and
///      `~/.aws/credentials` (or `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`):
///      its keys, or the role it assumes with `role_arn` and `web_identity_token_file`;
///   3. a web identity token (EKS IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`,
///      `AWS_ROLE_SESSION_NAME`) exchanged at STS (`AWS_ENDPOINT_URL_STS`, else
///      `AWS_ENDPOINT_URL`, else the region's) with `AssumeRoleWithWebIdentity`;
///   4. the container credentials endpoint: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
///      (ECS), else `AWS_CONTAINER_CREDENTIALS_FULL_URI` (EKS Pod Identity: `https`, or
///      `http` on loopback or the ECS or EKS agent), with the token of
///      `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or `AWS_CONTAINER_AUTHORIZATION_TOKEN`;
///   5. EC2 instance metadata (IMDSv2; `AWS_EC2_METADATA_SERVICE_ENDPOINT`), unless
///      `AWS_EC2_METADATA_DISABLED` is `true`.
///
///   Temporary credentials (3 to 5) are kept, and refreshed in the background from five
///   minutes before they expire: a run waits for a fetch only when it has none that
///   work. A source that is set up wrong or fails makes the check `unavailable: cannot
///   get AWS credentials from <source>: …`. No secret or token ever shows in messages
///   or in `Debug` output.
///
/// When the runner's timeout stops a run after the put started, the probe object is
/// still removed: dropping the run spawns a best-effort delete on the Tokio runtime
/// (tried twice, a second apart, in case the interrupted put lands late), bounded by
/// its own 10 s timeout. A short-lived program awaits
/// [`wait_for_cleanup`](super::wait_for_cleanup) before it exits, so that this delete
/// is not cancelled with its runtime. An object the delete could not remove (it failed,
/// or was cancelled all the same) is named in a `warn` event and stays under the
/// prefix, where a lifecycle rule of the bucket can expire it.
#[derive(Clone)]
pub struct S3Storage {
    bucket: String,
    endpoint: Option<Url>,
    /// The region given in code, which wins over the environment's.
    region: Option<String>,
    path_style: Option<bool>,
    /// The credentials given in code (or none), which win over the environment's.
    given: Option<Provider>,
    aws: Aws,
    prefix: String,
    client: HttpClient,
}

impl S3Storage {
    /// Checks `bucket`, which must exist: the check never creates it. Finds the region
    /// and credentials as the AWS SDKs do, in the process environment as it is now; it
    /// fetches nothing until the first run.
    #[must_use]
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            endpoint: None,
            region: None,
            path_style: None,
            given: None,
            aws: Aws::from_process(),
            prefix: DEFAULT_PREFIX.to_owned(),
            client: HttpClient::new(),
        }
    }

    /// The server's base URL (`http://127.0.0.1:9000`, `https://s3.eu-west-1.amazonaws.com`).
    ///
    /// # Errors
    ///
    /// Returns [`InvalidUrl`] when the URL does not parse, is not `http` or `https`
    /// (`https` needs the `rustls` feature), has no host or holds credentials (use
    /// [`credentials`](Self::credentials)).
    pub fn endpoint(mut self, url: &str) -> Result<Self, InvalidUrl> {
        let mut parsed = Url::parse(url).map_err(|e| InvalidUrl::new(url, e))?;
        match parsed.scheme() {
            "http" => {}
            #[cfg(feature = "rustls")]
            "https" => {}
            #[cfg(not(feature = "rustls"))]
            "https" => return Err(InvalidUrl::new(url, http_client::HTTPS_NEEDS_RUSTLS)),
            other => {
                return Err(InvalidUrl::new(
                    url,
                    format!("the scheme is `{other}`, not http or https"),
                ));
            }
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(InvalidUrl::new(url, "it has no host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(InvalidUrl::new(
                url,
                "credentials in the URL are not supported; use `credentials`",
            ));
        }
        // The bucket (path style) and keys are joined to the endpoint's path, which
        // must end with `/` to be kept.
        if !parsed.path().ends_with('/') {
            let path = format!("{}/", parsed.path());
            parsed.set_path(&path);
        }
        self.endpoint = Some(parsed);
        Ok(self)
    }

    /// The bucket's region, used in the signature (`us-east-1`, `eu-west-1`…).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Path-style (`true`: `host/bucket/key`) or virtual-hosted (`false`:
    /// `bucket.host/key`) addressing.
    #[must_use]
    pub fn path_style(mut self, yes: bool) -> Self {
        self.path_style = Some(yes);
        self
    }

    /// The access key ID and secret access key to sign with, instead of the
    /// credential chain's.
    #[must_use]
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<Secret>,
    ) -> Self {
        let secret = secret.into().into_inner();
        self.given = Some(Provider::given(access_key_id.into(), secret));
        self
    }

    /// Sends unsigned requests, for a bucket that anyone may write to: the credential
    /// chain is not consulted.
    #[must_use]
    pub fn anonymous(mut self) -> Self {
        self.given = Some(Provider::anonymous());
        self
    }

    /// Finds the region and the credentials in `vars` instead of the process
    /// environment: `vars` are the whole environment the credential chain sees
    /// (`HOME` included, for `~/.aws`). For a check with a profile or role of its own
    /// (`AWS_PROFILE`, `AWS_ROLE_ARN`…), and for tests, without changing the process's
    /// environment.
    ///
    /// ```
    /// use healthz::checks::S3Storage;
    ///
    /// let reports = S3Storage::new("reports").environment([
    ///     ("AWS_PROFILE", "reporting"),
    ///     ("AWS_CONFIG_FILE", "/etc/app/aws-config"),
    /// ]);
    /// ```
    #[must_use]
    pub fn environment<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars.into_iter();
        self.aws = Aws::from_vars(vars.map(|(name, value)| (name.into(), value.into())));
        self
    }

    /// Where probe objects go (`healthz/` unless set). Use a prefix no one else
    /// writes to; end it with `/` to make it a folder. A lifecycle rule expiring the
    /// objects under it after a day removes any that an interrupted run left behind.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The TLS options of an `https` endpoint: how the server's certificate is verified, a
    /// CA bundle to trust besides the system's and the bundled web roots, a client
    /// certificate for mutual TLS. `verify-full` with no client certificate unless set.
    ///
    /// ```
    /// use healthz::checks::{S3Storage, Tls};
    ///
    /// let check = S3Storage::new("backups")
    ///     .endpoint("https://minio.internal:9000")?
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

    /// The region to sign with.
    fn region_name(&self) -> &str {
        self.region
            .as_deref()
            .or(self.aws.region.as_deref())
            .unwrap_or(DEFAULT_REGION)
    }

    /// Where the credentials come from.
    fn provider(&self) -> &Provider {
        self.given.as_ref().unwrap_or(&self.aws.credentials)
    }

    /// The endpoint as messages show it.
    fn shown_endpoint(&self) -> String {
        match &self.endpoint {
            Some(url) => redact_url(url.as_str()),
            None => format!("https://s3.{}.amazonaws.com/", self.region_name()),
        }
    }

    /// The bucket as rusty-s3 addresses it.
    fn address(&self) -> Result<Bucket, CheckError> {
        let endpoint = match &self.endpoint {
            Some(url) => url.clone(),
            None => default_endpoint(self.region_name())?,
        };
        let path_style = self.path_style.unwrap_or_else(|| is_local(endpoint.host()));
        let style = if path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let region = self.region_name().to_owned();
        Bucket::new(endpoint, style, self.bucket.clone(), region).map_err(|e| {
            CheckError::unavailable(format!(
                "cannot address bucket {:?} at {}: {e}",
                self.bucket,
                self.shown_endpoint()
            ))
        })
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Bytes,
    ) -> Result<Response<Incoming>, CheckError> {
        send(&self.client, method, &url, body)
            .await
            .map_err(|e| unreachable(&format!("S3 at {}", self.shown_endpoint()), e))
    }
}

impl fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Storage")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.shown_endpoint())
            .field("region", &self.region_name())
            .field("path_style", &self.path_style)
            .field("credentials", &self.provider().describe())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl HealthCheck for S3Storage {
    async fn check(&self) -> CheckResult {
        let bucket = self.address()?;
        let credentials = self.provider().get().await?;
        let credentials = credentials.as_ref();
        let key = format!(
            "{}probe-{:016x}{:016x}",
            self.prefix,
            fastrand::u64(..),
            fastrand::u64(..)
        );
        let object = format!("s3://{}/{key}", self.bucket);
        let mut contents = vec![0_u8; PROBE_LEN];
        fastrand::fill(&mut contents);
        let contents = Bytes::from(contents);

        // Armed before the put is sent: from here on, however the run ends, the probe
        // object is deleted.
        let mut probe = ProbeObject(Some(Cleanup {
            client: self.client.clone(),
            bucket: bucket.clone(),
            credentials: credentials.cloned(),
            key: key.clone(),
        }));

        let put = bucket.put_object(credentials, &key).sign(SIGNATURE_TTL);
        let response = self.send(Method::PUT, put, contents.clone()).await?;
        if !response.status().is_success() {
            // A refused put wrote nothing.
            probe.disarm();
            return Err(self.refused("write", &key, response, credentials).await);
        }

        let get = bucket.get_object(credentials, &key).sign(SIGNATURE_TTL);
        let response = self.send(Method::GET, get, Bytes::new()).await?;
        if !response.status().is_success() {
            return Err(self.refused("read back", &key, response, credentials).await);
        }
        let read = read_body(response.into_body(), PROBE_LEN * 16).await?;
        if read != contents {
            return Err(CheckError::unexpected_result(format!(
                "read back {} bytes from {object} that differ from the {} written",
                read.len(),
                contents.len()
            )));
        }

        let delete = bucket.delete_object(credentials, &key).sign(SIGNATURE_TTL);
        let response = self.send(Method::DELETE, delete, Bytes::new()).await?;
        if !response.status().is_success() {
            return Err(self.refused("delete", &key, response, credentials).await);
        }
        probe.disarm();

        let head = bucket.head_object(credentials, &key).sign(SIGNATURE_TTL);
        let response = self.send(Method::HEAD, head, Bytes::new()).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(()),
            status if status.is_success() => Err(CheckError::unexpected_result(format!(
                "{object} still exists after it was deleted"
            ))),
            _ => Err(self
                .refused("confirm the deletion of", &key, response, credentials)
                .await),
        }
    }

    fn identifier(&self) -> Cow<'static, str> {
        Cow::Borrowed("S3StorageBackend")
    }

    fn component_type(&self) -> &'static str {
        "datastore"
    }
}

/// One signed request.
async fn send(
    client: &HttpClient,
    method: Method,
    url: &Url,
    body: Bytes,
) -> Result<Response<Incoming>, http_client::RequestError> {
    // A `Url` always parses as a `Uri`; rusty-s3 percent-encodes the key.
    let uri: Uri = url
        .as_str()
        .parse()
        .expect("a URL built by rusty-s3 is a valid URI");
    client.send(http_client::request(method, uri, body)).await
}

/// AWS's regional endpoint.
fn default_endpoint(region: &str) -> Result<Url, CheckError> {
    if cfg!(not(feature = "rustls")) {
        return Err(CheckError::unavailable(
            "the AWS endpoint needs https: enable the `rustls` feature of healthz, or set an http endpoint",
        ));
    }
    Url::parse(&format!("https://s3.{region}.amazonaws.com/")).map_err(|e| {
        CheckError::unavailable(format!("region {region:?} gives no valid endpoint: {e}"))
    })
}

/// An IP address or `localhost`, where virtual-hosted addressing cannot work.
fn is_local(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn storage() -> S3Storage {
        S3Storage::new("probe-bucket")
            .endpoint("http://127.0.0.1:9000")
            .unwrap()
            .region("us-east-1")
            .credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }

    #[test]
    fn addressing_defaults_to_path_style_for_local_endpoints_only() {
        let local = storage().address().unwrap();
        assert_eq!(
            local.base_url().as_str(),
            "http://127.0.0.1:9000/probe-bucket/"
        );
        let named = storage()
            .endpoint("http://minio.internal:9000/s3")
            .unwrap()
            .address()
            .unwrap();
        assert_eq!(
            named.base_url().as_str(),
            "http://probe-bucket.minio.internal:9000/s3/"
        );
        let forced = storage()
            .endpoint("http://minio.internal:9000")
            .unwrap()
            .path_style(true)
            .address()
            .unwrap();
        assert_eq!(
            forced.base_url().as_str(),
            "http://minio.internal:9000/probe-bucket/"
        );
    }

    #[test]
    fn endpoints_are_validated() {
        assert!(S3Storage::new("b").endpoint("ftp://x/").is_err());
        assert!(S3Storage::new("b").endpoint("not a url").is_err());
        let error = S3Storage::new("b")
            .endpoint("http://key:secretpart@minio:9000")
            .unwrap_err();
        assert!(!error.to_string().contains("secretpart"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let debug = format!("{:?}", storage());
        assert!(!debug.contains("wJalrXUtnFEMI"), "{debug}");
        assert!(debug.contains("probe-bucket"), "{debug}");
    }

    #[tokio::test]
    async fn a_closed_port_is_unavailable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let check = storage()
            .endpoint(&format!("http://127.0.0.1:{port}"))
            .unwrap();
        let error = check.check().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert!(error.message().contains("connection refused"), "{error:?}");
    }
}
