//! HTTP requests: where they go, how many a second, how long they take
//! (p50 to p99.9), how they ended, and what the crawl found.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::knobs::Mode;
use crate::format;
use crate::sampler::History;
use crate::ui::layout::Want;
use crate::ui::widgets::{draw_pane, sparkline, ACCENT, WAITING, WARN};
use crate::workload::knob::Choice;
use crate::workload::requests::report::RequestsSample;

pub fn draw(frame: &mut Frame, area: Rect, history: &History) {
    let title = match history.latest().and_then(|s| s.section::<RequestsSample>()) {
        Some(r) => format!("Requests → {}", r.target),
        None => "Requests".to_string(),
    };
    let inner = draw_pane(frame, area, &title);
    frame.render_widget(Paragraph::new(lines(history, inner.width)), inner);
}

pub fn want(history: &History, width: u16) -> Want {
    Want::text(lines(history, width.saturating_sub(2)).len(), 1)
}

fn lines(history: &History, width: u16) -> Vec<Line<'static>> {
    let Some(r) = history.latest().and_then(|s| s.section::<RequestsSample>()) else {
        return vec![Line::from(WAITING)];
    };
    let gray = Style::new().fg(Color::Gray);
    let how = match r.mode {
        Mode::Closed | Mode::Crawl => format!("{} ×{}", r.mode.name(), r.concurrency),
        Mode::Open => r.mode.name().to_string(),
    };
    let mut latency = vec![Span::styled("latency", gray)];
    for (label, us) in [
        ("p50", r.latency.p50_us),
        ("p90", r.latency.p90_us),
        ("p99", r.latency.p99_us),
        ("p99.9", r.latency.p999_us),
        ("max", r.latency.max_us),
    ] {
        latency.push(Span::styled(format!(" {label} "), gray));
        latency.push(Span::raw(r.latency.shown(us)));
    }
    let errors = r.timeouts + r.connect_errors + r.other_errors + r.too_large + r.shed;
    let error_style = Style::new().fg(if errors > 0 { WARN } else { Color::Reset });
    // Requesters whose connection failed wait before they try again.
    let retrying = match r.backing_off {
        0 => String::new(),
        n => format!("  {n} waiting to retry"),
    };
    // Only a server of the user's redirects: the embedded site never does.
    let redirects = match r.redirects {
        0 => String::new(),
        n => format!("  3xx {}", format::count(n as f64)),
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{how}  "), Style::new().fg(ACCENT)),
            Span::raw(format!(
                "sent {}  ok {}  in flight {}",
                format::rate(r.sent_per_s),
                format::rate(r.ok_per_s),
                r.in_flight
            )),
        ]),
        Line::from(latency),
        Line::from(vec![
            Span::styled("status ", gray),
            Span::raw(format!(
                "2xx {}{redirects}  4xx {}  5xx {}",
                format::count(r.ok as f64),
                format::count(r.client_errors as f64),
                format::count(r.server_errors as f64)
            )),
        ]),
        Line::from(vec![
            Span::styled("errors ", gray),
            Span::styled(
                format!(
                    "timeout {}  connect {}  too large {}  other {}  shed {}{retrying}",
                    r.timeouts, r.connect_errors, r.too_large, r.other_errors, r.shed
                ),
                error_style,
            ),
        ]),
    ];
    // The embedded site runs on a thread of its own, off the observed
    // runtime: its side of the exchange.
    if let Some(open) = r.site_connections {
        let cpu = r
            .site_cpu_cores
            .map_or_else(|| "unknown".to_string(), format::percent);
        lines.push(Line::from(vec![
            Span::styled("site   ", gray),
            Span::raw(format!(
                "its thread {cpu} of a core  {open} connections open"
            )),
        ]));
    }
    if r.mode == Mode::Crawl {
        lines.push(Line::from(vec![
            Span::styled("crawl ", gray),
            Span::raw(format!(
                "{} pages  {} links  {} crawls (last {} pages)",
                r.pages_crawled, r.links_found, r.crawls, r.last_crawl_pages
            )),
        ]));
    }
    // The sparkline's scale: its top is the peak in view, named after it.
    let peak_width = 16;
    let width = (width as usize).saturating_sub(7 + peak_width);
    let rates: Vec<f64> = history
        .last(width)
        .map(|s| s.section::<RequestsSample>().map_or(0.0, |r| r.ok_per_s))
        .collect();
    let peak = rates.iter().copied().fold(0.0, f64::max);
    lines.push(Line::from(vec![
        Span::styled("ok/s   ", gray),
        Span::styled(sparkline(rates.into_iter(), peak), Style::new().fg(ACCENT)),
        Span::styled(
            format!(" peak {}", format::rate(peak)),
            Style::new().fg(Color::DarkGray),
        ),
    ]));
    lines
}
