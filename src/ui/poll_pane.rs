//! How long each poll held a worker this tick: percentiles, slow polls and a
//! histogram by decade, and the polls still running past the stall
//! threshold (a poll is counted in the histogram only once it ends).

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::layout::Want;
use super::widgets::{draw_pane, not_measured, ACCENT, WARN};
use crate::format;
use crate::sampler::distribution::{BINS, SLOW};
use crate::sampler::History;

const LABEL_WIDTH: usize = 9;
const COUNT_WIDTH: usize = 6;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Poll times");
    frame.render_widget(Paragraph::new(lines(history, inner.width)), inner);
}

/// The percentiles and slow polls first, then the histogram; before the
/// first tick, the rows they will take.
pub fn want(history: &History, width: u16) -> Want {
    let rows = match history.latest() {
        Some(_) => lines(history, width.saturating_sub(2)).len(),
        None => 3 + BINS.len(),
    };
    Want::text(rows, 3)
}

fn lines(history: &History, width: u16) -> Vec<Line<'static>> {
    let Some(latest) = history.latest() else {
        return Vec::new();
    };
    let Some(p) = &latest.poll_times else {
        return not_measured();
    };
    let value = |label: &str, figure: String| {
        vec![
            Span::styled(format!("{label} "), Style::new().fg(Color::Gray)),
            Span::raw(format!("{figure:<7}")),
        ]
    };
    let bucket = format::bucket;
    let max = if p.max_exact {
        format::micros(p.max_us)
    } else {
        format::bucket(p.max_us)
    };
    let mut lines = vec![
        Line::from(
            [
                value("p50", bucket(p.p50_us)),
                value("p90", bucket(p.p90_us)),
            ]
            .concat(),
        ),
        Line::from([value("p99", bucket(p.p99_us)), value("max", max)].concat()),
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
    let running = &latest.stalls().running;
    if let Some(longest) = running.iter().map(|r| r.duration_us).reduce(f64::max) {
        // Past the stall threshold, as Long polls lists them.
        let (count, longest) = (running.len(), format::micros(longest));
        let full = format!("running now {count}, longest {longest}");
        let text = if full.chars().count() <= width as usize {
            full
        } else {
            format!("running now {count}: {longest}")
        };
        lines.push(Line::from(Span::styled(text, Style::new().fg(WARN))));
    }
    let bar_width = (width as usize).saturating_sub(LABEL_WIDTH + COUNT_WIDTH + 1);
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
    lines
}
