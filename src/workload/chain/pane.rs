//! The pipeline: items in and out with their end-to-end latency, then one
//! line per stage with its queue, its rate and how busy its tasks are. The
//! busiest stage is the bottleneck, and is marked.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::format;
use crate::sampler::History;
use crate::ui::layout::Want;
use crate::ui::widgets::{bar, draw_pane, load_color, WAITING, WARN};
use crate::workload::chain::knobs::FANOUT_STAGE;
use crate::workload::chain::report::ChainSample;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Pipeline");
    frame.render_widget(Paragraph::new(lines(history, inner.width)), inner);
}

/// The summary line, then a line per stage.
pub fn want(history: &History, width: u16) -> Want {
    Want::text(lines(history, width.saturating_sub(2)).len(), 1)
}

fn lines(history: &History, width: u16) -> Vec<Line<'static>> {
    let Some(chain) = history.latest().and_then(|s| s.section::<ChainSample>()) else {
        return vec![Line::from(WAITING)];
    };
    let gray = Style::new().fg(Color::Gray);
    let mut lines = vec![Line::from(vec![
        Span::raw(format!(
            "in {}  out {}  ",
            format::rate(chain.produced_per_s),
            format::rate(chain.done_per_s)
        )),
        Span::styled("latency ", gray),
        Span::raw(format!(
            "p50 {}  p99 {}",
            chain.latency.shown(chain.latency.p50_us),
            chain.latency.shown(chain.latency.p99_us)
        )),
    ])];
    let bottleneck = chain.bottleneck();
    let bar_width = (width as usize).saturating_sub(46).clamp(4, 20);
    for (i, stage) in chain.stages.iter().enumerate() {
        let fill = stage.depth as f64 / stage.capacity.max(1) as f64;
        let mut spans = vec![Span::styled(format!("s{} ", i + 1), gray)];
        spans.extend(bar(fill, bar_width, load_color(fill)));
        spans.push(Span::raw(format!(
            " {:>5} {:>8}  busy {:>4}",
            format!("{}/{}", stage.depth, stage.capacity),
            format::rate(stage.per_s),
            format::percent(stage.busy_ratio),
        )));
        if i + 1 == FANOUT_STAGE {
            let how = if chain.fanout_concurrent {
                "together"
            } else {
                "in turn"
            };
            spans.push(Span::styled(format!("  ⇉{} {how}", chain.fanout), gray));
        }
        if Some(i) == bottleneck {
            spans.push(Span::styled("  ◀ slowest", Style::new().fg(WARN)));
        }
        lines.push(Line::from(spans));
    }
    lines
}
