//! Queue depth over time against its capacity, with the produce and consume
//! rates: is the queue filling, draining, or breathing?

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::format;
use super::widgets::{draw_pane, ACCENT, WARN};
use crate::sampler::History;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Queue depth");
    let Some(latest) = history.latest() else {
        frame.render_widget(Paragraph::new("waiting for the first tick…"), inner);
        return;
    };
    let q = &latest.queue;
    let [summary, chart_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let full = q.depth >= q.capacity;
    let summary_line = Line::from(vec![
        Span::raw("depth "),
        Span::styled(
            format!("{}/{}", q.depth, q.capacity),
            Style::new().fg(if full { WARN } else { ACCENT }),
        ),
        Span::raw(format!(
            "  in {}  out {}",
            format::rate(q.produced_per_s),
            format::rate(q.consumed_per_s)
        )),
    ]);
    frame.render_widget(Paragraph::new(summary_line), summary);

    // Two braille dots per cell; more points than that would be drawn over.
    let points = (chart_area.width as usize * 2).max(2);
    let now = latest.uptime_s;
    let depth: Vec<(f64, f64)> = history
        .last(points)
        .map(|s| (s.uptime_s - now, s.queue.depth as f64))
        .collect();
    let capacity: Vec<(f64, f64)> = history
        .last(points)
        .map(|s| (s.uptime_s - now, s.queue.capacity as f64))
        .collect();
    let oldest = depth.first().map_or(0.0, |p| p.0).min(-1.0);
    // The capacity line runs along the top edge, where its label is.
    let top = capacity
        .iter()
        .chain(&depth)
        .map(|p| p.1)
        .fold(1.0, f64::max);
    let datasets = vec![
        Dataset::default()
            .name("capacity")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(WARN))
            .data(&capacity),
        Dataset::default()
            .name("depth")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(ACCENT))
            .data(&depth),
    ];
    let axis = Style::new().fg(Color::DarkGray);
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .style(axis)
                .bounds([oldest, 0.0])
                .labels([format!("{oldest:.0}s"), "now".to_string()]),
        )
        .y_axis(
            Axis::default()
                .style(axis)
                .bounds([0.0, top])
                .labels(["0".to_string(), format::count(top)]),
        )
        .hidden_legend_constraints((Constraint::Percentage(0), Constraint::Percentage(0)));
    frame.render_widget(chart, chart_area);
}
