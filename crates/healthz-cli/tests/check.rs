//! `healthz check`, run for real: exit codes 0, 1 and 2, and the output formats.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{BIN, Ran, closed_port, healthz, hung_listener, ran, temp_dir, write};

const DEFAULT_CHECKS: [&str; 5] = [
    "DatabaseBackend",
    "StorageBackend",
    "CacheBackend",
    "DiskUsage",
    "MemoryUsage",
];

#[test]
fn the_built_in_config_is_healthy_and_prints_text_when_piped() {
    let dir = temp_dir();
    let run = ran(dir.path(), &["check"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let expected: String = DEFAULT_CHECKS
        .iter()
        .map(|name| format!("{name}: working\n"))
        .collect();
    assert_eq!(run.stdout, expected);
    assert_eq!(run.stderr, "");
}

#[test]
fn the_data_dir_follows_healthz_data_dir() {
    let dir = temp_dir();
    let output = healthz(dir.path())
        .env("HEALTHZ_DATA_DIR", "elsewhere/data")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(dir.path().join("elsewhere/data/health.db").is_file());
    assert!(dir.path().join("elsewhere/data/storage").is_dir());
    assert!(!dir.path().join("healthz-data").exists());
}

#[test]
fn a_config_with_sqlite_and_filesystem_is_healthy() {
    let dir = temp_dir();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    write(
        dir.path(),
        "health.toml",
        "[[check]]\nkind = \"sqlite\"\npath = \"app.db\"\n\n[[check]]\nkind = \"filesystem\"\npath = \"files\"\n",
    );
    let run = ran(dir.path(), &["check", "--config", "health.toml"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        "DatabaseBackend: working\nStorageBackend: working\n"
    );
}

#[test]
fn a_closed_port_is_unhealthy_with_exit_code_1() {
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"tcp\"\naddr = \"127.0.0.1:{}\"\ntimeout = \"2s\"\n",
            closed_port()
        ),
    );
    let run = ran(dir.path(), &["check", "-c", "health.toml"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.starts_with("TcpConnect: unavailable: "),
        "{run:?}"
    );
    assert_eq!(run.stderr, "", "the report says it all");
}

#[test]
fn a_warning_is_unhealthy_only_with_warnings_as_errors() {
    let dir = temp_dir();
    // Any disk is at least 0 % full and at most 100 %: always a warning.
    let disk = "[[check]]\nkind = \"disk\"\npath = \".\"\nwarn-at = 0.0\nfail-at = 100.0\n";
    write(dir.path(), "warn.toml", disk);
    let run = ran(dir.path(), &["check", "--config", "warn.toml"]);
    assert_eq!(run.code, Some(0), "degraded: {run:?}");
    assert!(run.stdout.starts_with("DiskUsage: warning: "), "{run:?}");

    let strict = format!("[server]\nwarnings-as-errors = true\n\n{disk}");
    write(dir.path(), "strict.toml", &strict);
    let run = ran(dir.path(), &["check", "--config", "strict.toml"]);
    assert_eq!(run.code, Some(1), "unhealthy: {run:?}");
}

#[test]
fn a_missing_storage_dir_is_unhealthy_and_a_non_critical_one_only_degrades() {
    let dir = temp_dir();
    write(
        dir.path(),
        "critical.toml",
        "[[check]]\nkind = \"filesystem\"\npath = \"missing\"\n",
    );
    let run = ran(dir.path(), &["check", "--config", "critical.toml"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.starts_with("StorageBackend: unavailable: "),
        "{run:?}"
    );
    assert!(
        !dir.path().join("missing").exists(),
        "a config file's directories are never created"
    );

    write(
        dir.path(),
        "degraded.toml",
        "[[check]]\nkind = \"filesystem\"\npath = \"missing\"\ncritical = false\n",
    );
    let run = ran(dir.path(), &["check", "--config", "degraded.toml"]);
    assert_eq!(run.code, Some(0), "degraded is not unhealthy: {run:?}");
}

#[test]
fn json_output_is_the_endpoints_json() {
    let dir = temp_dir();
    let run = ran(dir.path(), &["check", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json.len(), DEFAULT_CHECKS.len(), "{run:?}");
    assert!(json.values().all(|value| value == "working"), "{json:?}");
    // Keys in registration order (the map above sorts them).
    let positions: Vec<usize> = DEFAULT_CHECKS
        .iter()
        .map(|name| run.stdout.find(&format!("\"{name}\"")).expect(name))
        .collect();
    assert!(positions.is_sorted(), "{run:?}");
}

#[test]
fn table_output_aligns_columns_and_shows_observed_values() {
    let dir = temp_dir();
    let run = ran(dir.path(), &["check", "--format", "table"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "NAME             DURATION  STATUS", "{run:?}");
    // A row per check; disk and memory usage on lines of their own below theirs.
    let rows: Vec<&str> = lines[1..]
        .iter()
        .copied()
        .take_while(|line| !line.is_empty())
        .collect();
    let named: Vec<&str> = rows
        .iter()
        .copied()
        .filter(|line| !line.starts_with(' '))
        .collect();
    for (line, name) in named.iter().zip(DEFAULT_CHECKS) {
        assert!(line.starts_with(&format!("{name:<17}")), "{line:?}");
        assert!(line.ends_with(" ms  working"), "{line:?}");
    }
    assert_eq!(named.len(), DEFAULT_CHECKS.len(), "{run:?}");
    let observed: Vec<&str> = rows
        .iter()
        .filter_map(|line| line.strip_prefix(&" ".repeat(27)))
        .collect();
    assert!(
        observed
            .iter()
            .filter(|line| line.starts_with("usage ") && line.ends_with(" percent"))
            .count()
            == 2,
        "{run:?}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("healthy: 5 of 5 checks working in "),
        "{run:?}"
    );
}

#[test]
fn the_table_shows_what_damping_does() {
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"tcp\"\naddr = \"127.0.0.1:{}\"\nfailure-threshold = 2\n",
            closed_port()
        ),
    );
    let run = ran(
        dir.path(),
        &["check", "--config", "health.toml", "--format", "table"],
    );
    // One failure of the two it takes: still reported working.
    assert_eq!(run.code, Some(0), "{run:?}");
    let row = run.stdout.lines().nth(1).unwrap();
    assert!(row.starts_with("TcpConnect  "), "{row:?}");
    assert!(row.ends_with(" ms  working (1 of 2 failures)"), "{row:?}");
}

#[test]
fn background_checks_are_reported_with_their_first_result_not_pending() {
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"memory-cache\"\ninterval = \"1h\"\n\n\
             [[check]]\nkind = \"tcp\"\naddr = \"127.0.0.1:{}\"\ninterval = \"1h\"\ncritical = false\n\n\
             [[notify]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/\"\n",
            closed_port()
        ),
    );
    let run = ran(dir.path(), &["check", "--config", "health.toml"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "CacheBackend: working", "{run:?}");
    assert!(lines[1].starts_with("TcpConnect: unavailable: "), "{run:?}");
    // The notification target's delivery check is the server's: not run here.
    assert_eq!(lines.len(), 2, "{run:?}");
}

#[test]
fn check_selects_checks_by_name() {
    let dir = temp_dir();
    let run = ran(
        dir.path(),
        &["check", "--check", "MemoryUsage", "--check", "CacheBackend"],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "CacheBackend: working\nMemoryUsage: working\n");
}

#[test]
fn an_unknown_check_name_is_a_usage_error() {
    let dir = temp_dir();
    let run = ran(dir.path(), &["check", "--check", "Nope"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "healthz: no check named `Nope` (the checks are: DatabaseBackend, StorageBackend, CacheBackend, DiskUsage, MemoryUsage)\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = temp_dir();
    for args in [
        &["check", "--bogus"][..],
        &["check", "--format", "xml"],
        &["frobnicate"],
        &["serve", "--bind", "not-an-address"],
    ] {
        let run = ran(dir.path(), args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
    }
    let nothing = ran(dir.path(), &[]);
    assert_eq!(nothing.code, Some(2), "{nothing:?}");
    assert!(
        nothing
            .stderr
            .contains("Usage: healthz [OPTIONS] <COMMAND>"),
        "{nothing:?}"
    );
    let help = ran(dir.path(), &["--help"]);
    assert_eq!(help.code, Some(0), "{help:?}");
    assert!(help.stdout.contains("Exit status: 0 healthy"), "{help:?}");
}

#[test]
fn a_missing_or_invalid_config_file_exits_2() {
    let dir = temp_dir();
    let missing = ran(dir.path(), &["check", "--config", "nope.toml"]);
    assert_eq!(missing.code, Some(2), "{missing:?}");
    assert!(
        missing
            .stderr
            .starts_with("healthz: cannot read the config file nope.toml: "),
        "{missing:?}"
    );

    write(dir.path(), "bad.toml", "[[check]]\nkind = \"tcp\"\n");
    let bad = ran(dir.path(), &["check", "--config", "bad.toml"]);
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert_eq!(
        bad.stderr,
        "healthz: bad.toml:1: check #1 (tcp): missing key `addr`\n"
    );
}

/// A check stuck in a blocking system call for good (here `getaddrinfo`, as on a hung
/// network file system) times out, and the binary still reports and exits: the runtime
/// does not wait for the stuck thread.
#[cfg(unix)]
#[test]
fn a_check_stuck_in_a_system_call_does_not_keep_the_binary_from_exiting() {
    use support::StuckLookup;

    let stuck = StuckLookup::new();
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"dns\"\nhost = \"{}\"\ntimeout = \"300ms\"\n\n\
             [[check]]\nkind = \"memory-cache\"\n",
            StuckLookup::HOST
        ),
    );
    let mut child = healthz(dir.path())
        .env(StuckLookup::VAR, stuck.path())
        .args(["check", "--config", "health.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The check's timeout, the wait for clean-ups and the runtime's shutdown: seconds.
    let Some(status) = support::wait_or_kill(&mut child, Duration::from_secs(20)) else {
        panic!("`check` did not exit within 20 s with a check stuck in a system call");
    };
    let run = support::Ran::from(
        child
            .wait_with_output()
            .map(|mut output| {
                output.status = status;
                output
            })
            .expect("its output"),
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        run.stdout, "DnsLookup: unavailable: timed out after 300ms\nCacheBackend: working\n",
        "{run:?}"
    );
}

/// An S3 server that hangs: the check times out, its probe object's clean-up hangs
/// too, and `check` still ends soon after the timeout, naming the object it left.
#[test]
fn a_hung_s3_server_keeps_check_only_briefly_past_the_timeout() {
    let s3 = hung_listener();
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"s3\"\nbucket = \"uploads\"\nendpoint = \"http://{}\"\nanonymous = true\n\
             timeout = \"1s\"\ncritical = false\n\n[[check]]\nkind = \"memory-cache\"\n",
            s3.local_addr().unwrap()
        ),
    );
    let started = Instant::now();
    let run = ran(dir.path(), &["check", "--config", "health.toml"]);
    let took = started.elapsed();
    assert_eq!(run.code, Some(0), "degraded: {run:?}");
    assert_eq!(
        run.stdout,
        "S3StorageBackend: unavailable: timed out after 1s\nCacheBackend: working\n"
    );
    // The timeout, then at most 2 s: the clean-up's wait and the runtime's shutdown.
    assert!(took < Duration::from_secs(4), "{took:?}: {run:?}");
    assert!(
        run.stderr
            .contains("could not delete the probe object of an interrupted check"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("bucket=\"uploads\" key=\"healthz/"),
        "{run:?}"
    );
}

/// The log on stderr (here the runner's events, which `RUST_LOG` turns on) is
/// coloured on a terminal unless `NO_COLOR` is set, and as `--color` says. The
/// terminal is `script`'s pseudo-terminal.
#[test]
fn the_log_is_coloured_as_no_color_and_the_color_flag_say() {
    let script = Command::new("script").arg("--version").output();
    assert!(
        script.is_ok_and(|output| output.status.success()),
        "this test needs `script` (util-linux: `apt-get install bsdutils`) for a terminal"
    );
    let dir = temp_dir();
    let escape = "\u{1b}[";
    let log = |on_terminal: bool, no_color: bool, flag: &[&str]| -> String {
        let args = [&["check", "--check", "CacheBackend"][..], flag].concat();
        let mut command = if on_terminal {
            let mut script = Command::new("script");
            script
                .args(["--quiet", "--return", "--command"])
                .arg(format!("{BIN} {}", args.join(" ")))
                .arg("/dev/null")
                .current_dir(dir.path())
                .stdin(Stdio::null());
            script
        } else {
            let mut command = healthz(dir.path());
            command.args(&args);
            command
        };
        command.env("RUST_LOG", "healthz=info");
        if no_color {
            command.env("NO_COLOR", "1");
        } else {
            command.env_remove("NO_COLOR");
        }
        let run = Ran::of(command);
        assert_eq!(run.code, Some(0), "{run:?}");
        // Through the terminal, stdout and stderr are one.
        let log = if on_terminal { run.stdout } else { run.stderr };
        assert!(log.contains("check is working"), "{log:?}");
        log
    };
    assert!(log(true, false, &[]).contains(escape), "a terminal");
    assert!(!log(true, true, &[]).contains(escape), "NO_COLOR");
    assert!(
        log(true, true, &["--color", "always"]).contains(escape),
        "--color always"
    );
    assert!(
        !log(true, false, &["--color", "never"]).contains(escape),
        "--color never"
    );
    assert!(!log(false, false, &[]).contains(escape), "a pipe");
    assert!(
        log(false, false, &["--color", "always"]).contains(escape),
        "a pipe, always"
    );
}

/// A forward proxy on loopback that answers every request itself with `200 ok` and
/// records its request line, for names that resolve nowhere: a check that works went
/// through it.
fn answering_proxy() -> (std::net::SocketAddr, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead as _, BufReader, Write as _};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = seen.send(line.trim_end().to_owned());
            // The rest of the head, up to its blank line.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let _ = (&stream)
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (addr, lines)
}

#[test]
fn http_checks_go_through_the_environments_proxy_except_for_no_proxy() {
    let (proxy, lines) = answering_proxy();
    let dir = temp_dir();
    write(
        dir.path(),
        "health.toml",
        "[[check]]\nkind = \"http\"\nurl = \"http://status.invalid/health\"\n",
    );
    let run = |vars: &[(&str, String)]| {
        let mut command = healthz(dir.path());
        command.args(["check", "--config", "health.toml"]);
        for (name, value) in vars {
            command.env(name, value);
        }
        Ran::of(command)
    };

    for var in ["HTTP_PROXY", "http_proxy"] {
        let through = run(&[(var, format!("http://{proxy}"))]);
        assert_eq!(through.code, Some(0), "{var}: {through:?}");
        assert_eq!(through.stdout, "HttpEndpoint: working\n");
        assert_eq!(
            lines.try_recv().as_deref(),
            Ok("GET http://status.invalid/health HTTP/1.1")
        );
    }

    // `NO_PROXY` sends it straight to a name that resolves nowhere; an `https` proxy
    // variable does not apply to an `http` URL.
    for vars in [
        vec![
            ("HTTP_PROXY", format!("http://{proxy}")),
            ("NO_PROXY", "localhost,.invalid".to_owned()),
        ],
        vec![("HTTPS_PROXY", format!("http://{proxy}"))],
    ] {
        let direct = run(&vars);
        assert_eq!(direct.code, Some(1), "{vars:?}: {direct:?}");
        assert!(
            direct.stdout.starts_with(
                "HttpEndpoint: unavailable: cannot reach http://status.invalid/health: "
            ),
            "{direct:?}"
        );
        assert!(lines.try_recv().is_err(), "{vars:?}: the proxy was used");
    }

    // The `proxy` key wins over the environment, and `none` turns it off.
    write(
        dir.path(),
        "health.toml",
        &format!(
            "[[check]]\nkind = \"http\"\nurl = \"http://status.invalid/health\"\nproxy = \"http://{proxy}\"\n"
        ),
    );
    let keyed = run(&[("HTTP_PROXY", "http://127.0.0.1:1".to_owned())]);
    assert_eq!(keyed.code, Some(0), "{keyed:?}");
    write(
        dir.path(),
        "health.toml",
        "[[check]]\nkind = \"http\"\nurl = \"http://status.invalid/health\"\nproxy = \"none\"\n",
    );
    let off = run(&[("HTTP_PROXY", format!("http://{proxy}"))]);
    assert_eq!(off.code, Some(1), "{off:?}");
    assert_eq!(
        lines.try_recv().as_deref(),
        Ok("GET http://status.invalid/health HTTP/1.1")
    );
    assert!(
        lines.try_recv().is_err(),
        "`proxy = \"none\"` used the proxy"
    );
}
