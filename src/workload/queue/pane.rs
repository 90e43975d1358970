//! Queue depth over time against its capacity, with the produce and consume
//! rates: is the queue filling, draining, or breathing?

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use crate::format;
use crate::sampler::History;
use crate::ui::layout::Want;
use crate::ui::widgets::{draw_pane, time_labels, ACCENT, WAITING, WARN};
use crate::workload::queue::report::QueueSample;

/// The summary line and a chart: one row of plot over its axis at least,
/// a readable shape at six, and every row a tall terminal can give.
pub const WANT: Want = Want {
    least: 2 + 1 + 3,
    need: 2 + 1 + 6,
    grows: true,
};

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Queue depth");
    let Some((latest, q)) = history
        .latest()
        .and_then(|s| s.section::<QueueSample>().map(|q| (s, q)))
    else {
        frame.render_widget(Paragraph::new(WAITING), inner);
        return;
    };
    let [summary, chart_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    // Two braille dots per cell; more points than that would be drawn over.
    let points = (chart_area.width as usize * 2).max(2);
    let now = latest.uptime_s;
    let depth: Vec<(f64, f64)> = history
        .last(points)
        .filter_map(|s| Some((s.uptime_s - now, s.section::<QueueSample>()?.depth as f64)))
        .collect();
    let capacity: Vec<(f64, f64)> = history
        .last(points)
        .filter_map(|s| {
            Some((
                s.uptime_s - now,
                s.section::<QueueSample>()?.capacity as f64,
            ))
        })
        .collect();
    let oldest = depth.first().map_or(0.0, |p| p.0).min(-1.0);
    let highest = |points: &[(f64, f64)]| points.iter().map(|p| p.1).fold(0.0, f64::max);
    let scale = y_scale(highest(&depth), highest(&capacity));
    let top = scale.top();
    let full = q.depth >= q.capacity;
    let mut summary_line = Line::from(vec![
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
    if let YScale::DepthOnly(_) = scale {
        summary_line.push_span(Span::styled(
            "  capacity off chart",
            Style::new().fg(Color::DarkGray),
        ));
    }
    frame.render_widget(Paragraph::new(summary_line), summary);

    let mut datasets = vec![Dataset::default()
        .name("depth")
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(ACCENT))
        .data(&depth)];
    if let YScale::WithCapacity(_) = scale {
        datasets.insert(
            0,
            Dataset::default()
                .name("capacity")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(WARN))
                .data(&capacity),
        );
    }
    let axis = Style::new().fg(Color::DarkGray);
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .style(axis)
                .bounds([oldest, 0.0])
                .labels(time_labels(history, oldest)),
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

/// The chart's vertical range.
#[derive(Debug, PartialEq)]
enum YScale {
    /// Up to the capacity, drawn as a line along the top edge.
    WithCapacity(f64),
    /// Up to a little above the deepest point: the capacity is so far above
    /// that drawing it would flatten the depth into the bottom row.
    DepthOnly(f64),
}

impl YScale {
    fn top(&self) -> f64 {
        match self {
            YScale::WithCapacity(top) | YScale::DepthOnly(top) => *top,
        }
    }
}

/// Shows the capacity line while the depth reaches a tenth of it.
fn y_scale(max_depth: f64, max_capacity: f64) -> YScale {
    if max_depth * 10.0 >= max_capacity {
        YScale::WithCapacity(max_capacity.max(max_depth).max(1.0))
    } else {
        YScale::DepthOnly((max_depth * 1.25).ceil().max(10.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_line_shows_while_the_depth_reaches_a_tenth_of_it() {
        assert_eq!(y_scale(20.0, 64.0), YScale::WithCapacity(64.0));
        assert_eq!(y_scale(7.0, 64.0), YScale::WithCapacity(64.0));
        assert_eq!(y_scale(0.0, 0.0), YScale::WithCapacity(1.0));
    }

    #[test]
    fn a_far_capacity_leaves_the_chart_to_the_depth() {
        assert_eq!(y_scale(800.0, 1_000_000.0), YScale::DepthOnly(1000.0));
        assert_eq!(y_scale(2.0, 1_000_000.0), YScale::DepthOnly(10.0));
    }
}
