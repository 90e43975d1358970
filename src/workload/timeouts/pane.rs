//! Timeouts: of the requests sent, how many finished, timed out or were
//! cancelled, per second and in all, with how long results took to come.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::format;
use crate::sampler::History;
use crate::ui::layout::Want;
use crate::ui::widgets::{bar, draw_pane, WAITING, WARN};
use crate::workload::knob::Choice;
use crate::workload::timeouts::report::TimeoutsSample;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Requests with a deadline");
    frame.render_widget(Paragraph::new(lines(history, inner.width)), inner);
}

pub fn want(history: &History, width: u16) -> Want {
    Want::text(lines(history, width.saturating_sub(2)).len(), 1)
}

fn lines(history: &History, width: u16) -> Vec<Line<'static>> {
    let Some(t) = history.latest().and_then(|s| s.section::<TimeoutsSample>()) else {
        return vec![Line::from(WAITING)];
    };
    let gray = Style::new().fg(Color::Gray);
    let ended = (t.finished_per_s + t.timed_out_per_s + t.cancelled_per_s).max(1e-9);
    let bar_width = (width as usize).saturating_sub(36).clamp(4, 30);
    let row = |label: &str, per_s: f64, total: u64, color: Color| {
        let mut spans = vec![Span::styled(format!("{label:<10}"), gray)];
        spans.extend(bar(per_s / ended, bar_width, color));
        spans.push(Span::raw(format!(
            " {:>8}  {:>7} in all",
            format::rate(per_s),
            format::count(total as f64)
        )));
        Line::from(spans)
    };
    let latency = vec![
        Span::styled("latency ", gray),
        Span::raw(format!(
            "p50 {}  p99 {}",
            t.latency.shown(t.latency.p50_us),
            t.latency.shown(t.latency.p99_us)
        )),
    ];
    let mut lines = vec![
        Line::from(vec![
            Span::styled("cancel by ", gray),
            Span::raw(t.mode.name()),
            Span::styled("   sent ", gray),
            Span::raw(format::rate(t.started_per_s)),
        ]),
        row("finished", t.finished_per_s, t.finished_total, Color::Green),
        row("timed out", t.timed_out_per_s, t.timed_out_total, WARN),
        row(
            "cancelled",
            t.cancelled_per_s,
            t.cancelled_total,
            Color::Yellow,
        ),
        Line::from(latency),
    ];
    // The first result's wait on the latency line when it fits, else below.
    let first = [
        Span::styled("first result ", gray),
        Span::raw(format!("p50 {}", format::micros(t.first_result.p50_us))),
    ];
    let first_width: usize = first.iter().map(Span::width).sum();
    if lines[4].width() + 3 + first_width <= width as usize {
        lines[4].push_span(Span::raw("   "));
        first.into_iter().for_each(|span| lines[4].push_span(span));
    } else {
        lines.push(Line::from(first.to_vec()));
    }
    lines
}
