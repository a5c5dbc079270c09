//! Where an integration serves the endpoint, and which part of a request's path is the
//! endpoint's sub-path.

use std::sync::Arc;

/// The path an integration serves the endpoint at, kept without its trailing slash:
/// `/ht/` and `/ht` are both the prefix `/ht`, and `/` is the empty prefix.
#[derive(Debug, Clone)]
pub(super) struct Mount {
    prefix: Arc<str>,
}

impl Mount {
    /// The mount point at `path`.
    ///
    /// # Panics
    ///
    /// Panics if `path` does not start with `/`, as the frameworks do for routes.
    pub(super) fn new(path: &str) -> Self {
        assert!(
            path.starts_with('/'),
            "the endpoint path must start with `/`: {path:?}"
        );
        Self {
            prefix: path.trim_end_matches('/').into(),
        }
    }

    /// The mount point without its trailing slash (`""` for `/`).
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The part of a request's `path` below the mount point: `""` or `"/"` for the mount
    /// point itself, `"/ready/"` for a group; `None` when the path is not under the
    /// mount point, such as `/htm` under `/ht`. (actix-web finds the sub-path itself.)
    #[cfg(feature = "tower")]
    pub(super) fn sub_path<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(self.prefix())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trailing_slash_is_dropped() {
        assert_eq!(Mount::new("/ht/").prefix(), "/ht");
        assert_eq!(Mount::new("/ht").prefix(), "/ht");
        assert_eq!(Mount::new("/").prefix(), "");
    }

    #[test]
    #[cfg(feature = "tower")]
    fn the_sub_path_starts_at_a_segment_boundary() {
        let mount = Mount::new("/ht/");
        assert_eq!(mount.sub_path("/ht"), Some(""));
        assert_eq!(mount.sub_path("/ht/"), Some("/"));
        assert_eq!(mount.sub_path("/ht/ready/"), Some("/ready/"));
        assert_eq!(mount.sub_path("/htm"), None);
        assert_eq!(mount.sub_path("/other/ht/"), None);
    }

    #[test]
    #[cfg(feature = "tower")]
    fn at_the_root_every_path_is_a_sub_path() {
        let mount = Mount::new("/");
        assert_eq!(mount.sub_path("/"), Some("/"));
        assert_eq!(mount.sub_path("/ready"), Some("/ready"));
    }

    #[test]
    #[should_panic(expected = "must start with `/`")]
    fn a_relative_path_panics() {
        let _ = Mount::new("ht/");
    }
}
