//! The output formats: [`Format`], the [`Renderer`] trait and the built-in renderers.

mod health_json;
mod html;
mod json;
mod openmetrics;
pub(crate) mod status_only;
mod text;
pub(crate) mod verbose;

use std::sync::Arc;

use crate::report::Report;

pub(crate) use html::CONTENT_SECURITY_POLICY;

/// The policy for a custom HTML renderer, whose stylesheet the built-in hash does not
/// cover: inline styles allowed, still no scripts, frames, forms or remote resources.
pub(crate) const CUSTOM_HTML_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// An output format of the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The "System status" page (`text/html`).
    Html,
    /// The seed's flat JSON object (`application/json`).
    Json,
    /// IETF `application/health+json` (draft-inadarei-api-health-check).
    HealthJson,
    /// One `<name>: <status>` line per check (`text/plain`).
    Text,
    /// OpenMetrics / Prometheus exposition (`application/openmetrics-text`).
    OpenMetrics,
    /// The Prometheus text exposition format, version 0.0.4 (`text/plain;
    /// version=0.0.4`): the same metrics for scrapers that do not speak OpenMetrics
    /// (Prometheus' fallback, Telegraf, Datadog's OpenMetrics check in text mode).
    Prometheus,
}

impl Format {
    /// Every format, in the order a `406` lists them.
    pub const ALL: [Self; 6] = [
        Self::Html,
        Self::Json,
        Self::HealthJson,
        Self::Text,
        Self::OpenMetrics,
        Self::Prometheus,
    ];

    /// The value of `?format=` that selects it.
    #[must_use]
    pub const fn param(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Json => "json",
            Self::HealthJson => "health+json",
            Self::Text => "text",
            Self::OpenMetrics => "openmetrics",
            Self::Prometheus => "prometheus",
        }
    }

    /// The media type it answers to in `Accept` (HTML also to
    /// `application/xhtml+xml`; Prometheus only with `version=0.0.4`).
    #[must_use]
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Html => "text/html",
            Self::Json => "application/json",
            Self::HealthJson => "application/health+json",
            Self::Text | Self::Prometheus => "text/plain",
            Self::OpenMetrics => "application/openmetrics-text",
        }
    }

    /// The `version` parameter its media type must carry in `Accept`, if any: plain
    /// `text/plain` is the text lines, `text/plain; version=0.0.4` the Prometheus
    /// metrics.
    #[must_use]
    pub(crate) const fn version(self) -> Option<&'static str> {
        match self {
            Self::Prometheus => Some("0.0.4"),
            _ => None,
        }
    }

    /// Other media types it answers to, listed after [`media_type`](Self::media_type).
    pub(crate) const fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Html => &["application/xhtml+xml"],
            _ => &[],
        }
    }

    /// The `Content-Type` of its responses.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
            Self::HealthJson => "application/health+json; charset=utf-8",
            Self::Text => "text/plain; charset=utf-8",
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }

    /// Whether it is a metrics format, which answers 200 whatever the report says so that
    /// the scrape itself succeeds and the failure shows in the gauges.
    #[must_use]
    pub const fn is_metrics(self) -> bool {
        matches!(self, Self::OpenMetrics | Self::Prometheus)
    }

    /// The format named by a `?format=` value, case-insensitively.
    #[must_use]
    pub fn from_param(value: &str) -> Option<Self> {
        // An unescaped `+` in a query string decodes to a space: `?format=health+json`.
        let value = value.replace(' ', "+");
        Self::ALL
            .into_iter()
            .find(|format| format.param().eq_ignore_ascii_case(&value))
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

/// Turns a report into a response body of one format.
///
/// Any `Fn(&Report) -> String` is a renderer, so replacing a format's output is one
/// closure:
///
/// ```
/// # use healthz::{Format, Report, HealthStatus};
/// # #[cfg(feature = "axum")] {
/// # let registry = healthz::Registry::builder().build().unwrap();
/// let endpoint = healthz::Endpoint::new(registry).renderer(Format::Text, |report: &Report| {
///     if report.status() == HealthStatus::Unhealthy { "SWEATY".into() } else { "COOL".into() }
/// });
/// # }
/// ```
pub trait Renderer: Send + Sync + 'static {
    /// Renders the report.
    fn render(&self, report: &Report) -> String;
}

impl<F> Renderer for F
where
    F: Fn(&Report) -> String + Send + Sync + 'static,
{
    fn render(&self, report: &Report) -> String {
        self(report)
    }
}

/// What the built-in page knows of the request besides the report: the query its
/// links keep (the selection's `check` and `exclude` parameters), and whether the reader
/// paused its auto-refresh.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageView {
    pub(crate) selection_query: String,
    pub(crate) paused: bool,
    /// What health+json says of the service.
    pub(crate) service: Arc<ServiceInfo>,
}

/// What `application/health+json` says of the service besides its checks: the
/// draft's `version`, `releaseId`, `serviceId` and `description`.
///
/// ```
/// use healthz::ServiceInfo;
///
/// let service = ServiceInfo::new()
///     .version("2")
///     .release_id("2.4.1")
///     .service_id("orders-api")
///     .description("the orders API and the backends it needs");
/// # drop(service);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ServiceInfo {
    pub(crate) version: Option<String>,
    pub(crate) release_id: Option<String>,
    pub(crate) service_id: Option<String>,
    pub(crate) description: Option<String>,
}

impl ServiceInfo {
    /// Says nothing; the description defaults to "health of the service's dependencies".
    pub fn new() -> Self {
        Self::default()
    }

    /// The public version of the service (`version`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The release or build (`releaseId`).
    pub fn release_id(mut self, release_id: impl Into<String>) -> Self {
        self.release_id = Some(release_id.into());
        self
    }

    /// A unique identifier of the service (`serviceId`).
    pub fn service_id(mut self, service_id: impl Into<String>) -> Self {
        self.service_id = Some(service_id.into());
        self
    }

    /// What the service is (`description`).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Renders a report with the built-in renderer of a format.
#[must_use]
pub fn render(format: Format, report: &Report) -> String {
    render_viewed(format, report, &PageView::default())
}

/// [`render`], with what the page knows of the request.
fn render_viewed(format: Format, report: &Report, view: &PageView) -> String {
    match format {
        Format::Html => html::render(report, view),
        Format::Json => json::render(report),
        Format::HealthJson => health_json::render(report, &view.service),
        Format::Text => text::render(report),
        Format::OpenMetrics => openmetrics::render(report, openmetrics::Dialect::OpenMetrics),
        Format::Prometheus => openmetrics::render(report, openmetrics::Dialect::Prometheus),
    }
}

/// One optional custom renderer per format.
#[derive(Clone, Default)]
pub(crate) struct Renderers([Option<Arc<dyn Renderer>>; Format::ALL.len()]);

impl Renderers {
    pub(crate) fn set(&mut self, format: Format, renderer: Arc<dyn Renderer>) {
        self.0[format.index()] = Some(renderer);
    }

    pub(crate) fn is_custom(&self, format: Format) -> bool {
        self.0[format.index()].is_some()
    }

    pub(crate) fn render(&self, format: Format, report: &Report, view: &PageView) -> String {
        match &self.0[format.index()] {
            Some(custom) => custom.render(report),
            None => render_viewed(format, report, view),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_params_are_case_insensitive() {
        assert_eq!(Format::from_param("JSON"), Some(Format::Json));
        assert_eq!(Format::from_param("Health+Json"), Some(Format::HealthJson));
        assert_eq!(Format::from_param("health json"), Some(Format::HealthJson));
        assert_eq!(Format::from_param("xml"), None);
        for format in Format::ALL {
            assert_eq!(Format::from_param(format.param()), Some(format));
        }
    }
}
