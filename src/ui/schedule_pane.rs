//! Scheduling delay: how long woken tasks waited for a worker to poll them
//! (the event-loop lag), now and over the last ticks.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::widgets::{draw_pane, sparkline, ACCENT, WARN};
use crate::sampler::distribution::SLOW;
use crate::sampler::History;

/// "p99 " and "max " before each sparkline.
const LABEL_WIDTH: usize = 4;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Scheduling delay");
    let Some(latest) = history.latest() else {
        return;
    };
    let d = &latest.schedule_delay;
    let gray = Style::new().fg(Color::Gray);
    // tokio's histogram gives buckets only: every figure is a bound.
    let value = |label: &str, us: f64| {
        [
            Span::styled(format!("{label} "), gray),
            Span::raw(format!("{:<7}", format::bucket(us))),
        ]
    };
    let mut now = Vec::new();
    now.extend(value("p50", d.p50_us));
    now.extend(value("p99", d.p99_us));
    now.extend(value("max", d.max_us));
    now.push(Span::styled(
        format!("waits ≥{} ", format::micros(SLOW.as_micros() as f64)),
        gray,
    ));
    now.push(Span::styled(
        d.slow.to_string(),
        Style::new().fg(if d.slow > 0 { WARN } else { Color::Reset }),
    ));

    // Both lines share one scale, the highest max in view, named at the end.
    let peak_width = 14;
    let width = (inner.width as usize).saturating_sub(LABEL_WIDTH + peak_width);
    let recent: Vec<_> = history
        .last(width)
        .map(|s| (s.schedule_delay.p99_us, s.schedule_delay.max_us))
        .collect();
    let peak = recent.iter().map(|r| r.1).fold(0.0, f64::max);
    let history_line = |label: &str, values: Vec<f64>, note: String| {
        Line::from(vec![
            Span::styled(format!("{label:<LABEL_WIDTH$}"), gray),
            Span::styled(sparkline(values.into_iter(), peak), Style::new().fg(ACCENT)),
            Span::styled(note, Style::new().fg(Color::DarkGray)),
        ])
    };
    // Most telling first: a short pane keeps the current figures and the max.
    let lines = vec![
        Line::from(now),
        history_line(
            "max",
            recent.iter().map(|r| r.1).collect(),
            format!(" peak {}", format::bucket(peak)),
        ),
        history_line("p99", recent.iter().map(|r| r.0).collect(), String::new()),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
