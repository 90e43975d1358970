//! Every knob of the running workload with its value; the selected one is
//! highlighted and is what ← → change.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::widgets::draw_pane;
use crate::app::App;
use crate::settings::KnobId;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let inner = draw_pane(frame, area, "Controls");
    let width = inner.width as usize;
    // When the knobs outnumber the rows, scroll so the selected one shows.
    let rows = (inner.height as usize).max(1);
    let shown: Vec<(usize, (KnobId, u64))> = app
        .settings
        .knobs()
        .enumerate()
        .filter(|(_, (knob, _))| app.settings.is_shown(*knob))
        .collect();
    let at = shown
        .iter()
        .position(|(position, _)| *position == app.selected)
        .unwrap_or(0);
    let lines: Vec<Line> = shown
        .into_iter()
        .skip((at + 1).saturating_sub(rows))
        .map(|(position, (knob, value))| {
            let spec = knob.spec();
            let selected = position == app.selected;
            let marker = if selected { "▶ " } else { "  " };
            let value = format::knob_value(value, spec.unit);
            let pad = width
                .saturating_sub(2 + spec.label.chars().count() + value.chars().count())
                .max(1);
            let text = format!("{marker}{}{}{value}", spec.label, " ".repeat(pad));
            let style = if selected {
                Style::new()
                    .fg(Color::Black)
                    .bg(Color::Cyan)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
