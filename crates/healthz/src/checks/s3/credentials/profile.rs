//! A profile of the shared AWS files, `~/.aws/config` and `~/.aws/credentials`: the
//! properties of the profile `AWS_PROFILE` names, from both files.
//!
//! The files are INI as the AWS CLI and SDKs write them: `[section]` headers, `key =
//! value` properties, whole-line `#` and `;` comments, and indented lines that continue
//! the property above (the nested `s3 =` settings, which the check does not use). In
//! the config file a profile's section is `[profile NAME]` (`[default]` for the
//! default profile), in the credentials file `[NAME]`.

use std::collections::HashMap;
use std::path::Path;

use super::env::Env;
use crate::checks::describe_io;

/// The profile used unless `AWS_PROFILE` names another.
const DEFAULT_PROFILE: &str = "default";

/// The properties of one profile.
pub(super) struct Profile {
    pub(super) name: String,
    properties: HashMap<String, String>,
}

/// The two shared files, as [`Profile::load`] reads them.
#[derive(Clone, Copy, PartialEq)]
enum File {
    Config,
    Credentials,
}

impl File {
    /// The variable that names the file, and where it is otherwise.
    fn location(self) -> (&'static str, &'static str) {
        match self {
            Self::Config => ("AWS_CONFIG_FILE", ".aws/config"),
            Self::Credentials => ("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
        }
    }

    /// The profile a section header of this file names, if any.
    fn profile(self, section: &str) -> Option<&str> {
        match self {
            Self::Credentials => Some(section),
            Self::Config if section == DEFAULT_PROFILE => Some(section),
            Self::Config => section.strip_prefix("profile ").map(str::trim),
        }
    }
}

impl Profile {
    /// The name of the profile in use: `AWS_PROFILE`, else `default`.
    pub(super) fn name(env: &Env) -> String {
        env.var("AWS_PROFILE")
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }

    /// The profile `name` from the config file and the credentials file (whose
    /// properties win where both set one), or `None` when neither holds it.
    ///
    /// A missing file holds no profile. A file that cannot be read or parsed is an
    /// error, and so is a profile `AWS_PROFILE` names that neither file holds.
    pub(super) fn load(env: &Env, name: &str) -> Result<Option<Self>, String> {
        let mut properties = HashMap::new();
        let mut found = false;
        let mut looked_in = Vec::new();
        for file in [File::Config, File::Credentials] {
            let (var, default) = file.location();
            let Some(path) = env.file(var, default) else {
                continue;
            };
            for (section, pairs) in read(&path)? {
                if file.profile(&section) == Some(name) {
                    found = true;
                    properties.extend(pairs);
                }
            }
            looked_in.push(path.display().to_string());
        }
        if found {
            let name = name.to_owned();
            Ok(Some(Self { name, properties }))
        } else if env.var("AWS_PROFILE").is_none() {
            Ok(None)
        } else if looked_in.is_empty() {
            Err("there is no home directory to find ~/.aws in".to_owned())
        } else {
            Err(format!("it is not in {}", looked_in.join(" or ")))
        }
    }

    /// The value of property `key`, unless empty.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .get(key)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }
}

/// A section header and its properties.
type Section = (String, Vec<(String, String)>);

/// The sections of the file at `path`; none when it does not exist.
fn read(path: &Path) -> Result<Vec<Section>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).map_err(|(line, why)| format!("{}:{line}: {why}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(format!(
            "cannot read {}: {}",
            path.display(),
            describe_io(&error)
        )),
    }
}

/// The sections of an INI text in order, or the line number of the first line that
/// is not INI and what is wrong with it.
fn parse(text: &str) -> Result<Vec<Section>, (usize, &'static str)> {
    let mut sections: Vec<Section> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let (name, rest) = header
                .split_once(']')
                .ok_or((number, "a section header without `]`"))?;
            let rest = rest.trim_start();
            if !(rest.is_empty() || rest.starts_with(['#', ';'])) {
                return Err((number, "text after a section header"));
            }
            sections.push((name.trim().to_owned(), Vec::new()));
            continue;
        }
        let Some((_, properties)) = sections.last_mut() else {
            return Err((number, "a property outside any section"));
        };
        if line.starts_with([' ', '\t']) {
            // A sub-property of a nested setting (`s3 =` and its indented lines).
            if properties.is_empty() {
                return Err((number, "an indented line that continues no property"));
            }
            continue;
        }
        let (key, value) = trimmed
            .split_once('=')
            .ok_or((number, "expected `key = value`"))?;
        properties.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(section: &Section) -> Vec<(&str, &str)> {
        section
            .1
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect()
    }

    #[test]
    fn ini_as_the_aws_tools_write_it_is_parsed() {
        let text = "# written by aws configure\n\
                    [default]\n\
                    region = eu-west-1\n\
                    s3 =\n  max_concurrent_requests = 20\n\
                    \n\
                    ; another profile\n\
                    [profile ops] # with a comment\n\
                    aws_access_key_id=AKIDOPS\n\
                    aws_secret_access_key = with=equals/and+plus \n";
        let sections = parse(text).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].0, "default");
        assert_eq!(pairs(&sections[0]), [("region", "eu-west-1"), ("s3", "")]);
        assert_eq!(sections[1].0, "profile ops");
        assert_eq!(
            pairs(&sections[1]),
            [
                ("aws_access_key_id", "AKIDOPS"),
                ("aws_secret_access_key", "with=equals/and+plus")
            ]
        );
    }

    #[test]
    fn what_is_not_ini_is_named_with_its_line() {
        assert_eq!(
            parse("region = x\n").unwrap_err(),
            (1, "a property outside any section")
        );
        assert_eq!(
            parse("[default\n").unwrap_err(),
            (1, "a section header without `]`")
        );
        assert_eq!(
            parse("[a] b\n").unwrap_err(),
            (1, "text after a section header")
        );
        assert_eq!(
            parse("[a]\n\n  x = 1\n").unwrap_err(),
            (3, "an indented line that continues no property")
        );
        assert_eq!(
            parse("[a]\nregion\n").unwrap_err(),
            (2, "expected `key = value`")
        );
    }

    #[test]
    fn sections_name_profiles_the_way_each_file_does() {
        assert_eq!(File::Config.profile("default"), Some("default"));
        assert_eq!(File::Config.profile("profile  ops"), Some("ops"));
        assert_eq!(File::Config.profile("ops"), None);
        assert_eq!(File::Credentials.profile("ops"), Some("ops"));
    }

    #[test]
    fn both_files_make_the_profile_and_the_credentials_file_wins() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config").display().to_string();
        let credentials = dir.path().join("credentials").display().to_string();
        std::fs::write(
            &config,
            "[profile ops]\nregion = eu-west-1\naws_access_key_id = FROM-CONFIG\n[ops]\nregion = ignored\n",
        )
        .unwrap();
        std::fs::write(
            &credentials,
            "[ops]\naws_access_key_id = FROM-CREDENTIALS\n",
        )
        .unwrap();
        let files = [
            ("AWS_CONFIG_FILE", config.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
        ];
        let load = |profile: Option<&str>| {
            let mut vars = files.to_vec();
            vars.extend(profile.map(|name| ("AWS_PROFILE", name)));
            let env = Env::of(&vars);
            Profile::load(&env, &Profile::name(&env))
        };
        let profile = load(Some("ops")).unwrap().unwrap();
        assert_eq!(profile.name, "ops");
        assert_eq!(profile.get("region"), Some("eu-west-1"));
        assert_eq!(profile.get("aws_access_key_id"), Some("FROM-CREDENTIALS"));

        assert_eq!(
            load(Some("nope")).err().unwrap(),
            format!("it is not in {config} or {credentials}")
        );
        // Without AWS_PROFILE, a missing default profile is no error: nothing is set up.
        assert!(load(None).unwrap().is_none());
        // Nor are files that do not exist.
        let nobody = dir.path().join("nobody").display().to_string();
        let nowhere = Env::of(&[("HOME", &nobody)]);
        assert!(Profile::load(&nowhere, "default").unwrap().is_none());
    }

    #[test]
    fn a_broken_file_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config").display().to_string();
        std::fs::write(&config, "[default]\nregion\n").unwrap();
        let env = Env::of(&[("AWS_CONFIG_FILE", &config)]);
        assert_eq!(
            Profile::load(&env, "default").err().unwrap(),
            format!("{config}:2: expected `key = value`")
        );
    }
}
