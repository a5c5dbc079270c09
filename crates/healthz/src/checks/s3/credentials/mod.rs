//! Where `S3Storage` gets its AWS credentials when none are given: the standard AWS
//! credential chain, as the AWS SDKs and CLI walk it.
//!
//! 1. `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`;
//! 2. the profile `AWS_PROFILE` names (`default`) in the shared config and credentials
//!    files: its keys, or a role it assumes with a web identity token;
//! 3. a web identity token (EKS IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`)
//!    exchanged at STS;
//! 4. the container credentials endpoint (ECS, EKS Pod Identity);
//! 5. EC2 instance metadata (IMDSv2), unless `AWS_EC2_METADATA_DISABLED` is `true`.
//!
//! The first source that is set up is the one used: what the environment says is read
//! once, when the check is built, and only temporary credentials are fetched later
//! (and refreshed, see [`cache`]).
//!
//! The protocols are small and documented, so they are written here over the hyper
//! client the HTTP checks share rather than taken from `aws-config`, which would bring
//! the whole AWS SDK runtime along.

mod cache;
mod container;
mod env;
mod fetch;
mod imds;
mod profile;
mod web_identity;

use std::sync::Arc;

use rusty_s3::Credentials;

use self::cache::Cache;
use self::container::Container;
use self::env::Env;
use self::fetch::{Fetch, Fetched};
use self::imds::Imds;
use self::profile::Profile;
use self::web_identity::WebIdentity;
use crate::CheckError;
use crate::checks::http_client::HttpClient;

/// Profile properties that get credentials in ways this chain does not implement
/// (assuming a role with other credentials, SSO, an external process).
const UNSUPPORTED: [&str; 5] = [
    "role_arn",
    "credential_source",
    "credential_process",
    "sso_session",
    "sso_start_url",
];

/// What the environment says about AWS: the region, and where credentials come from.
#[derive(Clone)]
pub(super) struct Aws {
    /// `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's `region`.
    pub(super) region: Option<String>,
    pub(super) credentials: Provider,
}

impl Aws {
    /// What the process environment says.
    pub(super) fn from_process() -> Self {
        Self::read(&Env::Process)
    }

    /// What `vars`, and nothing else, say.
    pub(super) fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        Self::read(&Env::Given(vars.into_iter().collect()))
    }

    fn read(env: &Env) -> Self {
        let name = Profile::name(env);
        let profile = Profile::load(env, &name);
        let region = env
            .var("AWS_REGION")
            .or_else(|| env.var("AWS_DEFAULT_REGION"))
            .or_else(|| {
                let profile = profile.as_ref().ok()?.as_ref()?;
                profile.get("region").map(str::to_owned)
            });
        let credentials = chain(env, profile, &name, region.as_deref());
        Self {
            region,
            credentials,
        }
    }
}

/// The first source of the chain that is set up.
fn chain(
    env: &Env,
    profile: Result<Option<Profile>, String>,
    profile_name: &str,
    region: Option<&str>,
) -> Provider {
    if let (Some(id), Some(secret)) = (
        env.var("AWS_ACCESS_KEY_ID"),
        env.var("AWS_SECRET_ACCESS_KEY"),
    ) {
        let token = env.var("AWS_SESSION_TOKEN");
        return Provider::fixed(id, secret, token, "environment variables".to_owned());
    }
    match profile {
        Ok(Some(profile)) => {
            if let Some(provider) = from_profile(&profile, env, region) {
                return provider;
            }
        }
        Ok(None) => {}
        Err(reason) => {
            return Provider::broken(format!("profile {profile_name:?}"), reason);
        }
    }
    if let (Some(token_file), Some(role_arn)) = (
        env.var("AWS_WEB_IDENTITY_TOKEN_FILE"),
        env.var("AWS_ROLE_ARN"),
    ) {
        let session_name = env.var("AWS_ROLE_SESSION_NAME");
        let identity =
            WebIdentity::new(&token_file, &role_arn, session_name.as_deref(), env, region);
        return Provider::fetched(Remote::WebIdentity(identity));
    }
    if let Some(container) = Container::from_env(env) {
        return Provider::fetched(Remote::Container(container));
    }
    match Imds::from_env(env) {
        Some(imds) => Provider::fetched(Remote::Imds(imds)),
        None => Provider::broken(
            "the environment".to_owned(),
            "it sets up no source of credentials, and instance metadata is disabled \
             (AWS_EC2_METADATA_DISABLED)"
                .to_owned(),
        ),
    }
}

/// The credentials of a profile: its keys, or the role it assumes with a web identity
/// token; `None` when it has neither (it may hold only a region).
fn from_profile(profile: &Profile, env: &Env, region: Option<&str>) -> Option<Provider> {
    let source = format!("profile {:?}", profile.name);
    if let (Some(role_arn), Some(token_file)) = (
        profile.get("role_arn"),
        profile.get("web_identity_token_file"),
    ) {
        let session_name = profile.get("role_session_name");
        let identity = WebIdentity::new(token_file, role_arn, session_name, env, region);
        return Some(Provider::fetched(Remote::WebIdentity(identity)));
    }
    if let Some(key) = UNSUPPORTED.iter().find(|key| profile.get(key).is_some()) {
        return Some(Provider::broken(
            source,
            format!(
                "it gets credentials through `{key}`, which healthz does not support; give it \
                 keys, or use a web identity token, a container endpoint or instance metadata"
            ),
        ));
    }
    let id = profile.get("aws_access_key_id")?;
    let secret = profile.get("aws_secret_access_key")?;
    let token = profile.get("aws_session_token").map(str::to_owned);
    Some(Provider::fixed(id, secret, token, source))
}

/// Where a check's credentials come from.
#[derive(Clone)]
pub(super) struct Provider(Kind);

#[derive(Clone)]
enum Kind {
    /// None: requests are not signed.
    Anonymous,
    /// Keys that do not expire, from `source`: given, environment variables, a profile.
    Fixed {
        credentials: Credentials,
        source: String,
    },
    /// Temporary credentials, fetched and refreshed.
    Fetched(Arc<Cache<Source>>),
    /// A source that is set up wrong: each run says why.
    Broken { source: String, reason: String },
}

impl Provider {
    /// No credentials: requests are not signed.
    pub(super) fn anonymous() -> Self {
        Self(Kind::Anonymous)
    }

    /// Keys given in code.
    pub(super) fn given(id: String, secret: String) -> Self {
        Self::fixed(id, secret, None, "given keys".to_owned())
    }

    fn fixed(
        id: impl Into<String>,
        secret: impl Into<String>,
        token: Option<String>,
        source: String,
    ) -> Self {
        let credentials = match token {
            Some(token) => Credentials::new_with_token(id, secret, token),
            None => Credentials::new(id, secret),
        };
        Self(Kind::Fixed {
            credentials,
            source,
        })
    }

    fn fetched(remote: Remote) -> Self {
        let client = HttpClient::new();
        Self(Kind::Fetched(Arc::new(Cache::new(Source {
            client,
            remote,
        }))))
    }

    fn broken(source: String, reason: String) -> Self {
        Self(Kind::Broken { source, reason })
    }

    /// The credentials to sign this run's requests with; `None` for anonymous ones.
    ///
    /// # Errors
    ///
    /// `unavailable: cannot get AWS credentials from <source>: …` when the source is
    /// set up wrong or a fetch fails.
    pub(super) async fn get(&self) -> Result<Option<Credentials>, CheckError> {
        match &self.0 {
            Kind::Anonymous => Ok(None),
            Kind::Fixed { credentials, .. } => Ok(Some(credentials.clone())),
            Kind::Fetched(cache) => cache.get().await.map(Some),
            Kind::Broken { source, reason } => Err(unavailable(source, reason)),
        }
    }

    /// Where the credentials come from, for `Debug` output; never a secret.
    pub(super) fn describe(&self) -> String {
        match &self.0 {
            Kind::Anonymous => "anonymous".to_owned(),
            Kind::Fixed { source, .. } | Kind::Broken { source, .. } => source.clone(),
            Kind::Fetched(cache) => cache.source(),
        }
    }
}

/// `unavailable: cannot get AWS credentials from <source>: <reason>`.
fn unavailable(source: &str, reason: &str) -> CheckError {
    CheckError::unavailable(format!(
        "cannot get AWS credentials from {source}: {reason}"
    ))
}

/// A source of temporary credentials and the client it fetches them with.
struct Source {
    client: HttpClient,
    remote: Remote,
}

/// The sources of temporary credentials.
enum Remote {
    WebIdentity(WebIdentity),
    Container(Container),
    Imds(Imds),
}

impl Fetch for Source {
    fn source(&self) -> String {
        match &self.remote {
            Remote::WebIdentity(identity) => identity.source(),
            Remote::Container(container) => container.source(),
            Remote::Imds(imds) => imds.source(),
        }
    }

    async fn fetch(&self) -> Result<Fetched, String> {
        let client = &self.client;
        match &self.remote {
            Remote::WebIdentity(identity) => identity.fetch(client).await,
            Remote::Container(container) => container.fetch(client).await,
            Remote::Imds(imds) => imds.fetch(client).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(vars: &[(&str, &str)]) -> Aws {
        Aws::read(&Env::of(vars))
    }

    /// A home directory with these `~/.aws/config` and `~/.aws/credentials`.
    fn home(config: &str, credentials: &str) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        std::fs::create_dir(&aws).unwrap();
        std::fs::write(aws.join("config"), config).unwrap();
        std::fs::write(aws.join("credentials"), credentials).unwrap();
        home
    }

    async fn error(provider: &Provider) -> String {
        provider.get().await.unwrap_err().to_string()
    }

    #[tokio::test]
    async fn environment_keys_come_first_with_their_session_token() {
        let dir = home(
            "[default]\nregion = eu-west-1\n",
            "[default]\naws_access_key_id = FROM-PROFILE\naws_secret_access_key = s\n",
        );
        let aws = aws(&[
            ("HOME", dir.path().to_str().unwrap()),
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ("AWS_SESSION_TOKEN", "t0ken"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        ]);
        assert_eq!(aws.credentials.describe(), "environment variables");
        let credentials = aws.credentials.get().await.unwrap().unwrap();
        assert_eq!(credentials.key(), "AKIDENV");
        assert_eq!(credentials.secret(), "s3cr3t");
        assert_eq!(credentials.token(), Some("t0ken"));
        // The region still comes from the profile.
        assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
    }

    #[tokio::test]
    async fn then_the_profile_with_its_region() {
        let dir = home(
            "[profile ops]\nregion = eu-west-1\n[default]\nregion = us-west-2\n",
            "[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = s\naws_session_token = t\n",
        );
        let home = dir.path().to_str().unwrap();
        let ops = aws(&[("HOME", home), ("AWS_PROFILE", "ops")]);
        assert_eq!(ops.credentials.describe(), "profile \"ops\"");
        let credentials = ops.credentials.get().await.unwrap().unwrap();
        assert_eq!(credentials.key(), "AKIDOPS");
        assert_eq!(credentials.token(), Some("t"));
        assert_eq!(ops.region.as_deref(), Some("eu-west-1"));
        let region = aws(&[
            ("HOME", home),
            ("AWS_PROFILE", "ops"),
            ("AWS_REGION", "ap-south-1"),
        ]);
        assert_eq!(region.region.as_deref(), Some("ap-south-1"));

        // A profile with a region and no credentials is no source: the chain goes on.
        let default = aws(&[
            ("HOME", home),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        ]);
        assert_eq!(default.region.as_deref(), Some("us-west-2"));
        assert_eq!(
            default.credentials.describe(),
            "web identity (role arn:aws:iam::1:role/r)"
        );
    }

    #[tokio::test]
    async fn a_profile_assumes_a_role_only_with_a_web_identity_token() {
        let dir = home(
            "[profile irsa]\nrole_arn = arn:aws:iam::1:role/app\nweb_identity_token_file = /t\n\
             [profile chained]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = default\n",
            "",
        );
        let home = dir.path().to_str().unwrap();
        let irsa = aws(&[("HOME", home), ("AWS_PROFILE", "irsa")]);
        assert_eq!(
            irsa.credentials.describe(),
            "web identity (role arn:aws:iam::1:role/app)"
        );
        let chained = aws(&[("HOME", home), ("AWS_PROFILE", "chained")]);
        assert_eq!(
            error(&chained.credentials).await,
            "unavailable: cannot get AWS credentials from profile \"chained\": it gets \
             credentials through `role_arn`, which healthz does not support; give it keys, or \
             use a web identity token, a container endpoint or instance metadata"
        );
    }

    #[tokio::test]
    async fn a_profile_that_cannot_be_read_fails_every_run() {
        let dir = home("[default]\nregion\n", "");
        let home = dir.path().to_str().unwrap();
        let broken = aws(&[("HOME", home)]);
        let config = dir.path().join(".aws/config");
        assert_eq!(
            error(&broken.credentials).await,
            format!(
                "unavailable: cannot get AWS credentials from profile \"default\": {}:2: \
                 expected `key = value`",
                config.display()
            )
        );
        let missing = aws(&[("HOME", home), ("AWS_PROFILE", "nope")]);
        assert!(
            error(&missing.credentials)
                .await
                .starts_with("unavailable: cannot get AWS credentials from profile \"nope\": ")
        );
    }

    #[tokio::test]
    async fn then_web_identity_then_the_container_endpoint_then_instance_metadata() {
        let container = [
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:9101/creds",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t0ken"),
        ];
        let web_identity = [
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        ];
        let all = aws(&[container.as_slice(), web_identity.as_slice()].concat());
        assert_eq!(
            all.credentials.describe(),
            "web identity (role arn:aws:iam::1:role/r)"
        );
        assert_eq!(
            aws(&container).credentials.describe(),
            "the container endpoint http://127.0.0.1:9101/creds"
        );
        assert_eq!(
            aws(&[]).credentials.describe(),
            "instance metadata at http://169.254.169.254"
        );
        let nothing = aws(&[("AWS_EC2_METADATA_DISABLED", "true")]);
        assert_eq!(
            error(&nothing.credentials).await,
            "unavailable: cannot get AWS credentials from the environment: it sets up no \
             source of credentials, and instance metadata is disabled (AWS_EC2_METADATA_DISABLED)"
        );
        assert_eq!(aws(&[]).region, None);
    }
}
