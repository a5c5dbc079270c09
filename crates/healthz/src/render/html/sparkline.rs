//! The sparkline of a check's recent runs, and the uptime over them.

use super::{escape, format_duration};
use crate::error::ErrorKind;
use crate::report::HistoryEntry;

/// The sparkline's size in CSS pixels.
const SPARK_WIDTH: f64 = 120.0;
const SPARK_HEIGHT: f64 = 24.0;
/// A short history is drawn with bars as narrow as a full one, not a few wide blocks.
const SPARK_MIN_SLOTS: usize = 30;
/// The most bars a sparkline draws: two pixels each across its width.
pub(super) const SPARK_MAX_BARS: usize = 60;

/// Bars of the recent runs' durations, oldest left, latest at the right edge, failures
/// and warnings in their colour. Only the last [`SPARK_MAX_BARS`] runs are drawn, so
/// a bar stays at least a pixel wide however long the history is.
pub(super) fn sparkline(history: &[HistoryEntry]) -> String {
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
pub(super) fn history_summary(history: &[HistoryEntry]) -> String {
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

/// The share of the kept runs that did not fail (a warning counts as up), e.g.
/// `uptime 96.7% of 30 runs`; `None` without runs.
pub(super) fn uptime(history: &[HistoryEntry]) -> Option<String> {
    if history.is_empty() {
        return None;
    }
    let up = history
        .iter()
        .filter(|entry| matches!(entry.error_kind, None | Some(ErrorKind::Warning)))
        .count();
    let percent = up as f64 * 100.0 / history.len() as f64;
    let runs = match history.len() {
        1 => "1 run".to_owned(),
        n => format!("{n} runs"),
    };
    let percent = if up == history.len() {
        "100".to_owned()
    } else {
        format!("{percent:.1}")
    };
    Some(format!("uptime {percent}% of {runs}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn entry(millis: u64, error_kind: Option<ErrorKind>) -> HistoryEntry {
        HistoryEntry::new(
            error_kind,
            Duration::from_millis(millis),
            SystemTime::UNIX_EPOCH,
        )
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
    fn a_long_history_draws_only_the_last_runs_with_positive_widths() {
        let history: Vec<_> = (0..1000).map(|i| entry(i, None)).collect();
        let svg = sparkline(&history);
        assert_eq!(svg.matches("<rect").count(), SPARK_MAX_BARS);
        assert!(!svg.contains("width=\"-"), "{svg}");
    }

    #[test]
    fn uptime_counts_warnings_as_up() {
        assert_eq!(uptime(&[]), None);
        let history = [
            entry(1, None),
            entry(1, Some(ErrorKind::Warning)),
            entry(1, Some(ErrorKind::Unavailable)),
        ];
        assert_eq!(uptime(&history).unwrap(), "uptime 66.7% of 3 runs");
        assert_eq!(uptime(&history[..1]).unwrap(), "uptime 100% of 1 run");
    }
}
