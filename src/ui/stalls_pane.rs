//! Long polls: the polls that held a worker for at least the stall
//! threshold in the last minute, grouped by where their task was spawned,
//! with the workers held right now on top.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::layout::Want;
use super::widgets::{draw_pane, not_measured, WARN};
use crate::diagnosis::rules::held;
use crate::format;
use crate::sampler::snapshot::{Cause, Culprit, Stall};
use crate::sampler::History;

/// Workers held now named a line each; more are counted on one line.
const HELD_SHOWN: usize = 3;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let latest = history.latest();
    let threshold = latest
        .and_then(|s| s.stalls.as_ref())
        .map_or(String::new(), |s| {
            format!(" ≥{}", format::micros(s.threshold_us))
        });
    let inner = draw_pane(frame, area, &format!("Long polls{threshold} (60s)"));
    frame.render_widget(Paragraph::new(lines(history, inner.width)), inner);
}

/// The workers held now, then the places that held workers, worst first:
/// a short pane keeps the first two lines.
pub fn want(history: &History, width: u16) -> Want {
    Want::text(lines(history, width.saturating_sub(2)).len(), 2)
}

fn lines(history: &History, width: u16) -> Vec<Line<'static>> {
    let Some(latest) = history.latest() else {
        return Vec::new();
    };
    let Some(stalls) = &latest.stalls else {
        return not_measured();
    };
    let width = width as usize;
    let mut lines = Vec::new();
    // Every worker held now, longest first, as the Workers pane shows them
    // all; past a few, a count, so the culprits below keep their room.
    let mut held_now: Vec<&Stall> = stalls.running.iter().collect();
    held_now.sort_by(|a, b| b.duration_us.total_cmp(&a.duration_us));
    let red = Style::new().fg(WARN).add_modifier(Modifier::BOLD);
    for now in held_now.iter().take(HELD_SHOWN) {
        // The verb says what the worker's thread is doing.
        let what = held(
            now.cause,
            now.syscall.as_deref(),
            now.cpu_share,
            &format::micros(now.duration_us),
        );
        lines.push(Line::from(Span::styled(
            fit(&format!("w{} {what} now: {}", now.worker, now.task), width),
            red,
        )));
    }
    if held_now.len() > HELD_SHOWN {
        let more = held_now.len() - HELD_SHOWN;
        lines.push(Line::from(Span::styled(
            fit(&format!("+{more} more workers held now"), width),
            red,
        )));
    }
    if stalls.culprits.is_empty() && lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "none",
            Style::new().fg(Color::Green),
        )));
    }
    lines.extend(stalls.culprits.iter().map(|c| culprit_line(c, width)));
    lines
}

/// "queue/mod.rs:115 nanosleep consumer-1   ×141 32ms": where, what its
/// thread was doing (the system call it was blocked in, or cpu), the task
/// of the longest, how often, how long. The path keeps its directories when
/// there is room for them; the task name is cut first.
fn culprit_line(culprit: &Culprit, width: usize) -> Line<'static> {
    let doing = match (culprit.cause, &culprit.syscall) {
        (Cause::Blocked, Some(call)) => format!(" {call}"),
        (Cause::Blocked, None) => " kernel".to_string(),
        (Cause::Computing, _) => " cpu".to_string(),
        (Cause::Unknown, _) => String::new(),
    };
    let figures = format!(
        " ×{} {}",
        format::count(culprit.count as f64),
        format::micros(culprit.longest_us)
    );
    let short = short_location(&culprit.location);
    let room = width.saturating_sub(figures.chars().count());
    let full = format!("{}{doing} {}", culprit.location, culprit.task);
    let text = if full.chars().count() <= room {
        full
    } else {
        fit(&format!("{short}{doing} {}", culprit.task), room)
    };
    let pad = room.saturating_sub(text.chars().count());
    Line::from(vec![
        Span::styled(text, Style::new().fg(Color::Yellow)),
        Span::raw(" ".repeat(pad)),
        Span::raw(figures),
    ])
}

/// A spawn location without its directories, but for a module's `mod.rs`,
/// which says nothing without its folder: `queue/mod.rs:133`.
fn short_location(location: &str) -> &str {
    let mut slashes = location.rmatch_indices('/').map(|(i, _)| i);
    let (Some(last), second) = (slashes.next(), slashes.next()) else {
        return location;
    };
    match second {
        Some(before) if location[last..].starts_with("/mod.rs") => &location[before + 1..],
        _ => &location[last + 1..],
    }
}

/// Cuts `text` to `width` characters, marking the cut with '…'.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::short_location;

    #[test]
    fn a_short_location_keeps_the_folder_of_a_mod_rs() {
        assert_eq!(
            short_location("src/workload/queue/mod.rs:133"),
            "queue/mod.rs:133"
        );
        assert_eq!(short_location("src/workload/work.rs:20"), "work.rs:20");
        assert_eq!(short_location("main.rs:3"), "main.rs:3");
        assert_eq!(short_location("mod.rs:3"), "mod.rs:3");
    }
}
