//! How many tasks exist, how fast they come and go, and where runnable tasks
//! wait: the global injection queue and the workers' local queues.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::layout::Want;
use super::widgets::{draw_pane, or_unmeasured, UNMEASURED};
use crate::app::App;
use crate::format;
use crate::sampler::snapshot::RuntimeSample;
use crate::workload::queue::report::QueueSample;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let inner = draw_pane(frame, area, "Tasks");
    frame.render_widget(Paragraph::new(lines(app, inner.width)), inner);
}

/// Most telling first: a short pane shows the first three.
pub fn want(app: &App, width: u16) -> Want {
    Want::text(lines(app, width.saturating_sub(2)).len(), 3)
}

fn lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let latest = app.view().latest();
    let width = width as usize;
    let row = |label: &str, value: String| -> Line<'static> {
        let pad = width
            .saturating_sub(label.chars().count() + value.chars().count())
            .max(1);
        Line::from(vec![
            Span::styled(label.to_string(), Style::new().fg(Color::Gray)),
            Span::raw(" ".repeat(pad)),
            Span::raw(value),
        ])
    };
    // Before the first tick every row is there, with no figure yet: the
    // pane keeps its height when the figures come.
    let runtime = |figure: fn(&RuntimeSample) -> String| {
        latest.map_or_else(|| "…".to_string(), |s| figure(&s.runtime))
    };
    let mut lines = vec![
        row("alive tasks", runtime(|rt| rt.alive_tasks.to_string())),
        row(
            "spawned",
            runtime(|rt| or_unmeasured(rt.spawned_per_s, format::rate)),
        ),
        row(
            "completed",
            runtime(|rt| or_unmeasured(rt.completed_per_s, format::rate)),
        ),
    ];
    if let Some(asked) = app.knobs().queue() {
        let running = latest.and_then(|s| s.section::<QueueSample>());
        lines.push(row(
            "producers·consumers",
            running.map_or_else(
                || "…".to_string(),
                |q| {
                    format!(
                        "{}/{}·{}/{}",
                        q.producers, asked.producers, q.consumers, asked.consumers
                    )
                },
            ),
        ));
    }
    lines.extend([
        row(
            "runnable global·local",
            runtime(|rt| {
                let local = or_unmeasured(rt.local_queue_depth, |n| n.to_string());
                format!("{}·{local}", rt.global_queue_depth)
            }),
        ),
        row(
            "blocking threads",
            runtime(|rt| match (rt.blocking_threads, rt.idle_blocking_threads) {
                (Some(threads), Some(idle)) => format!("{threads} ({idle} idle)"),
                _ => UNMEASURED.to_string(),
            }),
        ),
        row(
            "polls",
            runtime(|rt| or_unmeasured(rt.polls_per_s, format::rate)),
        ),
        row(
            "forced yields",
            runtime(|rt| or_unmeasured(rt.forced_yields_per_s, format::rate)),
        ),
    ]);
    // offload = pool runs on threads of the workload's own, outside tokio:
    // neither workers nor blocking threads. Shown beside the latter.
    if let Some(pool) = latest
        .and_then(|s| s.section::<QueueSample>())
        .map(|q| q.pool_threads)
        .filter(|&n| n > 0)
    {
        let at = lines.len() - 2;
        lines.insert(at, row("pool threads (own)", pool.to_string()));
    }
    lines
}
