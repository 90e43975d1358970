//! The scenario picker: every built-in scenario with its one-line summary;
//! ↑ ↓ choose, Enter switches, Esc closes.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::widgets::{centered, draw_pane, ACCENT};
use crate::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, chosen: usize) {
    let name_width = app
        .scenarios
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = app
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, choice)| {
            let current = if choice.name == app.info.scenario {
                "●"
            } else {
                " "
            };
            let text = format!(
                " {current} {:<name_width$}  {} ",
                choice.name, choice.summary
            );
            if i == chosen {
                Line::from(Span::styled(
                    text,
                    Style::new()
                        .fg(Color::Black)
                        .bg(ACCENT)
                        .add_modifier(Modifier::BOLD),
                ))
            } else {
                Line::from(text)
            }
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " ↑↓ choose   Enter switch   Esc close   (● runs now)",
        Style::new().fg(Color::DarkGray),
    )));
    let width = lines.iter().map(|l| l.width()).max().unwrap_or(0) as u16 + 2;
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let inner = draw_pane(frame, popup, "Scenarios");
    frame.render_widget(Paragraph::new(lines), inner);
}
