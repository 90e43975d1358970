//! The top line: what runs, for how long, on how many workers, where
//! tokio-console can attach; PAUSED.

use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{App, Playback};
use crate::format;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let uptime = app.view().latest().map_or(0.0, |s| s.uptime_s);
    let info = &app.info;
    let dim = Style::new().fg(Color::DarkGray);
    let mut spans = vec![
        Span::styled(
            " looptop ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(" scenario {} ", info.scenario)),
        Span::styled("│", dim),
        Span::raw(format!(" up {} ", format::uptime(uptime))),
        Span::styled("│", dim),
        Span::raw(format!(" {} workers ", info.workers)),
        Span::styled("│", dim),
        Span::raw(format!(
            " tick {} ",
            format::micros(info.tick.as_micros() as f64)
        )),
    ];
    // Tracing every poll is slow, and an endpoint off loopback is visible
    // to the network: both deserve to be seen.
    for (what, addr) in [("console", info.console), ("serving", info.serving)] {
        if let Some(addr) = addr {
            spans.push(Span::styled("│", dim));
            spans.extend(endpoint(what, addr));
        }
    }
    if let Some(addr) = info.attached {
        spans.push(Span::styled("│", dim));
        spans.extend(endpoint("attached to", addr));
    }
    if info.insecure {
        // A certificate that is not checked could be anyone's.
        spans.push(Span::styled("│", dim));
        spans.push(Span::styled(
            " --insecure: certificates not checked ",
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let state = match (&app.playback, app.rewound_s()) {
        (Some(playback), _) => Some(replay_state(app, playback)),
        (None, Some(back)) => Some(format!(" PAUSED -{} ", format::behind(back))),
        (None, None) => app.paused().then(|| " PAUSED ".to_string()),
    };
    // An attached run that does not answer: why, in red, until it does.
    let (state, color) = match (state, &app.problem) {
        (Some(state), _) => (Some(state), Color::Yellow),
        (None, Some(problem)) => (Some(format!(" {problem} ")), Color::Red),
        (None, None) => (None, Color::Yellow),
    };
    if let Some(state) = state {
        let state = Span::styled(
            state,
            Style::new()
                .fg(Color::Black)
                .bg(color)
                .add_modifier(Modifier::BOLD),
        );
        frame.render_widget(
            Paragraph::new(Line::from(state)).alignment(Alignment::Right),
            area,
        );
    }
}

/// `REPLAY ▶ 2x 12.5s of 9m58s`: playing or paused, the speed, where the
/// cursor is in the recording.
fn replay_state(app: &App, playback: &Playback) -> String {
    let history = app.view();
    let total: f64 = history.all().skip(1).map(|s| s.interval_s).sum();
    let at = total - history.behind_s();
    let sign = if playback.playing { "▶" } else { "‖" };
    format!(
        " REPLAY {sign} {}x {} of {} ",
        playback.speed,
        format::behind(at),
        format::behind(total)
    )
}

/// `console 127.0.0.1:6669`: magenta on loopback, red, and said, off it.
fn endpoint(what: &str, addr: std::net::SocketAddr) -> Vec<Span<'static>> {
    let loopback = addr.ip().is_loopback();
    let color = if loopback { Color::Magenta } else { Color::Red };
    let mut spans = vec![Span::styled(
        format!(" {what} {addr} "),
        Style::new().fg(color),
    )];
    if !loopback {
        spans.push(Span::styled("(not loopback) ", Style::new().fg(Color::Red)));
    }
    spans
}
