//! Drawing: a pure function of the app state, so the same state always draws
//! the same frame (which is what the snapshot tests rely on).

pub mod chain_pane;
pub mod controls_pane;
pub mod explain;
pub mod format;
pub mod header;
pub mod help;
pub mod hints;
pub mod picker;
pub mod poll_pane;
pub mod queue_pane;
pub mod requests_pane;
pub mod schedule_pane;
pub mod stalls_pane;
pub mod tasks_pane;
pub mod threads_pane;
pub mod timeouts_pane;
pub mod warnings;
pub mod widgets;
pub mod workers_pane;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::App;
use crate::settings::Group;

/// Below this the panes cannot show their numbers legibly.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    let history = app.view();
    let warnings = history.latest().map_or(&[][..], |s| &s.warnings[..]);
    let [header, body, feed, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(warnings::height(
            app.notice.as_deref(),
            warnings,
            area.width,
        )),
        Constraint::Length(1),
    ])
    .areas(area);
    // The charts get the height a tall terminal offers; the bottom row needs
    // one line per worker or knob and little more.
    let bottom_height = (body.height * 9 / 20)
        .max(10)
        .min(body.height.saturating_sub(8));
    let [top, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(bottom_height)]).areas(body);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(top);
    // On a short terminal the delay pane keeps its figures and one history
    // line, the long polls their two worst, and the queue chart room to be read.
    let tall = top.height >= 16;
    let schedule_height = if tall { 5 } else { 4 };
    let [workloads, schedule] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(schedule_height)]).areas(left);
    let stalls_height = if tall { 6 } else { 4 };
    let [tasks, stalls] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(stalls_height)]).areas(right);
    let [workers, polls, controls] = Layout::horizontal([
        Constraint::Percentage(36),
        Constraint::Percentage(32),
        Constraint::Percentage(32),
    ])
    .areas(bottom);

    header::draw(frame, header, app);
    draw_workloads(frame, workloads, app);
    schedule_pane::draw(frame, schedule, history);
    tasks_pane::draw(frame, tasks, app);
    stalls_pane::draw(frame, stalls, history);
    workers_pane::draw(frame, workers, history);
    poll_pane::draw(frame, polls, history);
    controls_pane::draw(frame, controls, app);
    warnings::draw(frame, feed, app.notice.as_deref(), warnings);
    hints::draw(frame, hints);
    if app.show_explain {
        explain::draw(frame, area, &app.info.scenario, &app.explain);
    }
    if let Some(row) = app.picker {
        picker::draw(frame, area, app, row);
    }
    if app.show_help {
        help::draw(frame, area);
    }
}

/// One pane per workload the scenario runs, stacked: the queue chart takes
/// what the others leave, the others the height their lines need.
fn draw_workloads(frame: &mut Frame, area: Rect, app: &App) {
    let groups = app.settings.workloads();
    let stages = app
        .view()
        .latest()
        .and_then(|s| s.chain.as_ref())
        .map_or(4, |c| c.stages.len() as u16);
    let constraints: Vec<Constraint> = groups
        .iter()
        .map(|group| match group {
            _ if groups.len() == 1 => Constraint::Fill(1),
            Group::Queue | Group::Runtime => Constraint::Min(6),
            Group::Chain => Constraint::Max(3 + stages),
            Group::Timeouts => Constraint::Max(7),
            Group::ThreadsVsTasks => Constraint::Max(8),
            Group::Requests => Constraint::Max(9),
        })
        .collect();
    let areas = Layout::vertical(constraints).split(area);
    let history = app.view();
    for (group, area) in groups.iter().zip(areas.iter()) {
        match group {
            Group::Queue => queue_pane::draw(frame, *area, history),
            Group::Chain => chain_pane::draw(frame, *area, history),
            Group::Timeouts => timeouts_pane::draw(frame, *area, history),
            Group::ThreadsVsTasks => threads_pane::draw(frame, *area, history),
            Group::Requests => requests_pane::draw(frame, *area, history),
            Group::Runtime => {}
        }
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let message = format!(
        "terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
        area.width, area.height
    );
    let paragraph = Paragraph::new(message)
        .style(Style::new().fg(Color::Yellow))
        .wrap(Wrap { trim: true });
    frame.render_widget(paragraph, area);
}
