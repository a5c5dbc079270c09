//! Which checks a request runs: [`Selection`].

use crate::registry::Entry;

/// Groups that exist even when no check carries their tag, so that Kubernetes probes
/// can point at them from day one: an empty group is healthy (the process answers).
pub const WELL_KNOWN_GROUPS: [&str; 3] = ["live", "ready", "startup"];

/// A choice of checks: an optional group (tag), then optional names to keep or exclude.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Selection {
    group: Option<String>,
    only: Vec<String>,
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

    /// Keeps only the named check; call again to keep several.
    pub fn only(mut self, name: impl Into<String>) -> Self {
        self.only.push(name.into());
        self
    }

    /// Leaves out the named check.
    pub fn exclude(mut self, name: impl Into<String>) -> Self {
        self.exclude.push(name.into());
        self
    }

    /// The indices of the selected entries, in registration order.
    pub(crate) fn resolve(&self, entries: &[Entry]) -> Result<Vec<usize>, SelectionError> {
        let in_group = |entry: &Entry| match &self.group {
            None => true,
            Some(group) => entry.tags.iter().any(|tag| tag == group),
        };
        if let Some(group) = &self.group
            && !WELL_KNOWN_GROUPS.contains(&group.as_str())
            && !entries.iter().any(in_group)
        {
            return Err(SelectionError::UnknownGroup(group.clone()));
        }
        for name in self.only.iter().chain(&self.exclude) {
            let entry = entries
                .iter()
                .find(|entry| &entry.name == name)
                .ok_or_else(|| SelectionError::UnknownCheck(name.clone()))?;
            if let Some(group) = &self.group
                && !in_group(entry)
            {
                return Err(SelectionError::NotInGroup {
                    check: name.clone(),
                    group: group.clone(),
                });
            }
        }
        let selected: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| in_group(entry))
            .filter(|(_, entry)| self.only.is_empty() || self.only.contains(&entry.name))
            .filter(|(_, entry)| !self.exclude.contains(&entry.name))
            .map(|(index, _)| index)
            .collect();
        let filtered = !self.only.is_empty() || !self.exclude.is_empty();
        if selected.is_empty() && filtered {
            return Err(SelectionError::Empty);
        }
        Ok(selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckOptions, CheckResult, HealthCheck, Registry};

    struct Ok1;
    impl HealthCheck for Ok1 {
        async fn check(&self) -> CheckResult {
            Ok(())
        }
    }

    async fn names(selection: Selection) -> Result<Vec<String>, SelectionError> {
        let registry = Registry::builder()
            .check_with(Ok1, CheckOptions::new().name("db").tag("ready"))
            .check_with(Ok1, CheckOptions::new().name("cache").tag("ready"))
            .check_with(Ok1, CheckOptions::new().name("disk"))
            .build()
            .unwrap();
        let report = registry.run(&selection).await?;
        Ok(report.checks.iter().map(|c| c.name.clone()).collect())
    }

    #[tokio::test]
    async fn filters_by_group_then_names() {
        assert_eq!(
            names(Selection::all()).await.unwrap(),
            ["db", "cache", "disk"]
        );
        assert_eq!(
            names(Selection::all().group("ready")).await.unwrap(),
            ["db", "cache"]
        );
        assert_eq!(
            names(Selection::all().only("disk").only("db"))
                .await
                .unwrap(),
            ["db", "disk"]
        );
        assert_eq!(
            names(Selection::all().group("ready").exclude("db"))
                .await
                .unwrap(),
            ["cache"]
        );
    }

    #[tokio::test]
    async fn unknown_names_are_errors() {
        assert_eq!(
            names(Selection::all().group("nope")).await,
            Err(SelectionError::UnknownGroup("nope".into()))
        );
        assert_eq!(
            names(Selection::all().only("nope")).await,
            Err(SelectionError::UnknownCheck("nope".into()))
        );
        assert_eq!(
            names(Selection::all().exclude("nope")).await,
            Err(SelectionError::UnknownCheck("nope".into()))
        );
        assert_eq!(
            names(Selection::all().group("ready").only("disk")).await,
            Err(SelectionError::NotInGroup {
                check: "disk".into(),
                group: "ready".into()
            })
        );
        assert_eq!(
            names(Selection::all().only("db").exclude("db")).await,
            Err(SelectionError::Empty)
        );
    }

    #[tokio::test]
    async fn well_known_groups_exist_when_empty() {
        assert_eq!(
            names(Selection::all().group("live")).await.unwrap(),
            Vec::<String>::new()
        );
    }
}
