//! `S3Storage` against a real S3-compatible server (moto), and against the failure
//! modes every backend check is tested on: nothing listening, a hung server, a missing
//! bucket, refused credentials, and probes cut short by the runner's timeout, which
//! must leave no object behind and never touch any other object.
//!
//! The server is `HEALTHZ_TEST_S3_ENDPOINT` (default `http://127.0.0.1:9000`;
//! `scripts/services.sh` starts moto there), signed with
//! `HEALTHZ_TEST_S3_ACCESS_KEY` / `HEALTHZ_TEST_S3_SECRET_KEY` (moto accepts
//! any). Each test makes its own bucket. These tests fail when the server is
//! unreachable; only `HEALTHZ_SKIP_BACKEND_TESTS=s3` (or `all`) skips them, and CI
//! never sets it.

mod credentials;

use crate::backend;
use crate::net;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use backend::run_one;
use healthz::checks::{S3Storage, wait_for_cleanup};
use healthz::{CheckOptions, Registry, Selection};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rusty_s3::{Bucket, Credentials, S3Action as _, UrlStyle};
use url::Url;

const ENDPOINT_VAR: &str = "HEALTHZ_TEST_S3_ENDPOINT";
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:9000";
const REGION: &str = "us-east-1";
const SECRET: &str = "s3cr3t-SECRET-access-KEY";
const SENTINEL_KEY: &str = "app/sentinel.txt";
const SENTINEL: &[u8] = b"the application's own data";
const TTL: Duration = Duration::from_secs(300);

/// The test's own S3 client, to set up buckets and look at what the check left.
struct Admin {
    client: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    credentials: Credentials,
}

impl Admin {
    /// The server's admin client, or `None` when these tests are explicitly opted out.
    fn new() -> Option<Self> {
        if backend::skipped("s3") {
            return None;
        }
        Some(Self::of_env())
    }

    /// The server's admin client, whatever the opt-out says: the TLS cases never skip.
    fn of_env() -> Self {
        let var = backend::env_or;
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            endpoint: var(ENDPOINT_VAR, DEFAULT_ENDPOINT),
            credentials: Credentials::new(
                var("HEALTHZ_TEST_S3_ACCESS_KEY", "healthz-test"),
                var("HEALTHZ_TEST_S3_SECRET_KEY", "healthz-test-secret"),
            ),
        }
    }

    /// A check on `bucket` of the test server, with the test's credentials.
    fn check(&self, bucket: &str) -> S3Storage {
        self.check_at(bucket, &self.endpoint)
    }

    /// A check on `bucket` at `endpoint` (a TLS front or a proxy's way to the test
    /// server), with the test's credentials.
    fn check_at(&self, bucket: &str, endpoint: &str) -> S3Storage {
        S3Storage::new(bucket)
            .endpoint(endpoint)
            .unwrap()
            .region(REGION)
            .path_style(true)
            .credentials(self.credentials.key(), self.credentials.secret())
    }

    fn bucket(&self, name: &str) -> Bucket {
        let endpoint: Url = self.endpoint.parse().unwrap();
        Bucket::new(endpoint, UrlStyle::Path, name.to_owned(), REGION).unwrap()
    }

    async fn send(&self, method: http::Method, url: Url, body: &[u8]) -> (StatusCode, Bytes) {
        let request = http::Request::builder()
            .method(method)
            .uri(url.as_str())
            // moto wants a length even on an empty PUT, which hyper leaves out.
            .header(header::CONTENT_LENGTH, body.len())
            .body(Full::new(Bytes::copy_from_slice(body)))
            .unwrap();
        let response = self.client.request(request).await.unwrap_or_else(|e| {
            panic!(
                "the S3 server is not reachable at {} ({ENDPOINT_VAR}): {e:?}. Start it with scripts/services.sh s3.",
                self.endpoint
            )
        });
        let status = response.status();
        (
            status,
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    }

    /// Creates a bucket of its own for one test, with the sentinel object in it.
    async fn create_bucket(&self) -> String {
        let name = format!("hc-test-{:016x}", fastrand::u64(..));
        let bucket = self.bucket(&name);
        let create = async {
            self.send(
                http::Method::PUT,
                bucket.create_bucket(&self.credentials).sign(TTL),
                b"",
            )
            .await
        };
        let (status, body) = tokio::time::timeout(Duration::from_secs(10), create)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the S3 server at {} ({ENDPOINT_VAR}) did not answer within 10 s",
                    self.endpoint
                )
            });
        assert!(
            status.is_success(),
            "cannot create bucket {name}: {status} {body:?}"
        );
        let put = bucket
            .put_object(Some(&self.credentials), SENTINEL_KEY)
            .sign(TTL);
        let (status, _) = self.send(http::Method::PUT, put, SENTINEL).await;
        assert!(status.is_success(), "cannot put the sentinel: {status}");
        name
    }

    /// Every key in the bucket (ListObjectsV2: a GET on the bucket with `list-type=2`).
    async fn keys(&self, bucket: &str) -> Vec<String> {
        let bucket = self.bucket(bucket);
        let mut list = bucket.get_object(Some(&self.credentials), "");
        list.query_mut().insert("list-type", "2");
        let (status, body) = self.send(http::Method::GET, list.sign(TTL), b"").await;
        assert!(status.is_success(), "cannot list: {status} {body:?}");
        let body = String::from_utf8(body.to_vec()).unwrap();
        body.split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect()
    }

    async fn get(&self, bucket: &str, key: &str) -> (StatusCode, Bytes) {
        let get = self
            .bucket(bucket)
            .get_object(Some(&self.credentials), key)
            .sign(TTL);
        self.send(http::Method::GET, get, b"").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_trip_works_and_leaves_nothing_behind_even_when_cut_short() {
    let Some(admin) = Admin::new() else { return };
    let bucket = admin.create_bucket().await;

    let (report, _) = run_one(admin.check(&bucket), Duration::from_secs(5)).await;
    assert_eq!(report.checks[0].name, "S3StorageBackend");
    assert_eq!(report.checks[0].component_type, "datastore");
    assert_eq!(report.checks[0].outcome.text(), "working");

    // Twenty more runs, every other one under a timeout around the time a round trip
    // takes here (a few ms), so that runs are cut before, during and after the put.
    let tiny = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12].map(Duration::from_millis);
    let mut cut_short = 0;
    for (i, timeout) in tiny.into_iter().enumerate() {
        let (report, _) = run_one(admin.check(&bucket), Duration::from_secs(5)).await;
        assert_eq!(report.checks[0].outcome.text(), "working", "run {i}");
        let (report, _) = run_one(admin.check(&bucket), timeout).await;
        let text = report.checks[0].outcome.text();
        if text.starts_with("unavailable: timed out after") {
            cut_short += 1;
        } else {
            assert_eq!(text, "working", "run {i} under {timeout:?}");
        }
    }
    assert!(cut_short > 0, "no run was cut short");

    // The background clean-up of the interrupted runs takes a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut keys = admin.keys(&bucket).await;
    while keys != [SENTINEL_KEY] && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        keys = admin.keys(&bucket).await;
    }
    assert_eq!(keys, [SENTINEL_KEY], "probe objects were left behind");
    let (status, body) = admin.get(&bucket, SENTINEL_KEY).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), SENTINEL, "the sentinel object was touched");
}

/// A TCP proxy on loopback to the S3 server, which records the request line of every
/// request. Every request of the check's client opens a connection of its own, so the
/// first bytes of a connection are its request line.
struct Proxy {
    url: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// Passes every request on, except those whose request line `hold` picks: it keeps
    /// their connections open and never answers them.
    async fn start(endpoint: &str, hold: fn(&str) -> bool) -> Self {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

        let upstream = endpoint
            .split_once("://")
            .map_or(endpoint, |(_, rest)| rest)
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&lines);
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let mut first = vec![0; 64 * 1024];
                let Ok(n @ 1..) = client.read(&mut first).await else {
                    continue;
                };
                let text = String::from_utf8_lossy(&first[..n]);
                let line = text.lines().next().unwrap_or_default().to_owned();
                record.lock().unwrap().push(line.clone());
                if hold(&line) {
                    held.push(client);
                    continue;
                }
                let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                    continue;
                };
                tokio::spawn(async move {
                    if server.write_all(&first[..n]).await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self {
            url: format!("http://{addr}"),
            lines,
        }
    }

    /// The request lines it has seen since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap())
    }
}

/// A short-lived program (the CLI's `healthz check`) runs its checks and drops
/// its runtime, which cancels every task still on it: the clean-up of a probe cut
/// short must be waited for first.
#[test]
fn a_short_lived_program_waits_for_the_clean_up_of_a_probe_cut_short() {
    let Some(admin) = Admin::new() else { return };
    let service = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (bucket, proxy) = service.block_on(async {
        let bucket = admin.create_bucket().await;
        // A probe through this proxy puts its object, then hangs reading it back until the
        // runner's timeout stops it, which leaves the object to the background clean-up.
        let proxy = Proxy::start(&admin.endpoint, |line| line.starts_with("GET ")).await;
        (bucket, proxy.url)
    });

    let program = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let text = program.block_on(async {
        let check = admin.check(&bucket).endpoint(&proxy).unwrap();
        let (report, _) = run_one(check, Duration::from_millis(500)).await;
        wait_for_cleanup(Duration::from_secs(5)).await;
        report.checks[0].outcome.text()
    });
    drop(program);

    assert_eq!(text, "unavailable: timed out after 500ms");
    let keys = service.block_on(admin.keys(&bucket));
    assert_eq!(keys, [SENTINEL_KEY], "the probe object was left behind");
}

#[tokio::test]
async fn a_missing_bucket_is_unavailable_and_named() {
    let Some(admin) = Admin::new() else { return };
    // Reaching the server first makes an unreachable server fail with its own message.
    admin.create_bucket().await;
    let missing = format!("hc-missing-{:08x}", fastrand::u32(..));
    let (report, _) = run_one(admin.check(&missing), Duration::from_secs(5)).await;
    let endpoint = admin.endpoint.trim_end_matches('/');
    assert_eq!(
        report.checks[0].outcome.text(),
        format!("unavailable: bucket \"{missing}\" does not exist at {endpoint}/")
    );
}

#[tokio::test]
async fn refused_credentials_are_unavailable_and_the_secret_never_shows() {
    // moto accepts any credentials, so a loopback stand-in answers as S3 does to a
    // wrong secret, and records where the probe was put. Its second kind of answer
    // quotes the secret, to prove the check masks it.
    let paths = Arc::new(Mutex::new(Vec::new()));
    let router = Router::new().fallback({
        let paths = Arc::clone(&paths);
        move |uri: Uri| async move {
            paths.lock().unwrap().push(uri.path().to_owned());
            let (code, message) = if uri.path().starts_with("/odd/") {
                ("SomethingOdd", format!("Your secret {SECRET} is odd."))
            } else {
                ("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.".to_owned())
            };
            (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "application/xml")],
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
                ),
            )
        }
    });
    let addr = backend::serve(router).await;
    let stand_in = |bucket: &str| {
        S3Storage::new(bucket)
            .endpoint(&format!("http://{addr}"))
            .unwrap()
            .credentials("AKIDEXAMPLE", SECRET)
            .prefix("ops/probes/")
    };

    let check = stand_in("uploads");
    assert!(!format!("{check:?}").contains(SECRET));
    let (report, _) = run_one(check, Duration::from_secs(5)).await;
    let text = report.checks[0].outcome.text();
    assert!(
        text.starts_with("unavailable: cannot write s3://uploads/ops/probes/probe-"),
        "{text}"
    );
    assert!(
        text.ends_with(
            ": the secret access key does not match the access key ID (SignatureDoesNotMatch)"
        ),
        "{text}"
    );
    // One refused put, under the prefix, and nothing else: a refused put wrote nothing,
    // so there is nothing to clean up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = paths.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("/uploads/ops/probes/probe-"),
        "{seen:?}"
    );

    let (report, _) = run_one(stand_in("odd"), Duration::from_secs(5)).await;
    let text = report.checks[0].outcome.text();
    assert!(
        text.ends_with(": 403 SomethingOdd: Your secret *** is odd."),
        "{text}"
    );
    assert!(!text.contains(SECRET), "{text}");

    // Nor in any other failure.
    let Some(admin) = Admin::new() else { return };
    admin.create_bucket().await;
    let closed = net::closed_port();
    let checks = [
        admin.check("hc-missing").credentials("AKIDEXAMPLE", SECRET),
        admin
            .check("b")
            .endpoint(&format!("http://{closed}"))
            .unwrap()
            .credentials("AKIDEXAMPLE", SECRET),
    ];
    for check in checks {
        assert!(!format!("{check:?}").contains(SECRET));
        let (report, _) = run_one(check, Duration::from_secs(5)).await;
        let text = report.checks[0].outcome.text();
        assert!(text.starts_with("unavailable: "), "{text}");
        assert!(!text.contains(SECRET), "{text}");
    }
}

#[tokio::test]
async fn nothing_listening_is_unavailable_at_once() {
    let addr = net::closed_port();
    let check = S3Storage::new("uploads")
        .endpoint(&format!("http://{addr}"))
        .unwrap()
        .anonymous();
    let (report, elapsed) = run_one(check, Duration::from_secs(5)).await;
    assert_eq!(
        report.checks[0].outcome.text(),
        format!("unavailable: cannot reach S3 at http://{addr}/: connection refused")
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[tokio::test]
async fn a_hung_server_times_out_and_frees_the_runner() {
    let Some(admin) = Admin::new() else { return };
    let bucket = admin.create_bucket().await;
    let hung = net::HungListener::start();
    let registry = Registry::builder()
        .default_timeout(Duration::from_secs(1))
        .check_with(
            S3Storage::new("uploads")
                .endpoint(&format!("http://{}", hung.addr()))
                .unwrap()
                .anonymous(),
            CheckOptions::new().name("S3StorageBackend[hung]"),
        )
        .check(admin.check(&bucket))
        .build()
        .unwrap();
    let start = Instant::now();
    let report = registry.run(&Selection::all()).await.unwrap();
    let elapsed = start.elapsed();
    assert_eq!(
        report.checks[0].outcome.text(),
        "unavailable: timed out after 1s"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(
        report.checks[1].outcome.is_working(),
        "{:?}",
        report.checks[1]
    );
    assert!(hung.accepted() >= 1, "the check reached the hung server");

    let start = Instant::now();
    let report = registry
        .run(&Selection::all().check("S3StorageBackend"))
        .await
        .unwrap();
    assert!(report.checks[0].outcome.is_working());
    assert!(start.elapsed() < Duration::from_secs(2));
}

/// An `https` endpoint, through a TLS front (as a load balancer terminates TLS) before
/// the test server, presenting the test CA's certificates.
#[cfg(feature = "rustls")]
mod tls {
    use super::Admin;
    use crate::tls::{self, Front, common_tls_tests};
    use healthz::checks::Tls;

    impl Admin {
        /// The test server's address, for a front or a proxy to reach it.
        pub(super) async fn addr(&self) -> std::net::SocketAddr {
            let url: url::Url = self.endpoint.parse().unwrap();
            let host = url.host_str().unwrap();
            let port = url.port_or_known_default().unwrap();
            tokio::net::lookup_host((host, port))
                .await
                .unwrap()
                .next()
                .unwrap()
        }
    }

    /// The check's outcome on a bucket of its own behind `front`, with `tls`.
    async fn outcome(front: Front, tls: Tls) -> String {
        let admin = Admin::of_env();
        let bucket = admin.create_bucket().await;
        let addr = tls::front(admin.addr().await, front).await;
        let check = admin.check_at(&bucket, &format!("https://{addr}"));
        crate::backend::outcome(check.tls(tls)).await
    }

    common_tls_tests!(
        outcome: outcome,
        valid: Front::Valid,
        other_host: Front::OtherHost,
        expired: Front::Expired,
        mutual: Front::Mutual,
    );

    #[tokio::test]
    async fn a_server_without_tls_is_named_as_such() {
        let admin = Admin::of_env();
        let bucket = admin.create_bucket().await;
        let check = admin.check_at(&bucket, &format!("https://{}", admin.addr().await));
        tls::assert_tls_failure(
            &crate::backend::outcome(check.tls(tls::trusting_the_ca())).await,
            "unavailable: TLS: server does not support TLS",
        );
    }

    #[tokio::test]
    async fn an_https_endpoint_goes_through_a_proxy() {
        let admin = Admin::of_env();
        let bucket = admin.create_bucket().await;
        let front = tls::front(admin.addr().await, Front::Valid).await;
        let proxy = crate::proxy::ForwardProxy::open().await;
        let check = admin
            .check_at(&bucket, &format!("https://{front}"))
            .tls(tls::trusting_the_ca())
            .proxy(&proxy.url(None))
            .unwrap();
        assert_eq!(crate::backend::outcome(check).await, "working");
        let lines = proxy.request_lines();
        assert!(!lines.is_empty());
        for line in lines {
            assert_eq!(line, format!("CONNECT {front} HTTP/1.1"));
        }
    }
}
