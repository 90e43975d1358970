//! How many tasks exist, how fast they come and go, and where runnable tasks
//! wait: the global injection queue and the workers' local queues.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::widgets::draw_pane;
use crate::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let inner = draw_pane(frame, area, "Tasks");
    let Some(latest) = app.view().latest() else {
        return;
    };
    let rt = &latest.runtime;
    let width = inner.width as usize;
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
    // Most telling first: a short pane cuts the last lines.
    let mut lines = vec![
        row("alive tasks", rt.alive_tasks.to_string()),
        row("spawned", format::rate(rt.spawned_per_s)),
        row("completed", format::rate(rt.completed_per_s)),
    ];
    if let (Some(q), Some(asked)) = (&latest.queue, app.settings.queue()) {
        lines.push(row(
            "producers·consumers",
            format!(
                "{}/{}·{}/{}",
                q.producers, asked.producers, q.consumers, asked.consumers
            ),
        ));
    }
    lines.extend([
        row(
            "runnable global·local",
            format!("{}·{}", rt.global_queue_depth, rt.local_queue_depth),
        ),
        row(
            "blocking threads",
            format!(
                "{} ({} idle)",
                rt.blocking_threads, rt.idle_blocking_threads
            ),
        ),
        row("polls", format::rate(rt.polls_per_s)),
        row("forced yields", format::rate(rt.forced_yields_per_s)),
    ]);
    // offload = pool runs on threads of the workload's own, outside tokio:
    // neither workers nor blocking threads. Shown beside the latter.
    if let Some(pool) = latest
        .queue
        .as_ref()
        .map(|q| q.pool_threads)
        .filter(|&n| n > 0)
    {
        let at = lines.len() - 2;
        lines.insert(at, row("pool threads (own)", pool.to_string()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
