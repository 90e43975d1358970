//! One row per worker thread: how busy it was this tick, and lately. Given
//! rows to spare, a second line per worker says what kept it busy.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::layout::Want;
use super::widgets::{bar, draw_pane, load_color, or_unmeasured, sparkline, WARN};
use crate::format;
use crate::sampler::snapshot::Cause;
use crate::sampler::History;

/// A narrow pane shortens the bar first: the figures after it are the news.
const BAR_WIDTH: std::ops::RangeInclusive<usize> = 4..=10;

/// A row per worker, and a second with its figures when there is room.
pub fn want(workers: usize) -> Want {
    let workers = workers as u16;
    Want {
        least: 2 + workers.min(3),
        need: 2 + 2 * workers,
        grows: false,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    // The whole process beside the workers: near the machine's cores, the
    // machine is the limit, not the runtime.
    let process = history.latest().and_then(|s| {
        let cores = s.runtime.process_cpu_cores?;
        Some(format!("process {cores:.1}/{} cores", s.runtime.cores))
    });
    let room = area.width.saturating_sub(4) as usize;
    let title = match process {
        Some(p) if format!("Workers (busy) · {p}").chars().count() <= room => {
            format!("Workers (busy) · {p}")
        }
        Some(p) if format!("Workers · {p}").chars().count() <= room => format!("Workers · {p}"),
        _ => "Workers (busy)".to_string(),
    };
    let inner = draw_pane(frame, area, &title);
    let Some(latest) = history.latest() else {
        return;
    };
    let rows = inner.height as usize;
    let workers = latest.workers.len();
    let detailed = rows >= workers * 2;
    // With more workers than rows, the last row says how many are hidden.
    let shown = if workers > rows {
        rows.saturating_sub(1)
    } else {
        workers
    };
    let label_width = format!("w{}", workers.saturating_sub(1)).len();
    // "w1 " bar " 100% " "blocked 1.2s"
    let bar_width = (inner.width as usize)
        .saturating_sub(label_width + 1 + 6 + 12)
        .clamp(*BAR_WIDTH.start(), *BAR_WIDTH.end());
    let spark_width = (inner.width as usize).saturating_sub(label_width + bar_width + 7);
    let dim = Style::new().fg(Color::DarkGray);
    let mut lines: Vec<Line> = Vec::new();
    for (i, w) in latest.workers.iter().take(shown).enumerate() {
        let recent = history
            .last(spark_width)
            .map(|s| s.workers.get(i).map_or(0.0, |w| w.busy_ratio));
        let label = format!("{:<label_width$} ", format!("w{i}"));
        let mut row = vec![Span::styled(label, Style::new().fg(Color::Gray))];
        row.extend(bar(w.busy_ratio, bar_width, load_color(w.busy_ratio)));
        row.push(Span::raw(format!(" {:>4} ", format::percent(w.busy_ratio))));
        match w.blocked_us {
            // In one long poll: what its thread does, as Long polls says
            // (which names the call).
            Some(us) => {
                let stall = latest.stalls().running.iter().find(|s| s.worker == i);
                let verb = match stall.map(|s| s.cause) {
                    Some(Cause::Blocked) => "blocked",
                    Some(Cause::Computing) => "computing",
                    _ => "held",
                };
                let text = format!("{verb} {}", format::micros(us));
                row.push(Span::styled(
                    text,
                    Style::new().fg(WARN).add_modifier(Modifier::BOLD),
                ));
            }
            None => row.push(Span::styled(sparkline(recent, 1.0), dim)),
        }
        lines.push(Line::from(row));
        if detailed {
            let parts = [
                format!("polls {}", or_unmeasured(w.polls_per_s, format::rate)),
                format!("steals {}", or_unmeasured(w.steals_per_s, format::rate)),
                format!(
                    "queue {}",
                    or_unmeasured(w.local_queue_depth, |n| n.to_string())
                ),
                format!("parks {}", format::rate(w.parks_per_s)),
            ];
            lines.push(Line::from(Span::styled(
                fitting(&parts, label_width + 1, inner.width as usize),
                dim,
            )));
        }
    }
    if shown < workers {
        lines.push(Line::from(format!("+{} more workers", workers - shown)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// As many of `parts` (most important first) as fit whole in `width`, after
/// an indent.
fn fitting(parts: &[String], indent: usize, width: usize) -> String {
    let mut line = " ".repeat(indent);
    for (i, part) in parts.iter().enumerate() {
        let sep = if i == 0 { "" } else { " " };
        if line.chars().count() + sep.len() + part.chars().count() > width {
            break;
        }
        line.push_str(sep);
        line.push_str(part);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::fitting;

    #[test]
    fn fitting_keeps_whole_parts_only() {
        let parts = [
            "polls 1/s".to_string(),
            "steals 2/s".to_string(),
            "queue 3".to_string(),
        ];
        assert_eq!(fitting(&parts, 2, 30), "  polls 1/s steals 2/s queue 3");
        assert_eq!(fitting(&parts, 2, 24), "  polls 1/s steals 2/s");
        assert_eq!(fitting(&parts, 2, 5), "  ");
    }
}
