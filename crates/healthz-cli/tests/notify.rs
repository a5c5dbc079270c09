//! `[[notify]]`, run for real: `healthz serve` posts its checks' state changes to a
//! webhook the test runs, an `http` check against the same test server whose answer
//! the test flips. The checks run on request, so each change happens at a request the
//! test makes.

mod support;

use std::time::{Duration, Instant};

use support::webhook::{Answer, Post, TestServer};
use support::{Server, healthz, temp_dir, write};
use tempfile::TempDir;

/// How long a notification may take to arrive; they take milliseconds.
const ARRIVAL: Duration = Duration::from_secs(10);

/// How long the server may take to stop (the configs set no drain).
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);

/// How long to watch for a notification that must not come: any would follow its
/// change within milliseconds.
const QUIET: Duration = Duration::from_millis(700);

/// A config with an `http` check against `server`'s `/health` and the `[[notify]]`
/// table `notify`; no drain, so that the server stops at once.
fn config(server: &TestServer, check: &str, notify: &str) -> String {
    format!(
        "[server]\ndrain = \"0s\"\nservice = \"orders\"\n\n\
         [[check]]\nkind = \"http\"\nurl = \"{}\"\ntimeout = \"2s\"\n{check}\n\
         [[notify]]\n{notify}",
        server.url("/health")
    )
}

/// Starts `serve` with `config` and the environment `vars`, in a directory of its own
/// (to keep while it runs).
fn serve(config: &str, vars: &[(&str, &str)]) -> (TempDir, Server) {
    let dir = temp_dir();
    write(dir.path(), "health.toml", config);
    let mut command = healthz(dir.path());
    command.envs(vars.iter().copied());
    let server = Server::start_command(command, &["--config", "health.toml"]);
    (dir, server)
}

/// The endpoint's JSON.
fn statuses(server: &Server) -> serde_json::Value {
    let response = server.get("/ht/?format=json");
    serde_json::from_str(&response.body).expect("JSON")
}

/// Sets the answer of `/health` and asks the endpoint, which runs the check: a state
/// change, when the answer changed. Returns the check's status text.
fn flip(test: &TestServer, server: &Server, health: u16) -> String {
    test.health(health);
    statuses(server)["HttpEndpoint"]
        .as_str()
        .expect("a status")
        .to_owned()
}

/// Waits up to `limit` for the endpoint's JSON to show `status` for `check`.
fn wait_for_status(server: &Server, check: &str, status: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let json = statuses(server);
        if json[check] == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{check} is not `{status}` within {limit:?}: {json}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn each_change_of_state_is_posted_once_with_the_documented_fields() {
    let test = TestServer::start();
    let notify = format!(
        "kind = \"webhook\"\nurl = \"{}\"\nheader = \"Authorization\"\nheader-value-env = \"HOOK_AUTH\"\n",
        test.url("/hook")
    );
    let secret = "Bearer s3cret-from-env";
    let (_dir, mut server) = serve(&config(&test, "", &notify), &[("HOOK_AUTH", secret)]);
    // The first result finds it working: no news.
    assert_eq!(flip(&test, &server, 200), "working");
    let failing = flip(&test, &server, 503);
    assert!(failing.starts_with("unexpected result: "), "{failing}");
    // Still failing: no change, no notification.
    assert_eq!(flip(&test, &server, 503), failing);
    let posts = test.wait_for_posts(1, ARRIVAL);
    assert_eq!(flip(&test, &server, 200), "working");
    let posts = test.wait_for_posts(posts.len() + 1, ARRIVAL);
    std::thread::sleep(QUIET);
    assert_eq!(test.posts().len(), 2, "{posts:#?}");

    let [down, up] = [&posts[0], &posts[1]];
    assert_eq!(down.path, "/hook");
    let fields = |post: &Post| {
        let mut keys: Vec<String> = post
            .body
            .as_object()
            .expect("a JSON object")
            .keys()
            .cloned()
            .collect();
        keys.sort_unstable();
        keys
    };
    assert_eq!(
        fields(down),
        [
            "check", "critical", "from", "outcome", "service", "time", "to"
        ]
    );
    assert_eq!(down.body["check"], "HttpEndpoint");
    assert_eq!(down.body["from"], "working");
    assert_eq!(down.body["to"], "failing");
    assert_eq!(down.body["outcome"], failing.as_str());
    assert_eq!(down.body["critical"], true);
    assert_eq!(down.body["service"], "orders");
    let time = down.body["time"].as_str().expect("a time");
    assert!(
        time.len() == 24 && time.as_bytes()[10] == b'T' && time.ends_with('Z'),
        "RFC 3339 with milliseconds in UTC: {time}"
    );
    assert_eq!(
        (&up.body["from"], &up.body["to"], &up.body["outcome"]),
        (
            &serde_json::json!("failing"),
            &serde_json::json!("working"),
            &serde_json::json!("working")
        )
    );
    for post in [down, up] {
        assert_eq!(post.header("authorization"), Some(secret));
        assert_eq!(post.header("content-type"), Some("application/json"));
        assert!(
            post.header("user-agent")
                .is_some_and(|agent| agent.starts_with("healthz/")),
            "{post:?}"
        );
    }
    // The delivery check works, and is not in the readiness group.
    assert_eq!(statuses(&server)["Notifications[webhook]"], "working");
    let ready = server.get("/ht/ready/?format=json");
    assert!(!ready.body.contains("Notifications"), "{ready:?}");

    let (status, stderr) = server.stop(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("s3cret-from-env"), "{stderr}");
}

#[test]
fn a_failing_webhook_is_retried_with_backoff_then_shown_as_a_warning_and_logged() {
    let test = TestServer::start();
    test.answer(Answer::Status(500));
    let notify = format!(
        "kind = \"webhook\"\nurl = \"{}\"\n",
        test.url("/hook?token=hunter2")
    );
    // Not critical: the page shows what the webhook does, degraded but never failing.
    let (_dir, mut server) = serve(&config(&test, "critical = false\n", &notify), &[]);
    flip(&test, &server, 200);
    flip(&test, &server, 503);
    let posts = test.wait_for_posts(3, ARRIVAL);
    // 1 s, then 2 s between the tries.
    let waits: Vec<Duration> = posts
        .windows(2)
        .map(|pair| pair[1].at - pair[0].at)
        .collect();
    assert!(
        waits[0] >= Duration::from_millis(900) && waits[1] >= Duration::from_millis(1900),
        "{waits:?}"
    );
    let warning = "warning: last delivery failed: HTTP 500 after 3 tries";
    wait_for_status(&server, "Notifications[webhook]", warning, ARRIVAL);
    let page = server.get("/ht/?format=json");
    assert_eq!(page.status, 200, "degraded, not failing: {page:?}");
    std::thread::sleep(QUIET);
    assert_eq!(test.posts().len(), 3, "three tries in all");

    let (status, stderr) = server.stop(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("notification delivery failed"), "{stderr}");
    assert!(stderr.contains("HTTP 500 after 3 tries"), "{stderr}");
    // The URL's token is a secret: the log shows it masked.
    assert!(stderr.contains("/hook?token=***"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_hanging_webhook_does_not_delay_the_endpoint() {
    let test = TestServer::start();
    test.answer(Answer::Hang);
    let notify = format!(
        "kind = \"webhook\"\nurl = \"{}\"\ntimeout = \"1m\"\n",
        test.url("/hook")
    );
    let (_dir, server) = serve(&config(&test, "", &notify), &[]);
    flip(&test, &server, 200);
    flip(&test, &server, 503);
    // The notification is in flight, and will be for a minute.
    test.wait_for_posts(1, ARRIVAL);
    // Every answer comes well within the check's timeout (2 s), let alone the
    // webhook's (1 min), while changes pile up
    // behind the hanging one.
    for round in 0..10 {
        let started = Instant::now();
        let status = flip(&test, &server, if round % 2 == 0 { 200 } else { 503 });
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "round {round} took {took:?} ({status})"
        );
    }
    assert_eq!(test.posts().len(), 1, "the others wait behind it");
}

#[test]
fn min_interval_coalesces_a_flapping_check() {
    let test = TestServer::start();
    let notify = format!(
        "kind = \"webhook\"\nurl = \"{}\"\nmin-interval = \"3s\"\n",
        test.url("/hook")
    );
    let (_dir, server) = serve(&config(&test, "", &notify), &[]);
    flip(&test, &server, 200);
    flip(&test, &server, 503);
    let first = test.wait_for_posts(1, ARRIVAL);
    // Flapping within the interval: working, failing, working.
    for health in [200, 503, 200] {
        flip(&test, &server, health);
    }
    let posts = test.wait_for_posts(2, ARRIVAL);
    std::thread::sleep(QUIET);
    assert_eq!(test.posts().len(), 2, "{:#?}", test.posts());
    // The latest state, once the interval has passed, from the state last sent.
    assert_eq!(
        (&posts[1].body["from"], &posts[1].body["to"]),
        (&serde_json::json!("failing"), &serde_json::json!("working"))
    );
    let gap = posts[1].at - first[0].at;
    assert!(gap >= Duration::from_millis(2900), "{gap:?}");
}

#[test]
fn slack_gets_a_readable_line_and_its_url_is_never_shown() {
    let test = TestServer::start();
    test.answer(Answer::Status(404));
    let notify = format!(
        "kind = \"slack\"\nurl = \"{}\"\n",
        test.url("/services/T000/B000/s3cretPathToken")
    );
    let (_dir, mut server) = serve(&config(&test, "", &notify), &[]);
    flip(&test, &server, 200);
    let failing = flip(&test, &server, 503);
    let posts = test.wait_for_posts(1, ARRIVAL);
    assert_eq!(
        posts[0].body,
        serde_json::json!({ "text": format!(":red_circle: orders: HttpEndpoint is failing: {failing}") })
    );
    // A 404 is not tried again.
    let warning = "warning: last delivery failed: HTTP 404 after 1 try";
    wait_for_status(&server, "Notifications[slack]", warning, ARRIVAL);
    let (status, stderr) = server.stop(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("http://{}/***", test.addr)),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cretPathToken"), "{stderr}");
}

#[test]
fn https_webhooks_are_spoken_with_tls() {
    // The test server speaks plain HTTP: the TLS handshake fails, and nothing is posted.
    let test = TestServer::start();
    let notify = format!(
        "kind = \"webhook\"\nurl = \"https://{}/hook\"\ntries = 1\n",
        test.addr
    );
    let (_dir, server) = serve(&config(&test, "", &notify), &[]);
    flip(&test, &server, 200);
    flip(&test, &server, 503);
    let deadline = Instant::now() + ARRIVAL;
    let warning = loop {
        let json = statuses(&server);
        let status = json["Notifications[webhook]"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if status != "working" {
            break status;
        }
        assert!(Instant::now() < deadline, "no failed delivery: {json}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        warning.starts_with("warning: last delivery failed: ") && warning.ends_with(" after 1 try"),
        "{warning}"
    );
    assert!(
        !warning.contains("HTTP "),
        "no HTTP answer over TLS: {warning}"
    );
    assert_eq!(test.posts().len(), 0);
}
