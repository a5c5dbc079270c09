//! The environment the credential chain reads: the process's own, or variables given
//! to one check (so that tests and checks with a profile or role of their own never
//! change the process's).

use std::collections::HashMap;
use std::path::PathBuf;

/// Where the chain looks up `AWS_*` variables and `HOME`.
#[derive(Clone)]
pub(super) enum Env {
    /// The process environment.
    Process,
    /// These variables and no others.
    Given(HashMap<String, String>),
}

impl Env {
    /// The value of `name`, or `None` when it is unset or empty: the SDKs take an
    /// empty variable as unset.
    pub(super) fn var(&self, name: &str) -> Option<String> {
        let value = match self {
            Self::Process => std::env::var(name).ok(),
            Self::Given(vars) => vars.get(name).cloned(),
        };
        value.filter(|value| !value.is_empty())
    }

    /// The file the variable `var` names (`~/` is the home directory), else
    /// `default` in the home directory; `None` without a home directory.
    pub(super) fn file(&self, var: &str, default: &str) -> Option<PathBuf> {
        match self.var(var) {
            Some(path) => match path.strip_prefix("~/") {
                Some(rest) => self.home().map(|home| home.join(rest)),
                None => Some(PathBuf::from(path)),
            },
            None => self.home().map(|home| home.join(default)),
        }
    }

    /// `HOME`, or `USERPROFILE` on Windows.
    fn home(&self) -> Option<PathBuf> {
        self.var("HOME")
            .or_else(|| self.var("USERPROFILE"))
            .map(PathBuf::from)
    }

    /// These variables and no others, for tests.
    #[cfg(test)]
    pub(super) fn of(vars: &[(&str, &str)]) -> Self {
        Self::Given(
            vars.iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::of(vars)
    }

    #[test]
    fn empty_variables_are_unset() {
        let env = env(&[("AWS_PROFILE", ""), ("AWS_REGION", "eu-west-1")]);
        assert_eq!(env.var("AWS_PROFILE"), None);
        assert_eq!(env.var("AWS_REGION").as_deref(), Some("eu-west-1"));
        assert_eq!(env.var("AWS_DEFAULT_REGION"), None);
    }

    #[test]
    fn files_are_named_by_their_variable_or_found_in_the_home_directory() {
        let home = env(&[("HOME", "/home/app")]);
        assert_eq!(
            home.file("AWS_CONFIG_FILE", ".aws/config"),
            Some(PathBuf::from("/home/app/.aws/config"))
        );
        let named = env(&[("HOME", "/home/app"), ("AWS_CONFIG_FILE", "~/aws.ini")]);
        assert_eq!(
            named.file("AWS_CONFIG_FILE", ".aws/config"),
            Some(PathBuf::from("/home/app/aws.ini"))
        );
        let absolute = env(&[("AWS_CONFIG_FILE", "/etc/aws.ini")]);
        assert_eq!(
            absolute.file("AWS_CONFIG_FILE", ".aws/config"),
            Some(PathBuf::from("/etc/aws.ini"))
        );
        assert_eq!(env(&[]).file("AWS_CONFIG_FILE", ".aws/config"), None);
    }
}
