//! TODO(helper): content negotiation.

use crate::render::Format;

/// Why no format could be chosen; the endpoint answers 406 with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotAcceptable {
    /// `?format=` names no format.
    #[error("unknown format `{0}`")]
    UnknownFormat(String),
    /// The `Accept` header matches no format.
    #[error("no supported media type in Accept")]
    NoMatch,
}

/// Picks the format: `?format=` first, then `Accept`, else HTML.
pub(crate) fn negotiate(
    format_param: Option<&str>,
    accept: Option<&str>,
) -> Result<Format, NotAcceptable> {
    let _ = accept;
    match format_param {
        Some(value) => {
            Format::from_param(value).ok_or_else(|| NotAcceptable::UnknownFormat(value.to_owned()))
        }
        None => Ok(Format::Html),
    }
}
