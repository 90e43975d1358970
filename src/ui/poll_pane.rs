//! How long each poll held a worker this tick: percentiles, slow polls and a
//! histogram by decade.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::widgets::{draw_pane, ACCENT, WARN};
use crate::sampler::distribution::SLOW;
use crate::sampler::History;

const LABEL_WIDTH: usize = 9;
const COUNT_WIDTH: usize = 6;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Poll times");
    let Some(latest) = history.latest() else {
        return;
    };
    let p = &latest.poll_times;
    let value = |label: &str, us: f64| {
        vec![
            Span::styled(format!("{label} "), Style::new().fg(Color::Gray)),
            Span::raw(format!("{:<7}", format::micros(us))),
        ]
    };
    let mut lines = vec![
        Line::from([value("p50", p.p50_us), value("p90", p.p90_us)].concat()),
        Line::from([value("p99", p.p99_us), value("max", p.max_us)].concat()),
        Line::from(vec![
            Span::styled(
                format!("slow ≥{} ", format::micros(SLOW.as_micros() as f64)),
                Style::new().fg(Color::Gray),
            ),
            Span::styled(
                p.slow.to_string(),
                Style::new().fg(if p.slow > 0 { WARN } else { Color::Reset }),
            ),
        ]),
    ];
    let bar_width = (inner.width as usize).saturating_sub(LABEL_WIDTH + COUNT_WIDTH + 1);
    let most = p.bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    for bin in &p.bins {
        let filled = (bin.count as f64 / most as f64 * bar_width as f64).ceil() as usize;
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<LABEL_WIDTH$}", bin.label),
                Style::new().fg(Color::Gray),
            ),
            Span::styled(
                format!("{:<bar_width$}", "▇".repeat(filled.min(bar_width))),
                Style::new().fg(ACCENT),
            ),
            Span::raw(format!(
                " {:>COUNT_WIDTH$}",
                format::count(bin.count as f64)
            )),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
