//! Which checks a request runs: [`Selection`].

/// Groups that exist even when no check carries their tag, so that Kubernetes probes
/// can point at them from day one: an empty group is healthy (the process answers).
pub const WELL_KNOWN_GROUPS: [&str; 3] = ["live", "ready", "startup"];

/// A choice of checks: an optional group (tag), then optional names to keep or exclude.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Selection {
    group: Option<String>,
    checks: Vec<String>,
    exclude: Vec<String>,
}

/// Why a selection cannot be run; the endpoint answers 404 with this message.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectionError {
    /// No check carries this tag.
    #[error("no check group named `{0}`")]
    UnknownGroup(String),
    /// No check has this name.
    #[error("no check named `{0}`")]
    UnknownCheck(String),
    /// The check exists, but not in the selected group.
    #[error("check `{check}` is not in group `{group}`")]
    NotInGroup {
        /// The check.
        check: String,
        /// The group.
        group: String,
    },
    /// The filters leave nothing to run.
    #[error("the selection leaves no check to run")]
    Empty,
}

impl Selection {
    /// Every registered check.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the checks tagged `group`.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Keeps only the named checks: each call adds one (`?check=NAME`, repeatable).
    pub fn check(mut self, name: impl Into<String>) -> Self {
        self.checks.push(name.into());
        self
    }

    /// The group it selects, if any.
    pub(crate) fn group_name(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// Leaves out the named check.
    pub fn exclude(mut self, name: impl Into<String>) -> Self {
        self.exclude.push(name.into());
        self
    }

    /// The positions of the selected checks among `checks` (each a name and its tags,
    /// in registration order), in that order.
    pub(crate) fn resolve<'a, I>(&self, checks: I) -> Result<Vec<usize>, SelectionError>
    where
        I: Iterator<Item = (&'a str, &'a [String])> + Clone,
    {
        let in_group = |tags: &[String]| match &self.group {
            None => true,
            Some(group) => tags.iter().any(|tag| tag == group),
        };
        if let Some(group) = &self.group
            && !WELL_KNOWN_GROUPS.contains(&group.as_str())
            && !checks.clone().any(|(_, tags)| in_group(tags))
        {
            return Err(SelectionError::UnknownGroup(group.clone()));
        }
        for name in self.checks.iter().chain(&self.exclude) {
            let (_, tags) = checks
                .clone()
                .find(|(check, _)| check == name)
                .ok_or_else(|| SelectionError::UnknownCheck(name.clone()))?;
            if let Some(group) = &self.group
                && !in_group(tags)
            {
                return Err(SelectionError::NotInGroup {
                    check: name.clone(),
                    group: group.clone(),
                });
            }
        }
        let selected: Vec<usize> = checks
            .enumerate()
            .filter(|(_, (_, tags))| in_group(tags))
            .filter(|(_, (name, _))| {
                self.checks.is_empty() || self.checks.iter().any(|c| c == name)
            })
            .filter(|(_, (name, _))| !self.exclude.iter().any(|c| c == name))
            .map(|(index, _)| index)
            .collect();
        let filtered = !self.checks.is_empty() || !self.exclude.is_empty();
        if selected.is_empty() && filtered {
            return Err(SelectionError::Empty);
        }
        Ok(selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `selection` picks among `db` and `cache` (tagged `ready`) and `disk`.
    fn names(selection: Selection) -> Result<Vec<&'static str>, SelectionError> {
        let ready = ["ready".to_owned()];
        let checks = [("db", &ready[..]), ("cache", &ready[..]), ("disk", &[][..])];
        let indices = selection.resolve(checks.iter().copied())?;
        Ok(indices.into_iter().map(|index| checks[index].0).collect())
    }

    #[test]
    fn filters_by_group_then_names() {
        assert_eq!(names(Selection::all()).unwrap(), ["db", "cache", "disk"]);
        assert_eq!(
            names(Selection::all().group("ready")).unwrap(),
            ["db", "cache"]
        );
        assert_eq!(
            names(Selection::all().check("disk").check("db")).unwrap(),
            ["db", "disk"]
        );
        assert_eq!(
            names(Selection::all().group("ready").exclude("db")).unwrap(),
            ["cache"]
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(
            names(Selection::all().group("nope")),
            Err(SelectionError::UnknownGroup("nope".into()))
        );
        assert_eq!(
            names(Selection::all().check("nope")),
            Err(SelectionError::UnknownCheck("nope".into()))
        );
        assert_eq!(
            names(Selection::all().exclude("nope")),
            Err(SelectionError::UnknownCheck("nope".into()))
        );
        assert_eq!(
            names(Selection::all().group("ready").check("disk")),
            Err(SelectionError::NotInGroup {
                check: "disk".into(),
                group: "ready".into()
            })
        );
        assert_eq!(
            names(Selection::all().check("db").exclude("db")),
            Err(SelectionError::Empty)
        );
    }

    #[test]
    fn well_known_groups_exist_when_empty() {
        assert_eq!(
            names(Selection::all().group("live")).unwrap(),
            Vec::<&str>::new()
        );
    }
}
