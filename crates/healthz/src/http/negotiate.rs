//! Content negotiation: which [`Format`] a request gets.
//!
//! `?format=` wins. Otherwise the `Accept` header is read as RFC 9110 describes it:
//! media ranges with q-values and wildcards, the most specific range deciding each
//! format's q, the highest q winning and ties going to the range listed first. One
//! media type parameter takes part: `version`, which tells Prometheus' text format
//! (`text/plain; version=0.0.4`) from the text lines (plain `text/plain`); the others
//! (`charset`, OpenMetrics' `version=1.0.0`) are ignored. Malformed items are skipped,
//! so a broken header is at worst a 406, never a 500.

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
    if let Some(value) = format_param {
        return Format::from_param(value)
            .ok_or_else(|| NotAcceptable::UnknownFormat(value.to_owned()));
    }
    let Some(accept) =
        accept.filter(|accept| accept.split(',').any(|item| !item.trim().is_empty()))
    else {
        return Ok(Format::Html);
    };
    let ranges: Vec<MediaRange<'_>> = accept.split(',').filter_map(MediaRange::parse).collect();
    // `min_by_key` keeps the first of equal keys, so a wildcard's tie between formats
    // goes to the order of `Format::ALL`: `*/*` gives HTML, `application/*` JSON.
    Format::ALL
        .into_iter()
        .filter_map(|format| Some((format, preference(&ranges, format)?)))
        .filter(|(_, preference)| preference.quality > 0)
        .min_by_key(|(_, preference)| (std::cmp::Reverse(preference.quality), preference.position))
        .map(|(format, _)| format)
        .ok_or(NotAcceptable::NoMatch)
}

/// One item of `Accept`, such as `text/*;q=0.5`.
#[derive(Debug, PartialEq, Eq)]
struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    /// The `version` parameter, unquoted, if any.
    version: Option<&'a str>,
    /// The q-value in thousandths: 0 (not acceptable) to 1000.
    quality: u16,
}

impl<'a> MediaRange<'a> {
    /// Parses one comma-separated item; `None` when it is empty or malformed.
    ///
    /// Quoted parameter values holding a comma are split apart by the caller; the
    /// pieces are then malformed or carry no q, which costs nothing for the types
    /// this endpoint serves.
    fn parse(item: &'a str) -> Option<Self> {
        let mut parts = item.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        if !is_token(kind) || !is_token(subtype) || (kind == "*" && subtype != "*") {
            return None;
        }
        let mut quality = 1000;
        let mut version = None;
        for parameter in parts {
            let (name, value) = parameter.split_once('=')?;
            let name = name.trim();
            if name.eq_ignore_ascii_case("q") {
                quality = parse_quality(value.trim())?;
            } else if name.eq_ignore_ascii_case("version") {
                version = Some(value.trim().trim_matches('"'));
            }
        }
        Some(Self {
            kind,
            subtype,
            version,
            quality,
        })
    }

    /// How specifically the range names `format`: 2 exact, 1 `type/*`, 0 `*/*`; `None`
    /// when it does not match. A format that needs a `version` matches only a range
    /// that names its media type with that version; the others match a range naming
    /// theirs only without one, except where the version is not theirs to decide.
    fn specificity(&self, format: Format) -> Option<u8> {
        match (format.version(), self.version) {
            (Some(wanted), Some(version)) if version == wanted => {
                self.names(format.media_type()).filter(|&s| s == 2)
            }
            (Some(_), _) => None,
            // `text/plain; version=0.0.4` is Prometheus', not the text lines'.
            (None, Some(_)) if format.media_type() == "text/plain" => None,
            // An alias counts only when named exactly: `application/*` means JSON, not
            // the page as XHTML.
            (None, _) => {
                let alias = format
                    .aliases()
                    .iter()
                    .filter_map(|alias| self.names(alias))
                    .find(|&specificity| specificity == 2);
                self.names(format.media_type()).max(alias)
            }
        }
    }

    /// How specifically the range names `media_type`, parameters aside.
    fn names(&self, media_type: &str) -> Option<u8> {
        let (kind, subtype) = media_type.split_once('/')?;
        if self.kind == "*" {
            Some(0)
        } else if !self.kind.eq_ignore_ascii_case(kind) {
            None
        } else if self.subtype == "*" {
            Some(1)
        } else {
            self.subtype.eq_ignore_ascii_case(subtype).then_some(2)
        }
    }
}

/// What `Accept` says about one format: its q and where in the header it was given.
#[derive(Debug, Clone, Copy)]
struct Preference {
    quality: u16,
    position: usize,
}

/// The format's preference from the most specific ranges that match it (the highest q
/// among equally specific ones); `None` when no range matches.
fn preference(ranges: &[MediaRange<'_>], format: Format) -> Option<Preference> {
    let mut best: Option<(u8, Preference)> = None;
    for (position, range) in ranges.iter().enumerate() {
        let Some(specificity) = range.specificity(format) else {
            continue;
        };
        let better = best.is_none_or(|(best_specificity, best_preference)| {
            (specificity, range.quality) > (best_specificity, best_preference.quality)
        });
        if better {
            let quality = range.quality;
            best = Some((specificity, Preference { quality, position }));
        }
    }
    best.map(|(_, preference)| preference)
}

/// A q-value: `0`, `1` or either with up to three decimals (`0.5`, `1.000`).
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let thousandths = (0..3).fold(0, |acc, i| {
        let digit = fraction.as_bytes().get(i).map_or(0, |byte| byte - b'0');
        acc * 10 + u16::from(digit)
    });
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// An RFC 9110 token, the syntax of a media type's type and subtype.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(header: &str) -> Result<Format, NotAcceptable> {
        negotiate(None, Some(header))
    }

    #[test]
    fn the_format_parameter_wins_over_accept() {
        assert_eq!(negotiate(Some("JSON"), Some("text/html")), Ok(Format::Json));
        assert_eq!(negotiate(Some("health json"), None), Ok(Format::HealthJson));
        assert_eq!(
            negotiate(Some("xml"), Some("application/json")),
            Err(NotAcceptable::UnknownFormat("xml".into()))
        );
    }

    #[test]
    fn no_or_empty_accept_gives_html() {
        assert_eq!(negotiate(None, None), Ok(Format::Html));
        assert_eq!(accept(""), Ok(Format::Html));
        assert_eq!(accept(" , ,"), Ok(Format::Html));
    }

    #[test]
    fn real_clients_get_their_format() {
        let prometheus = "application/openmetrics-text;version=1.0.0,\
            application/openmetrics-text;version=0.0.1;q=0.75,\
            text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(accept(prometheus), Ok(Format::OpenMetrics));
        // Prometheus' fallback, Telegraf and Datadog in text mode.
        assert_eq!(accept("text/plain;version=0.0.4"), Ok(Format::Prometheus));
        assert_eq!(
            accept("text/plain; version=\"0.0.4\"; charset=utf-8"),
            Ok(Format::Prometheus)
        );
        let telegraf = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
            encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1";
        assert_eq!(accept(telegraf), Ok(Format::Prometheus));
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(accept(firefox), Ok(Format::Html));
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
            image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
        assert_eq!(accept(chrome), Ok(Format::Html));
        assert_eq!(accept("*/*"), Ok(Format::Html), "curl");
        assert_eq!(accept("application/json"), Ok(Format::Json));
        assert_eq!(accept("application/health+json"), Ok(Format::HealthJson));
        assert_eq!(accept("text/plain"), Ok(Format::Text));
        assert_eq!(accept("text/plain; charset=utf-8"), Ok(Format::Text));
        assert_eq!(accept("application/xhtml+xml"), Ok(Format::Html));
        assert_eq!(
            accept("application/xhtml+xml, application/json;q=0.9"),
            Ok(Format::Html)
        );
    }

    #[test]
    fn only_the_prometheus_version_means_the_metrics() {
        assert_eq!(
            accept("text/plain;version=1.0.0"),
            Err(NotAcceptable::NoMatch)
        );
        assert_eq!(accept("text/*;version=0.0.4"), Ok(Format::Html));
        assert_eq!(
            accept("text/plain;version=0.0.4;q=0, text/plain"),
            Ok(Format::Text)
        );
    }

    #[test]
    fn media_types_ignore_case_parameters_and_whitespace() {
        assert_eq!(accept("Application/JSON"), Ok(Format::Json));
        assert_eq!(
            accept("  application/openmetrics-text ; version=1.0.0 ; charset=utf-8 "),
            Ok(Format::OpenMetrics)
        );
        assert_eq!(
            accept("text/plain;Q=0.2, application/json;q=0.1"),
            Ok(Format::Text)
        );
    }

    #[test]
    fn the_highest_q_wins_and_ties_keep_header_order() {
        assert_eq!(
            accept("text/html;q=0.5, application/json"),
            Ok(Format::Json)
        );
        assert_eq!(accept("text/plain, application/json"), Ok(Format::Text));
        assert_eq!(accept("application/json, text/plain"), Ok(Format::Json));
        assert_eq!(
            accept("text/plain;q=0.8, application/json;q=0.8"),
            Ok(Format::Text)
        );
        assert_eq!(
            accept("text/plain;q=0.801, application/json;q=0.8"),
            Ok(Format::Text)
        );
        assert_eq!(
            accept("text/plain;q=0.8, application/json;q=0.81"),
            Ok(Format::Json)
        );
    }

    #[test]
    fn wildcards_prefer_the_order_of_all_formats() {
        assert_eq!(accept("application/*"), Ok(Format::Json));
        assert_eq!(accept("text/*"), Ok(Format::Html));
        assert_eq!(accept("image/png, */*;q=0.1"), Ok(Format::Html));
        // An exact range listed after a wildcard of equal q loses the tie.
        assert_eq!(accept("*/*, application/json"), Ok(Format::Html));
    }

    #[test]
    fn a_specific_range_overrides_a_wildcard() {
        assert_eq!(accept("text/html;q=0, */*"), Ok(Format::Json));
        assert_eq!(accept("*/*, text/html;q=0"), Ok(Format::Json));
        assert_eq!(accept("text/html;q=0, text/*"), Ok(Format::Text));
        assert_eq!(accept("*/*;q=0.5, text/*;q=0.1"), Ok(Format::Json));
        assert_eq!(accept("text/*;q=0, */*"), Ok(Format::Json));
        assert_eq!(
            accept("application/*;q=0, text/*;q=0, */*"),
            Err(NotAcceptable::NoMatch)
        );
    }

    #[test]
    fn nothing_acceptable_is_no_match() {
        assert_eq!(accept("image/png"), Err(NotAcceptable::NoMatch));
        assert_eq!(accept("*/*;q=0"), Err(NotAcceptable::NoMatch));
        assert_eq!(accept("text/html;q=0"), Err(NotAcceptable::NoMatch));
        assert_eq!(
            accept("text/html;q=0.0, */*;q=0"),
            Err(NotAcceptable::NoMatch)
        );
    }

    #[test]
    fn malformed_items_are_skipped() {
        assert_eq!(accept("garbage, application/json"), Ok(Format::Json));
        assert_eq!(accept("text/html;q=2, application/json"), Ok(Format::Json));
        assert_eq!(accept("text/html;q=abc, text/plain"), Ok(Format::Text));
        assert_eq!(accept("text/html;q, text/plain"), Ok(Format::Text));
        assert_eq!(accept("*/json, text/plain"), Ok(Format::Text));
        assert_eq!(accept("text/html/x, text/plain"), Ok(Format::Text));
        for header in [
            "garbage",
            "/",
            "text/",
            "/json",
            ";q=1",
            "text/html;q=1.0001",
            "=;=/",
        ] {
            assert_eq!(accept(header), Err(NotAcceptable::NoMatch), "{header}");
        }
    }

    #[test]
    fn q_values_follow_the_rfc_syntax() {
        let cases = [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.123", Some(123)),
            ("1", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.1234", None),
            ("-0.5", None),
            ("+1", None),
            ("", None),
            (".5", None),
            ("0.5e1", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_quality(text), expected, "{text:?}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let headers = [
            "\u{0}\u{1}\u{7f}",
            "ü/ö;q=ä",
            "text/html;q=0.\u{e9}",
            ";;;,,,///===",
            "\u{1F600}/\u{1F600}",
            "text/html;q=0.5;q=",
        ];
        for header in headers {
            let _ = accept(header);
        }
        // Every byte sequence the header can carry as text.
        let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = accept(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn huge_headers_are_handled_in_one_pass() {
        let mut header = "image/png;q=0.9, ".repeat(100_000);
        header.push_str("application/json;q=0.95");
        assert_eq!(accept(&header), Ok(Format::Json));
        assert_eq!(accept(&"x".repeat(1_000_000)), Err(NotAcceptable::NoMatch));
    }
}
