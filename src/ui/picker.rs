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
    // " ● name  ": summaries wrap at words under their own column.
    let indent = 1 + 1 + 1 + name_width + 2;
    let room = (area.width as usize).saturating_sub(2 + indent + 1).max(10);
    let mut lines: Vec<Line> = Vec::new();
    for (i, choice) in app.scenarios.iter().enumerate() {
        let current = if choice.name == app.info.scenario {
            "●"
        } else {
            " "
        };
        let style = if i == chosen {
            Style::new()
                .fg(Color::Black)
                .bg(ACCENT)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        for (row, part) in wrap_words(&choice.summary, room).into_iter().enumerate() {
            let head = if row == 0 {
                format!(" {current} {:<name_width$}  ", choice.name)
            } else {
                " ".repeat(indent)
            };
            lines.push(Line::from(Span::styled(format!("{head}{part} "), style)));
        }
    }
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

/// `text` in lines of at most `width` characters, broken between words
/// (a word longer than a line gets a line of its own).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("starts with one line");
        if line.is_empty() {
            line.push_str(word);
        } else if line.chars().count() + 1 + word.chars().count() <= width {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(word.to_string());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn summaries_break_between_words() {
        assert_eq!(
            wrap_words("tasks wait for a slow consumer", 12),
            vec!["tasks wait", "for a slow", "consumer"]
        );
        assert_eq!(wrap_words("short", 12), vec!["short"]);
        assert_eq!(
            wrap_words("unbreakable-word x", 5),
            vec!["unbreakable-word", "x"]
        );
    }
}
