//! The bottom line: the keys that matter most.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// They fit 80 columns; the rest are in the help.
const HINTS: [(&str, &str); 7] = [
    ("↑↓", "knob"),
    ("←→", "change"),
    ("s", "scenario"),
    ("e", "explain"),
    ("space", "pause"),
    ("?", "help"),
    ("q", "quit"),
];

pub fn draw(frame: &mut Frame, area: Rect) {
    let key = Style::new().fg(Color::Black).bg(Color::DarkGray);
    let spans: Vec<Span> = HINTS
        .iter()
        .flat_map(|(k, what)| {
            [
                Span::raw(" "),
                Span::styled(format!(" {k} "), key),
                Span::raw(format!(" {what}")),
            ]
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
