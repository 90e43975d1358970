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

/// Paused, or in a replay, the arrows move through time.
const IN_TIME: [(&str, &str); 6] = [
    ("←→", "a tick"),
    ("⇧←→", "10 s"),
    ("[ ]", "warnings"),
    ("space", "go on"),
    ("?", "help"),
    ("q", "quit"),
];

/// The hints for now: `in_time` while paused or replaying.
pub fn draw(frame: &mut Frame, area: Rect, in_time: bool) {
    let key = Style::new().fg(Color::Black).bg(Color::DarkGray);
    let hints: &[(&str, &str)] = if in_time { &IN_TIME } else { &HINTS };
    let spans: Vec<Span> = hints
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
