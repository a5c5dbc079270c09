//! One row of the page: a check's state, name and what describes it, its status text
//! and observations, its duration, the age of its result and its recent runs.

use std::time::Duration;

use super::sparkline::{sparkline, uptime};
use super::{escape, format_duration};
use crate::report::{CheckReport, CheckState};

/// One check: the seed's cells (status class, name, status text), then the duration,
/// the age and the sparkline.
pub(super) fn row(check: &CheckReport) -> String {
    let state = check.outcome.state();
    let (class, label) = match state {
        CheckState::Working => ("working", "OK"),
        CheckState::Warning => ("warning", "Warning"),
        CheckState::Failing => ("failing", "Failing"),
        CheckState::Pending => ("pending", "Pending"),
    };
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
            r#"<td class="name"><span class="label">{name}</span>{meta}</td>"#,
            r#"<td class="text">{text}{observed}</td>"#,
            r#"<td class="duration">{duration}</td>"#,
            r#"<td class="age">{age}</td>"#,
            r#"<td class="history">{sparkline}{uptime}</td>"#,
            "</tr>\n",
        ),
        seed_class = seed_class,
        class = class,
        label = label,
        name = escape(&check.name),
        meta = meta(check),
        text = escape(&check.outcome_text()),
        observed = observed(check),
        duration = if check.finished_at.is_some() {
            format_duration(check.duration)
        } else {
            "—".to_owned()
        },
        age = age(check),
        sparkline = sparkline(&check.history),
        uptime = uptime(&check.history)
            .map(|uptime| format!("<small>{uptime}</small>"))
            .unwrap_or_default(),
    )
}

/// Whether the check is critical, its tags and its mode, as small chips.
fn meta(check: &CheckReport) -> String {
    let mut chips = vec![if check.critical {
        r#"<span class="chip critical">critical</span>"#.to_owned()
    } else {
        r#"<span class="chip">not critical</span>"#.to_owned()
    }];
    chips.extend(
        check
            .tags
            .iter()
            .map(|tag| format!(r#"<span class="chip">{}</span>"#, escape(tag))),
    );
    chips.push(format!(r#"<span class="chip">{}</span>"#, check.mode));
    format!(r#"<div class="meta">{}</div>"#, chips.concat())
}

/// What the check observed, one item each.
fn observed(check: &CheckReport) -> String {
    if check.observations.is_empty() {
        return String::new();
    }
    let items: String = check
        .observations
        .iter()
        .map(|observation| format!("<li>{}</li>", escape(&observation.to_string())))
        .collect();
    format!(r#"<ul class="observed">{items}</ul>"#)
}

/// How old the result is, and when the check last worked if it does not now.
fn age(check: &CheckReport) -> String {
    if check.finished_at.is_none() {
        return "no result yet".to_owned();
    }
    let mut cell = ago(check.age);
    if matches!(
        check.outcome.state(),
        CheckState::Failing | CheckState::Pending
    ) {
        let worked = match check.last_success {
            Some(at) => format!(
                "last worked {}",
                ago(at.elapsed().unwrap_or(Duration::ZERO))
            ),
            None => "never worked yet".to_owned(),
        };
        cell.push_str(&format!("<small>{worked}</small>"));
    }
    cell
}

/// `just now`, `12 s ago`, `3 min ago`, `2 h ago`.
fn ago(age: Duration) -> String {
    match age.as_secs() {
        0 => "just now".to_owned(),
        s @ 1..60 => format!("{s} s ago"),
        s @ 60..3600 => format!("{} min ago", s / 60),
        s => format!("{} h ago", s / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_short() {
        assert_eq!(ago(Duration::from_millis(900)), "just now");
        assert_eq!(ago(Duration::from_secs(12)), "12 s ago");
        assert_eq!(ago(Duration::from_secs(185)), "3 min ago");
        assert_eq!(ago(Duration::from_secs(7300)), "2 h ago");
    }
}
