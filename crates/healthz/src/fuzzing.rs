//! Entry points for the fuzz targets in `fuzz/` and the property tests below them: each
//! runs one parser that reads outside input and asserts what must hold of its answer,
//! panicking when it does not. The targets and the tests share these functions, so a
//! property is written once.
//!
//! Not part of the API: compiled only with the `fuzzing` feature (and in the crate's
//! own tests), hidden from the docs, and free to change in any release.

use std::sync::Arc;

#[cfg(feature = "remote")]
use http::StatusCode;

use crate::http::negotiate::{self, NotAcceptable};
use crate::http::query::{self, Query};
use crate::render::Format;
use crate::selection::{Selection, WELL_KNOWN_GROUPS};

/// Negotiates the format of a response from `?format=` and `Accept` (the endpoint's
/// 406 when neither names a known format) and checks the answer: `?format=` decides
/// alone, by its value; a format chosen from `Accept` is one the header names, by its
/// media type, an alias or a wildcard; a blank header means HTML.
///
/// # Panics
///
/// When the answer breaks one of these properties.
pub fn negotiate(format: Option<&str>, accept: Option<&str>) {
    let answer = negotiate::negotiate(format, accept);
    match (format, answer) {
        (Some(value), Ok(chosen)) => assert_eq!(Format::from_param(value), Some(chosen)),
        (Some(value), Err(NotAcceptable::UnknownFormat(named))) => {
            assert_eq!(named, value, "the 406 names another value");
            assert_eq!(Format::from_param(value), None);
        }
        (Some(_), Err(other)) => panic!("`?format=` answered {other:?}"),
        (None, Err(NotAcceptable::UnknownFormat(named))) => {
            panic!("no `?format=`, yet the 406 names `{named}`")
        }
        (None, answer) => {
            let header = accept.unwrap_or_default().to_ascii_lowercase();
            let blank = header.split(',').all(|item| item.trim().is_empty());
            match answer {
                Ok(chosen) if blank => assert_eq!(chosen, Format::Html),
                Ok(chosen) => {
                    let media_type = chosen.media_type();
                    let (kind, _) = media_type.split_once('/').unwrap_or_default();
                    let named = header.contains(media_type)
                        || header.contains(&format!("{kind}/*"))
                        || header.contains("*/*")
                        || chosen.aliases().iter().any(|alias| header.contains(alias));
                    assert!(named, "{chosen:?} chosen from an Accept that names it not");
                }
                Err(_) => assert!(!blank, "a blank Accept is HTML, not a 406"),
            }
        }
    }
}

/// Reads a request's sub-path and query into the selection of checks it asks for, as
/// the endpoint does, and checks it: a sub-path is a group of one segment or a 404; a
/// client without a token only ever gets every check or a well-known group, whatever
/// it asks; the filters the status page links to read back as the same selection.
///
/// # Panics
///
/// When the answer breaks one of these properties.
pub fn query(sub_path: &str, query_string: &str) {
    let parsed = Query::parse(query_string);
    let group = sub_path.trim_matches('/');
    match query::selection(sub_path, &parsed) {
        Ok(selection) => {
            assert!(!group.contains('/'), "`{sub_path}` selected a group");
            let expected = (!group.is_empty()).then_some(group);
            assert_eq!(selection.group_name(), expected);
        }
        Err(reason) => {
            assert!(group.contains('/'), "`{sub_path}` refused: {reason}");
            assert!(reason.contains(sub_path), "the 404 does not name the path");
        }
    }
    let status_only = query::status_only_selection(sub_path);
    let well_known = WELL_KNOWN_GROUPS
        .iter()
        .any(|&known| status_only == Selection::all().group(known));
    assert!(
        status_only == Selection::all() || well_known,
        "a status-only client selected {status_only:?}"
    );
    let view = parsed.page_view(Arc::default());
    let linked = Query::parse(&view.selection_query);
    assert_eq!(
        query::selection("/", &linked),
        query::selection("/", &parsed),
        "the status page links to another selection"
    );
}

/// Redacts any text as a URL and checks that redacting again changes nothing: what
/// was masked stays masked, and the mask itself is never taken for a secret's start.
///
/// # Panics
///
/// When the answer breaks this property.
pub fn redact_url(url: &str) {
    let redacted = crate::redact::redact_url(url);
    assert_eq!(
        crate::redact::redact_url(&redacted),
        redacted,
        "redacting twice changes {url:?}"
    );
}

/// Redacts the URL `scheme://user:password@host` followed by `tail` (a path, a query,
/// a fragment) and checks that the password is gone, however it is written: with an
/// unencoded `@`, `/`, `?`, `#` or `:` in it too. Parts that cannot be the part they
/// stand for are made so first (a scheme of letters, a user and a host without a
/// delimiter, a tail that starts with one); a password that the rest of the URL holds
/// anyway proves nothing, and is skipped. So is the one case the function documents
/// as ambiguous: a user name and a password that starts with digits and then a
/// delimiter (`user:123/4@host`), which reads as the valid `host:123/path@x`, and a
/// password with an `@` and then a delimiter (`user:@ss/w@host`, valid as it stands).
///
/// # Panics
///
/// When the password is still in the redacted URL.
pub fn redact_password(scheme: &str, user: &str, password: &str, host: &str, tail: &str) {
    let scheme: String = scheme
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .collect();
    let scheme = if scheme.is_empty() { "s" } else { &scheme };
    let delimiters = |c: char| matches!(c, ':' | '@' | '/' | '?' | '#');
    let user: String = user.chars().filter(|&c| !delimiters(c)).collect();
    let host: String = host.chars().filter(|&c| !delimiters(c)).collect();
    let tail = match tail.chars().next() {
        None | Some('/' | '?' | '#') => tail.to_owned(),
        Some(_) => format!("/{tail}"),
    };
    // The whole URL but the password, with the mask in its place (or in the whole user
    // part's, as an ambiguous one is masked) and without: a password that shows up in
    // any of them comes from the other parts.
    let masked = format!("{scheme}://{user}:***@{host}{tail}");
    let masked_user = format!("{scheme}://***@{host}{tail}");
    let elsewhere = format!("{scheme}://{user}:\u{0}@{host}{tail}");
    // A password holding the mask itself (`idl://***@host`) can spell the redacted URL
    // whatever is masked.
    if password.is_empty()
        || password.contains(crate::redact::MASK)
        || [masked, masked_user, elsewhere]
            .iter()
            .any(|url| url.contains(password))
    {
        return;
    }
    let before_delimiter = password.split(['/', '?', '#']).next().unwrap_or_default();
    let port_like = !before_delimiter.is_empty()
        && before_delimiter.len() < password.len()
        && before_delimiter.bytes().all(|b| b.is_ascii_digit());
    if !user.is_empty() && port_like {
        return;
    }
    // Nor `[1::1]:42/x@host`, with the user `[1` and the password `:1]:42/x`: the URL
    // before the `@` is a valid one, with the host `[1::1]` and the port 42.
    let authority = format!("{user}:{before_delimiter}");
    if before_delimiter.len() < password.len()
        && authority.parse::<std::net::SocketAddrV6>().is_ok()
    {
        return;
    }
    // Nor can an `@` followed by a delimiter in the password (`user:@ss/w?x@host`): the
    // URL before the second `@` is a valid one, with the host `ss`.
    if password
        .split_once('@')
        .is_some_and(|(_, after)| after.contains(['/', '?', '#']))
    {
        return;
    }
    let url = format!("{scheme}://{user}:{password}@{host}{tail}");
    let redacted = crate::redact::redact_url(&url);
    assert!(
        !redacted.contains(password),
        "the password {password:?} is left in {redacted:?}, from {url:?}"
    );
}

/// The server the remote check asks, as its messages name it.
#[cfg(feature = "remote")]
const REMOTE: &str = "http://service.test/ht/";

/// Judges a remote health endpoint's answer (`status`, the essence of its
/// `Content-Type`, `body`) as the remote check does, and checks the verdict: only a
/// 2xx answer in one of the two formats passes, a health+json report whose own status
/// fails never does, and every message comes out clean at the report's boundary.
///
/// # Panics
///
/// When the verdict breaks one of these properties.
#[cfg(feature = "remote")]
pub fn remote(status: u16, media_type: Option<&str>, body: &[u8]) {
    let Ok(status) = StatusCode::from_u16(status) else {
        return;
    };
    let verdict = crate::checks::remote::judge(status, media_type, body, REMOTE);
    match &verdict {
        Ok(()) => {
            assert!(status.is_success(), "a {status} answer passed");
            assert!(
                matches!(
                    media_type,
                    Some("application/json" | "application/health+json")
                ),
                "a {media_type:?} answer passed"
            );
            if media_type == Some("application/health+json") {
                let overall = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|report| Some(report.get("status")?.as_str()?.to_lowercase()));
                assert!(
                    !matches!(overall.as_deref(), Some("fail" | "error" | "down")),
                    "a report that fails passed"
                );
            }
        }
        Err(error) => assert_clean_message(error),
    }
}

/// The Celery worker replies a check waiting for `min_workers` workers and `queues`
/// reads, each a message as kombu's Redis transport stores it: judges them and checks
/// that the check passes only on replies it could read.
///
/// # Panics
///
/// When the verdict breaks this property, or a message is not clean.
#[cfg(feature = "celery")]
pub fn celery_replies(replies: &[&[u8]], min_workers: usize, queues: &[String]) {
    let verdict = crate::checks::celery::judge_redis_replies(replies, min_workers, queues);
    match &verdict {
        Ok(()) if min_workers > 0 || !queues.is_empty() => assert!(
            replies
                .iter()
                .any(|raw| serde_json::from_slice::<serde_json::Value>(raw).is_ok()),
            "the check passed on replies none of which is JSON"
        ),
        Ok(()) => {}
        Err(error) => assert_clean_message(error),
    }
}

/// Replies from each of `workers` (node names, repeats allowed) to the check's `ping`,
/// well formed: the check passes exactly when at least `min_workers` distinct workers
/// replied.
///
/// # Panics
///
/// When the verdict says otherwise.
#[cfg(feature = "celery")]
pub fn celery_workers(workers: &[String], min_workers: usize) {
    use base64::Engine as _;

    let replies: Vec<Vec<u8>> = workers
        .iter()
        .map(|worker| {
            let body = serde_json::json!({ worker.as_str(): { "ok": "pong" } }).to_string();
            serde_json::json!({
                "body": base64::engine::general_purpose::STANDARD.encode(body),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": { "ticket": crate::checks::celery::FUZZ_TICKET },
                "properties": { "body_encoding": "base64" },
            })
            .to_string()
            .into_bytes()
        })
        .collect();
    let raw: Vec<&[u8]> = replies.iter().map(Vec::as_slice).collect();
    let verdict = crate::checks::celery::judge_redis_replies(&raw, min_workers, &[]);
    let distinct: std::collections::BTreeSet<&String> = workers.iter().collect();
    assert_eq!(
        verdict.is_ok(),
        distinct.len() >= min_workers,
        "{} distinct workers replied, {min_workers} wanted: {verdict:?}",
        distinct.len()
    );
}

/// The key and value of the memcached probe the targets answer.
#[cfg(feature = "memcached")]
const MEMCACHED_KEY: &str = "healthz:00000000000000000000000000000001";
#[cfg(feature = "memcached")]
const MEMCACHED_VALUE: &str = "0123456789abcdef0123456789abcdef";

/// Plays a memcached server that answers the check's probe with `replies`, and checks
/// the verdict: the probe passes only when the server stored, returned and deleted the
/// very key and value it sent, passes when it answered exactly that, reads no further
/// than the replies, and never waits on a server that has said everything.
///
/// # Panics
///
/// When the verdict breaks one of these properties, or a message is not clean.
#[cfg(feature = "memcached")]
pub fn memcached(replies: &[u8]) {
    let stream = tokio::io::join(replies, tokio::io::sink());
    let verdict = run_ready(crate::checks::memcached::probe_over(
        stream,
        MEMCACHED_KEY,
        MEMCACHED_VALUE,
    ));
    let stored = format!("STORED\r\nVALUE {MEMCACHED_KEY} ");
    let read_back = format!(
        " {}\r\n{MEMCACHED_VALUE}\r\nEND\r\nDELETED\r\n",
        MEMCACHED_VALUE.len()
    );
    match &verdict {
        Ok(()) => {
            let text = String::from_utf8_lossy(replies);
            assert!(
                text.starts_with(&stored) && text.contains(&read_back),
                "the probe passed on {text:?}"
            );
        }
        Err(error) => {
            let exact = format!("{stored}0{read_back}");
            assert!(
                !replies.starts_with(exact.as_bytes()),
                "the right replies failed: {error:?}"
            );
            assert_clean_message(error);
        }
    }
}

/// Runs a future that never waits (its I/O is in memory) to its end.
#[cfg(feature = "memcached")]
fn run_ready<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};

    let mut context = Context::from_waker(Waker::noop());
    match std::pin::pin!(future).poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited, with everything it reads at hand"),
    }
}

/// Checks a check's failure the way the report shows it: non-empty, and, once cleaned
/// at the report's boundary, without a control or bidi character and no longer than
/// the limit.
#[cfg(any(feature = "remote", feature = "celery", feature = "memcached"))]
fn assert_clean_message(error: &crate::CheckError) {
    use crate::sanitize;

    let message = error.public_message();
    assert!(!message.trim().is_empty(), "an empty message: {error:?}");
    let shown = sanitize::clean(message, sanitize::MAX_MESSAGE_CHARS);
    assert!(
        !shown
            .chars()
            .any(|c| c.is_control() || sanitize::is_bidi_control(c)),
        "{shown:?} is not clean"
    );
    assert!(shown.chars().count() <= sanitize::MAX_MESSAGE_CHARS + 1);
}

#[cfg(test)]
mod tests;
