//! Keeps secrets out of messages, logs and `Debug` output: [`redact_url`] masks the
//! password of a connection URL, the token of an `https://TOKEN@host` URL and the
//! values of secret-looking query parameters.
//!
//! Every bundled check that takes a URL shows it only redacted, and passes the error
//! text of its client library through the same redaction (plus the literal password it
//! knows), because client errors sometimes quote the URL they were given.

use std::fmt;

/// What a masked secret is replaced with.
pub(crate) const MASK: &str = "***";

/// Query parameters whose value is masked: any name containing one of these, ending in
/// `key` (`access_key`, `sas_key`, `X-Api-Key`), or equal to one of
/// [`SECRET_PARAMS_EXACT`]. Matched case-insensitively.
///
/// `signature` and `credential` cover presigned URLs (`X-Amz-Signature`,
/// `X-Amz-Credential`, `X-Amz-Security-Token` through `token`).
const SECRET_PARAMS_CONTAINING: [&str; 6] = [
    "password",
    "passwd",
    "secret",
    "token",
    "signature",
    "credential",
];

/// Short parameter names masked only when they match whole: as parts of longer names
/// they are too common (`passive`, `author`, `design`).
const SECRET_PARAMS_EXACT: [&str; 4] = ["pass", "pwd", "sig", "auth"];

/// Returns the URL with its password, and the values of secret-looking query parameters
/// (`password=`, `secret=`, `token=`, `sig=`, `X-Amz-Signature=`, `access_key=`…),
/// replaced by `***`. In an `http` or `https` URL a user name without a password is a
/// token (`https://ghp_…@github.com/…`), and is masked too.
///
/// ```
/// use healthz::redact::redact_url;
///
/// assert_eq!(
///     redact_url("postgres://app:s3cr3t@db.internal:5432/orders?sslmode=require"),
///     "postgres://app:***@db.internal:5432/orders?sslmode=require",
/// );
/// assert_eq!(redact_url("redis://:hunter2@cache/0"), "redis://:***@cache/0");
/// assert_eq!(
///     redact_url("https://storage.example/bucket?token=abc&region=eu"),
///     "https://storage.example/bucket?token=***&region=eu",
/// );
/// assert_eq!(redact_url("https://ghp_T0KEN@github.com/o/r.git"), "https://***@github.com/o/r.git");
/// // A user name without a password hides nothing, except in http(s) as above.
/// assert_eq!(redact_url("mysql://root@127.0.0.1/test"), "mysql://root@127.0.0.1/test");
/// ```
///
/// It never fails: a string it cannot make sense of (a password with an unencoded `/`,
/// `?` or `#`) has everything between `://` and the last `@` masked, and a string
/// without `://` but with `user:password@` has that password masked.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        // No scheme: still mask a `user:password@` prefix, up to the last `@` before
        // the path (a password may hold an unencoded `@`), or else the last `@` at all
        // (a password may hold an unencoded `/`).
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        return match url[..authority_end].rfind('@').or_else(|| url.rfind('@')) {
            Some(at) if !url[..at].contains(char::is_whitespace) => {
                format!(
                    "{}{}",
                    mask_userinfo(&url[..at], false),
                    redact_tail(&url[at..])
                )
            }
            _ => url.to_owned(),
        };
    };
    let (prefix, rest) = url.split_at(scheme_end);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if let Some(at) = authority.rfind('@') {
        // The usual case: the userinfo is everything before the last `@` of the
        // authority (a password may itself hold an unencoded `@`).
        return format!(
            "{prefix}{}{}",
            mask_userinfo(&authority[..at], is_http(prefix)),
            redact_tail(&rest[at..])
        );
    }
    // No `@` in the authority, but one further on, and the authority is not
    // `host:port`: most likely a password holding an unencoded `/`, `?` or `#`. The URL
    // is unparsable, so mask everything up to the last `@`. A host and a port are both
    // there in `host:port`: `:123` and `user:` are the start of a userinfo (as in
    // `redis://:123/4@cache`). Only `user:123/4@host` cannot be told from
    // `host:123/path@x`, a valid URL, and is kept as it is. A host holds no `:` unless
    // it is a bracketed IPv6 address: `user::1` is a user and a password, and so is
    // `[user:]`.
    let port_like = authority.rsplit_once(':').is_none_or(|(host, port)| {
        let host_like = !host.is_empty() && (!host.contains(':') || is_ipv6_literal(host));
        host_like && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
    });
    match rest.rfind('@') {
        Some(at) if !port_like => format!("{prefix}{MASK}{}", redact_tail(&rest[at..])),
        _ => format!("{prefix}{}", redact_tail(rest)),
    }
}

/// Whether `host` is `[an IPv6 address]` (URLs take no zone).
fn is_ipv6_literal(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
        .is_some_and(|address| address.parse::<std::net::Ipv6Addr>().is_ok())
}

/// `user:password` → `user:***`; a userinfo without a password is kept, unless it is
/// a `token` (`http` and `https` URLs carry tokens as the user name).
fn mask_userinfo(userinfo: &str, token: bool) -> String {
    match userinfo.split_once(':') {
        Some((user, password)) if !password.is_empty() => format!("{user}:{MASK}"),
        None if token && !userinfo.is_empty() => MASK.to_owned(),
        _ => userinfo.to_owned(),
    }
}

/// Whether `scheme://` is `http://` or `https://`, in any case.
fn is_http(prefix: &str) -> bool {
    let scheme = prefix.strip_suffix("://").unwrap_or(prefix);
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

/// Redacts the query of what follows the authority: `@host/path?query#fragment`.
fn redact_tail(tail: &str) -> String {
    let (head, fragment) = match tail.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (tail, None),
    };
    let mut out = match head.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redact_query(query)),
        None => head.to_owned(),
    };
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Masks the values of secret-looking parameters in `a=1&password=2;token=3`.
fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    loop {
        let end = rest.find(['&', ';']).unwrap_or(rest.len());
        let (pair, tail) = rest.split_at(end);
        match pair.split_once('=') {
            Some((name, value)) if is_secret_param(name) && !value.is_empty() => {
                out.push_str(name);
                out.push('=');
                out.push_str(MASK);
            }
            _ => out.push_str(pair),
        }
        let mut chars = tail.chars();
        match chars.next() {
            Some(separator) => {
                out.push(separator);
                rest = chars.as_str();
            }
            None => return out,
        }
    }
}

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS_CONTAINING
        .iter()
        .any(|secret| name.contains(secret))
        || name.ends_with("key")
        || SECRET_PARAMS_EXACT.contains(&name.as_str())
}

/// Redacts free text (an error message of a client library): every URL in it goes
/// through [`redact_url`], and every known secret is replaced by `***`, as written and
/// percent-decoded.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor that knows the password of `url` (or the token of an `http(s)` URL),
    /// if it has one.
    pub(crate) fn for_url(url: &str) -> Self {
        let mut redactor = Self::default();
        if let Some(password) = url_password(url) {
            redactor.add_secret(password);
        }
        redactor
    }

    /// Also replaces `secret` (and its percent-decoded form) wherever it appears.
    pub(crate) fn add_secret(&mut self, secret: &str) {
        for form in [secret.to_owned(), percent_decode(secret)] {
            if !form.is_empty() && !self.secrets.contains(&form) {
                self.secrets.push(form);
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// The text with URLs redacted and known secrets masked.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = redact_urls_in_text(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }
}

/// The password of `scheme://user:password@host…`, or the token of
/// `http(s)://token@host…`, as written (percent-encoded), found the way [`redact_url`]
/// finds it.
fn url_password(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let userinfo = match authority.rfind('@') {
        Some(at) => &authority[..at],
        // A password holding an unencoded `/`, `?` or `#`.
        None => &rest[..rest.rfind('@')?],
    };
    let password = match userinfo.split_once(':') {
        Some((_, password)) => password,
        None if is_http(&url[..scheme_end]) => userinfo,
        None => return None,
    };
    (!password.is_empty()).then_some(password)
}

/// Redacts each `scheme://…` token in free text.
fn redact_urls_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        // The scheme starts after the last character that cannot be in one, which may
        // be wider than a byte.
        let start = rest[..found]
            .char_indices()
            .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = rest[found..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>'))
            .map_or(rest.len(), |i| found + i);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Decodes `%XX` escapes; anything malformed is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_url_is_masked() {
        let cases = [
            (
                "postgres://user:pass@host/db",
                "postgres://user:***@host/db",
            ),
            (
                "postgres://user:p%40ss@host:5432/db?sslmode=disable",
                "postgres://user:***@host:5432/db?sslmode=disable",
            ),
            (
                "redis://:pw@127.0.0.1:6379/0",
                "redis://:***@127.0.0.1:6379/0",
            ),
            // An unencoded `@` in the password: the last `@` ends the userinfo.
            ("mysql://root:a@b@host/test", "mysql://root:***@host/test"),
            (
                "https://user:p@ss@host/a@b?c",
                "https://user:***@host/a@b?c",
            ),
            ("amqp://guest:guest@localhost", "amqp://guest:***@localhost"),
        ];
        for (url, redacted) in cases {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "redis://127.0.0.1:6379",
            "memcache://127.0.0.1:11211",
            "postgres://user:@host/db",
            "https://example.com/a/b?c=d#e",
            "127.0.0.1:11211",
            "not a url at all",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn secret_query_parameters_are_masked() {
        assert_eq!(
            redact_url("postgres://h/db?user=a&password=b&sslmode=require"),
            "postgres://h/db?user=a&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("s3://bucket?region=eu;secret=x;Token=y#frag"),
            "s3://bucket?region=eu;secret=***;Token=***#frag"
        );
        assert_eq!(
            redact_url("https://h/?pass=1&pwd=2&api_key=3&client_secret=4&passive=5"),
            "https://h/?pass=***&pwd=***&api_key=***&client_secret=***&passive=5"
        );
        assert_eq!(redact_url("https://h/?token="), "https://h/?token=");
    }

    #[test]
    fn signatures_credentials_and_names_ending_in_a_secret_word_are_masked() {
        for name in [
            "sig",
            "signature",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Security-Token",
            "access_key",
            "AccessKey",
            "x-api-key",
            "auth",
            "credential",
            "refresh_token",
            "clientSecret",
            "db_password",
        ] {
            assert_eq!(
                redact_url(&format!("https://h/p?a=1&{name}=v4lue&b=2")),
                format!("https://h/p?a=1&{name}=***&b=2"),
                "{name}"
            );
        }
        for name in [
            "author",
            "oauth_state",
            "signed",
            "keys",
            "region",
            "x-amz-date",
        ] {
            let url = format!("https://h/p?{name}=v");
            assert_eq!(redact_url(&url), url, "{name}");
        }
    }

    #[test]
    fn unparsable_urls_are_masked_up_to_the_at_sign() {
        // A password with an unencoded `/` ends the authority early.
        assert_eq!(
            redact_url("postgres://user:pa/ss@host/db"),
            "postgres://***@host/db"
        );
        assert_eq!(
            redact_url("mysql://root:pa?ss#x@host/test?a=b"),
            "mysql://***@host/test?a=b"
        );
        // `host:port` followed by an `@` in the path is a valid URL.
        assert_eq!(redact_url("http://h:80/a@b"), "http://h:80/a@b");
        // Found by the fuzz target `redact`: an empty user or password before the
        // delimiter is no `host:port`, and the password after it was left whole.
        assert_eq!(redact_url("postgres://:/A@a"), "postgres://***@a");
        assert_eq!(redact_url("redis://:123/45@cache/0"), "redis://***@cache/0");
        assert_eq!(redact_url("amqp://guest:?x#y@rabbit"), "amqp://***@rabbit");
        // Found by the fuzz target `redact`: a password starting with `:` made
        // `guest::1` look like a host and a port.
        assert_eq!(
            redact_url("amqp://guest::1/0#f@rabbit"),
            "amqp://***@rabbit"
        );
        assert_eq!(redact_url("http://[::1]:80/a@b"), "http://[::1]:80/a@b");
        // Found by cargo fuzz: brackets around something that is no IPv6 address are a
        // user and a password, not a host.
        assert_eq!(redact_url("aot://[&:]:428//72t@"), "aot://***@");
        // Without a scheme, `user:password@` still is masked.
        assert_eq!(redact_url("user:secret@host:5432"), "user:***@host:5432");
    }

    #[test]
    fn without_a_scheme_the_userinfo_ends_at_the_last_at_sign_before_the_path() {
        assert_eq!(redact_url("user:p@ss@host"), "user:***@host");
        assert_eq!(
            redact_url("user:p@ss@host:5432/db@x?password=y"),
            "user:***@host:5432/db@x?password=***"
        );
        // A password with an unencoded `/` still is masked whole.
        assert_eq!(redact_url("user:pa/ss@host"), "user:***@host");
        assert_eq!(redact_url("host/path@x"), "host/path@x");
    }

    #[test]
    fn a_user_name_alone_is_a_token_in_http_urls_only() {
        let cases = [
            ("https://ghp_TOKEN@github.com/x", "https://***@github.com/x"),
            ("HTTP://tok3n@h:8080/", "HTTP://***@h:8080/"),
            ("http://tok@en@h/", "http://***@h/"),
            // Other schemes name a user there, which is no secret.
            ("postgres://app@db/x", "postgres://app@db/x"),
            ("https://@h/", "https://@h/"),
        ];
        for (url, redacted) in cases {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
        let redactor = Redactor::for_url("https://ghp_TOKEN@github.com/x");
        assert_eq!(
            redactor.redact("auth failed for ghp_TOKEN"),
            "auth failed for ***"
        );
    }

    #[test]
    fn the_redactor_masks_urls_in_text_and_known_secrets() {
        let redactor = Redactor::for_url("postgres://app:s3cr3t%21@db/x");
        assert_eq!(
            redactor.redact("cannot connect to postgres://app:s3cr3t%21@db/x: refused"),
            "cannot connect to postgres://app:***@db/x: refused"
        );
        assert_eq!(
            redactor.redact("password \"s3cr3t!\" rejected, s3cr3t%21 too"),
            "password \"***\" rejected, *** too"
        );
        assert_eq!(
            format!("{redactor:?}"),
            "Redactor { secrets: 2 }",
            "Debug shows no secret"
        );
        let plain = Redactor::for_url("redis://127.0.0.1");
        assert_eq!(plain.redact("(redis://u:p@h) ok"), "(redis://u:***@h) ok");
    }

    /// Found by cargo fuzz (a Celery reply): a scheme after a character wider than a
    /// byte cut that character in two, and panicked.
    #[test]
    fn a_url_after_a_wide_character_is_redacted() {
        assert_eq!(
            redact_urls_in_text("é՜a://u:p@h/ and ✓redis://:pw@h"),
            "é՜a://u:***@h/ and ✓redis://:***@h"
        );
    }

    #[test]
    fn the_password_is_found_even_when_unparsable() {
        assert_eq!(url_password("postgres://u:p@h/db"), Some("p"));
        assert_eq!(url_password("postgres://u:p/q@h/db"), Some("p/q"));
        assert_eq!(url_password("postgres://u:p?q#r@h/db"), Some("p?q#r"));
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert_eq!(url_password("redis://:@h"), None);
        assert_eq!(url_password("https://tok@h/"), Some("tok"));
        assert_eq!(url_password("no scheme"), None);
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%40b%2"), "a@b%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
