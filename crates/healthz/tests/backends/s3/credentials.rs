//! `S3Storage` with each source of the AWS credential chain, for a real round trip on
//! moto: environment variables, a profile, a web identity token exchanged at moto's
//! STS, a container credentials endpoint and an IMDSv2 stand-in that the tests serve
//! on loopback. A proxy in front of moto records each request, to show which keys,
//! region and session token signed it (moto accepts any).
//!
//! Every check is given its environment with `S3Storage::environment`, so that tests
//! never read or change the process's, and never reach 169.254.x.x.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use healthz::checks::S3Storage;
use tokio::sync::Semaphore;
use url::Url;

use super::{Admin, Proxy};
use crate::backend::{self, outcome};
use crate::net;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/healthz-probe";
const WEB_IDENTITY_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.web-identity.s1gnature";
const CONTAINER_TOKEN: &str = "container-auth-t0ken";
const IMDS_SESSION: &str = "imds-session-t0ken";

/// A bucket of its own on moto, reached through a recording proxy.
struct Moto {
    bucket: String,
    proxy: Proxy,
}

impl Moto {
    /// A fresh bucket, or `None` when the S3 tests are explicitly opted out.
    async fn start() -> Option<Self> {
        let admin = Admin::new()?;
        let bucket = admin.create_bucket().await;
        let proxy = Proxy::start(&admin.endpoint, |_| false).await;
        Some(Self { bucket, proxy })
    }

    /// A check on the bucket that finds its region and credentials in `vars` only.
    fn check(&self, vars: &[(&str, &str)]) -> S3Storage {
        S3Storage::new(&self.bucket)
            .endpoint(&self.proxy.url)
            .unwrap()
            .path_style(true)
            .environment(vars.iter().copied())
    }

    /// Runs `check`, fails the test unless it works, and returns how each S3 request
    /// was signed and the other request lines (STS's).
    async fn round_trip(&self, check: S3Storage) -> (Vec<Signature>, Vec<String>) {
        let text = outcome(check).await;
        assert_eq!(text, "working");
        let mut signatures = Vec::new();
        let mut others = Vec::new();
        for line in self.proxy.take() {
            match Signature::of(&line) {
                Some(signature) => signatures.push(signature),
                None => others.push(line),
            }
        }
        assert_eq!(
            signatures.len(),
            4,
            "put, get, delete, head: {signatures:?}"
        );
        (signatures, others)
    }
}

/// The access key ID, region and session token that signed a request.
#[derive(Debug, Clone, PartialEq)]
struct Signature {
    key: String,
    region: String,
    token: Option<String>,
}

impl Signature {
    /// The signature of a presigned S3 request line; `None` for an unsigned one.
    fn of(line: &str) -> Option<Self> {
        let target = line.split(' ').nth(1)?;
        let url = Url::parse(&format!("http://s3{target}")).ok()?;
        let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
        let credential = query.get("X-Amz-Credential")?;
        let mut scope = credential.split('/');
        let key = scope.next()?.to_owned();
        let region = scope.nth(1)?.to_owned();
        let token = query.get("X-Amz-Security-Token").cloned();
        Some(Self { key, region, token })
    }

    fn new(key: &str, region: &str, token: Option<&str>) -> Self {
        Self {
            key: key.to_owned(),
            region: region.to_owned(),
            token: token.map(str::to_owned),
        }
    }
}

/// Fails the test unless every request was signed with `expected`.
fn assert_signed_with(signatures: &[Signature], expected: &Signature) {
    for signature in signatures {
        assert_eq!(signature, expected, "{signatures:?}");
    }
}

#[tokio::test]
async fn environment_keys_sign_with_their_session_token_and_given_keys_win() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-s3cr3t"),
        ("AWS_SESSION_TOKEN", "env-session-t0ken"),
        ("AWS_REGION", "eu-west-1"),
    ];
    let check = moto.check(&env);
    let debug = format!("{check:?}");
    assert!(
        debug.contains("credentials: \"environment variables\""),
        "{debug}"
    );
    assert!(
        !debug.contains("s3cr3t") && !debug.contains("t0ken"),
        "{debug}"
    );
    let (signatures, _) = moto.round_trip(check).await;
    let expected = Signature::new("AKIDFROMENV", "eu-west-1", Some("env-session-t0ken"));
    assert_signed_with(&signatures, &expected);

    let given = moto.check(&env).credentials("AKIDGIVEN", "given-s3cr3t");
    let (signatures, _) = moto.round_trip(given).await;
    assert_signed_with(&signatures, &Signature::new("AKIDGIVEN", "eu-west-1", None));

    // Anonymous requests are not signed at all: moto lets them write to the bucket,
    // but not read back.
    let anonymous = moto.check(&env).anonymous();
    let text = outcome(anonymous).await;
    assert!(text.ends_with(": access denied (403)"), "{text}");
    let lines = moto.proxy.take();
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(
        lines.iter().all(|line| Signature::of(line).is_none()),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_profile_signs_with_its_keys_and_region() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        "[default]\nregion = us-west-2\n\n[profile ops]\nregion = eu-central-1\n",
    )
    .unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-s3cr3t\n\n\
         [ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ops-s3cr3t\n\
         aws_session_token = ops-session-t0ken\n",
    )
    .unwrap();
    let home = home.path().to_str().unwrap();

    let (signatures, _) = moto.round_trip(moto.check(&[("HOME", home)])).await;
    assert_signed_with(
        &signatures,
        &Signature::new("AKIDDEFAULT", "us-west-2", None),
    );

    let ops = moto.check(&[("HOME", home), ("AWS_PROFILE", "ops")]);
    assert!(format!("{ops:?}").contains("credentials: \"profile \\\"ops\\\"\""));
    let (signatures, _) = moto.round_trip(ops).await;
    let expected = Signature::new("AKIDOPS", "eu-central-1", Some("ops-session-t0ken"));
    assert_signed_with(&signatures, &expected);

    // The files where the variables say, not in the home directory.
    let config = format!("{home}/.aws/config");
    let credentials = format!("{home}/.aws/credentials");
    let named = moto.check(&[
        ("AWS_CONFIG_FILE", &config),
        ("AWS_SHARED_CREDENTIALS_FILE", &credentials),
        ("AWS_PROFILE", "ops"),
    ]);
    let (signatures, _) = moto.round_trip(named).await;
    assert_signed_with(&signatures, &expected);
}

/// A file holding the web identity token, as EKS mounts it.
fn token_file(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{WEB_IDENTITY_TOKEN}\n")).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn web_identity_assumes_the_role_at_motos_sts() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(&dir);
    // moto serves STS at the same address as S3, so STS's request goes through the
    // proxy too.
    let check = moto.check(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", &token),
        ("AWS_ROLE_ARN", ROLE_ARN),
        ("AWS_ROLE_SESSION_NAME", "healthz-test"),
        ("AWS_ENDPOINT_URL_STS", &moto.proxy.url),
    ]);
    assert!(format!("{check:?}").contains(&format!("web identity (role {ROLE_ARN})")));
    let (signatures, others) = moto.round_trip(check).await;
    assert_eq!(others, ["POST / HTTP/1.1"], "one call to STS");
    // moto's STS hands out temporary keys (`ASIA…`) with a session token.
    let first = &signatures[0];
    assert!(first.key.starts_with("ASIA"), "{first:?}");
    assert!(
        first.token.as_ref().is_some_and(|token| token.len() > 20),
        "{first:?}"
    );
    assert_eq!(first.region, "us-east-1");
    assert_signed_with(&signatures, first);
}

/// A stand-in for STS that refuses every token, quoting it in its message.
async fn refusing_sts() -> String {
    let router = Router::new().fallback(|body: String| async move {
        let token = form_urlencoded::parse(body.as_bytes())
            .find(|(name, _)| name == "WebIdentityToken")
            .map(|(_, token)| token.into_owned())
            .unwrap_or_default();
        (
            StatusCode::BAD_REQUEST,
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>\
                 <Message>Token {token} has expired</Message></Error></ErrorResponse>"
            ),
        )
    });
    format!("http://{}", backend::serve(router).await)
}

#[tokio::test]
async fn web_identity_failures_name_the_source_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(&dir);
    let check = |token_file: &str, sts: &str| {
        S3Storage::new("uploads")
            .endpoint(&format!("http://{}", net::closed_port()))
            .unwrap()
            .environment([
                ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file),
                ("AWS_ROLE_ARN", ROLE_ARN),
                ("AWS_ENDPOINT_URL", sts),
            ])
    };
    let source =
        format!("unavailable: cannot get AWS credentials from web identity (role {ROLE_ARN})");

    let sts = refusing_sts().await;
    assert_eq!(
        outcome(check(&token, &sts)).await,
        format!("{source}: STS at {sts} answered 400 InvalidIdentityToken: Token *** has expired")
    );
    let closed = format!("http://{}", net::closed_port());
    assert_eq!(
        outcome(check(&token, &closed)).await,
        format!("{source}: STS at {closed}: connection refused")
    );
    let missing = dir.path().join("missing").display().to_string();
    assert_eq!(
        outcome(check(&missing, &sts)).await,
        format!("{source}: cannot read the token file {missing}: no such file or directory")
    );
}

/// A container credentials endpoint on loopback: `GET /creds` with the right
/// `Authorization` gets credentials `ASIACONTAINER<n>` (the n-th answer) that expire
/// after `lifetime`; anything else gets 401. While `gate` has no permits, answers after
/// the first wait for one.
struct ContainerEndpoint {
    url: String,
    answered: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

#[derive(Clone)]
struct Served {
    lifetime: Duration,
    asked: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

impl ContainerEndpoint {
    async fn start(lifetime: Duration, open: bool) -> Self {
        let gate = Arc::new(Semaphore::new(if open {
            Semaphore::MAX_PERMITS
        } else {
            0
        }));
        let served = Served {
            lifetime,
            asked: Arc::new(AtomicUsize::new(0)),
            answered: Arc::new(AtomicUsize::new(0)),
            gate: Arc::clone(&gate),
        };
        let answered = Arc::clone(&served.answered);
        let router = Router::new()
            .route("/creds", get(Self::answer))
            .with_state(served);
        let addr = backend::serve(router).await;
        Self {
            url: format!("http://{addr}/creds"),
            answered,
            gate,
        }
    }

    async fn answer(State(served): State<Served>, headers: HeaderMap) -> (StatusCode, String) {
        if headers
            .get("authorization")
            .is_none_or(|token| token != CONTAINER_TOKEN)
        {
            return (
                StatusCode::UNAUTHORIZED,
                "{\"message\": \"bad token\"}".to_owned(),
            );
        }
        let n = served.asked.fetch_add(1, Ordering::SeqCst) + 1;
        if n > 1 {
            served.gate.acquire().await.unwrap().forget();
        }
        served.answered.fetch_add(1, Ordering::SeqCst);
        (
            StatusCode::OK,
            credentials_json(&format!("ASIACONTAINER{n}"), served.lifetime),
        )
    }
}

/// Credentials as the container endpoint and instance metadata give them.
fn credentials_json(key: &str, lifetime: Duration) -> String {
    let expiration = humantime::format_rfc3339_seconds(SystemTime::now() + lifetime);
    format!(
        r#"{{"Code": "Success", "AccessKeyId": "{key}", "SecretAccessKey": "{key}-s3cr3t",
            "Token": "{key}-t0ken", "Expiration": "{expiration}"}}"#
    )
}

#[tokio::test]
async fn the_container_endpoint_gives_credentials_for_its_token() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let endpoint = ContainerEndpoint::start(Duration::from_secs(3600), true).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("eks-pod-identity-token");
    std::fs::write(&token_file, CONTAINER_TOKEN).unwrap();
    let token_file = token_file.display().to_string();

    // EKS Pod Identity: a full URI and a token file.
    let pod = moto.check(&[
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &endpoint.url),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token_file),
    ]);
    let (signatures, _) = moto.round_trip(pod).await;
    let first = Signature::new("ASIACONTAINER1", "us-east-1", Some("ASIACONTAINER1-t0ken"));
    assert_signed_with(&signatures, &first);

    // The token given in a variable.
    let given = moto.check(&[
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &endpoint.url),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN),
    ]);
    let (signatures, _) = moto.round_trip(given).await;
    assert_eq!(signatures[0].key, "ASIACONTAINER2");

    // A wrong token is refused, and never shown.
    let wrong = moto.check(&[
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &endpoint.url),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-t0ken"),
    ]);
    assert_eq!(
        outcome(wrong).await,
        format!(
            "unavailable: cannot get AWS credentials from the container endpoint {}: it answered 401",
            endpoint.url
        )
    );
    let closed = format!("http://{}/creds", net::closed_port());
    let nothing = moto.check(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", &closed)]);
    assert_eq!(
        outcome(nothing).await,
        format!(
            "unavailable: cannot get AWS credentials from the container endpoint {closed}: connection refused"
        )
    );
}

#[tokio::test]
async fn credentials_close_to_expiry_are_refreshed_while_runs_go_on() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    // Two minutes is within the refresh window: every run starts a refresh. The
    // endpoint holds every answer after the first until the test opens its gate.
    let endpoint = ContainerEndpoint::start(Duration::from_secs(120), false).await;
    let vars = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url.as_str()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN),
    ];
    let check = moto.check(&vars);
    let first = Signature::new("ASIACONTAINER1", "us-east-1", Some("ASIACONTAINER1-t0ken"));
    let (signatures, _) = moto.round_trip(check.clone()).await;
    assert_signed_with(&signatures, &first);

    // The refresh this run starts is held, and the run does not wait for it.
    let (signatures, _) = moto.round_trip(check.clone()).await;
    assert_signed_with(&signatures, &first);
    assert_eq!(endpoint.answered.load(Ordering::SeqCst), 1);

    endpoint.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (signatures, _) = moto.round_trip(check.clone()).await;
        let key = &signatures[0].key;
        if key != "ASIACONTAINER1" {
            assert!(key.starts_with("ASIACONTAINER"), "{signatures:?}");
            assert_eq!(signatures[0].token, Some(format!("{key}-t0ken")));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the credentials were never refreshed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An IMDSv2 stand-in on loopback: a session token for a `PUT` with a TTL, and with
/// that token the name of `role` (404 without a role) and its credentials.
async fn imds(role: Option<&'static str>) -> String {
    let token = put(|headers: HeaderMap| async move {
        match headers.get("x-aws-ec2-metadata-token-ttl-seconds") {
            Some(_) => (StatusCode::OK, IMDS_SESSION),
            None => (StatusCode::BAD_REQUEST, ""),
        }
    });
    let authorized = |headers: &HeaderMap| {
        headers
            .get("x-aws-ec2-metadata-token")
            .is_some_and(|t| t == IMDS_SESSION)
    };
    let roles = get(move |headers: HeaderMap| async move {
        match role {
            _ if !authorized(&headers) => (StatusCode::UNAUTHORIZED, String::new()),
            Some(role) => (StatusCode::OK, format!("{role}\n")),
            None => (StatusCode::NOT_FOUND, String::new()),
        }
    });
    let credentials = get(move |headers: HeaderMap| async move {
        if authorized(&headers) {
            (
                StatusCode::OK,
                credentials_json("ASIAINSTANCE", Duration::from_secs(3600)),
            )
        } else {
            (StatusCode::UNAUTHORIZED, String::new())
        }
    });
    let router = Router::new()
        .route("/latest/api/token", token)
        .route("/latest/meta-data/iam/security-credentials/", roles)
        .route(
            &format!(
                "/latest/meta-data/iam/security-credentials/{}",
                role.unwrap_or("none")
            ),
            credentials,
        );
    format!("http://{}", backend::serve(router).await)
}

#[tokio::test]
async fn instance_metadata_gives_the_roles_credentials_with_a_session_token() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let endpoint = imds(Some("healthz-role")).await;
    let check = moto.check(&[
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint),
        ("AWS_DEFAULT_REGION", "eu-north-1"),
    ]);
    assert!(format!("{check:?}").contains(&format!("instance metadata at {endpoint}")));
    let (signatures, _) = moto.round_trip(check).await;
    let expected = Signature::new("ASIAINSTANCE", "eu-north-1", Some("ASIAINSTANCE-t0ken"));
    assert_signed_with(&signatures, &expected);
}

#[tokio::test]
async fn instance_metadata_failures_name_the_source_and_the_step() {
    let check = |endpoint: &str| {
        S3Storage::new("uploads")
            .endpoint(&format!("http://{}", net::closed_port()))
            .unwrap()
            .environment([("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint)])
    };
    let source = |endpoint: &str| {
        format!("unavailable: cannot get AWS credentials from instance metadata at {endpoint}")
    };

    let no_role = imds(None).await;
    assert_eq!(
        outcome(check(&no_role)).await,
        format!(
            "{}: no IAM role is attached to the instance",
            source(&no_role)
        )
    );
    // IMDSv1 only: the token `PUT` is not allowed.
    let v1 = Router::new().fallback(|| async { StatusCode::METHOD_NOT_ALLOWED });
    let v1 = format!("http://{}", backend::serve(v1).await);
    assert_eq!(
        outcome(check(&v1)).await,
        format!("{}: PUT /latest/api/token answered 405", source(&v1))
    );
    let closed = format!("http://{}", net::closed_port());
    assert_eq!(
        outcome(check(&closed)).await,
        format!(
            "{}: PUT /latest/api/token: connection refused",
            source(&closed)
        )
    );
    let listener = net::HungListener::start();
    let hung = format!("http://{}", listener.addr());
    let (report, took) = backend::run_one(check(&hung), Duration::from_secs(10)).await;
    assert_eq!(
        backend::text(&report),
        format!(
            "{}: PUT /latest/api/token: no answer within 2s",
            source(&hung)
        )
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
