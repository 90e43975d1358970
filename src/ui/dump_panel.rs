//! The task dump panel: every task grouped by where it waits, the biggest
//! group first; Enter shows a group's whole trace.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::widgets::{centered, draw_pane, ACCENT, WARN};
use crate::app::DumpPanel;
use crate::format;
use crate::taskdump::{self, Group, TaskDump};

pub fn draw(frame: &mut Frame, area: Rect, panel: &DumpPanel) {
    let popup = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, popup);
    let dim = Style::new().fg(Color::DarkGray);
    let (title, lines, scroll) = match &panel.result {
        None => (
            "Task dump".to_string(),
            vec![Line::from("taking a dump of every task… (at most 1s)")],
            0,
        ),
        Some(Err(error)) => (
            "Task dump".to_string(),
            vec![
                Line::from(Span::styled(error.to_string(), Style::new().fg(WARN))),
                Line::from(""),
                Line::from(Span::styled("t tries again · Esc closes", dim)),
            ],
            0,
        ),
        Some(Ok(dump)) => match dump.groups.get(panel.selected).filter(|_| panel.open) {
            Some(group) => (
                format!("Task dump: {} ({})", group.names.join(", "), group.count),
                group
                    .trace
                    .lines()
                    .map(|l| Line::from(l.to_string()))
                    .chain([Line::from(Span::styled("Esc: back to the groups", dim))])
                    .collect(),
                0,
            ),
            None => groups(dump, panel.selected, popup.height.saturating_sub(2)),
        },
    };
    let inner = draw_pane(frame, popup, &title);
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(paragraph, inner);
}

/// The groups, two lines each, scrolled so the selected one shows.
fn groups(dump: &TaskDump, selected: usize, rows: u16) -> (String, Vec<Line<'static>>, u16) {
    let title = format!(
        "Task dump: {} tasks in {} groups, taken in {}",
        dump.tasks,
        dump.groups.len(),
        format::micros(dump.took_us)
    );
    let mut lines = vec![Line::from(Span::styled(
        "↑↓ choose · Enter whole trace · t take again · Esc close",
        Style::new().fg(Color::DarkGray),
    ))];
    lines.extend(dump.held.iter().map(|held| {
        Line::from(Span::styled(
            format!("held now, so not in the dump: {held}"),
            Style::new().fg(WARN),
        ))
    }));
    for (i, group) in dump.groups.iter().enumerate() {
        lines.extend(group_lines(group, i == selected));
    }
    let selected_row = 1 + dump.held.len() as u16 + 2 * selected as u16;
    let scroll = (selected_row + 2).saturating_sub(rows);
    (title, lines, scroll)
}

/// "16  producer-*" then "waiting in Notified::poll ← BoundedQueue::push
/// (src/workload/bounded_queue.rs:60) ← queue::produce (…)".
fn group_lines(group: &Group, selected: bool) -> [Line<'static>; 2] {
    let style = if selected {
        Style::new()
            .fg(Color::Black)
            .bg(ACCENT)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    };
    let heading = format!("{:>6}  {}", group.count, group.names.join(", "));
    let waits = format!("        waiting in {}", taskdump::path(group));
    [
        Line::from(Span::styled(heading, style)),
        Line::from(Span::styled(waits, Style::new().fg(Color::Gray))),
    ]
}
