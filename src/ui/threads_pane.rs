//! Threads versus tasks: the same jobs on each side, how many run, how
//! much work they get through, and what each job costs in memory.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::widgets::{draw_pane, WARN};
use crate::sampler::snapshot::SideSample;
use crate::sampler::History;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Threads vs tasks");
    let Some(t) = history.latest().and_then(|s| s.threads_vs_tasks.as_ref()) else {
        frame.render_widget(Paragraph::new("waiting for the first tick…"), inner);
        return;
    };
    let gray = Style::new().fg(Color::Gray);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let short = |s: &SideSample| {
        Style::new().fg(if s.running < t.jobs {
            WARN
        } else {
            Color::Reset
        })
    };
    let row = |label: &str, tasks: (String, Style), threads: (String, Style)| {
        Line::from(vec![
            Span::styled(format!("{label:<12}"), gray),
            Span::styled(format!("{:<12}", tasks.0), tasks.1),
            Span::styled(threads.0, threads.1),
        ])
    };
    let plain = Style::new();
    let per = |s: &SideSample| format!("{}/{}", s.running, t.jobs);
    let mut lines = vec![
        row(
            "",
            ("tasks".to_string(), bold),
            (format!("threads via {}", t.threads_via), bold),
        ),
        row(
            "running",
            (per(&t.tasks), short(&t.tasks)),
            (per(&t.threads), short(&t.threads)),
        ),
        row(
            "jobs done",
            (format::rate(t.tasks.iterations_per_s), plain),
            (format::rate(t.threads.iterations_per_s), plain),
        ),
        row(
            "memory/job",
            (bytes(t.tasks.bytes_each), plain),
            (format!("{} stack", bytes(t.threads.bytes_each)), plain),
        ),
        row(
            "all jobs",
            (bytes(t.tasks.bytes_each * t.jobs), plain),
            (bytes(t.threads.bytes_each * t.threads.running), plain),
        ),
        Line::from(Span::styled(
            format!(
                "process: {} OS threads, {} resident",
                t.os_threads,
                bytes(t.rss_bytes)
            ),
            gray,
        )),
    ];
    if let Some(error) = &t.thread_error {
        lines.push(Line::from(Span::styled(
            format!("could not start a thread: {error}"),
            Style::new().fg(WARN),
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// 312 B, 2.0 MiB, 19.5 GiB: memory sizes in binary units.
fn bytes(n: u64) -> String {
    let n = n as f64;
    let k = 1024.0;
    if n < k {
        format!("{n:.0} B")
    } else if n < k * k {
        format!("{:.1} KiB", n / k)
    } else if n < k * k * k {
        format!("{:.1} MiB", n / (k * k))
    } else {
        format!("{:.1} GiB", n / (k * k * k))
    }
}
