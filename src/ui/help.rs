//! The help overlay: every key, from the same table the event loop uses.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::widgets::{centered, draw_pane};
use crate::app::keys::HELP;

pub fn draw(frame: &mut Frame, area: Rect) {
    let key_width = HELP
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(
                    format!(" {keys:<key_width$}  "),
                    Style::new().fg(Color::Cyan),
                ),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " press ? to close",
        Style::new().fg(Color::DarkGray),
    )));
    let width = lines.iter().map(|l| l.width()).max().unwrap_or(0) as u16 + 4;
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let inner = draw_pane(frame, popup, "Keys");
    frame.render_widget(Paragraph::new(lines), inner);
}
