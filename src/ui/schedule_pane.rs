//! Scheduling delay: how long woken tasks waited for a worker to poll them
//! (the event-loop lag), now and over the last ticks.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::layout::Want;
use super::widgets::{draw_pane, not_measured, sparkline, time_labels, ACCENT, WARN};
use crate::format;
use crate::sampler::distribution::SLOW;
use crate::sampler::snapshot::Distribution;
use crate::sampler::History;

/// "p99 " and "max " before each sparkline.
const LABEL_WIDTH: usize = 4;

const P99: Color = ACCENT;
const MAX: Color = Color::Yellow;
const SLOW_LINE: Color = Color::DarkGray;

/// Below this the history is two sparklines; from it, a chart with axes.
const CHART_ROWS: u16 = 5;

/// The current figures and the max's history at least; every row a tall
/// terminal can give goes to the chart.
pub const WANT: Want = Want {
    least: 2 + 2,
    need: 2 + 3,
    grows: true,
};

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Scheduling delay");
    let Some(latest) = history.latest() else {
        return;
    };
    let Some(d) = &latest.schedule_delay else {
        frame.render_widget(Paragraph::new(not_measured()), inner);
        return;
    };
    // tokio's histogram gives buckets only: every figure is a bound.
    // Each label in its line's colour: the figures are the chart's legend.
    let value = |label: &str, color: Color, us: f64| {
        [
            Span::styled(format!("{label} "), Style::new().fg(color)),
            Span::raw(format!("{:<7}", format::bucket(us))),
        ]
    };
    let mut now = Vec::new();
    now.extend(value("p50", Color::Gray, d.p50_us));
    now.extend(value("p99", P99, d.p99_us));
    now.extend(value("max", MAX, d.max_us));
    now.push(Span::styled(
        format!("waits ≥{} ", format::micros(SLOW.as_micros() as f64)),
        Style::new().fg(SLOW_LINE),
    ));
    now.push(Span::styled(
        d.slow.to_string(),
        Style::new().fg(if d.slow > 0 { WARN } else { Color::Reset }),
    ));

    let [figures, history_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(Line::from(now)), figures);
    if history_area.height >= CHART_ROWS {
        chart(frame, history_area, history);
    } else {
        sparklines(frame, history_area, history);
    }
}

/// Two lines, max and p99, on one scale: the highest max in view, named at
/// the end. Most telling first: one row keeps the max.
fn sparklines(frame: &mut Frame, area: Rect, history: &History) {
    let gray = Style::new().fg(Color::Gray);
    let peak_width = 14;
    let width = (area.width as usize).saturating_sub(LABEL_WIDTH + peak_width);
    let recent: Vec<_> = history
        .last(width)
        .filter_map(|s| s.schedule_delay.as_ref())
        .map(|d| (d.p99_us, d.max_us))
        .collect();
    let peak = recent.iter().map(|r| r.1).fold(0.0, f64::max);
    let history_line = |label: &str, color, values: Vec<f64>, note: String| {
        Line::from(vec![
            Span::styled(format!("{label:<LABEL_WIDTH$}"), gray),
            Span::styled(sparkline(values.into_iter(), peak), Style::new().fg(color)),
            Span::styled(note, Style::new().fg(Color::DarkGray)),
        ])
    };
    let lines = vec![
        history_line(
            "max",
            MAX,
            recent.iter().map(|r| r.1).collect(),
            format!(" peak {}", format::bucket(peak)),
        ),
        history_line(
            "p99",
            P99,
            recent.iter().map(|r| r.0).collect(),
            String::new(),
        ),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

/// max and p99 over time on a log scale (delays span microseconds to
/// seconds), with the slow line for reference.
fn chart(frame: &mut Frame, area: Rect, history: &History) {
    let Some(now) = history.latest().map(|s| s.uptime_s) else {
        return;
    };
    // Two braille dots per cell; more points than that would be drawn over.
    let points = (area.width as usize * 2).max(2);
    let log = |us: f64| us.max(1.0).log10();
    let series = |pick: fn(&Distribution) -> f64| -> Vec<(f64, f64)> {
        history
            .last(points)
            .filter_map(|s| Some((s.uptime_s - now, log(pick(s.schedule_delay.as_ref()?)))))
            .collect()
    };
    let max = series(|d| d.max_us);
    let p99 = series(|d| d.p99_us);
    let oldest = max.first().map_or(0.0, |p| p.0).min(-1.0);
    let slow = log(SLOW.as_micros() as f64);
    let slow_line = [(oldest, slow), (0.0, slow)];
    // Whole decades, from below the lowest p99 to above the highest max and
    // the slow line, so both lines and the threshold are always in view.
    let lowest = p99.iter().map(|p| p.1).fold(slow, f64::min).floor();
    let highest = max.iter().map(|p| p.1).fold(slow, f64::max).ceil();
    let top = if highest > lowest {
        highest
    } else {
        lowest + 1.0
    };
    let line = |data, color| {
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(color))
            .data(data)
    };
    let axis = Style::new().fg(Color::DarkGray);
    let chart = Chart::new(vec![
        line(&slow_line, SLOW_LINE),
        line(&p99, P99),
        line(&max, MAX),
    ])
    .x_axis(
        Axis::default()
            .style(axis)
            .bounds([oldest, 0.0])
            .labels(time_labels(history, oldest)),
    )
    .y_axis(Axis::default().style(axis).bounds([lowest, top]).labels([
        format::micros(10f64.powf(lowest)),
        format::micros(10f64.powf(top)),
    ]));
    frame.render_widget(chart, area);
}
