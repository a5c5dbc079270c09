//! `healthz probe`, run for real against a real `healthz serve`, a closed
//! port and a listener that never answers: exit codes 0, 1 and 2.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use support::{Server, closed_port, ran, temp_dir, write};

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
    // Accepts connections (the kernel does) and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
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
fn an_unparsable_url_is_a_usage_error() {
    let dir = temp_dir();
    let run = ran(dir.path(), &["probe", "not-a-url"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("not-a-url"), "{run:?}");
}

#[test]
fn a_bad_timeout_is_a_usage_error() {
    let dir = temp_dir();
    let run = ran(
        dir.path(),
        &["probe", "--timeout", "soon", "http://127.0.0.1:1/"],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
}

#[test]
fn the_password_in_the_url_stays_out_of_stderr() {
    let dir = temp_dir();
    let url = format!("http://user:s3cr3t@127.0.0.1:{}/ht/", closed_port());
    let run = ran(dir.path(), &["probe", &url]);
    // The check takes no credentials in its URL (a bearer token instead): a usage error.
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(!run.stderr.is_empty(), "{run:?}");
    assert!(!run.stderr.contains("s3cr3t"), "{run:?}");
}
