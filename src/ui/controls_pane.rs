//! Every knob of the running workload with its value; the selected one is
//! highlighted and is what ← → change.

use ratatui::layout::{Margin, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::layout::Want;
use super::widgets::draw_pane;
use crate::app::App;
use crate::format;
use crate::settings::KnobId;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let inner = area.inner(Margin::new(1, 1));
    let (lines, selected_line) = lines(app, inner.width);
    // When the lines outnumber the rows, scroll so the selected one shows,
    // and say in the title how many are out of sight.
    let rows = (inner.height as usize).max(1);
    let skip = (selected_line + 1).saturating_sub(rows);
    let below = lines.len().saturating_sub(skip + rows);
    // A source that takes no changes shows its knobs as values only.
    let name = if app.steerable {
        "Controls"
    } else {
        "Knobs (read-only)"
    };
    let title = match (skip, below) {
        (0, 0) => name.to_string(),
        (0, below) => format!("{name} ↓{below}"),
        (above, 0) => format!("{name} ↑{above}"),
        (above, below) => format!("{name} ↑{above} ↓{below}"),
    };
    draw_pane(frame, area, &title);
    frame.render_widget(Paragraph::new(lines).scroll((skip as u16, 0)), inner);
}

/// Every knob; a short pane scrolls to the selected one.
pub fn want(app: &App, width: u16) -> Want {
    Want::text(lines(app, width.saturating_sub(2)).0.len(), 3)
}

/// The knobs' lines, and which of them is selected.
fn lines(app: &App, width: u16) -> (Vec<Line<'static>>, usize) {
    let width = width as usize;
    // With several workloads, each group of knobs is headed by its name.
    let headed = app.knobs().workloads().len() > 1;
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    let mut group = None;
    for (position, (knob, value)) in app.knobs().knobs().enumerate() {
        if !app.knobs().is_shown(knob) {
            continue;
        }
        if headed && group != Some(knob.group) {
            group = Some(knob.group);
            lines.push(Line::from(Span::styled(
                format!("─ {}", knob.group.name()),
                Style::new().fg(Color::DarkGray),
            )));
        }
        let selected = position == app.selected;
        if selected {
            selected_line = lines.len();
        }
        lines.push(knob_line(knob, value, selected, width));
    }
    (lines, selected_line)
}

fn knob_line(knob: KnobId, value: u64, selected: bool, width: usize) -> Line<'static> {
    let spec = knob.spec();
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
}
