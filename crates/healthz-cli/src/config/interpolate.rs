//! `${VAR}` interpolation in the string values of a config file.
//!
//! `${VAR}` is the environment variable `VAR`, which must be set; `${VAR:-default}` is
//! `default` when `VAR` is unset or empty (as in a shell); `$${` is a literal `${`. A `$`
//! followed by anything else is kept as it is. Only string values are interpolated,
//! never keys, numbers or booleans.

use std::collections::HashMap;
use std::env::VarError;
use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Looks up an environment variable; `std::env::var` in the binary, a map in tests.
pub(super) type Env<'a> = &'a dyn Fn(&str) -> Result<String, VarError>;

/// Why a string value could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum InterpolateError {
    /// `${VAR}` names a variable that is not set and has no default.
    Unset(String),
    /// The variable is set but not valid UTF-8.
    NotUnicode(String),
    /// `${` without its closing `}`.
    Unclosed,
    /// `${…}` does not start with a valid variable name.
    InvalidName(String),
}

impl fmt::Display for InterpolateError {
    // The messages name variables, never their values: the values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unset(name) => write!(
                f,
                "environment variable `{name}` is not set (write `${{{name}:-default}}` to give a default)"
            ),
            Self::NotUnicode(name) => {
                write!(f, "environment variable `{name}` is not valid UTF-8")
            }
            Self::Unclosed => {
                f.write_str("`${` has no closing `}` (write `$${` for a literal `${`)")
            }
            Self::InvalidName(name) => write!(
                f,
                "`${{{name}}}` is not a variable name (letters, digits and `_`, not starting with a digit)"
            ),
        }
    }
}

/// The string values that came from interpolation, by span: errors show them as `***`
/// because environment variables are where secrets live, and so does `Debug`.
#[derive(Default)]
pub(super) struct Interpolated {
    values: HashMap<Range<usize>, String>,
}

impl fmt::Debug for Interpolated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interpolated")
            .field("values", &self.values.len())
            .finish()
    }
}

impl Interpolated {
    /// The interpolated value at exactly this span, if the value there was interpolated.
    pub(super) fn get(&self, span: &Range<usize>) -> Option<&str> {
        self.values.get(span).map(String::as_str)
    }
}

/// Interpolates every string value of the document in place, in source order, up to
/// the first that cannot be: the values interpolated so far (which the error's
/// message must not show either), and the span of that first failure and why.
pub(super) fn document(
    root: &mut DeTable<'_>,
    env: Env<'_>,
) -> (Interpolated, Option<(Range<usize>, InterpolateError)>) {
    let mut strings = Vec::new();
    for (_key, value) in root.iter_mut() {
        collect_strings(value, &mut strings);
    }
    // The table is sorted by key; report the first error as a reader meets it.
    strings.sort_by_key(|value| value.span().start);
    let mut interpolated = Interpolated::default();
    for value in strings {
        let span = value.span();
        let DeValue::String(text) = value.get_mut() else {
            continue;
        };
        match interpolate(text, env) {
            Ok(Some(replaced)) => {
                interpolated.values.insert(span, replaced.clone());
                *text = replaced.into();
            }
            Ok(None) => {}
            Err(error) => return (interpolated, Some((span, error))),
        }
    }
    (interpolated, None)
}

fn collect_strings<'a, 'i>(
    value: &'a mut Spanned<DeValue<'i>>,
    strings: &mut Vec<&'a mut Spanned<DeValue<'i>>>,
) {
    if value.get_ref().is_str() {
        strings.push(value);
        return;
    }
    match value.get_mut() {
        DeValue::Array(array) => {
            for item in array.iter_mut() {
                collect_strings(item, strings);
            }
        }
        DeValue::Table(table) => {
            for (_key, item) in table.iter_mut() {
                collect_strings(item, strings);
            }
        }
        _ => {}
    }
}

/// Interpolates one string: `None` when it holds no `${`, so it needs no copy and is
/// not a secret.
///
/// # Errors
///
/// Returns an [`InterpolateError`] for an unset variable without default, a variable
/// that is not UTF-8, an unclosed `${` or an invalid variable name.
pub(super) fn interpolate(input: &str, env: Env<'_>) -> Result<Option<String>, InterpolateError> {
    if !input.contains("${") {
        return Ok(None);
    }
    let mut output = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(dollar) = rest.find('$') {
        output.push_str(&rest[..dollar]);
        let from_dollar = &rest[dollar..];
        if let Some(after) = from_dollar.strip_prefix("$${") {
            output.push_str("${");
            rest = after;
        } else if let Some(after) = from_dollar.strip_prefix("${") {
            let end = after.find('}').ok_or(InterpolateError::Unclosed)?;
            output.push_str(&substitute(&after[..end], env)?);
            rest = &after[end + 1..];
        } else {
            output.push('$');
            rest = &from_dollar[1..];
        }
    }
    output.push_str(rest);
    Ok(Some(output))
}

/// The value of one `${…}`, given what is between the braces.
fn substitute(body: &str, env: Env<'_>) -> Result<String, InterpolateError> {
    let (name, default) = match body.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (body, None),
    };
    if !is_variable_name(name) {
        return Err(InterpolateError::InvalidName(name.to_owned()));
    }
    match (env(name), default) {
        (Ok(value), Some(default)) if value.is_empty() => Ok(default.to_owned()),
        (Ok(value), _) => Ok(value),
        (Err(VarError::NotPresent), Some(default)) => Ok(default.to_owned()),
        (Err(VarError::NotPresent), None) => Err(InterpolateError::Unset(name.to_owned())),
        (Err(VarError::NotUnicode(_)), _) => Err(InterpolateError::NotUnicode(name.to_owned())),
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Result<String, VarError> {
        match name {
            "HOST" => Ok("db.internal".into()),
            "EMPTY" => Ok(String::new()),
            _ => Err(VarError::NotPresent),
        }
    }

    fn run(input: &str) -> Result<Option<String>, InterpolateError> {
        interpolate(input, &env)
    }

    #[test]
    fn plain_strings_are_not_copied() {
        assert_eq!(run("no variables, $5 or $HOST"), Ok(None));
    }

    #[test]
    fn variables_and_defaults() {
        assert_eq!(run("${HOST}:5432"), Ok(Some("db.internal:5432".into())));
        assert_eq!(
            run("${NOPE:-local}/${HOST}"),
            Ok(Some("local/db.internal".into()))
        );
        assert_eq!(run("${EMPTY:-fallback}"), Ok(Some("fallback".into())));
        assert_eq!(run("[${EMPTY}]"), Ok(Some("[]".into())));
        assert_eq!(run("${NOPE:-}"), Ok(Some(String::new())));
        assert_eq!(run("${NOPE:-a:-b}"), Ok(Some("a:-b".into())));
    }

    #[test]
    fn escapes_and_lone_dollars_are_literal() {
        assert_eq!(
            run("$${HOST} ${HOST}"),
            Ok(Some("${HOST} db.internal".into()))
        );
        assert_eq!(run("$$ $x ${HOST}$"), Ok(Some("$$ $x db.internal$".into())));
    }

    #[test]
    fn errors_name_the_variable_not_a_value() {
        assert_eq!(run("${NOPE}"), Err(InterpolateError::Unset("NOPE".into())));
        assert_eq!(run("x${HOST"), Err(InterpolateError::Unclosed));
        assert_eq!(
            run("${1X}"),
            Err(InterpolateError::InvalidName("1X".into()))
        );
        assert_eq!(
            run("${}"),
            Err(InterpolateError::InvalidName(String::new()))
        );
        assert_eq!(
            InterpolateError::Unset("DB_PASSWORD".into()).to_string(),
            "environment variable `DB_PASSWORD` is not set (write `${DB_PASSWORD:-default}` to give a default)"
        );
    }

    #[test]
    fn documents_are_interpolated_in_place_and_remembered() {
        let source = "a = \"${HOST}\"\nb = [\"x\", \"${NOPE:-y}\"]\n[t]\nc = \"plain\"\n";
        let mut root = DeTable::parse(source).unwrap();
        let (interpolated, failure) = document(root.get_mut(), &env);
        assert_eq!(failure, None);
        let a = &root.get_ref()["a"];
        assert_eq!(a.get_ref().as_str(), Some("db.internal"));
        assert_eq!(interpolated.get(&a.span()), Some("db.internal"));
        assert_eq!(interpolated.values.len(), 2);
    }

    #[test]
    fn the_first_error_in_source_order_wins() {
        let source = "z = \"${FIRST}\"\na = \"${SECOND}\"\n";
        let mut root = DeTable::parse(source).unwrap();
        let (_, failure) = document(root.get_mut(), &env);
        let (span, error) = failure.unwrap();
        assert_eq!(error, InterpolateError::Unset("FIRST".into()));
        assert_eq!(&source[span], "\"${FIRST}\"");
    }

    #[test]
    fn the_values_before_an_error_are_remembered() {
        let source = "a = \"${HOST}\"\nz = \"${NOPE}\"\n";
        let mut root = DeTable::parse(source).unwrap();
        let (interpolated, failure) = document(root.get_mut(), &env);
        assert_eq!(failure.unwrap().1, InterpolateError::Unset("NOPE".into()));
        let a = &root.get_ref()["a"];
        assert_eq!(interpolated.get(&a.span()), Some("db.internal"));
    }
}
