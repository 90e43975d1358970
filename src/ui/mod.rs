//! Drawing: a pure function of the app state, so the same state always draws
//! the same frame (which is what the snapshot tests rely on).

pub mod controls_pane;
pub mod dump_panel;
pub mod explain;
pub mod header;
pub mod help;
pub mod hints;
pub mod layout;
pub mod picker;
pub mod poll_pane;
pub mod schedule_pane;
pub mod stalls_pane;
pub mod tasks_pane;
pub mod warnings;
pub mod widgets;
pub mod workers_pane;

use std::rc::Rc;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::App;
use layout::{allot, Order, Want};

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
    // The workloads beside the task counts and long polls; the scheduling
    // delay; the workers beside the poll times and the knobs. Widths are
    // fixed shares; heights follow content.
    let columns = |area| {
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(area)
    };
    let band = |area| {
        Layout::horizontal([
            Constraint::Percentage(36),
            Constraint::Percentage(32),
            Constraint::Percentage(32),
        ])
        .areas(area)
    };
    let [left, right]: [Rect; 2] = columns(body);
    let [_, polls, controls]: [Rect; 3] = band(body);
    let mut left_wants = workload_wants(app, left.width);
    let workloads = left_wants.len();
    let right_wants = [
        tasks_pane::want(app, right.width),
        stalls_pane::want(history, right.width),
    ];
    // The knobs scroll to the selected one: a long list of them must not
    // stretch the band and leave the workers and poll times blank rows.
    let controls_want = controls_pane::want(app, controls.width);
    let bottom_want = Want::beside(&[
        workers_pane::want(app.info.workers),
        poll_pane::want(history, polls.width),
        Want {
            need: controls_want.least,
            ..controls_want
        },
    ]);
    // With rows for every pane's content, the scheduling delay gets a band
    // of its own and every spare row for its chart. A shorter terminal
    // stacks it under the workloads, beside the task counts, in rows the
    // taller right column leaves there anyway.
    let top_need = Want::stacked(&left_wants)
        .need
        .max(Want::stacked(&right_wants).need);
    let own_band = top_need + schedule_pane::WANT.need + bottom_want.need <= body.height;
    if !own_band {
        left_wants.push(schedule_pane::WANT);
    }
    // With a band of its own, the scheduling delay's chart takes the spare
    // rows and the top band has its content's height, not more: its right
    // column has no chart, so more rows would be blank ones there. Without,
    // the top band's charts are the only ones and take them.
    let top_want = Want {
        grows: !own_band,
        ..Want::beside(&[Want::stacked(&left_wants), Want::stacked(&right_wants)])
    };
    // Short of rows, the workloads come first: they are the lesson; the
    // histogram and the workers' second lines are detail.
    let mut bands = vec![top_want, bottom_want];
    if own_band {
        bands.insert(1, schedule_pane::WANT);
    }
    let bands = rows(body, &bands, Order::First);
    let [left, right] = columns(bands[0]);
    let [workers, polls, controls] = band(bands[bands.len() - 1]);
    let left_panes = rows(left, &left_wants, Order::Evenly);
    let right_panes = rows(right, &right_wants, Order::Evenly);
    let schedule = if own_band {
        bands[1]
    } else {
        left_panes[workloads]
    };

    header::draw(frame, header, app);
    draw_workloads(frame, &left_panes[..workloads], app);
    schedule_pane::draw(frame, schedule, history);
    tasks_pane::draw(frame, right_panes[0], app);
    stalls_pane::draw(frame, right_panes[1], history);
    workers_pane::draw(frame, workers, history);
    poll_pane::draw(frame, polls, history);
    controls_pane::draw(frame, controls, app);
    warnings::draw(frame, feed, app.notice.as_deref(), warnings);
    hints::draw(frame, hints, app.paused() || app.playback.is_some());
    if app.show_explain {
        explain::draw(frame, area, &app.info.scenario, &app.explain);
    }
    if let Some(row) = app.picker {
        picker::draw(frame, area, app, row);
    }
    if let Some(panel) = &app.dump {
        dump_panel::draw(frame, area, panel);
    }
    if app.show_help {
        help::draw(frame, area);
    }
}

/// What each workload's pane asks for, in the order they stack.
fn workload_wants(app: &App, width: u16) -> Vec<Want> {
    let history = app.view();
    app.knobs()
        .workloads()
        .iter()
        .map(|group| {
            group
                .kind()
                .map_or_else(Want::default, |k| (k.want)(history, width))
        })
        .collect()
}

/// One pane per workload the scenario runs, stacked.
fn draw_workloads(frame: &mut Frame, areas: &[Rect], app: &App) {
    let history = app.view();
    for (group, area) in app.knobs().workloads().iter().zip(areas) {
        if let Some(kind) = group.kind() {
            (kind.draw)(frame, *area, history);
        }
    }
}

/// `area` cut into rows for `wants`, top to bottom: one `Rect` each.
fn rows(area: Rect, wants: &[Want], order: Order) -> Rc<[Rect]> {
    let heights = allot(area.height, wants, order);
    Layout::vertical(heights.iter().map(|&h| Constraint::Length(h))).split(area)
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
