//! [`Secret`]: a value that is never shown, so that whatever holds one can derive
//! `Debug` and log itself safely.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A value that must never be shown: a password, a token, or a client library's
/// options that hold one. Its `Debug` output is `***`; it has no `Display`, so it cannot
/// end up in a message by accident. [`expose`](Secret::expose) is the one way to the
/// value, and reads as such where it is used.
///
/// ```
/// use healthz::Secret;
///
/// #[derive(Debug)]
/// struct Upstream {
///     url: String,
///     token: Secret,
/// }
///
/// let upstream = Upstream { url: "https://api.internal".into(), token: Secret::from("t0ken") };
/// assert_eq!(format!("{upstream:?}"), r#"Upstream { url: "https://api.internal", token: *** }"#);
/// assert_eq!(upstream.token.expose(), "t0ken");
/// ```
///
/// It deserializes from whatever `T` does (a string for `Secret<String>`), so a config
/// struct can hold one too.
#[derive(Clone, Default)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    #[must_use]
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the one place that needs it (a connect call, a header).
    #[must_use]
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// The value, unwrapped.
    #[must_use]
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::from("hunter2");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret:#?}"), "***");
        assert_eq!(format!("{:?}", Secret::new(vec![1, 2, 3])), "***");
        assert_eq!(secret.expose(), "hunter2");
        assert_eq!(secret.into_inner(), "hunter2");
    }

    #[test]
    fn it_deserializes_like_its_value() {
        let secret: Secret = serde_json::from_str(r#""hunter2""#).unwrap();
        assert_eq!(secret.expose(), "hunter2");
    }
}
