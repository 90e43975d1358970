//! Threads versus tasks: the same jobs on each side, how many run, how
//! much work they get through, and what each job costs in memory.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::format;
use crate::format::bytes;
use crate::sampler::History;
use crate::ui::layout::Want;
use crate::ui::widgets::{draw_pane, WAITING, WARN};
use crate::workload::knob::Choice;
use crate::workload::threads_vs_tasks::report::{SideSample, ThreadsSample};

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let inner = draw_pane(frame, area, "Threads vs tasks");
    frame.render_widget(paragraph(history), inner);
}

/// The table, then the notes, each wrapped to the pane's width.
pub fn want(history: &History, width: u16) -> Want {
    let rows = paragraph(history).line_count(width.saturating_sub(2));
    Want::text(rows, 2)
}

fn paragraph(history: &History) -> Paragraph<'static> {
    let workers = history.latest().map_or(0, |s| s.runtime.workers);
    let Some(t) = history.latest().and_then(|s| s.section::<ThreadsSample>()) else {
        return Paragraph::new(WAITING);
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
            Span::styled(format!("{label:<13}"), gray),
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
            (format!("threads via {}", t.threads_via.name()), bold),
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
            "CPU/job done",
            (cpu_per_job(&t.tasks), plain),
            (cpu_per_job(&t.threads), plain),
        ),
        row(
            "CPU got",
            (cores(&t.tasks), plain),
            (cores(&t.threads), plain),
        ),
        row(
            "resident/job",
            (per_job(&t.tasks), plain),
            (per_job(&t.threads), plain),
        ),
        row(
            "all jobs",
            (all_jobs(&t.tasks), plain),
            (all_jobs(&t.threads), plain),
        ),
        Line::from(Span::styled(
            format!(
                "threads also reserve {} of stack each (address space); at most {} start",
                bytes(t.stack_reserved_bytes),
                t.thread_cap
            ),
            gray,
        )),
        Line::from(Span::styled(
            format!(
                "process: {} OS threads, {} resident",
                t.os_threads,
                bytes(t.rss_bytes)
            ),
            gray,
        )),
    ];
    // Past the machine's cores the OS shares them out per thread, not per
    // side: many job threads get nearly all, the runtime's few workers
    // little, and jobs done per second then say which side the OS favoured.
    // CPU per job done still says what each costs.
    if 2.0 * t.cpu_demand_cores > t.cores as f64 {
        lines.push(Line::from(Span::styled(
            format!(
                "the jobs' work asks {:.1} cores of {}: the OS shares them per thread, so {} job \
                 threads outrun the runtime's {} workers; compare CPU/job done",
                2.0 * t.cpu_demand_cores,
                t.cores,
                t.threads.running,
                workers
            ),
            Style::new().fg(WARN),
        )));
    }
    if t.jobs > t.thread_cap {
        lines.push(Line::from(Span::styled(
            format!(
                "threads capped at {}: {}",
                t.thread_cap, t.thread_cap_reason
            ),
            Style::new().fg(WARN),
        )));
    }
    // The last error stays for the JSON; the line shows while jobs are short.
    if let Some(error) = t.thread_error.as_ref().filter(|_| t.thread_failures > 0) {
        lines.push(Line::from(Span::styled(
            format!("{} thread jobs could not start: {error}", t.thread_failures),
            Style::new().fg(WARN),
        )));
    }
    Paragraph::new(lines).wrap(Wrap { trim: false })
}

fn cpu_per_job(side: &SideSample) -> String {
    side.cpu_per_job_us.map_or_else(
        || "-".to_string(),
        |us| {
            // Wake-ups cost single microseconds: keep a decimal there.
            if us < 100.0 {
                format!("{us:.1}µs")
            } else {
                format::micros(us)
            }
        },
    )
}

fn cores(side: &SideSample) -> String {
    side.cpu_cores
        .map_or_else(|| "unknown".to_string(), |c| format!("{c:.2} cores"))
}

/// Measured resident memory per job, or why there is none yet.
fn per_job(side: &SideSample) -> String {
    side.resident_per_job
        .map_or_else(|| "measuring…".to_string(), bytes)
}

fn all_jobs(side: &SideSample) -> String {
    side.resident_per_job
        .map_or_else(String::new, |each| bytes(each * side.running))
}
