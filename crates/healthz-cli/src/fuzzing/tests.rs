//! The config target's properties under proptest: what `scripts/fuzz.sh` runs where
//! nightly Rust (and so `cargo fuzz`) is missing, and what every test run checks. The
//! configs are the reference file and the examples, cut and spliced at random, and
//! small documents built from the real keys with odd values.
//!
//! Below them, one plain test per defect the fuzzers found: each failed before its fix.

use proptest::prelude::*;

use super::{EMPTY_VAR, SECRET_VAR};
use crate::config::REFERENCE;

/// The files a user starts from: whatever breaks in them is what users will break.
fn starters() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(REFERENCE),
        Just(crate::config::DEFAULT),
        Just(include_str!("../../examples/minimal.toml")),
        Just(include_str!("../../examples/web-app.toml")),
        Just(include_str!("../../examples/workers.toml")),
    ]
}

/// A string value: plain, interpolated, durations, URLs, control characters.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("\"${{{SECRET_VAR}}}\"")),
        Just(format!("\"postgres://app:${{{SECRET_VAR}}}@db/app\"")),
        Just(format!("\"${{{EMPTY_VAR}:-fallback}}\"")),
        Just("\"${UNSET}\"".to_owned()),
        Just("\"$${literal}\"".to_owned()),
        Just("\"${\"".to_owned()),
        Just("\"${1x}\"".to_owned()),
        "\"[0-9]{1,20}(ms|s|m|h|d)\"",
        "[0-9]{1,20}",
        "-?[0-9]{1,3}\\.[0-9]",
        "(true|false)",
        "\"(redis|postgres|mysql|amqp|https?|nats|mqtt|s3)://[a-z:@/?=.%]{0,20}\"",
        "\"[ -~]{0,16}\"",
        "\"\\\\u00(0[0-9a-f]|1[0-9a-f]|7f)x\"",
        "\\[(\"[a-z]{0,4}\", ?){0,3}\\]",
        "\\{ ?[a-z-]{1,6} = [0-9]{1,3} ?\\}",
    ]
}

/// A key of the config, or one that is nearly.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "(kind|name|url|addr|path|timeout|critical|tags|interval|alias|host|bucket|endpoint)",
        "(failure-threshold|cache-ttl|serve-stale|min-workers|queues|tls|tls-ca|max-age)",
        "(bind|tokens|unauthorized|drain|probes|history|warnings-as-errors|failure-status)",
        "[a-z-]{1,10}",
    ]
}

/// A small config document: a `[server]` table, checks and notification targets.
fn document() -> impl Strategy<Value = String> {
    let kind = "\"(sqlite|postgres|mysql|filesystem|s3|memory-cache|redis|memcached|tcp|dns|http|remote|disk|memory|celery|rabbitmq|nats|mqtt|tls-certificate|[a-z-]{1,8})\"";
    let pairs = prop::collection::vec((key(), value()), 0..5);
    let table = prop_oneof![
        Just("[server]".to_owned()),
        Just("[[check]]".to_owned()),
        Just("[[notify]]".to_owned()),
        "\\[[a-z.]{1,8}\\]",
    ];
    let section = (table, prop::option::of(kind), pairs).prop_map(|(table, kind, pairs)| {
        let mut text = format!("{table}\n");
        if let Some(kind) = kind {
            text.push_str(&format!("kind = {kind}\n"));
        }
        for (key, value) in pairs {
            text.push_str(&format!("{key} = {value}\n"));
        }
        text
    });
    prop::collection::vec(section, 0..5).prop_map(|sections| sections.concat())
}

/// `text` cut at `at` (a fraction of its length), with `insert` spliced in there.
fn splice(text: &str, at: f64, cut: usize, insert: &str) -> String {
    let mut start = (text.len() as f64 * at) as usize;
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + cut).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{insert}{}", &text[..start], &text[end..])
}

proptest! {
    #[test]
    fn spliced_starter_configs_load_or_say_where(
        starter in starters(),
        at in 0.0..1.0_f64,
        cut in prop_oneof![Just(0_usize), 0_usize..40, 0_usize..2000],
        insert in prop_oneof![
            Just(String::new()),
            "[ -~\\n]{0,12}",
            (key(), value()).prop_map(|(key, value)| format!("\n{key} = {value}\n")),
            any::<String>(),
        ],
    ) {
        super::config(&splice(starter, at, cut, &insert));
    }

    #[test]
    fn generated_configs_load_or_say_where(text in document()) {
        super::config(&text);
    }

    #[test]
    fn any_text_loads_or_says_where(text in any::<String>()) {
        super::config(&text);
    }
}

#[test]
fn the_starter_configs_load() {
    for text in [REFERENCE, crate::config::DEFAULT] {
        super::config(text);
    }
}
