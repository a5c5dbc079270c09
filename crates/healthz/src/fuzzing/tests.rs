//! The fuzz targets' properties under proptest: what `scripts/fuzz.sh` runs where
//! nightly Rust (and so `cargo fuzz`) is missing, and what every test run checks. The
//! inputs are shaped like the real ones (media ranges, query pairs, URLs, JSON
//! reports, protocol lines), with arbitrary text mixed in.
//!
//! Below them, one plain test per defect the fuzzers found: each failed before its fix.

use proptest::prelude::*;

/// Any text, control and bidi characters included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[ -~\\t\\r\\n\u{1b}\u{202e}\u{85}é]{0,40}"]
}

/// One `Accept` item: a media range (or something like one) with parameters.
fn media_range() -> impl Strategy<Value = String> {
    let media_type = prop_oneof![
        Just("text/html".to_owned()),
        Just("application/json".to_owned()),
        Just("application/health+json".to_owned()),
        Just("text/plain".to_owned()),
        Just("application/openmetrics-text".to_owned()),
        Just("application/xhtml+xml".to_owned()),
        Just("*/*".to_owned()),
        Just("text/*".to_owned()),
        Just("application/*".to_owned()),
        Just("*/json".to_owned()),
        "[a-zA-Z*]{0,6}/[a-zA-Z+*.-]{0,8}",
    ];
    let parameter = prop_oneof![
        "q=[01](\\.[0-9]{0,4})?",
        Just("version=0.0.4".to_owned()),
        Just("version=1.0.0".to_owned()),
        Just("version=\"0.0.4\"".to_owned()),
        Just("charset=utf-8".to_owned()),
        "[a-zA-Z]{0,3}=?[ -~]{0,4}",
    ];
    (media_type, prop::collection::vec(parameter, 0..3)).prop_map(|(media_type, parameters)| {
        std::iter::once(media_type)
            .chain(parameters)
            .collect::<Vec<_>>()
            .join(";")
    })
}

/// A `?format=` value: a known one in any case, or anything.
fn format_param() -> impl Strategy<Value = String> {
    prop_oneof![
        "(html|json|health json|health\\+json|text|openmetrics|prometheus)",
        "(HTML|Json|HEALTH\\+JSON|Text)",
        text(),
    ]
}

/// A query string: `key=value` pairs of the endpoint's keys and others, encoded or not.
fn query_string() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("check".to_owned()),
        Just("exclude".to_owned()),
        Just("format".to_owned()),
        Just("verbose".to_owned()),
        Just("refresh".to_owned()),
        "[a-z%+&=]{0,6}",
    ];
    let value = prop_oneof!["[a-zA-Z0-9 %+&=#/:._-]{0,12}", text()];
    prop::collection::vec((key, value), 0..6).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// A sub-path under the endpoint's path.
fn sub_path() -> impl Strategy<Value = String> {
    prop_oneof![
        "/{0,2}(live|ready|startup|db|[a-z%.]{0,6})/{0,2}",
        "(/[a-z.%]{0,4}){0,3}/?",
        text(),
    ]
}

/// Text for a part of a URL, delimiters and `%` included.
fn url_part() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z0-9]{0,8}", "[a-zA-Z0-9:@/?#%&=;*. -]{0,12}", text()]
}

proptest! {
    #[test]
    fn negotiation_answers_a_format_the_request_names(
        format in prop::option::of(format_param()),
        ranges in prop::option::of(prop::collection::vec(media_range(), 0..5)),
        raw in prop::option::of(text()),
    ) {
        let accept = ranges.map(|ranges| ranges.join(", ")).or(raw);
        super::negotiate(format.as_deref(), accept.as_deref());
        super::negotiate(None, accept.as_deref());
    }

    #[test]
    fn selections_never_leak_to_status_only_clients(
        sub_path in sub_path(),
        query in prop_oneof![query_string(), text()],
    ) {
        super::query(&sub_path, &query);
    }

    #[test]
    fn redaction_is_stable(url in prop_oneof![url_part(), "[a-z]{1,5}://[ -~]{0,30}"]) {
        super::redact_url(&url);
    }

    #[test]
    fn redaction_leaves_no_password(
        scheme in "(postgres|redis|https?|amqp|[a-z]{1,6})",
        user in url_part(),
        password in url_part(),
        host in "[a-z.]{1,10}(:[0-9]{1,5})?",
        tail in prop_oneof!["(/[a-z0-9@:]{0,6}){0,2}(\\?[a-z=&@]{0,10})?", url_part()],
    ) {
        super::redact_password(&scheme, &user, &password, &host, &tail);
    }
}

/// Found by `cargo fuzz`: the password `://*` is what the scheme's `://` and the mask
/// of an ambiguous user part (`scheme://***@host`) spell, not a leak.
#[test]
fn a_password_the_mask_spells_is_no_leak() {
    super::redact_password("redis", "r", "://*", "cache", "/0");
    super::redact_password("idl", "u", "idl://***@cache", "cache", "");
}

#[cfg(feature = "remote")]
mod remote {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::text;

    /// A status as the draft or the seed writes it, or anything.
    fn status() -> impl Strategy<Value = Value> {
        prop_oneof![
            "(pass|ok|up|warn|fail|error|down|PASS|Fail|working|unavailable)".prop_map(Value::from),
            text().prop_map(Value::from),
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
        ]
    }

    /// One component of a health+json check.
    fn component() -> impl Strategy<Value = Value> {
        (status(), prop::option::of(text()))
            .prop_map(|(status, output)| json!({ "status": status, "output": output }))
    }

    /// A health+json report or a seed's flat object, with odd names and outputs.
    fn report() -> impl Strategy<Value = Value> {
        let checks = prop::collection::btree_map(
            text(),
            prop_oneof![
                prop::collection::vec(component(), 0..3).prop_map(Value::from),
                component(),
            ],
            0..4,
        );
        let health_json = (status(), checks)
            .prop_map(|(status, checks)| json!({ "status": status, "checks": checks }));
        let seed =
            prop::collection::btree_map(text(), status(), 0..4).prop_map(|checks| json!(checks));
        prop_oneof![health_json, seed]
    }

    proptest! {
        #[test]
        fn remote_verdicts_follow_the_report(
            status in prop_oneof![Just(200_u16), Just(503), Just(500), Just(301), 100_u16..1000],
            media_type in prop::option::of(prop_oneof![
                Just("application/health+json".to_owned()),
                Just("application/json".to_owned()),
                "[a-z/+]{0,20}",
            ]),
            body in prop_oneof![
                report().prop_map(|report| report.to_string().into_bytes()),
                any::<Vec<u8>>(),
            ],
        ) {
            crate::fuzzing::remote(status, media_type.as_deref(), &body);
        }
    }
}

#[cfg(feature = "celery")]
mod celery {
    use proptest::prelude::*;

    use super::text;

    proptest! {
        #[test]
        fn celery_passes_on_enough_distinct_workers(
            workers in prop::collection::vec("(w[1-3]@host|[a-z@.]{0,6})", 0..6),
            min_workers in 0_usize..5,
        ) {
            crate::fuzzing::celery_workers(&workers, min_workers);
        }

        #[test]
        fn celery_reads_any_reply(
            replies in prop::collection::vec(
                prop_oneof![
                    any::<Vec<u8>>(),
                    text().prop_map(String::into_bytes),
                    "\\{\"body\": \"[a-zA-Z0-9+/=]{0,16}\", \"properties\": \\{\"body_encoding\": \"base64\"\\}\\}"
                        .prop_map(String::into_bytes),
                    "\\{\"body\": \"[ -~]{0,16}\", \"content-type\": \"[a-z/]{0,16}\"\\}"
                        .prop_map(String::into_bytes),
                ],
                0..4,
            ),
            min_workers in 0_usize..3,
            queues in prop::collection::vec("[a-z]{1,3}", 0..2),
        ) {
            let raw: Vec<&[u8]> = replies.iter().map(Vec::as_slice).collect();
            crate::fuzzing::celery_replies(&raw, min_workers, &queues);
        }
    }
}

#[cfg(feature = "memcached")]
mod memcached {
    use proptest::prelude::*;

    use crate::fuzzing::{MEMCACHED_KEY, MEMCACHED_VALUE};

    /// One line a memcached server might send, right or wrong.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("STORED\r\n".to_owned()),
            Just("NOT_STORED\r\n".to_owned()),
            Just(format!(
                "VALUE {MEMCACHED_KEY} 0 32\r\n{MEMCACHED_VALUE}\r\n"
            )),
            "VALUE [a-z:0-9]{0,8} [0-9]{1,3} [0-9]{1,12}\r\n".prop_map(String::from),
            Just("END\r\n".to_owned()),
            Just("DELETED\r\n".to_owned()),
            "(SERVER_ERROR|CLIENT_ERROR|ERROR)[ -~\u{1b}\u{202e}]{0,20}\r\n",
            "[ -~\u{1b}]{0,20}(\r\n|\n|\r)?",
        ]
    }

    proptest! {
        #[test]
        fn memcached_passes_only_on_its_own_value(
            lines in prop::collection::vec(line(), 0..7),
            raw in any::<Vec<u8>>(),
        ) {
            crate::fuzzing::memcached(lines.concat().as_bytes());
            crate::fuzzing::memcached(&raw);
        }
    }

    #[test]
    fn the_right_replies_pass() {
        let replies = format!(
            "STORED\r\nVALUE {MEMCACHED_KEY} 0 32\r\n{MEMCACHED_VALUE}\r\nEND\r\nDELETED\r\n"
        );
        crate::fuzzing::memcached(replies.as_bytes());
        let verdict = super::super::run_ready(crate::checks::memcached::probe_over(
            tokio::io::join(replies.as_bytes(), tokio::io::sink()),
            MEMCACHED_KEY,
            MEMCACHED_VALUE,
        ));
        assert!(verdict.is_ok(), "{verdict:?}");
    }

    /// Found by cargo fuzz in CI: a length written `032` and flags that are not a
    /// number passed as if memcached had answered `0 32`.
    #[test]
    fn numbers_memcached_never_writes_fail() {
        for (flags, len) in [
            ("0uu", "32"),
            ("0", "032"),
            ("0", "+32"),
            ("-0", "32"),
            ("0", "32 7"),
        ] {
            let replies = format!(
                "STORED\r\nVALUE {MEMCACHED_KEY} {flags} {len}\r\n{MEMCACHED_VALUE}\r\nEND\r\nDELETED\r\n"
            );
            crate::fuzzing::memcached(replies.as_bytes());
            let verdict = super::super::run_ready(crate::checks::memcached::probe_over(
                tokio::io::join(replies.as_bytes(), tokio::io::sink()),
                MEMCACHED_KEY,
                MEMCACHED_VALUE,
            ));
            assert!(
                verdict.is_err(),
                "passed with flags {flags:?} and length {len:?}"
            );
        }
    }
}
