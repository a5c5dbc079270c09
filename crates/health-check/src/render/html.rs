//! TODO(helper): this renderer.

use crate::report::Report;

pub(crate) fn render(_report: &Report) -> String {
    String::new()
}
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'";
