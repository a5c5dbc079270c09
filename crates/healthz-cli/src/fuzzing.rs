//! Entry points for the fuzz targets in `fuzz/` and the property tests below them: each
//! runs the config loader on outside input and asserts what must hold of its answer,
//! panicking when it does not.
//!
//! Not part of the API: compiled only with the `fuzzing` feature (and in the crate's
//! own tests), and free to change in any release.

use std::env::VarError;
use std::path::Path;

/// The name the config goes by in errors.
const FILE: &str = "fuzz.toml";

/// An environment variable that holds a secret, set for every config the targets load.
pub const SECRET_VAR: &str = "FUZZ_SECRET";

/// The value of [`SECRET_VAR`].
pub const SECRET: &str = "s3cr3t-from-the-environment";

/// An environment variable that is set but empty.
pub const EMPTY_VAR: &str = "FUZZ_EMPTY";

/// Loads `text` as a config file, in an environment that sets [`SECRET_VAR`] and
/// [`EMPTY_VAR`] only, and checks the answer: a config that loads has a check; an
/// error is one line that names the file and, unless it is about the whole file, a line
/// of it; and no error shows the value of an environment variable that the file does
/// not spell out itself.
///
/// # Panics
///
/// When the answer breaks one of these properties.
pub fn config(text: &str) {
    let env = |name: &str| match name {
        SECRET_VAR => Ok(SECRET.to_owned()),
        EMPTY_VAR => Ok(String::new()),
        _ => Err(VarError::NotPresent),
    };
    let error = match crate::config::parse(text, FILE, Path::new("/nonexistent/fuzz"), &env) {
        Ok(config) => {
            assert!(!config.checks.is_empty(), "a config without a check loaded");
            return;
        }
        Err(error) => error.to_string(),
    };
    assert!(
        !error.contains('\n'),
        "an error of more than one line: {error:?}"
    );
    let rest = error
        .strip_prefix(FILE)
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or_else(|| panic!("the error does not name the file: {error:?}"));
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        assert!(
            rest.starts_with(" no check:"),
            "the error names no line: {error:?}"
        );
    } else {
        let line: usize = rest[..digits].parse().expect("a line number");
        let lines = text.matches('\n').count() + 1;
        assert!(
            (1..=lines).contains(&line),
            "line {line} of a {lines}-line file: {error:?}"
        );
    }
    assert!(
        !error.contains(SECRET) || text.contains(SECRET),
        "the error shows the environment's secret: {error:?}"
    );
}

#[cfg(test)]
mod tests;
