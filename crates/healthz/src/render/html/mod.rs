//! The "System status" page (`text/html`).
//!
//! One self-contained document: a single inline `<style>` (allowed by its hash in
//! [`CONTENT_SECURITY_POLICY`]), no script, no external resource, so it renders the
//! same behind any proxy and cannot be turned into an XSS vector by a check's message.
//! The table keeps the seed's cells (`<td class="status_1">` for a working check, the
//! name, the status text) and adds each check's criticality, tags and mode, what it
//! observed, its duration, the age of its result and a sparkline of recent runs with
//! the uptime over them. On narrow screens each row becomes a small card, and the
//! colours follow the reader's light or dark preference. The page refreshes itself
//! every ten seconds (a `<meta>` refresh, no script) unless the reader pauses it.

mod row;
mod sparkline;

use std::time::Duration;

use super::PageView;
use crate::report::{CheckState, HealthStatus, Report};

/// The `Content-Security-Policy` of the page: nothing but the one `<style>` element,
/// named by the SHA-256 of [`STYLE`] (a test recomputes it).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
    style-src 'sha256-oCXM0RxYTCvRTwcDgVH063mGW3vyjP1U3+Zun1NpU4o='; img-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page's stylesheet, a constant so that its hash in the CSP is fixed.
const STYLE: &str = include_str!("page.css");

/// How often the page reloads itself, unless paused.
const REFRESH_SECONDS: u32 = 10;

pub(crate) fn render(report: &Report, view: &PageView) -> String {
    let rows: String = report.checks.iter().map(row::row).collect();
    let refresh = if view.paused {
        String::new()
    } else {
        format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">\n")
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
{refresh}<title>System status</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>System status</h1>
{overall}
<table>
<thead><tr><th scope="col" class="state">State</th><th scope="col" class="name">Check</th><th scope="col" class="text">Status</th><th scope="col" class="duration">Duration</th><th scope="col" class="age">Result</th><th scope="col" class="history">Recent runs</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
{footer}
</main>
</body>
</html>
"#,
        overall = overall(report),
        footer = footer(report, view),
    )
}

/// The status of the whole report, how many checks are in which state, and why.
fn overall(report: &Report) -> String {
    let status = report.status();
    let (class, label) = match status {
        HealthStatus::Healthy => ("healthy", "Healthy"),
        HealthStatus::Degraded => ("degraded", "Degraded"),
        HealthStatus::Unhealthy => ("unhealthy", "Unhealthy"),
    };
    let count = |state: CheckState| {
        let checks = report.checks.iter();
        checks
            .filter(|check| check.outcome.state() == state)
            .count()
    };
    let parts: Vec<String> = [
        CheckState::Failing,
        CheckState::Pending,
        CheckState::Warning,
        CheckState::Working,
    ]
    .into_iter()
    .map(|state| (count(state), state))
    .filter(|(n, _)| *n > 0)
    .map(|(n, state)| format!("{n} {state}"))
    .collect();
    let total = match report.checks.len() {
        1 => "1 check".to_owned(),
        n => format!("{n} checks"),
    };
    let summary = if parts.is_empty() {
        total
    } else {
        format!("{total}: {}", parts.join(", "))
    };
    format!(
        "<p class=\"overall {class}\"><span class=\"badge\">{label}</span> {summary}</p>\n\
         <p class=\"reason\">{}</p>",
        reason(report, status)
    )
}

/// Why the report has its status: the checks that make it so, critical ones first.
fn reason(report: &Report, status: HealthStatus) -> String {
    if report.shutting_down {
        return "<strong>Shutting down</strong>: the service is taking itself out of \
                rotation while it finishes its work."
            .to_owned();
    }
    let named = |wanted: HealthStatus| -> Vec<String> {
        let checks = report.checks.iter().filter(|check| check.status == wanted);
        checks
            .map(|check| {
                let criticality = if check.critical { "" } else { ", not critical" };
                format!(
                    "<strong>{}</strong> ({}{criticality})",
                    escape(&check.name),
                    check.outcome.state()
                )
            })
            .collect()
    };
    match status {
        HealthStatus::Healthy => "Every check works.".to_owned(),
        HealthStatus::Unhealthy => format!(
            "Unhealthy because of {}.",
            named(HealthStatus::Unhealthy).join(", ")
        ),
        HealthStatus::Degraded => format!(
            "Degraded, still serving: {}.",
            named(HealthStatus::Degraded).join(", ")
        ),
    }
}

/// When the report was made, the other formats (keeping the request's selection), and
/// the refresh switch.
fn footer(report: &Report, view: &PageView) -> String {
    let time = humantime::format_rfc3339_seconds(report.started_at);
    let link = |extra: &str| {
        let query: Vec<&str> = [view.selection_query.as_str(), extra]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect();
        escape(&format!("?{}", query.join("&")))
    };
    let format = |name: &str, param: &str| {
        format!(
            r#"<a href="{}">{name}</a>"#,
            link(&format!("format={param}"))
        )
    };
    let refresh = if view.paused {
        format!(r#"Auto-refresh paused: <a href="{}">resume</a>."#, link(""))
    } else {
        format!(
            r#"Refreshes every {REFRESH_SECONDS} seconds: <a href="{}">pause</a>."#,
            link("refresh=off")
        )
    };
    format!(
        "<footer><p>Checked at <time datetime=\"{time}\">{time}</time> in {duration}. {refresh}</p>\
         <p>Also as {json}, {health_json}, {text} and {metrics}.</p></footer>",
        duration = format_duration(report.duration),
        json = format("JSON", "json"),
        health_json = format("health+json", "health%2Bjson"),
        text = format("text", "text"),
        metrics = format("OpenMetrics", "openmetrics"),
    )
}

/// `0.4 ms`, `12 ms`, `12.0 s`: enough digits to compare checks at a glance.
fn format_duration(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    // An in-process check takes microseconds: `0.0 ms` would read as "not measured".
    if millis < 0.1 {
        format!("{} µs", duration.as_micros())
    } else if millis < 10.0 {
        format!("{millis:.1} ms")
    } else if millis < 10_000.0 {
        format!("{millis:.0} ms")
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

/// Escapes text for an element's content or a quoted attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::report::fixtures::{self, failed};
    use crate::report::{CheckReport, HistoryEntry, Outcome};
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    use std::time::SystemTime;

    fn entry(millis: u64, error_kind: Option<ErrorKind>) -> HistoryEntry {
        HistoryEntry {
            error_kind,
            duration: Duration::from_millis(millis),
            finished_at: SystemTime::UNIX_EPOCH,
        }
    }

    fn check(name: &str, kind: Option<ErrorKind>, message: &str) -> CheckReport {
        let outcome = kind.map_or(Outcome::Working, |kind| failed(kind, message));
        CheckReport {
            history: vec![entry(10, None), entry(30, kind)],
            ..fixtures::check(name, outcome)
        }
    }

    fn page(checks: Vec<CheckReport>) -> String {
        let started_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        render(
            &Report::new(checks, started_at, Duration::from_millis(31)),
            &PageView::default(),
        )
    }

    #[test]
    fn the_csp_allows_exactly_the_stylesheet() {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
        assert!(
            CONTENT_SECURITY_POLICY.contains(&format!("style-src 'sha256-{hash}';")),
            "update the hash in CONTENT_SECURITY_POLICY to {hash}"
        );
        assert!(page(vec![]).contains(&format!("<style>{STYLE}</style>")));
    }

    #[test]
    fn is_a_complete_document() {
        let html = page(vec![]);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        for part in [
            r#"<meta charset="utf-8">"#,
            r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
            r#"<meta name="robots" content="noindex">"#,
            "<title>System status</title>",
            "<h1>System status</h1>",
            r#"<time datetime="2023-11-14T22:13:20Z">"#,
            r#"<a href="?format=health%2Bjson">"#,
            r#"<a href="?format=openmetrics">"#,
            r#"<meta http-equiv="refresh" content="10">"#,
            r#"<a href="?refresh=off">pause</a>"#,
        ] {
            assert!(html.contains(part), "{part}");
        }
        assert!(html.ends_with("</html>\n"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn rows_keep_the_seed_cells_in_order() {
        let html = page(vec![
            check("CacheBackend", None, ""),
            check("DatabaseBackend", Some(ErrorKind::Unavailable), "refused"),
            check("Disk", Some(ErrorKind::Warning), "90% full"),
        ]);
        let cache = html.find(r#"<td class="status_1 working state">"#).unwrap();
        let db = html.find(r#"<td class="status_0 failing state">"#).unwrap();
        let disk = html.find(r#"<td class="status_0 warning state">"#).unwrap();
        assert!(cache < db && db < disk);
        assert_eq!(html.matches("status_1").count(), 1);
        assert!(html.contains(r#"<td class="name"><span class="label">DatabaseBackend</span><div class="meta"><span class="chip critical">critical</span><span class="chip">on request</span></div></td><td class="text">unavailable: refused</td><td class="duration">12 ms</td>"#));
        assert!(html.contains(r#"<span class="badge">Failing</span>"#));
        assert!(html.contains(r#"<p class="overall unhealthy"><span class="badge">Unhealthy</span> 3 checks: 1 failing, 1 warning, 1 working</p>"#));
    }

    #[test]
    fn all_text_is_escaped() {
        let html = page(vec![check(
            "<b>Tricky</b>",
            Some(ErrorKind::Unavailable),
            "<script>alert(1)</script> & \"quotes\" 'single'",
        )]);
        assert!(html.contains("&lt;b&gt;Tricky&lt;/b&gt;"));
        assert!(html.contains(
            "unavailable: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;single&#39;"
        ));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn durations_are_short_and_readable() {
        assert_eq!(format_duration(Duration::from_nanos(18_700)), "18 µs");
        assert_eq!(format_duration(Duration::from_micros(400)), "0.4 ms");
        assert_eq!(format_duration(Duration::from_micros(12_400)), "12 ms");
        assert_eq!(format_duration(Duration::from_millis(5_000)), "5000 ms");
        assert_eq!(format_duration(Duration::from_secs(12)), "12.0 s");
    }

    #[test]
    fn escape_covers_the_five_special_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("plain ü"), "plain ü");
    }

    #[test]
    fn the_reason_names_the_checks_that_make_the_status() {
        let html = page(vec![
            check("CacheBackend", None, ""),
            check("DatabaseBackend", Some(ErrorKind::Unavailable), "refused"),
        ]);
        assert!(
            html.contains("Unhealthy because of <strong>DatabaseBackend</strong> (failing)."),
            "{html}"
        );
        let degraded = page(vec![fixtures::non_critical(
            "Replica",
            failed(ErrorKind::Unavailable, "refused"),
        )]);
        assert!(degraded.contains(
            "Degraded, still serving: <strong>Replica</strong> (failing, not critical)."
        ));
        assert!(degraded.contains(r#"<span class="chip">not critical</span>"#));
        let started_at = SystemTime::UNIX_EPOCH;
        let draining = render(
            &Report::new(vec![], started_at, Duration::ZERO).shutting_down(),
            &PageView::default(),
        );
        assert!(draining.contains("<strong>Shutting down</strong>"));
        assert!(draining.contains(r#"<p class="overall unhealthy">"#));
    }

    #[test]
    fn links_keep_the_selection_and_a_paused_page_does_not_refresh() {
        let view = PageView {
            selection_query: "check=Db&exclude=Disk".to_owned(),
            paused: true,
            ..PageView::default()
        };
        let html = render(
            &Report::new(vec![], SystemTime::UNIX_EPOCH, Duration::ZERO),
            &view,
        );
        assert!(
            html.contains(r#"<a href="?check=Db&amp;exclude=Disk&amp;format=json">JSON</a>"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"Auto-refresh paused: <a href="?check=Db&amp;exclude=Disk">resume</a>."#
            )
        );
        assert!(!html.contains("http-equiv=\"refresh\""));
    }

    #[test]
    fn each_check_shows_its_mode_age_damping_observations_and_uptime() {
        use crate::observe::Observation;
        use crate::report::{Damping, Mode};
        let check = check("DatabaseBackend", None, "")
            .mode(Mode::Background {
                interval: Duration::from_secs(10),
            })
            .age(Duration::from_secs(4))
            .damping(Damping::Failures {
                failures: 1,
                threshold: 3,
            })
            .observations(vec![Observation::number("lag", 0.25).unit("s")])
            .tags(["ready"]);
        let html = page(vec![check]);
        for part in [
            r#"<span class="chip">ready</span><span class="chip">every 10s</span>"#,
            "working (1 of 3 failures)",
            r#"<ul class="observed"><li>lag 0.25 s</li></ul>"#,
            r#"<td class="age">4 s ago</td>"#,
            "<small>uptime 100% of 2 runs</small>",
        ] {
            assert!(html.contains(part), "{part} in {html}");
        }
        let pending = page(vec![CheckReport::new("Slow", Outcome::Pending)]);
        assert!(
            pending.contains(
                r#"<td class="status_0 pending state"><span class="badge">Pending</span>"#
            )
        );
    }
}
