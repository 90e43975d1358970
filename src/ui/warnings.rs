//! The warnings feed: each problem seen now, above the key hints, with what
//! to try on the same line or, when it does not fit, the next; and first, a
//! notice for the user, such as a scenario that would not load. It takes no
//! room while all is well, so it catches the eye when it appears.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::widgets::WARN;
use crate::sampler::snapshot::Warning;

/// Rows the feed may take; warnings beyond them are counted, not shown.
pub const MAX_ROWS: usize = 4;

/// Rows the feed needs for these warnings at this width.
pub fn height(notice: Option<&str>, warnings: &[Warning], width: u16) -> u16 {
    lines(notice, warnings, width as usize).len() as u16
}

pub fn draw(frame: &mut Frame, area: Rect, notice: Option<&str>, warnings: &[Warning]) {
    let mut lines = lines(notice, warnings, area.width as usize);
    lines.truncate(area.height as usize);
    frame.render_widget(Paragraph::new(lines), area);
}

fn lines(notice: Option<&str>, warnings: &[Warning], width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(notice) = notice {
        lines.push(Line::from(vec![
            Span::styled(format!("✗ {notice}"), Style::new().fg(Color::Yellow)),
            Span::styled("  (Esc to dismiss)", Style::new().fg(Color::DarkGray)),
        ]));
    }
    for (shown, warning) in warnings.iter().enumerate() {
        // One no longer seen keeps its place a moment, greyed: its figures
        // are from the last tick it was seen.
        let (message, style) = if warning.clearing {
            (
                format!("△ was: {}", warning.message),
                Style::new().fg(Color::Gray),
            )
        } else {
            (format!("▲ {}", warning.message), warn())
        };
        let advice = format!("→ {}", warning.advice);
        let one_line = message.chars().count() + 1 + advice.chars().count() <= width;
        let needed = if one_line { 1 } else { 2 };
        if lines.len() + needed > MAX_ROWS {
            let hidden = warnings.len() - shown;
            if let Some(last) = lines.last_mut() {
                last.spans
                    .insert(0, Span::styled(format!("(+{hidden} more) "), warn()));
            }
            break;
        }
        let message = Span::styled(message, style);
        let advice = Span::styled(advice, Style::new().fg(Color::Gray));
        if one_line {
            lines.push(Line::from(vec![message, Span::raw(" "), advice]));
        } else {
            lines.push(Line::from(message));
            lines.push(Line::from(vec![Span::raw("  "), advice]));
        }
    }
    lines
}

fn warn() -> Style {
    Style::new().fg(WARN).add_modifier(Modifier::BOLD)
}
