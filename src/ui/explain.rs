//! The explanation panel: what the running scenario models, the asyncio
//! idea and its tokio counterpart, what to try and what to watch.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::widgets::{centered, draw_pane, ACCENT};
use crate::scenario::Explain;

pub fn draw(frame: &mut Frame, area: Rect, name: &str, explain: &Explain) {
    let width = area.width.saturating_sub(8).min(90);
    let sections = [
        ("What it models", &explain.models),
        ("In asyncio", &explain.asyncio),
        ("In tokio", &explain.tokio),
        ("Try", &explain.try_this),
        ("Watch", &explain.watch),
    ];
    let mut lines = Vec::new();
    for (heading, text) in sections {
        lines.push(Line::from(Span::styled(
            heading,
            Style::new().fg(ACCENT).add_modifier(Modifier::BOLD),
        )));
        lines.push(Line::from(text.as_str()));
    }
    lines.push(Line::from(Span::styled(
        "press e to close",
        Style::new().fg(Color::DarkGray),
    )));
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: true });
    // The wrapped height at this width, within the terminal.
    let inner_width = width.saturating_sub(2);
    let height = (paragraph.line_count(inner_width) as u16 + 2).min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let inner = draw_pane(frame, popup, &format!("Scenario: {name}"));
    frame.render_widget(paragraph, inner);
}
