//! The top line: what runs, for how long, on how many workers; PAUSED.

use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use crate::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let uptime = app.view().latest().map_or(0.0, |s| s.uptime_s);
    let info = &app.info;
    let dim = Style::new().fg(Color::DarkGray);
    let line = Line::from(vec![
        Span::styled(
            " looptop ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(" workload {} ", info.workload)),
        Span::styled("│", dim),
        Span::raw(format!(" up {} ", format::uptime(uptime))),
        Span::styled("│", dim),
        Span::raw(format!(" {} workers ", info.workers)),
        Span::styled("│", dim),
        Span::raw(format!(
            " tick {} ",
            format::micros(info.tick.as_micros() as f64)
        )),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    if app.paused() {
        let paused = Span::styled(
            " PAUSED ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        );
        frame.render_widget(
            Paragraph::new(Line::from(paused)).alignment(Alignment::Right),
            area,
        );
    }
}
