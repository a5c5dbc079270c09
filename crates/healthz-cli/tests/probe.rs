//! `healthz probe`, run for real against a real `healthz serve`, a closed
//! port and a listener that never answers: exit codes 0 and 1, never 2 (Docker
//! reserves it in a `HEALTHCHECK`).

mod support;

use std::time::{Duration, Instant};

use support::{Ran, Server, closed_port, healthz, hung_listener, ran, temp_dir, write};

#[test]
fn a_healthy_endpoint_exits_0() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    let run = ran(dir.path(), &["probe", &server.url]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
}

#[test]
fn an_unhealthy_endpoint_exits_1_with_the_status() {
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[server]\nfailure-status = 503\n\n[[check]]\nkind = \"tcp\"\naddr = \"127.0.0.1:{}\"\ntimeout = \"2s\"\n",
            closed_port()
        ),
    );
    let server = Server::start(dir.path(), &["--config", "health.toml"]);
    let run = ran(dir.path(), &["probe", &server.url]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("503"), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}

#[test]
fn nothing_listening_exits_1_quickly() {
    let dir = temp_dir();
    let url = format!("http://127.0.0.1:{}/ht/", closed_port());
    let started = Instant::now();
    let run = ran(dir.path(), &["probe", &url]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(run.stderr.contains(&url), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}

#[test]
fn a_listener_that_never_answers_times_out_with_exit_1() {
    let dir = temp_dir();
    let listener = hung_listener();
    let url = format!("http://{}/ht/", listener.local_addr().unwrap());
    let started = Instant::now();
    let run = ran(dir.path(), &["probe", "--timeout", "500ms", &url]);
    let took = started.elapsed();
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(run.stderr.contains("timed out"), "{run:?}");
    drop(listener);
}

#[test]
fn usage_errors_exit_1_with_the_reason() {
    let dir = temp_dir();
    let url = "http://127.0.0.1:1/";
    for (args, reason) in [
        (&["probe", "not-a-url"][..], "not-a-url"),
        (
            &["probe", "--timeout", "soon", url],
            "'soon' for '--timeout",
        ),
        (&["probe", "--bogus", url], "'--bogus'"),
        (&["--color", "never", "probe"], "<URL>"),
        (&["probe", "--header", "X-Key", url], "must be `NAME:VALUE`"),
    ] {
        let run = ran(dir.path(), args);
        assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
        assert!(run.stderr.contains(reason), "{args:?}: {run:?}");
    }
    // The library's rule, as a flag's message rather than a check's.
    let run = ran(dir.path(), &["probe", "--timeout", "0", url]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr, "healthz: --timeout 0s: the timeout is zero\n");
    // Help is no error.
    let help = ran(dir.path(), &["probe", "--help"]);
    assert_eq!(help.code, Some(0), "{help:?}");
}

#[test]
fn a_token_from_the_environment_or_a_header_opens_a_protected_endpoint() {
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        "[server]\ntokens = [\"t0k3n\"]\n\n[[check]]\nkind = \"memory-cache\"\n",
    );
    let server = Server::start(dir.path(), &["--config", "health.toml"]);
    let probe = |args: &[&str], token: Option<&str>| {
        let mut command = healthz(dir.path());
        if let Some(token) = token {
            command.env("HEALTHZ_TEST_TOKEN", token);
        }
        command.arg("probe").args(args).arg(&server.url);
        Ran::of(command)
    };

    let without = probe(&[], None);
    assert_eq!(without.code, Some(1), "{without:?}");
    assert!(without.stderr.contains("got 403"), "{without:?}");

    let with_token = probe(&["--token-env", "HEALTHZ_TEST_TOKEN"], Some("t0k3n"));
    assert_eq!(with_token.code, Some(0), "{with_token:?}");
    assert_eq!(with_token.stderr, "");

    let wrong = probe(&["--token-env", "HEALTHZ_TEST_TOKEN"], Some("nope"));
    assert_eq!(wrong.code, Some(1), "{wrong:?}");

    let unset = probe(&["--token-env", "HEALTHZ_TEST_TOKEN"], None);
    assert_eq!(unset.code, Some(1), "{unset:?}");
    assert_eq!(
        unset.stderr,
        "healthz: --token-env: the environment variable `HEALTHZ_TEST_TOKEN` is not set\n"
    );

    let with_headers = probe(
        &[
            "--header",
            "X-Request-Id: probe-1",
            "-H",
            "Authorization:Bearer t0k3n",
        ],
        None,
    );
    assert_eq!(with_headers.code, Some(0), "{with_headers:?}");
}

#[test]
fn the_password_in_the_url_stays_out_of_stderr() {
    let dir = temp_dir();
    let url = format!("http://user:s3cr3t@127.0.0.1:{}/ht/", closed_port());
    let run = ran(dir.path(), &["probe", &url]);
    // The check takes no credentials in its URL (a bearer token instead): a usage error.
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!run.stderr.is_empty(), "{run:?}");
    assert!(!run.stderr.contains("s3cr3t"), "{run:?}");
}
