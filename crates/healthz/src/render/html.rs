//! The "System status" page (`text/html`).
//!
//! One self-contained document: a single inline `<style>` (allowed by its hash in
//! [`CONTENT_SECURITY_POLICY`]), no script, no external resource, so it renders the
//! same behind any proxy and cannot be turned into an XSS vector by a check's message.
//! The table keeps the seed's cells (`<td class="status_1">` for a working check, the
//! name, the status text) and adds the duration and a sparkline of recent runs. On
//! narrow screens each row becomes a small card, and the colours follow the reader's
//! light or dark preference.

use std::time::Duration;

use crate::error::ErrorKind;
use crate::report::{CheckReport, HealthStatus, HistoryEntry, Report};

/// The `Content-Security-Policy` of the page: nothing but the one `<style>` element,
/// named by the SHA-256 of [`STYLE`] (a test recomputes it).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
    style-src 'sha256-iOWZvQI1XxyR/XKCWlmapgAJp7uOC5cRUL4Yc+PPRqE='; img-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page's stylesheet, a constant so that its hash in the CSP is fixed.
const STYLE: &str = r#"
:root {
  color-scheme: light dark;
  --bg: #f6f8fa; --card: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5;
  --fail: #cf222e; --fail-bg: #ffebe9; --bar: #8c959f;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d;
    --ok: #3fb950; --ok-bg: #12261e; --warn: #d29922; --warn-bg: #272115;
    --fail: #f85149; --fail-bg: #2d1519; --bar: #6e7681;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 64rem; margin: 0 auto; padding: 2rem 1rem 3rem; }
h1 { margin: 0 0 .5rem; font-size: 1.75rem; font-weight: 600; }
.overall { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem .75rem; margin: 0 0 1.5rem; color: var(--muted); }
.badge {
  display: inline-block; min-width: 5.5rem; padding: .125rem .625rem; border-radius: 999px;
  font-size: .8125rem; font-weight: 600; text-align: center; white-space: nowrap;
}
.overall .badge { padding: .25rem .75rem; font-size: .875rem; }
.healthy .badge, .working .badge { color: var(--ok); background: var(--ok-bg); }
.degraded .badge, .warning .badge { color: var(--warn); background: var(--warn-bg); }
.unhealthy .badge, .failing .badge { color: var(--fail); background: var(--fail-bg); }
table {
  width: 100%; table-layout: fixed; border-collapse: separate; border-spacing: 0;
  background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
}
th, td { padding: .75rem; text-align: left; vertical-align: middle; border-top: 1px solid var(--line); }
th:first-child, td:first-child { padding-left: 1rem; }
th:last-child, td:last-child { padding-right: 1rem; }
th { border-top: 0; font-size: .75rem; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--muted); }
th.state { width: 7.75rem; }
th.name { width: 25%; }
th.duration { width: 6rem; }
th.history { width: calc(120px + 1.75rem); }
.name { font-weight: 600; }
.name, .text { overflow-wrap: anywhere; }
.text { color: var(--muted); }
.duration { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.history svg { display: block; width: 120px; height: 24px; }
.history .ok { fill: var(--bar); }
.history .warn { fill: var(--warn); }
.history .fail { fill: var(--fail); }
footer { margin-top: 1.5rem; font-size: .875rem; color: var(--muted); }
footer a { color: inherit; }
@media (max-width: 48rem) {
  main { padding: 1.25rem .75rem 2rem; }
  h1 { font-size: 1.5rem; }
  thead { display: none; }
  table, tbody { display: block; }
  tr {
    display: grid; grid-template-columns: auto minmax(0, 1fr) auto; align-items: center; gap: .375rem .75rem;
    grid-template-areas: "state history duration" "name name name" "text text text";
    padding: .875rem 1rem; border-top: 1px solid var(--line);
  }
  tr:first-child { border-top: 0; }
  td, td:first-child, td:last-child { padding: 0; border: 0; }
  .state { grid-area: state; }
  .history { grid-area: history; justify-self: end; }
  .duration { grid-area: duration; min-width: 4.25rem; }
  .name { grid-area: name; }
  .text { grid-area: text; margin-top: -.25rem; }
}
"#;

/// The sparkline's size in CSS pixels.
const SPARK_WIDTH: f64 = 120.0;
const SPARK_HEIGHT: f64 = 24.0;
/// A short history is drawn with bars as narrow as a full one, not a few wide blocks.
const SPARK_MIN_SLOTS: usize = 30;
/// The most bars a sparkline draws: two pixels each across its width.
const SPARK_MAX_BARS: usize = 60;

pub(crate) fn render(report: &Report) -> String {
    let rows: String = report.checks.iter().map(row).collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>System status</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>System status</h1>
{overall}
<table>
<thead><tr><th scope="col" class="state">State</th><th scope="col" class="name">Check</th><th scope="col" class="text">Status</th><th scope="col" class="duration">Duration</th><th scope="col" class="history">Recent runs</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
{footer}
</main>
</body>
</html>
"#,
        overall = overall(report),
        footer = footer(report),
    )
}

/// The status of the whole report and how many checks are in which state.
fn overall(report: &Report) -> String {
    let (class, label) = match report.status() {
        HealthStatus::Healthy => ("healthy", "Healthy"),
        HealthStatus::Degraded => ("degraded", "Degraded"),
        HealthStatus::Unhealthy => ("unhealthy", "Unhealthy"),
    };
    let count = |state: State| {
        let checks = report.checks.iter();
        checks.filter(|check| State::of(check) == state).count()
    };
    let counts = [
        (count(State::Failing), "failing"),
        (count(State::Warning), "warning"),
        (count(State::Working), "working"),
    ];
    let parts: Vec<String> = counts
        .iter()
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
    format!(r#"<p class="overall {class}"><span class="badge">{label}</span> {summary}</p>"#)
}

/// What a check's row shows; not only a colour, also a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Working,
    Warning,
    Failing,
}

impl State {
    fn of(check: &CheckReport) -> Self {
        match check.outcome.error_kind() {
            None => Self::Working,
            Some(ErrorKind::Warning) => Self::Warning,
            Some(_) => Self::Failing,
        }
    }

    /// The CSS class and the badge's word.
    fn class_and_label(self) -> (&'static str, &'static str) {
        match self {
            Self::Working => ("working", "OK"),
            Self::Warning => ("warning", "Warning"),
            Self::Failing => ("failing", "Failing"),
        }
    }
}

/// One check: the seed's cells (status class, name, status text), then the duration and
/// the sparkline.
fn row(check: &CheckReport) -> String {
    let (class, label) = State::of(check).class_and_label();
    // The seed's stylesheets key on `status_1` (working) and `status_0`.
    let seed_class = if check.outcome.is_working() {
        "status_1"
    } else {
        "status_0"
    };
    format!(
        concat!(
            "<tr>",
            r#"<td class="{seed_class} {class} state"><span class="badge">{label}</span></td>"#,
            r#"<td class="name">{name}</td>"#,
            r#"<td class="text">{text}</td>"#,
            r#"<td class="duration">{duration}</td>"#,
            r#"<td class="history">{sparkline}</td>"#,
            "</tr>\n",
        ),
        seed_class = seed_class,
        class = class,
        label = label,
        name = escape(&check.name),
        text = escape(&check.outcome.text()),
        duration = format_duration(check.duration),
        sparkline = sparkline(&check.history),
    )
}

/// Bars of the recent runs' durations, oldest left, latest at the right edge, failures
/// and warnings in their colour. Only the last [`SPARK_MAX_BARS`] runs are drawn, so
/// a bar stays at least a pixel wide however long the history is.
fn sparkline(history: &[HistoryEntry]) -> String {
    let title = escape(&history_summary(history));
    let history = &history[history.len().saturating_sub(SPARK_MAX_BARS)..];
    let slot = SPARK_WIDTH / history.len().max(SPARK_MIN_SLOTS) as f64;
    let slowest = history
        .iter()
        .map(|entry| entry.duration)
        .max()
        .unwrap_or_default()
        .as_secs_f64();
    let offset = SPARK_WIDTH - slot * history.len() as f64;
    let bars: String = history
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let x = offset + slot * i as f64;
            bar(entry, x, slot - 1.0, slowest)
        })
        .collect();
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" aria-label="{title}"><title>{title}</title>{bars}</svg>"#
    )
}

fn bar(entry: &HistoryEntry, x: f64, width: f64, slowest: f64) -> String {
    let (class, min_height) = match entry.error_kind {
        None => ("ok", 2.0),
        Some(ErrorKind::Warning) => ("warn", SPARK_HEIGHT / 2.0),
        // A failure is often fast (connection refused); at half height it still shows.
        Some(_) => ("fail", SPARK_HEIGHT / 2.0),
    };
    let scaled = if slowest > 0.0 {
        entry.duration.as_secs_f64() / slowest * SPARK_HEIGHT
    } else {
        0.0
    };
    let height = scaled.max(min_height);
    let y = SPARK_HEIGHT - height;
    format!(
        r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{height:.1}"/>"#
    )
}

/// The sparkline's text alternative, e.g. `Last 30 runs: 2 failed; slowest 41 ms`.
fn history_summary(history: &[HistoryEntry]) -> String {
    let Some(slowest) = history.iter().map(|entry| entry.duration).max() else {
        return "No recent runs".to_owned();
    };
    let count = |warning: bool| {
        history
            .iter()
            .filter(|entry| {
                entry
                    .error_kind
                    .is_some_and(|kind| (kind == ErrorKind::Warning) == warning)
            })
            .count()
    };
    let (failed, warned) = (count(false), count(true));
    let runs = match history.len() {
        1 => "Last run".to_owned(),
        n => format!("Last {n} runs"),
    };
    let outcome = match (failed, warned) {
        (0, 0) => "all working".to_owned(),
        (failed, 0) => format!("{failed} failed"),
        (0, warned) => format!("{warned} warned"),
        (failed, warned) => format!("{failed} failed, {warned} warned"),
    };
    format!("{runs}: {outcome}; slowest {}", format_duration(slowest))
}

fn footer(report: &Report) -> String {
    let time = humantime::format_rfc3339_seconds(report.started_at);
    format!(
        concat!(
            r#"<footer><p>Checked at <time datetime="{time}">{time}</time> in {duration}. "#,
            r#"Also as <a href="?format=json">JSON</a>, "#,
            r#"<a href="?format=health+json">health+json</a>, "#,
            r#"<a href="?format=text">text</a> and "#,
            r#"<a href="?format=openmetrics">OpenMetrics</a>.</p></footer>"#,
        ),
        time = time,
        duration = format_duration(report.duration),
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
    use crate::report::Outcome;
    use crate::report::fixtures::{self, failed};
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
        render(&Report::new(checks, started_at, Duration::from_millis(31)))
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
            r#"<a href="?format=health+json">"#,
            r#"<a href="?format=openmetrics">"#,
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
        assert!(html.contains(r#"<td class="name">DatabaseBackend</td><td class="text">unavailable: refused</td><td class="duration">12 ms</td>"#));
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
    fn the_sparkline_draws_one_bar_per_run_with_failures_marked() {
        let svg = sparkline(&[entry(10, None), entry(40, Some(ErrorKind::Unavailable))]);
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains(r#"width="120" height="24""#));
        assert!(svg.contains("<title>Last 2 runs: 1 failed; slowest 40 ms</title>"));
        assert_eq!(svg.matches("<rect ").count(), 2);
        // The latest run is the full-height bar at the right edge.
        assert!(
            svg.contains(r#"<rect class="fail" x="116.0" y="0.0" width="3.0" height="24.0"/>"#)
        );
        assert!(svg.contains(r#"<rect class="ok" x="112.0" y="18.0" width="3.0" height="6.0"/>"#));
    }

    #[test]
    fn the_sparkline_keeps_fast_failures_visible() {
        let svg = sparkline(&[entry(100, None), entry(1, Some(ErrorKind::Unavailable))]);
        assert!(svg.contains(r#"class="fail" x="116.0" y="12.0" width="3.0" height="12.0""#));
        assert!(sparkline(&[]).contains("<title>No recent runs</title>"));
        assert!(sparkline(&[entry(0, None)]).contains(r#"height="2.0""#));
    }

    #[test]
    fn history_summaries_count_failures_and_warnings() {
        let history = [
            entry(5, Some(ErrorKind::Warning)),
            entry(7, Some(ErrorKind::UnknownError)),
            entry(3, None),
        ];
        assert_eq!(
            history_summary(&history),
            "Last 3 runs: 1 failed, 1 warned; slowest 7.0 ms"
        );
        assert_eq!(
            history_summary(&history[2..]),
            "Last run: all working; slowest 3.0 ms"
        );
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
    fn a_long_history_draws_only_the_last_runs_with_positive_widths() {
        let history: Vec<_> = (0..1000).map(|i| entry(i, None)).collect();
        let svg = sparkline(&history);
        assert_eq!(svg.matches("<rect").count(), SPARK_MAX_BARS);
        assert!(!svg.contains("width=\"-"), "{svg}");
    }
}
