//! Bearer-token authentication: which requests may see the full report.

use http::header::{self, HeaderMap};

/// The accepted bearer tokens; none means every request is authorized.
#[derive(Clone, Default)]
pub(crate) struct Tokens(std::sync::Arc<[Box<[u8]>]>);

impl Tokens {
    pub(crate) fn new(tokens: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self(
            tokens
                .into_iter()
                .map(|token| token.into().into_bytes().into_boxed_slice())
                .collect(),
        )
    }

    /// Whether no token is set, so that authentication is off.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many tokens are set (what `Debug` output may show of them).
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the request may see the full report: no tokens are set, or it carries
    /// one of them.
    pub(crate) fn authorize(&self, headers: &HeaderMap) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(presented) = bearer_token(headers) else {
            return false;
        };
        // Every token is compared, with no early exit on a match, so that the time
        // taken does not tell which one matched.
        self.0.iter().fold(false, |matched, token| {
            matched | constant_time_eq(token, presented)
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive);
/// `None` for no header, another scheme or an empty token.
fn bearer_token(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at(value.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"Bearer") {
        return None;
    }
    let token = token.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Whether two byte strings are equal, in a time that depends only on the length of
/// `presented`: every byte is compared, differences are accumulated rather than
/// returned early, and a length mismatch is folded in the same way, so that neither
/// where the first difference lies nor the length of `expected` shows in the timing.
fn constant_time_eq(expected: &[u8], presented: &[u8]) -> bool {
    let mut difference = u8::from(expected.len() != presented.len());
    for (index, &byte) in presented.iter().enumerate() {
        // Past the end of `expected`, compare against its bytes again (or zero) so that
        // the loop does the same work whatever the lengths.
        let other = match expected.len() {
            0 => 0,
            len => expected[index % len],
        };
        difference |= other ^ byte;
    }
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).unwrap(),
        );
        headers
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cret!"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
        assert!(!constant_time_eq(b"s3cret", b""));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(!constant_time_eq(b"ab", b"abab"));
    }

    #[test]
    fn the_bearer_token_is_read_from_the_header() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some(&b"abc"[..]));
        assert_eq!(bearer_token(&headers("bEARER  abc ")), Some(&b"abc"[..]));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&headers("Bearerabc")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
