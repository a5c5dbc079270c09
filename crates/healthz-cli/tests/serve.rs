//! `healthz serve`, run for real: the built-in config, a config file, signals.

mod support;

use std::time::{Duration, Instant};

use support::{Server, closed_port, healthz, ran, temp_dir, write};

/// How long a graceful shutdown may take: the default drain (5 s), and a margin.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(15);

#[test]
fn the_built_in_config_serves_working_checks_and_creates_its_data_dir() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    assert_eq!(server.url, format!("http://{}/ht/", server.addr));

    let response = server.get("/ht/?format=json");
    assert_eq!(response.status, 200, "{response:?}");
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&response.body).expect("JSON");
    let mut names: Vec<&str> = json.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "CacheBackend",
            "DatabaseBackend",
            "DiskUsage",
            "MemoryUsage",
            "StorageBackend"
        ]
    );
    for (name, value) in &json {
        assert_eq!(value, "working", "{name}");
    }
    assert!(dir.path().join("healthz-data/health.db").is_file());
    assert!(dir.path().join("healthz-data/storage").is_dir());
}

#[test]
fn the_endpoint_answers_with_and_without_a_slash_and_per_group() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    for path in ["/ht", "/ht/", "/ht/ready/", "/ht/live/"] {
        let response = server.get(&format!("{path}?format=text"));
        assert_eq!(response.status, 200, "{path}: {response:?}");
    }
    let ready = server.get("/ht/ready/?format=text");
    assert_eq!(
        ready.body,
        "DatabaseBackend: working\nStorageBackend: working\nCacheBackend: working\n"
    );
    let html = server.get("/ht/");
    assert_eq!(html.status, 200);
    assert!(
        html.header("content-type")
            .is_some_and(|value| value.starts_with("text/html")),
        "{html:?}"
    );
    assert_eq!(server.get("/ht/nope/").status, 404);
}

#[test]
fn the_root_redirects_to_the_endpoint_and_other_paths_are_not_found() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    let root = server.get("/");
    assert_eq!(root.status, 307, "{root:?}");
    assert_eq!(root.header("location"), Some("/ht/"));
    let other = server.get("/status");
    assert_eq!(other.status, 404, "{other:?}");
    assert_eq!(other.body, "not found; the health endpoint is at /ht/\n");
}

#[test]
fn sigterm_shuts_down_gracefully_with_exit_code_0() {
    let dir = temp_dir();
    let mut server = Server::start(dir.path(), &[]);
    assert_eq!(server.get("/ht/?format=json").status, 200);
    server.signal("TERM");
    let status = server.wait_for_exit(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn ctrl_c_shuts_down_gracefully_with_exit_code_0() {
    let dir = temp_dir();
    let mut server = Server::start(dir.path(), &[]);
    server.signal("INT");
    let status = server.wait_for_exit(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn a_config_file_sets_the_path_the_status_codes_and_the_checks() {
    let dir = temp_dir();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    let config = write(
        dir.path(),
        "health.toml",
        &format!(
            r#"
[server]
bind = "127.0.0.1:1"          # --bind wins
path = "/health"
failure-status = 503
max-age = "5s"

[[check]]
kind = "filesystem"
path = "files"                # relative to this file

[[check]]
kind = "tcp"
addr = "127.0.0.1:{}"
alias = "db"
tags = ["ready"]
"#,
            closed_port()
        ),
    );
    // Run from elsewhere: relative paths follow the config file, not the current dir.
    let elsewhere = temp_dir();
    let config = config.to_str().unwrap();
    let server = Server::start(elsewhere.path(), &["--config", config]);
    assert_eq!(server.url, format!("http://{}/health/", server.addr));

    let response = server.get("/health/?format=json");
    assert_eq!(response.status, 503, "{response:?}");
    // A failure is never cached; a healthy answer is, for `max-age`.
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let healthy = server.get("/health/?format=json&check=StorageBackend");
    assert_eq!(healthy.status, 200, "{healthy:?}");
    assert_eq!(healthy.header("cache-control"), Some("max-age=5"));
    let json: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(json["StorageBackend"], "working");
    let tcp = json["TcpConnect[db]"].as_str().unwrap();
    assert!(tcp.starts_with("unavailable: "), "{tcp}");

    assert_eq!(
        server.get("/?format=json").header("location"),
        Some("/health/")
    );
    assert_eq!(
        server.get("/health/ready/?check=StorageBackend").status,
        404
    );
}

#[test]
fn a_token_from_the_environment_guards_the_endpoint() {
    let dir = temp_dir();
    let config = write(
        dir.path(),
        "health.toml",
        r#"
[server]
tokens = ["${HEALTH_TOKEN}"]

[[check]]
kind = "memory-cache"
"#,
    );
    let mut command = healthz(dir.path());
    command.env("HEALTH_TOKEN", "t0ken-from-env");
    let server = Server::start_command(command, &["--config", config.to_str().unwrap()]);

    let anonymous = server.get("/ht/?format=json");
    assert_eq!(anonymous.status, 403, "{anonymous:?}");
    assert!(!anonymous.body.contains("CacheBackend"), "{anonymous:?}");
    assert_eq!(anonymous.header("vary"), Some("Accept, Authorization"));
    let wrong = server.get_with("/ht/?format=json", &[("Authorization", "Bearer nope")]);
    assert_eq!(wrong.status, 403, "{wrong:?}");

    let allowed = server.get_with(
        "/ht/?format=json",
        &[("Authorization", "Bearer t0ken-from-env")],
    );
    assert_eq!(allowed.status, 200, "{allowed:?}");
    assert_eq!(allowed.body, r#"{"CacheBackend":"working"}"#);
    assert_eq!(allowed.header("vary"), Some("Accept, Authorization"));
}

#[test]
fn a_bad_config_or_a_busy_address_is_an_error_with_exit_code_2() {
    let dir = temp_dir();
    let config = write(dir.path(), "bad.toml", "[server]\nbnd = 1\n");
    let bad = ran(dir.path(), &["serve", "--config", "bad.toml"]);
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(
        bad.stderr.contains("bad.toml:2: unknown key `bnd`"),
        "{bad:?}"
    );
    drop(config);

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let output = healthz(dir.path())
        .args(["serve", "--bind", &addr])
        .output()
        .unwrap();
    let busy_run = support::Ran::from(output);
    assert_eq!(busy_run.code, Some(2), "{busy_run:?}");
    assert!(
        busy_run
            .stderr
            .contains(&format!("cannot listen on {addr}")),
        "{busy_run:?}"
    );
}

#[test]
fn the_endpoint_can_be_the_root() {
    let dir = temp_dir();
    write(
        dir.path(),
        "root.toml",
        "[server]\npath = \"/\"\n\n[[check]]\nkind = \"memory-cache\"\ntags = [\"ready\"]\n",
    );
    let server = Server::start(dir.path(), &["--config", "root.toml"]);
    assert_eq!(server.url, format!("http://{}/", server.addr));
    let root = server.get("/?format=text");
    assert_eq!(root.status, 200, "{root:?}");
    assert_eq!(root.body, "CacheBackend: working\n");
    assert_eq!(server.get("/ready/?format=text").status, 200);
    assert_eq!(server.get("/nope/").status, 404);
}

/// A check stuck in a blocking system call for good does not keep the server from
/// shutting down: the runtime does not wait for the stuck thread.
#[cfg(unix)]
#[test]
fn a_check_stuck_in_a_system_call_does_not_keep_the_server_from_exiting() {
    use support::StuckLookup;

    let stuck = StuckLookup::new();
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"dns\"\nhost = \"{}\"\ntimeout = \"300ms\"\n",
            StuckLookup::HOST
        ),
    );
    let mut command = healthz(dir.path());
    command.env(StuckLookup::VAR, stuck.path());
    let mut server = Server::start_command(command, &["--config", "health.toml"]);
    let response = server.get("/ht/?format=text");
    assert_eq!(response.status, 500, "{response:?}");
    assert_eq!(
        response.body,
        "DnsLookup: unavailable: timed out after 300ms\n"
    );
    server.signal("TERM");
    let status = server.wait_for_exit(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn sigterm_fails_ready_while_the_server_keeps_serving_for_the_drain_then_exits_0() {
    let drain = Duration::from_secs(3);
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        "[server]\nfailure-status = 503\ndrain = \"3s\"\n\n\
         [[check]]\nkind = \"memory-cache\"\ntags = [\"ready\", \"live\"]\n",
    );
    let mut server = Server::start(dir.path(), &["--config", "health.toml"]);
    assert_eq!(server.get("/ht/ready/").status, 200);
    let signalled = Instant::now();
    server.signal("TERM");
    // `ready` fails at once; poll for the signal's delivery, not for a drain.
    let deadline = signalled + Duration::from_secs(2);
    let ready = loop {
        let ready = server.get("/ht/ready/?verbose");
        if ready.status != 200 || Instant::now() >= deadline {
            break ready;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(ready.status, 503, "{ready:?}");
    assert_eq!(
        ready.body,
        "[+]CacheBackend ok\n[-]shutdown failed: shutting down\nhealthz check failed\n"
    );
    // Until the drain is nearly over, everything else keeps answering as before.
    while signalled.elapsed() < drain - Duration::from_millis(700) {
        let live = server.get("/ht/live/?format=text");
        assert_eq!(live.status, 200, "{live:?}");
        assert_eq!(live.body, "CacheBackend: working\n");
        assert_eq!(server.get("/ht/?format=json").status, 200);
        assert_eq!(server.get("/ht/ready/").status, 503);
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, stderr) = server.stop_after_signal(drain + Duration::from_secs(5));
    let took = signalled.elapsed();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(took >= drain - Duration::from_millis(100), "{took:?}");
    assert!(
        stderr.contains("shutting down: ready fails while the server keeps serving for the drain"),
        "{stderr}"
    );
    assert!(
        stderr.contains("drain over: finishing the requests in flight"),
        "{stderr}"
    );
}

#[test]
fn a_second_signal_cuts_the_drain_short() {
    let dir = temp_dir();
    write(dir.path(), "health.toml", "[server]\ndrain = \"1h\"\n");
    let mut server = Server::start(dir.path(), &["--config", "health.toml"]);
    server.signal("TERM");
    // The first signal is taken once `ready` fails.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.get("/ht/ready/").status == 200 {
        assert!(Instant::now() < deadline, "SIGTERM was not taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.signal("INT");
    let (status, stderr) = server.stop_after_signal(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("drain cut short"), "{stderr}");
}

#[test]
fn probes_serve_the_groups_at_the_root() {
    let dir = temp_dir();
    let config = format!(
        "[server]\nprobes = true\nfailure-status = 503\n\n\
         [[check]]\nkind = \"memory-cache\"\ntags = [\"live\", \"ready\"]\n\n\
         [[check]]\nkind = \"tcp\"\naddr = \"127.0.0.1:{}\"\ntags = [\"ready\"]\n",
        closed_port()
    );
    write(dir.path(), "health.toml", &config);
    let server = Server::start(dir.path(), &["--config", "health.toml"]);
    let live = server.get("/livez?format=text");
    assert_eq!(
        (live.status, live.body.as_str()),
        (200, "CacheBackend: working\n")
    );
    let ready = server.get("/readyz?verbose");
    assert_eq!(ready.status, 503, "{ready:?}");
    assert!(
        ready
            .body
            .starts_with("[+]CacheBackend ok\n[-]TcpConnect failed: unavailable: "),
        "{ready:?}"
    );
    assert!(ready.body.ends_with("healthz check failed\n"), "{ready:?}");
    // The same answers as the groups below the endpoint, formats and headers included.
    let json = server.get_with("/readyz", &[("Accept", "application/json")]);
    let below = server.get_with("/ht/ready/", &[("Accept", "application/json")]);
    assert_eq!((json.status, &json.body), (below.status, &below.body));
    assert_eq!(json.header("content-type"), below.header("content-type"));
    let startup = server.get("/startupz?format=text");
    assert_eq!((startup.status, startup.body.as_str()), (200, ""));
    let head = server.request("HEAD", "/livez");
    assert_eq!((head.status, head.body.as_str()), (200, ""), "{head:?}");
    let post = server.request("POST", "/readyz");
    assert_eq!(post.status, 405, "{post:?}");
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert_eq!(server.get("/livez?format=yaml").status, 406);
}

#[test]
fn without_probes_the_root_aliases_are_not_found() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    for path in ["/livez", "/readyz", "/startupz"] {
        assert_eq!(server.get(path).status, 404, "{path}");
    }
}
