//! Config errors that name the file, the line and the key: [`ConfigError`], and
//! [`Diagnostics`], which finds them from the spans of the parsed tree.
//!
//! The toml crate's own `Display` prints a snippet of the source, which may hold an
//! interpolated secret; these messages are built from its `message()` and `span()`
//! instead, and every interpolated value in them is shown as `***`.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::interpolate::Interpolated;
use super::suggest;

/// What an interpolated value looks like in an error message.
pub(super) const REDACTED: &str = "***";

/// A config error, one line: `health.toml:12: check #2 (tcp): missing key `addr``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigError {
    file: String,
    line: Option<usize>,
    message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The part of the file a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Section {
    /// Keys outside any table: `server` and `check` themselves, or unknown ones.
    Top,
    /// `[server]`.
    Server,
    /// The `number`th `[[check]]` (from 1), and its `kind` when it is a plain string.
    Check {
        /// 1 for the first check.
        number: usize,
        /// The check's `kind`, if readable.
        kind: Option<String>,
    },
    /// The `number`th `[[notify]]` (from 1), and its `kind` when it is a plain string.
    Notify {
        /// 1 for the first target.
        number: usize,
        /// The target's `kind`, if readable.
        kind: Option<String>,
    },
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Top => f.write_str("top level"),
            Self::Server => f.write_str("[server]"),
            Self::Check { number, kind } => write_numbered(f, "check", *number, kind.as_deref()),
            Self::Notify { number, kind } => write_numbered(f, "notify", *number, kind.as_deref()),
        }
    }
}

/// `check #2` or `check #2 (tcp)`: an item of an array of tables, with its kind.
fn write_numbered(
    f: &mut fmt::Formatter<'_>,
    array: &str,
    number: usize,
    kind: Option<&str>,
) -> fmt::Result {
    match kind {
        None => write!(f, "{array} #{number}"),
        Some(kind) => write!(f, "{array} #{number} ({kind})"),
    }
}

/// Where a span is: its section and the key it belongs to (none for a table header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Location {
    pub(super) section: Section,
    pub(super) key: Option<String>,
}

impl fmt::Display for Location {
    /// `[server]: `bind``, `check #2 (tcp): `addr``, `check #2` or `` `key` `` at the
    /// top level: the prefix of a message about a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.section, &self.key) {
            (Section::Top, Some(key)) => write!(f, "`{key}`"),
            (section, Some(key)) => write!(f, "{section}: `{key}`"),
            (section, None) => write!(f, "{section}"),
        }
    }
}

/// Turns spans into located, redacted [`ConfigError`]s.
pub(super) struct Diagnostics<'a> {
    file: &'a str,
    source: &'a str,
    /// The interpolated tree, as parsed: deserializing consumes another copy.
    tree: DeTable<'a>,
    interpolated: Interpolated,
}

impl<'a> Diagnostics<'a> {
    pub(super) fn new(
        file: &'a str,
        source: &'a str,
        tree: DeTable<'a>,
        interpolated: Interpolated,
    ) -> Self {
        Self {
            file,
            source,
            tree,
            interpolated,
        }
    }

    /// An error at the line where `span` starts.
    pub(super) fn error(&self, span: Range<usize>, message: impl fmt::Display) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: Some(line_of(self.source.as_bytes(), span.start)),
            message: message.to_string(),
        }
    }

    /// An error about the whole file rather than one of its lines.
    pub(super) fn whole_file(&self, message: impl fmt::Display) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: None,
            message: message.to_string(),
        }
    }

    /// An error about the value at `span`, prefixed with where it is: its section and
    /// key (`check #2 (tcp): `addr`: …`), so that callers need not name the key again.
    pub(super) fn invalid(&self, span: Range<usize>, problem: impl fmt::Display) -> ConfigError {
        let location = self.locate(&span);
        self.error(span, format!("{location}: {problem}"))
    }

    /// An unknown key `key` at `span`, in `place` (`in [server]`), with the key of
    /// `accepted` it is nearest to, if one is near, and what the table takes: `takes`,
    /// or else the list of `accepted`.
    pub(super) fn unknown_key(
        &self,
        key: &str,
        span: Range<usize>,
        place: &str,
        accepted: &[&str],
        takes: Option<&str>,
    ) -> ConfigError {
        let hint = suggest::hint(key, accepted);
        let takes = takes.map_or_else(
            || format!("expected one of: {}", accepted.join(", ")),
            str::to_owned,
        );
        self.error(span, format!("unknown key `{key}` {place}{hint} ({takes})"))
    }

    /// An error in a file that is not valid TOML; the parser never sees interpolated
    /// values, so its message is safe to show.
    pub(super) fn syntax(file: &str, source: &str, error: &toml::de::Error) -> ConfigError {
        let span = error.span();
        let mut message = format!("invalid TOML: {}", error.message());
        // The parser's span of a duplicate key is the key: name it, as every error does.
        if let Some(key) = span.as_ref().and_then(|span| source.get(span.clone()))
            && error.message() == "duplicate key"
        {
            message = format!("{message} `{}`", key.trim_matches(['"', '\'']));
        }
        ConfigError {
            file: file.to_owned(),
            line: span.map(|span| line_of(source.as_bytes(), span.start)),
            message,
        }
    }

    /// A file that is not UTF-8, at the line of its first invalid byte; the bytes
    /// are not shown, since they may be a secret in another encoding.
    pub(super) fn not_utf8(file: &str, bytes: &[u8], error: &std::str::Utf8Error) -> ConfigError {
        ConfigError {
            file: file.to_owned(),
            line: Some(line_of(bytes, error.valid_up_to())),
            message: "not valid UTF-8; save the file as UTF-8".to_owned(),
        }
    }

    /// A string value for a message: in backticks, or `***` when it was interpolated.
    pub(super) fn shown(&self, value: &Spanned<String>) -> String {
        if self.is_interpolated(&value.span()) {
            REDACTED.to_owned()
        } else {
            format!("`{}`", value.get_ref())
        }
    }

    /// Whether the string value at `span` came from interpolation.
    pub(super) fn is_interpolated(&self, span: &Range<usize>) -> bool {
        self.interpolated.get(span).is_some()
    }

    /// The section of the file a span is in and the key it belongs to.
    pub(super) fn locate(&self, span: &Range<usize>) -> Location {
        let mut path = Vec::new();
        if !find_in_table(&self.tree, span, &mut path) {
            path.clear();
        }
        let mut segments = path.iter();
        let section = match segments.next() {
            Some(Segment::Key(key)) if key == "server" && path.len() > 1 => Section::Server,
            Some(Segment::Key(key)) if key == "check" || key == "notify" => {
                match segments.next() {
                    Some(Segment::Index(index)) => {
                        let number = index + 1;
                        let kind = self.kind_of(key, *index);
                        if key == "check" {
                            Section::Check { number, kind }
                        } else {
                            Section::Notify { number, kind }
                        }
                    }
                    // `check = 1`: the key itself is at fault.
                    _ => {
                        return Location {
                            section: Section::Top,
                            key: Some(key.clone()),
                        };
                    }
                }
            }
            Some(Segment::Key(key)) => {
                return Location {
                    section: Section::Top,
                    key: Some(key.clone()),
                };
            }
            _ => Section::Top,
        };
        let key = segments.find_map(|segment| match segment {
            Segment::Key(key) => Some(key.clone()),
            Segment::Index(_) => None,
        });
        Location { section, key }
    }

    /// The `kind` of the `index`th table of the array `array` (`check`, `notify`) as
    /// written, unless it was interpolated.
    fn kind_of(&self, array: &str, index: usize) -> Option<String> {
        let item = self.tree.get(array)?.get_ref().get(index)?;
        let kind = item.get_ref().get("kind")?;
        if self.interpolated.get(&kind.span()).is_some() {
            return None;
        }
        kind.get_ref().as_str().map(str::to_owned)
    }

    /// A deserialization error, rewritten to name the section and the key, with any
    /// interpolated value in it redacted. (Unknown keys are found before a table is
    /// deserialized, to be reported with the keys of the check's kind.)
    pub(super) fn deserialize(&self, error: &toml::de::Error) -> ConfigError {
        let span = error.span().unwrap_or(0..0);
        let location = self.locate(&span);
        let message = match classify(error.message()) {
            Classified::MissingKey(key) => format!("{}: missing key `{key}`", location.section),
            // Serde quotes the value of the wrong type (`integer `5``), which may be a
            // secret written in the file: no value of a key that may hold one is shown.
            Classified::Other(message) if location.key.as_deref().is_some_and(holds_secret) => {
                format!("{location}: {}", without_value(&message))
            }
            Classified::Other(message) => {
                format!("{location}: {}", self.redact(&span, &message))
            }
        };
        self.error(span, message)
    }

    /// Replaces the interpolated value at `span`, if any, with `***` in `message`.
    pub(super) fn redact(&self, span: &Range<usize>, message: &str) -> String {
        match self.interpolated.get(span) {
            // Serde quotes strings Debug-style; replace that form first, then any other.
            Some(value) if !value.is_empty() => message
                .replace(&format!("{value:?}"), &format!("\"{REDACTED}\""))
                .replace(value, REDACTED),
            _ => message.to_owned(),
        }
    }
}

/// Whether the value of `key` may be a secret, or hold one (a URL's password): an
/// error about such a value never shows it, not even when its type is wrong.
///
/// Besides the keys listed, any key whose name says it holds a password, a token, a
/// secret or a key counts, so that a new key of that sort is covered from the start.
fn holds_secret(key: &str) -> bool {
    const LISTED: [&str; 3] = ["url", "endpoint", "proxy"];
    const WORDS: [&str; 6] = [
        "password",
        "token",
        "secret",
        "key-id",
        "credential",
        "auth",
    ];
    LISTED.contains(&key) || WORDS.iter().any(|word| key.contains(word))
}

/// A message about the value of a key that may hold a secret, without the value: only
/// what serde expected, which its type fixes (`a string`), is kept.
fn without_value(message: &str) -> String {
    const NOT_SHOWN: &str = "the value is not shown: this key may hold a secret";
    match message.rsplit_once(", expected ") {
        Some((_, expected)) => format!("must be {expected} ({NOT_SHOWN})"),
        None => format!("invalid value ({NOT_SHOWN})"),
    }
}

/// The 1-based line holding byte `offset`.
fn line_of(source: &[u8], offset: usize) -> usize {
    let offset = offset.min(source.len());
    source[..offset]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

/// One step of the way from the root to a span.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn find_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<Segment>) -> bool {
    for (key, value) in table.iter() {
        path.push(Segment::Key(key.get_ref().to_string()));
        if key.span() == *span || find_in_value(value, span, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_value(
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    path: &mut Vec<Segment>,
) -> bool {
    match value.get_ref() {
        DeValue::Table(table) => value.span() == *span || find_in_table(table, span, path),
        DeValue::Array(array) => {
            // Items first: an array of tables has the span of its first header, which
            // is also the span of its first table.
            for (index, item) in array.iter().enumerate() {
                path.push(Segment::Index(index));
                if find_in_value(item, span, path) {
                    return true;
                }
                path.pop();
            }
            value.span() == *span
        }
        _ => value.span() == *span,
    }
}

/// A serde error message, taken apart where it has a known shape.
#[derive(Debug, PartialEq, Eq)]
enum Classified {
    /// `missing field `x``.
    MissingKey(String),
    /// Anything else (wrong types mostly), in words for config authors.
    Other(String),
}

/// Takes apart serde's messages, whose shapes are fixed by `serde::de::Error`'s
/// provided methods.
fn classify(message: &str) -> Classified {
    if let Some(rest) = message.strip_prefix("missing field ")
        && let Some(key) = rest.split('`').nth(1)
    {
        return Classified::MissingKey(key.to_owned());
    }
    // The raw types' names mean nothing to someone writing TOML.
    let message = match message.find(", expected struct ") {
        Some(at) => format!("{}, expected a table", &message[..at]),
        None => message.replace("expected a sequence", "expected an array"),
    };
    Classified::Other(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of(b"a\nb\nc", 0), 1);
        assert_eq!(line_of(b"a\nb\nc", 2), 2);
        assert_eq!(line_of(b"a\nb\nc", 99), 3);
    }

    #[test]
    fn keys_that_hold_secrets_are_known() {
        for key in [
            "url",
            "endpoint",
            "proxy",
            "bearer-token",
            "access-key-id",
            "secret-access-key",
            "password",
            "token",
        ] {
            assert!(holds_secret(key), "{key}");
        }
        for key in [
            "kind", "name", "addr", "bucket", "timeout", "tags", "queues",
        ] {
            assert!(!holds_secret(key), "{key}");
        }
    }

    #[test]
    fn serde_messages_are_taken_apart() {
        assert_eq!(
            classify("missing field `kind`"),
            Classified::MissingKey("kind".into())
        );
        assert_eq!(
            classify("invalid type: integer `1`, expected struct RawServer"),
            Classified::Other("invalid type: integer `1`, expected a table".into())
        );
        assert_eq!(
            classify("invalid type: integer `1`, expected a sequence"),
            Classified::Other("invalid type: integer `1`, expected an array".into())
        );
    }

    #[test]
    fn spans_are_located_in_sections_and_keys() {
        let source = "top = 1\n[server]\nbind = \"x\"\n[[check]]\nkind = \"tcp\"\n[[check]]\nkind = \"disk\"\ntags = [\"a\", 2]\n";
        let tree = DeTable::parse(source).unwrap();
        let diagnostics = Diagnostics::new(
            "f.toml",
            source,
            tree.get_ref().clone(),
            Interpolated::default(),
        );
        let at = |needle: &str| {
            let start = source.find(needle).unwrap();
            diagnostics.locate(&(start..start + needle.len()))
        };
        assert_eq!(
            at("top"),
            Location {
                section: Section::Top,
                key: Some("top".into())
            }
        );
        assert_eq!(
            at("\"x\""),
            Location {
                section: Section::Server,
                key: Some("bind".into())
            }
        );
        let second = Section::Check {
            number: 2,
            kind: Some("disk".into()),
        };
        assert_eq!(
            at("2"),
            Location {
                section: second.clone(),
                key: Some("tags".into())
            }
        );
        let header = source.rfind("[[check]]").unwrap();
        assert_eq!(
            diagnostics.locate(&(header..header + 9)),
            Location {
                section: second,
                key: None
            }
        );
        assert_eq!(
            diagnostics.error(header..header + 9, "m").to_string(),
            "f.toml:6: m"
        );
    }
}
