//! How a check is registered: the [`CheckOptions`] a user gives, and the validated
//! [`Registration`] the registry keeps. Descriptions only: what runs, and the state it
//! leaves, belong to the runner.

use std::sync::Arc;
use std::time::Duration;

use crate::check::DynHealthCheck;

/// How a check is registered: its name, timeout, criticality and tags.
#[derive(Debug, Clone)]
#[must_use]
pub struct CheckOptions {
    name: Option<String>,
    timeout: Option<Duration>,
    critical: bool,
    tags: Vec<String>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl CheckOptions {
    /// Critical, untagged, named by the check's `identifier()`, with the registry's
    /// default timeout.
    pub fn new() -> Self {
        Self {
            name: None,
            timeout: None,
            critical: true,
            tags: Vec::new(),
        }
    }

    /// The unique name on the endpoint, instead of the check's `identifier()`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How long the check may take before the runner stops it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether a failure makes the report unhealthy (`true`, the default) or only
    /// degraded.
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Adds the check to a group, served as a sub-path (`/ht/ready/`).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Adds the check to several groups.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }
}

impl CheckOptions {
    /// The name, timeout (the registry's default unless set), criticality and tags of
    /// `check`, not yet validated.
    pub(crate) fn into_registration(
        self,
        check: Arc<dyn DynHealthCheck>,
        default_timeout: Duration,
    ) -> Registration {
        Registration {
            name: self.name.unwrap_or_else(|| check.identifier().into_owned()),
            timeout: self.timeout.unwrap_or(default_timeout),
            critical: self.critical,
            tags: self.tags,
            check,
        }
    }
}

/// One registered check: what to run, under which name, for how long at most.
pub(crate) struct Registration {
    pub(crate) name: String,
    pub(crate) check: Arc<dyn DynHealthCheck>,
    pub(crate) timeout: Duration,
    pub(crate) critical: bool,
    pub(crate) tags: Vec<String>,
}

/// The first character of `name` that breaks a format: a control character (a line
/// break forges a line in the text format and in a terminal), a bidirectional control
/// (it reorders what a person reads), or `:` (it separates the component from the
/// measurement in the keys of `application/health+json`).
pub(crate) fn forbidden_name_character(name: &str) -> Option<char> {
    name.chars()
        .find(|&c| c.is_control() || is_bidi_control(c) || c == ':')
}

/// The Unicode characters that change the direction of the text around them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `tag` works as a group's URL path segment.
pub(crate) fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && tag != "."
        && tag != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_break_a_format_are_found() {
        assert_eq!(forbidden_name_character("DatabaseBackend[replica]"), None);
        assert_eq!(forbidden_name_character("Café · ok"), None);
        assert_eq!(forbidden_name_character("a\nFake: unavailable"), Some('\n'));
        assert_eq!(forbidden_name_character("nul\0"), Some('\0'));
        assert_eq!(forbidden_name_character("esc\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(forbidden_name_character("abc\u{202E}def"), Some('\u{202E}'));
        assert_eq!(forbidden_name_character("db:primary"), Some(':'));
    }

    #[test]
    fn tags_are_plain_path_segments() {
        for tag in ["ready", "live", "db-1", "a.b_c"] {
            assert!(is_valid_tag(tag), "{tag}");
        }
        for tag in ["", ".", "..", "a/b", "a b", "é"] {
            assert!(!is_valid_tag(tag), "{tag}");
        }
    }
}
