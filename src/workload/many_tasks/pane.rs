//! Many tasks: the count climbing to what was asked, the wake-ups and how
//! late the timer ran them, and what a task costs in memory.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::format;
use crate::sampler::History;
use crate::ui::layout::Want;
use crate::ui::widgets::{bar, draw_pane, sparkline, ACCENT, WAITING};
use crate::workload::knob::Choice;
use crate::workload::many_tasks::report::ManyTasksSample;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Many tasks");
    frame.render_widget(Paragraph::new(lines(history, inner.width)), inner);
}

pub fn want(history: &History, width: u16) -> Want {
    Want::text(lines(history, width.saturating_sub(2)).len(), 2)
}

fn lines(history: &History, width: u16) -> Vec<Line<'static>> {
    let Some(m) = history
        .latest()
        .and_then(|s| s.section::<ManyTasksSample>())
    else {
        return vec![Line::from(WAITING)];
    };
    let gray = Style::new().fg(Color::Gray);
    let label = |text: &str| Span::styled(format!("{text:<9}"), gray);
    let bar_width = (width as usize).saturating_sub(34).clamp(4, 30);
    let filled = m.alive as f64 / m.asked.max(1) as f64;
    let mut tasks = vec![label("tasks")];
    tasks.extend(bar(filled.min(1.0), bar_width, ACCENT));
    tasks.push(Span::raw(format!(
        " {} of {}",
        format::count(m.alive as f64),
        format::count(m.asked as f64)
    )));
    if m.alive < m.asked {
        tasks.push(Span::styled(
            format!(", +{}/s", format::count(m.ramp_per_s as f64)),
            gray,
        ));
    }
    // None in a tick with no wake-up.
    let late = |us: Option<f64>| us.map_or_else(|| "–".to_string(), format::micros);
    // A tick with no wake-up drew none: zero, so the line keeps time.
    let spark_width = (width as usize).saturating_sub(32).min(40);
    let late_max = |s: &crate::sampler::Snapshot| {
        s.section::<ManyTasksSample>()
            .and_then(|m| m.late_max_us)
            .unwrap_or(0.0)
    };
    let recent: Vec<f64> = history.last(spark_width).map(late_max).collect();
    let peak = recent.iter().copied().fold(1.0, f64::max);
    let memory = m.resident_per_task.map_or_else(
        || "measuring…".to_string(),
        |each| {
            format!(
                "{} a task (over {}), all {}",
                format::bytes(each),
                format::count(m.measured_over as f64),
                format::bytes(each * m.alive)
            )
        },
    );
    vec![
        Line::from(tasks),
        Line::from(vec![
            label("wake-ups"),
            Span::raw(format!(
                "{} ({})",
                format::rate(m.wakes_per_s),
                m.wake.name()
            )),
        ]),
        Line::from(vec![
            label("late"),
            Span::raw(format!(
                "{} mean, {} max ",
                late(m.late_mean_us),
                late(m.late_max_us)
            )),
            Span::styled(sparkline(recent.into_iter(), peak), Style::new().fg(ACCENT)),
        ]),
        Line::from(vec![label("memory"), Span::raw(memory)]),
        Line::from(vec![
            label("process"),
            Span::styled(format!("{} resident", format::bytes(m.rss_bytes)), gray),
        ]),
    ]
}
