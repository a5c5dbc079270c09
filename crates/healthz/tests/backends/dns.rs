//! `DnsLookup` through the system resolver: `localhost` resolves from `/etc/hosts`, and
//! a name that cannot be resolved fails quickly.
//!
//! The name looked up is `HEALTHZ_TEST_DNS_NAME` (default `localhost`), expected to
//! resolve to `HEALTHZ_TEST_DNS_ADDRESS` (default `127.0.0.1`).

use crate::backend;
use std::net::IpAddr;
use std::time::Duration;

use backend::run_one;
use healthz::checks::DnsLookup;

fn name() -> String {
    backend::env_or("HEALTHZ_TEST_DNS_NAME", "localhost")
}

fn address() -> IpAddr {
    backend::env_or("HEALTHZ_TEST_DNS_ADDRESS", "127.0.0.1")
        .parse()
        .expect("HEALTHZ_TEST_DNS_ADDRESS is an IP address")
}

#[tokio::test]
async fn a_known_name_resolves() {
    let (report, elapsed) = run_one(DnsLookup::new(name()), Duration::from_secs(5)).await;
    assert_eq!(report.checks[0].name, "DnsLookup");
    assert_eq!(report.checks[0].component_type, "system");
    assert_eq!(
        report.checks[0].outcome.text(),
        "working",
        "{} must resolve here (HEALTHZ_TEST_DNS_NAME)",
        name()
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");

    let check = DnsLookup::new(name()).expect_address(address());
    let (report, _) = run_one(check, Duration::from_secs(5)).await;
    assert_eq!(report.checks[0].outcome.text(), "working");
}

#[tokio::test]
async fn a_missing_expected_address_is_an_unexpected_result() {
    // 127.0.0.2 is a loopback address that `localhost` does not resolve to.
    let other: IpAddr = "127.0.0.2".parse().unwrap();
    let check = DnsLookup::new(name()).expect_address(other);
    let (report, _) = run_one(check, Duration::from_secs(5)).await;
    let text = report.checks[0].outcome.text();
    assert!(
        text.starts_with(&format!("unexpected result: {} resolves to ", name())),
        "{text}"
    );
    assert!(text.ends_with(", not to 127.0.0.2"), "{text}");
}

#[tokio::test]
async fn a_name_that_cannot_be_resolved_fails_fast() {
    // A label longer than 63 bytes cannot be put in a DNS query, so the resolver
    // library fails it on this machine: the test sends no traffic to a name server
    // (tests target loopback only). The 3 s timeout only bounds a hung resolver.
    let name = format!("{}.invalid", "a".repeat(64));
    let (report, elapsed) = run_one(DnsLookup::new(name.clone()), Duration::from_secs(3)).await;
    let text = report.checks[0].outcome.text();
    assert!(
        text.starts_with(&format!("unavailable: cannot resolve {name}: ")),
        "{text}"
    );
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}
