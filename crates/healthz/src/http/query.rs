//! What the endpoint reads from a request's query and sub-path: the format, the
//! selection, and how the page is viewed.

use std::sync::Arc;

use crate::render::{PageView, ServiceInfo};
use crate::selection::{Selection, WELL_KNOWN_GROUPS};

/// The query parameters the endpoint reads; others (cache busters) are ignored.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pub(crate) format: Option<String>,
    checks: Vec<String>,
    excludes: Vec<String>,
    /// `?verbose`: the Kubernetes API server's text style.
    pub(crate) verbose: bool,
    /// `?refresh=off`: the page does not reload itself.
    paused: bool,
}

impl Query {
    pub(crate) fn parse(query: &str) -> Self {
        let mut parsed = Self::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "format" => parsed.format = Some(value.into_owned()),
                "check" => parsed.checks.push(value.into_owned()),
                "exclude" => parsed.excludes.push(value.into_owned()),
                // Kubernetes writes `?verbose`; `?verbose=false` turns it off again.
                "verbose" => parsed.verbose = !matches!(&*value, "false" | "0"),
                "refresh" => parsed.paused = value == "off",
                _ => {}
            }
        }
        parsed
    }

    /// How the page sees this request: its links keep the selection's filters.
    pub(crate) fn page_view(&self, service: Arc<ServiceInfo>) -> PageView {
        let mut selection = form_urlencoded::Serializer::new(String::new());
        for name in &self.checks {
            selection.append_pair("check", name);
        }
        for name in &self.excludes {
            selection.append_pair("exclude", name);
        }
        PageView {
            selection_query: selection.finish(),
            paused: self.paused,
            service,
        }
    }
}

/// The selection a sub-path and query ask for: `/` is every check, `/TAG/` a group.
pub(crate) fn selection(sub_path: &str, query: &Query) -> Result<Selection, String> {
    let trimmed = sub_path.trim_matches('/');
    let mut selection = Selection::all();
    if !trimmed.is_empty() {
        if trimmed.contains('/') {
            return Err(format!(
                "no such path `{sub_path}`; groups are one path segment"
            ));
        }
        selection = selection.group(trimmed);
    }
    for name in &query.checks {
        selection = selection.check(name);
    }
    for name in &query.excludes {
        selection = selection.exclude(name);
    }
    Ok(selection)
}

/// The selection of a client that may see only the overall status: the well-known
/// group its path names (`/ht/ready/`, for a Kubernetes probe without a token), else
/// every check. Other groups and `?check=` filters are not looked at, so that such a
/// client cannot tell a name that exists from one that does not.
pub(crate) fn status_only_selection(sub_path: &str) -> Selection {
    let group = sub_path.trim_matches('/');
    if WELL_KNOWN_GROUPS.contains(&group) {
        Selection::all().group(group)
    } else {
        Selection::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_view_keeps_the_filters_and_the_pause() {
        let query = Query::parse("check=a%20b&format=json&exclude=c&refresh=off&x=1");
        let view = query.page_view(Arc::default());
        assert_eq!(view.selection_query, "check=a+b&exclude=c");
        assert!(view.paused);
        assert!(!Query::parse("refresh=on").page_view(Arc::default()).paused);
    }

    #[test]
    fn verbose_is_a_flag() {
        assert!(Query::parse("verbose").verbose);
        assert!(Query::parse("verbose=1").verbose);
        assert!(!Query::parse("verbose=false").verbose);
        assert!(!Query::parse("").verbose);
    }
}
