//! Small text-drawing pieces shared by the panes: bars, sparklines, boxes.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;
use ratatui::Frame;

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub const ACCENT: Color = Color::Cyan;
pub const WARN: Color = Color::Red;

/// What a workload's pane says before the first tick reaches it.
pub const WAITING: &str = "waiting for the first tick…";

/// What stands for a figure the runtime does not measure: tokio counts it
/// only when built with `--cfg tokio_unstable`.
pub const UNMEASURED: &str = "–";

/// What a pane whose whole figure is not measured says instead.
pub fn not_measured() -> Vec<Line<'static>> {
    let gray = Style::new().fg(Color::Gray);
    vec![
        Line::from(Span::styled("not measured: the runtime", gray)),
        Line::from(Span::styled("was built without", gray)),
        Line::from(Span::styled("--cfg tokio_unstable", gray)),
    ]
}

/// A figure that may not be measured, formatted by `shown`.
pub fn or_unmeasured<T>(value: Option<T>, shown: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| UNMEASURED.to_string(), shown)
}

/// A bordered pane with its title.
fn pane(title: &str) -> Block<'_> {
    Block::bordered()
        .title(Span::styled(
            format!(" {title} "),
            Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
        ))
        .border_style(Style::new().fg(Color::DarkGray))
}

/// Draws a pane's frame and title; returns the area inside it.
pub fn draw_pane(frame: &mut Frame, area: Rect, title: &str) -> Rect {
    let block = pane(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// `width` cells of █ (in `color`) then ░ (dim) for a ratio in 0..=1.
pub fn bar(ratio: f64, width: usize, color: Color) -> [Span<'static>; 2] {
    let filled = ((ratio.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    [
        Span::styled("█".repeat(filled), Style::new().fg(color)),
        Span::styled("░".repeat(width - filled), Style::new().fg(Color::DarkGray)),
    ]
}

/// A time chart's edge labels, both from now: its oldest point, `oldest`
/// seconds before the cursor, and its right edge, `now` or, with the cursor
/// rewound, how far back the cursor is (`-12.5s`): the chart ends there.
pub fn time_labels(history: &crate::sampler::History, oldest: f64) -> [String; 2] {
    let behind = history.behind_s();
    let end = if history.at_newest() {
        "now".to_string()
    } else {
        format!("-{}", crate::format::behind(behind))
    };
    [format!("{:.0}s", oldest - behind), end]
}

/// One character per value, scaled to `max`.
pub fn sparkline(values: impl Iterator<Item = f64>, max: f64) -> String {
    values
        .map(|v| {
            let level = if max > 0.0 {
                (v / max).clamp(0.0, 1.0)
            } else {
                0.0
            };
            SPARKS[((level * (SPARKS.len() - 1) as f64).round() as usize).min(SPARKS.len() - 1)]
        })
        .collect()
}

/// Colour for a busy ratio: calm, warm, alarming.
pub fn load_color(ratio: f64) -> Color {
    match ratio {
        r if r >= 0.9 => WARN,
        r if r >= 0.6 => Color::Yellow,
        _ => Color::Green,
    }
}

/// A `width`×`height` rectangle centred in `area`, shrunk to fit.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_in_proportion() {
        let text = |ratio, width| {
            bar(ratio, width, Color::Green)
                .map(|s| s.content.to_string())
                .concat()
        };
        assert_eq!(text(0.5, 4), "██░░");
        assert_eq!(text(1.7, 3), "███");
        assert_eq!(text(0.0, 2), "░░");
        assert_eq!(bar(0.5, 2, WARN)[0].style.fg, Some(WARN));
    }

    #[test]
    fn sparkline_scales_to_max() {
        assert_eq!(sparkline([0.0, 0.5, 1.0, 2.0].into_iter(), 1.0), "▁▅██");
        assert_eq!(sparkline([3.0].into_iter(), 0.0), "▁");
    }

    #[test]
    fn pane_titles_stand_out_from_their_dim_border() {
        use ratatui::buffer::Buffer;
        use ratatui::widgets::Widget;
        let area = Rect::new(0, 0, 12, 3);
        let mut buf = Buffer::empty(area);
        pane("Tasks").render(area, &mut buf);
        assert_eq!(buf[(0, 0)].fg, Color::DarkGray, "border");
        assert_eq!(buf[(2, 0)].symbol(), "T");
        assert_eq!(buf[(2, 0)].fg, Color::White, "title");
    }

    #[test]
    fn centered_rect_fits_inside() {
        let area = Rect::new(0, 0, 80, 24);
        assert_eq!(centered(area, 40, 10), Rect::new(20, 7, 40, 10));
        assert_eq!(centered(area, 100, 30), area);
    }
}
